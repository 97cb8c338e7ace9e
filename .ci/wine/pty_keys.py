#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal (80x24), waits until its output shows
a text, types keys, and exits with the command's exit code.

    pty_keys.py --wait-for TEXT --keys KEYS [--timeout S] -- COMMAND...

For the Windows wizard under Wine (.ci/windows.sh): Wine's console bridges a
Unix terminal to the program's console, so keys typed here reach it as key
presses. Everything the command printed goes to stdout, escape sequences
made visible, for the log. Exit 124 when the text never shows or the command
does not end in time.
"""

import argparse
import os
import pty
import select
import signal
import struct
import sys
import time

try:
    import fcntl
    import termios
except ImportError:  # pragma: no cover - Unix only
    sys.exit("pty_keys.py needs a Unix system")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wait-for", required=True)
    parser.add_argument("--keys", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    seen = bytearray()
    deadline = time.monotonic() + args.timeout
    wanted = args.wait_for.encode()
    typed = False
    status = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal closed: the command ended
                chunk = b""
            if chunk:
                seen.extend(chunk)
            else:
                break
        if not typed and wanted in seen:
            # Give the first frame a moment to be read as a whole, then type.
            time.sleep(0.5)
            os.write(fd, args.keys.encode())
            typed = True
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        status = None
    if status is None:
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            end = time.monotonic() + 10
            while time.monotonic() < end:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                try:
                    os.read(fd, 65536)
                except OSError:
                    time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = None

    sys.stdout.write(seen.decode("utf-8", "replace").encode("unicode_escape").decode("ascii"))
    sys.stdout.write("\n")
    if not typed:
        if status is not None:
            code = os.waitstatus_to_exitcode(status)
            print(f"pty_keys.py: the command ended (exit {code}) before {args.wait_for!r} showed")
        else:
            print(f"pty_keys.py: {args.wait_for!r} never showed in {args.timeout:.0f} s")
        return 124
    if status is None:
        print(f"pty_keys.py: the command did not end after the keys {args.keys!r}")
        return 124
    code = os.waitstatus_to_exitcode(status)
    print(f"pty_keys.py: exit {code}")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
