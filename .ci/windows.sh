#!/usr/bin/env bash
# CI: stepwise for the shop's Windows PC. Builds x86_64-pc-windows-gnu
# (release, --locked) with Debian's mingw-w64, packages the artefacts
# (.ci/artefacts.sh: the zip and the static Linux tarball), then runs the
# .exe from the zip under Debian's Wine against the static Linux binary's
# `stepwise serve` on loopback: the command line, exit codes, languages,
# doctor, a kept login, `stepwise.exe serve` answering curl, Windows paths
# and an Excel ids file, and the wizard started and quit with `q`.
# Wine's drawing of the terminal UI is not judged here.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
export CARGO_INCREMENTAL=0
WIN=x86_64-pc-windows-gnu
MUSL=x86_64-unknown-linux-musl
target="${CARGO_TARGET_DIR:-target}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"

# --- Tools: the Rust targets, mingw-w64, Wine (64-bit only) -----------------
t=$SECONDS
need_apt=()
command -v x86_64-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-x86-64)
[[ -x /usr/lib/wine/wine64 ]] || need_apt+=(wine64)
command -v musl-gcc >/dev/null || need_apt+=(musl-tools)
command -v zip >/dev/null || need_apt+=(zip)
command -v curl >/dev/null || need_apt+=(curl)
if ((${#need_apt[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
installed="$(rustup target list --installed)"
for triple in "$WIN" "$MUSL"; do
    grep -qx "$triple" <<<"$installed" || rustup target add "$triple"
done
echo "windows.sh: tools ready in $((SECONDS - t)) s"

# --- The Windows build ------------------------------------------------------
t=$SECONDS
cargo build --locked --release --target "$WIN" --bin stepwise
echo "windows.sh: Windows release build: $((SECONDS - t)) s"

bash .ci/artefacts.sh

# --- Wine: a throwaway prefix with the test-only ProcessPrng stand-in ------
work="$target/wine"
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
export WINEPREFIX="$work/prefix" WINEARCH=win64 WINEDEBUG=-all
# No Mono or Gecko installer dialogs; no display is needed for console programs.
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset STEPWISE_API STEPWISE_TOKEN STEPWISE_CONFIG STEPWISE_LANG STEPWISE_TOKEN_STORE \
    http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver
t=$SECONDS
"$wine" wineboot --init >/dev/null 2>&1 || true
"$wineserver" -w
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$work/bcryptprimitives.dll" \
    .ci/wine/bcryptprimitives.c .ci/wine/bcryptprimitives.def -ladvapi32
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
# Kept running between the calls below, ended on the way out.
"$wineserver" -p
echo "windows.sh: Wine prefix ready in $((SECONDS - t)) s"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    "$wineserver" -k 2>/dev/null || true
    # The prefix is ~700 MB of Wine's files: only the logs are kept.
    rm -rf "$WINEPREFIX"
}
trap cleanup EXIT

# The .exe as a shop unpacks it from the zip.
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
    "$target/artifacts/stepwise-$version-$WIN.zip" "$work/unpacked"
exe="$work/unpacked/stepwise-$version-$WIN/stepwise.exe"
linux="$target/$MUSL/release/stepwise"
# A Unix path as Windows programs see it under Wine: Z:\ is the root.
winpath() { printf 'Z:%s' "$(realpath -m "$1" | tr / '\\')"; }

failures=0
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failures=$((failures + 1)); echo "FAILED: $*" >&2; }
# run NAME WANT_CODE ARGS...: the .exe under Wine, stdout and stderr kept in
# $work/NAME.out and $work/NAME.err; says whether the exit code is WANT_CODE.
run() {
    local name=$1 want=$2 code=0
    shift 2
    timeout 120 "$wine" "$exe" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null || code=$?
    if [[ $code == "$want" ]]; then
        return 0
    fi
    bad "$name: exit $code, want $want"
    sed 's/^/    stdout: /' "$work/$name.out" >&2
    sed 's/^/    stderr: /' "$work/$name.err" >&2
    return 1
}
has() { # has NAME FILE-SUFFIX TEXT
    if grep -qF -- "$3" "$work/$1.$2"; then return 0; fi
    bad "$1: $2 lacks \"$3\""
    sed "s/^/    $2: /" "$work/$1.$2" >&2
    return 1
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_http() {
    for _ in $(seq 300); do
        curl -sf "$1/openapi.json" >/dev/null && return 0
        sleep 0.2
    done
    echo "no answer from $1" >&2
    return 1
}

# A Linux gateway simulator: the static binary of the tarball.
port=$(free_port)
api="http://127.0.0.1:$port"
"$linux" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pids+=($!)
wait_http "$api"

# --version: the version and commit of the Linux build.
if run version 0 --version; then
    got="$(cat "$work/version.out")"
    if [[ "$got" == "$("$linux" --version)" && "$got" == "stepwise $version (commit "* ]]; then
        ok "--version: $got"
    else
        bad "--version says \"$got\""
    fi
fi

# steps and next, plain and --json, with their exit codes.
run steps 3 steps --api "$api" --car 987654 \
    && has steps out "[TODO] 2  Device activation" && has steps out "<- NEXT" \
    && ok "steps --car 987654: the checklist, exit 3"
if run steps-json 3 steps --api "$api" --car 987654 --json; then
    echo "--- wine stepwise.exe steps --api $api --car 987654 --json (exit 3):"
    cat "$work/steps-json.out"
    python3 - "$work/steps-json.out" <<'EOF' && ok "steps --json: the normalised answer" || bad "steps --json"
import json, sys
got = json.load(open(sys.argv[1]))
assert got["carAssociationID"] == "987654", got
assert got["stepsID"] == "132324", got
assert got["next"] == "deviceActivation" and got["complete"] is False, got
assert [s["name"] for s in got["steps"]] == ["trusterPhoneNumber", "deviceActivation", "mediumCarKey"], got
EOF
fi
run steps-ready 0 steps --api "$api" --car 222222 && ok "steps on a ready vehicle: exit 0"
run steps-unknown 1 steps --api "$api" --car NOPE99 && has steps-unknown err "NOPE99" \
    && ok "steps on an unknown id: exit 1, named on stderr"
run steps-usage 2 steps --api "$api" --car "98 76" && ok "steps with a malformed id: exit 2"
run next 3 next --api "$api" --steps-id 132324 && has next out "deviceActivation" \
    && ok "next --steps-id: exit 3"
if run next-json 3 next --api "$api" --steps-id 132324 --json; then
    python3 -c 'import json, sys; got = json.load(open(sys.argv[1])); assert got["next"]["name"] == "deviceActivation", got' \
        "$work/next-json.out" && ok "next --json: deviceActivation" || bad "next --json: $(cat "$work/next-json.out")"
fi

# --lang de: the same answer in German (the words of the catalogue).
run steps-de 3 --lang de steps --api "$api" --car 987654 \
    && has steps-de out "[OFFEN]  2  Geräteaktivierung" && has steps-de out "1 von 3 erledigt" \
    && ok "--lang de: $(tail -n 1 "$work/steps-de.out")"

# doctor against the Linux gateway, and on the .exe's own embedded simulator
# (its state in %LOCALAPPDATA%); the config file is looked for in %APPDATA%.
run doctor 0 doctor --api "$api" --car 987654 \
    && has doctor out 'C:\users\' && has doctor out '\AppData\Roaming\stepwise\config\config.toml' \
    && ok "doctor --api: every line passes; config: $(grep -o 'C:\\users[^ ]*' "$work/doctor.out" | head -n 1)"
run doctor-demo 0 doctor && ok "doctor on the embedded simulator"
run steps-demo 3 steps --car 987654 && has steps-demo out "(demo backend)" \
    && ok "steps on the .exe's embedded simulator: exit 3"
local_data="$(ls -d "$WINEPREFIX"/drive_c/users/*/AppData/Local/stepwise/data 2>/dev/null | head -n 1 || true)"
[[ -n "$local_data" && -f "$local_data/demo-state.json" ]] \
    && ok "the embedded simulator's state is in %LOCALAPPDATA%\\stepwise\\data" \
    || bad "no demo-state.json under AppData/Local/stepwise/data"

# A gateway that wants a token; login --with-token keeps it in the file store.
tport=$(free_port)
tapi="http://127.0.0.1:$tport"
printf 'ci-windows-token\n' >"$work/token.txt"
"$linux" serve --addr "127.0.0.1:$tport" --token-file "$work/token.txt" >"$work/serve-token.log" 2>&1 &
pids+=($!)
wait_http "$tapi"
run no-token 1 steps --api "$tapi" --car 987654 && ok "steps without a token: exit 1"
# The default store: the Credential Manager (Wine's implementation of it).
code=0
printf 'ci-windows-token\n' | timeout 120 "$wine" "$exe" login --with-token --api "$tapi" \
    >"$work/login-keyring.out" 2>"$work/login-keyring.err" || code=$?
if [[ $code == 0 ]] && grep -q "Windows Credential Manager" "$work/login-keyring.out"; then
    ok "login --with-token: kept in the Windows Credential Manager"
else
    bad "login --with-token (keyring): exit $code: $(cat "$work/login-keyring.out" "$work/login-keyring.err")"
fi
run auth-keyring 0 auth status --api "$tapi" --json \
    && python3 -c 'import json, sys; got = json.load(open(sys.argv[1])); assert got["store"]["kind"] == "keyring" and got["signed_in"], got' \
        "$work/auth-keyring.out" && ok "auth status: usable, in the keyring" \
    || bad "auth status (keyring): $(cat "$work/auth-keyring.out")"
run steps-keyring 3 steps --api "$tapi" --car 987654 && ok "steps with the login from the Credential Manager: exit 3"
run logout-keyring 0 logout --api "$tapi" && has logout-keyring out "Windows Credential Manager" \
    && run auth-after-logout 1 auth status --api "$tapi" && ok "logout empties the Credential Manager: auth status exit 1"
# STEPWISE_TOKEN_STORE=file: the file in %LOCALAPPDATA%.
code=0
printf 'ci-windows-token\n' | STEPWISE_TOKEN_STORE=file timeout 120 "$wine" "$exe" login --with-token --api "$tapi" \
    >"$work/login.out" 2>"$work/login.err" || code=$?
if [[ $code == 0 ]]; then
    logins="$local_data/logins.json"
    [[ -f "$logins" ]] && ok "login --with-token: kept in %LOCALAPPDATA%\\stepwise\\data\\logins.json" \
        || bad "login --with-token: no $logins; $(cat "$work/login.out" "$work/login.err")"
else
    bad "login --with-token: exit $code: $(cat "$work/login.out" "$work/login.err")"
fi
STEPWISE_TOKEN_STORE=file run auth-status 0 auth status --api "$tapi" --json \
    && python3 -c 'import json, sys; got = json.load(open(sys.argv[1])); assert got["store"]["kind"] == "file" and got["signed_in"], got' \
        "$work/auth-status.out" && ok "auth status: usable, in the file store" \
    || bad "auth status: $(cat "$work/auth-status.out")"
if grep -q ci-windows-token "$work"/auth-*.out "$work"/login*.out "$work"/login*.err; then
    bad "the token was shown"
fi
STEPWISE_TOKEN_STORE=file run steps-login 3 steps --api "$tapi" --car 987654 \
    && ok "steps with the kept login: exit 3"
STEPWISE_TOKEN_STORE=file run logout 0 logout --api "$tapi" \
    && [[ ! -f "$local_data/logins.json" ]] && ok "logout removes logins.json"
# A token longer than a Credential Manager entry (2560 bytes, 1280
# characters as Windows stores them): kept in the file instead, and said.
python3 -c 'print("L" * 2000)' >"$work/long-token.txt"
lport=$(free_port)
lapi="http://127.0.0.1:$lport"
"$linux" serve --addr "127.0.0.1:$lport" --token-file "$work/long-token.txt" >"$work/serve-long.log" 2>&1 &
pids+=($!)
wait_http "$lapi"
code=0
timeout 120 "$wine" "$exe" login --with-token --api "$lapi" <"$work/long-token.txt" \
    >"$work/login-long.out" 2>"$work/login-long.err" || code=$?
if [[ $code == 0 ]] && grep -q "too long for Windows Credential Manager" "$work/login-long.out" \
    && [[ -f "$local_data/logins.json" ]]; then
    ok "login with a 2000-character token: too long for the Credential Manager, kept in the file"
else
    bad "login with a long token: exit $code: $(cat "$work/login-long.out" "$work/login-long.err")"
fi
run steps-long 3 steps --api "$lapi" --car 987654 && ok "steps with the long token from the file: exit 3"
run logout-long 0 logout --api "$lapi" && [[ ! -f "$local_data/logins.json" ]] \
    && ok "logout removes the long token's file"
# A token file at a path with backslashes and spaces.
mkdir -p "$work/Werkstatt Daten"
cp "$work/token.txt" "$work/Werkstatt Daten/token datei.txt"
run token-file 3 steps --api "$tapi" --car 987654 --token-file "$(winpath "$work/Werkstatt Daten/token datei.txt")" \
    && ok "--token-file 'Z:\\...\\Werkstatt Daten\\token datei.txt'"

# An ids file as Excel saves "CSV UTF-8" in German: BOM, CRLF, ';', a header.
mkdir -p "$work/Fahrzeuge heute"
printf '\xef\xbb\xbfcarAssociationID;Modell;Kunde\r\n987654;e-208;M\xc3\xbcller\r\n222222;C5 X;Dupont\r\n' \
    >"$work/Fahrzeuge heute/Liste Werkstatt.csv"
cars="$(winpath "$work/Fahrzeuge heute/Liste Werkstatt.csv")"
if run cars 3 steps --api "$api" --cars "$cars" --json; then
    echo "--- wine stepwise.exe steps --api $api --cars '$cars' --json (exit 3):"
    cat "$work/cars.out"
    python3 - "$work/cars.out" <<'EOF' && ok "--cars: a BOM/CRLF/';' file gives its two ids" || bad "--cars"
import json, sys
got = [json.loads(line) for line in open(sys.argv[1])]
assert [g["carAssociationID"] for g in got] == ["987654", "222222"], got
assert got[1]["complete"] is True, got
EOF
fi

# stepwise.exe serve, answering a Linux curl and the Linux client; its
# scenario file at a path with backslashes and spaces.
mkdir -p "$work/Szenario Werkstatt"
cp assets/scenario.json "$work/Szenario Werkstatt/mein szenario.json"
wport=$(free_port)
wapi="http://127.0.0.1:$wport"
"$wine" "$exe" serve --addr "127.0.0.1:$wport" \
    --scenario "$(winpath "$work/Szenario Werkstatt/mein szenario.json")" >"$work/serve-win.log" 2>&1 </dev/null &
wine_serve=$!
pids+=($wine_serve)
if wait_http "$wapi"; then
    curl -sf "$wapi/openapi.json" | python3 -c 'import json, sys; assert "paths" in json.load(sys.stdin)' \
        && ok "stepwise.exe serve answers curl on $wapi"
    code=0
    "$linux" steps --api "$wapi" --car 987654 --json >"$work/linux-client.out" || code=$?
    [[ $code == 3 ]] && python3 -c 'import json, sys; got = json.load(open(sys.argv[1])); assert got["stepsID"] == "132324", got' \
        "$work/linux-client.out" && ok "the Linux client on stepwise.exe serve: exit 3" \
        || bad "Linux client on Windows serve: exit $code: $(cat "$work/linux-client.out")"
else
    bad "stepwise.exe serve did not answer: $(cat "$work/serve-win.log")"
fi
kill "$wine_serve" 2>/dev/null || true
wait "$wine_serve" 2>/dev/null || true

# The wizard in a terminal (a pty): started, then `q`, exit 0, with the
# report written to a path with backslashes and spaces. What Wine's console
# draws is not judged; the wizard's first frame names the vehicle.
mkdir -p "$work/Berichte heute"
report="$work/Berichte heute/sitzung 1.md"
if python3 .ci/wine/pty_keys.py --wait-for 987654 --keys q --timeout 90 -- \
    "$wine" "$exe" --api "$api" --car 987654 --report "$(winpath "$report")" >"$work/wizard.log" 2>&1; then
    if [[ -s "$report" ]] && grep -q 987654 "$report" && grep -q '1049l' "$work/wizard.log"; then
        ok "the wizard: started, q, exit 0, report at 'Z:\\...\\Berichte heute\\sitzung 1.md'"
    else
        bad "the wizard ended without its report: $(cat "$work/wizard.log")"
    fi
else
    bad "the wizard: $(tail -n 5 "$work/wizard.log")"
fi

# Ctrl-C: Wine's console sends it as Windows' CTRL_C_EVENT; the wizard
# leaves as on `q` (terminal restored, report written), exit 130.
report="$work/Berichte heute/sitzung 2.md"
code=0
python3 .ci/wine/pty_keys.py --wait-for 987654 --keys $'\x03' --timeout 90 -- \
    "$wine" "$exe" --api "$api" --car 987654 --report "$(winpath "$report")" >"$work/wizard-ctrl-c.log" 2>&1 || code=$?
if [[ ($code == 130 || $code == 0) && -s "$report" ]] && grep -q '1049l' "$work/wizard-ctrl-c.log"; then
    ok "the wizard on Ctrl-C: exit $code, alternate screen left, report written"
else
    bad "the wizard on Ctrl-C: exit $code: $(tail -n 5 "$work/wizard-ctrl-c.log")"
fi

"$wineserver" -k 2>/dev/null || true
echo "windows.sh: $passed passed, $failures failed"
echo "windows.sh: $((SECONDS - started)) s in all; target: $(du -sh "$target" | cut -f1)" \
    "($WIN $(du -sh "$target/$WIN" | cut -f1), $MUSL $(du -sh "$target/$MUSL" | cut -f1))"
((failures == 0))
