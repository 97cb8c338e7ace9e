/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, for Wine 8 (Debian
 * 12), which lacks it. Rust's standard library takes its random numbers from
 * ProcessPrng there; this one asks advapi32's RtlGenRandom
 * (SystemFunction036) instead. .ci/windows.sh builds it with mingw and puts
 * it in the throwaway Wine prefix of the tests only: it is never shipped
 * (the script checks that the zip holds no DLL), and real Windows has its own.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
