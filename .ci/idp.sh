#!/usr/bin/env bash
# Sign-in against a real OpenID provider: oidc-provider (npm, pinned) on
# loopback as a company would run it, a gateway that checks tokens by the
# provider's introspection in front of `stepwise serve`, the person's
# approvals in Debian's Chromium (playwright-core). Checks: login by device
# and by code + PKCE, auth status, steps past the 30 s token lifetime, two
# steps refreshing at once, a grant the provider revoked (auth status exits
# 1), logout revoking at the provider, a locked keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
began=$(date +%s)
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
work=target/idp
mkdir -p "$work"
(cd "$work" && { test -d node_modules/oidc-provider && test -d node_modules/playwright-core \
  || npm install --silent --no-audit --no-fund oidc-provider@9.13.3 playwright-core@1.49.1; })
cp .ci/idp/server.mjs .ci/idp/approve.mjs "$work/"
cargo build --locked --bin stepwise
bin="$PWD/target/debug/stepwise"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
idp_port=$(free_port); gw_port=$(free_port); up_port=$(free_port)
gw="http://127.0.0.1:$gw_port"
"$bin" serve --addr "127.0.0.1:$up_port" >"$work/serve.log" 2>&1 &
pids="$!"
node "$work/server.mjs" "$idp_port" "$gw_port" "$up_port" >"$work/idp.log" 2>&1 &
pids="$pids $!"
trap 'kill $pids 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$idp_port/.well-known/openid-configuration" >/dev/null \
    && curl -sf "$gw/.well-known/oauth-protected-resource" >/dev/null && break
  sleep 0.2
done

fail() { echo "idp.sh: FAILED: $*" >&2; echo "--- provider and gateway log:" >&2; cat "$work/idp.log" >&2; exit 1; }
# Each person has a home of their own; no keyring unless said.
home_of() { local h="$work/home-$1"; rm -rf "$h"; mkdir -p "$h"; echo "$h"; }
as() { local h=$1; shift; env -i PATH="$PATH" HOME="$h" LANG=C.UTF-8 STEPWISE_TOKEN_STORE="${STORE:-file}" \
  DBUS_SESSION_BUS_ADDRESS="${BUS:-unix:path=/nonexistent}" ${EXTRA_ENV:-} "$bin" "$@"; }
kept_refresh() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(iter(d["logins"].values()))["refresh_token"])' \
  "$1/.local/share/stepwise/logins.json"; }
code_of() { sed -n 's/.*│ *\([A-Z -]*[A-Z]\) *│.*/\1/p' "$1" | tr -d ' ' | head -1; }
address_of() { sed -n 's/.*Open \(http[^ ]*\) and enter.*/\1/p' "$1" | head -1; }

# 1. Device login: the code shown here, approved in Chromium.
device_login() {
  local h=$1 out=$2
  as "$h" login --api "$gw" --client-id dealer-workshop-cli --device >"$out" 2>&1 &
  local login=$!
  for _ in $(seq 100); do [ -n "$(code_of "$out")" ] && break; sleep 0.1; done
  node "$work/approve.mjs" "$(address_of "$out")" "$(code_of "$out")" >>"$work/person.log" 2>&1 \
    || fail "the person could not approve the code"
  wait "$login" || { cat "$out"; fail "device login"; }
}
echo "== login by device"
a=$(home_of device)
device_login "$a" "$work/login-device.out"
cat "$work/login-device.out"
login_at=$(date +%s)
grep -q "refreshed before then" "$work/login-device.out" || fail "no refresh promised"
as "$a" auth status --api "$gw" || fail "auth status after login"
set +e; as "$a" steps --api "$gw" --car 987654 >/dev/null; rc=$?; set -e
[ "$rc" = 3 ] || fail "steps after login (exit $rc)"

# 2. Code + PKCE: `login` opens "the browser" (xdg-open is Chromium here).
echo "== login in the browser (code + PKCE)"
b=$(home_of browser)
mkdir -p "$b/bin"
cat >"$b/bin/xdg-open" <<SH
#!/bin/sh
exec node "$PWD/$work/approve.mjs" "\$1" >>"$PWD/$work/person.log" 2>&1
SH
chmod +x "$b/bin/xdg-open"
PATH="$b/bin:$PATH" EXTRA_ENV="DISPLAY=:99" as "$b" login --api "$gw" --client-id dealer-workshop-cli \
  >"$work/login-browser.out" 2>&1 || { cat "$work/login-browser.out"; fail "browser login"; }
sed 's/\(code_challenge=\)[^&]*/\1…/; s/\(state=\)[^&]*/\1…/' "$work/login-browser.out"
set +e; as "$b" steps --api "$gw" --car 222222 >/dev/null; rc=$?; set -e
[ "$rc" = 0 ] || fail "steps after the browser login (exit $rc)"
# The provider revokes that login (as an administrator would).
curl -sf -d "token=$(kept_refresh "$b")" -d token_type_hint=refresh_token -d client_id=dealer-workshop-cli \
  "http://127.0.0.1:$idp_port/token/revocation" >/dev/null || fail "revocation by hand"

# 3. Past the token's lifetime, two steps at once: both go on.
wait_until=$((login_at + 31)); now=$(date +%s); [ "$now" -lt "$wait_until" ] && sleep $((wait_until - now))
echo "== two steps at once, $(( $(date +%s) - login_at )) s after login"
revoked_before=$(grep -c 'grant.revoked' "$work/idp.log" || true)
set +e
as "$a" steps --api "$gw" --car 987654 >"$work/two-a.out" 2>&1 & pa=$!
as "$a" steps --api "$gw" --car 111111 >"$work/two-b.out" 2>&1 & pb=$!
wait $pa; ra=$?; wait $pb; rb=$?
set -e
echo "[A exit $ra] [B exit $rb]"; cat "$work/two-a.out" "$work/two-b.out"
[ "$ra" = 3 ] && [ "$rb" = 3 ] || fail "two steps at once"
[ "$(grep -c 'grant.revoked' "$work/idp.log" || true)" = "$revoked_before" ] || fail "the provider revoked the login"
set +e; as "$a" steps --api "$gw" --car 444444 >/dev/null; rc=$?; set -e
[ "$rc" = 3 ] || fail "steps after the two (exit $rc)"

# 4. The login the provider revoked: steps says sign in again, auth status exits 1.
echo "== a login the provider revoked"
set +e; as "$b" steps --api "$gw" --car 222222; rc=$?; as "$b" auth status --api "$gw"; st=$?; set -e
echo "[steps exit $rc] [auth status exit $st]"
[ "$rc" = 1 ] && [ "$st" = 1 ] || fail "a revoked login"

# 5. Logout revokes at the provider: the old refresh token is refused there.
echo "== logout"
old=$(kept_refresh "$a")
as "$a" logout --api "$gw"
answer=$(curl -s -d grant_type=refresh_token -d client_id=dealer-workshop-cli -d "refresh_token=$old" \
  "http://127.0.0.1:$idp_port/token")
echo "the provider, given the old refresh token: $(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("error"))')"
echo "$answer" | grep -q invalid_grant || fail "the old refresh token still works"

# 6. A locked keyring (a headless SSH session): the approved sign-in is kept in the file.
if command -v gnome-keyring-daemon >/dev/null && command -v dbus-run-session >/dev/null; then
  echo "== a locked keyring"
  c=$(home_of keyring)
  mkdir -p "$work/keyring-data" "$work/keyring-run"
  XDG_DATA_HOME="$PWD/$work/keyring-data" XDG_RUNTIME_DIR="$PWD/$work/keyring-run" dbus-run-session -- bash -c '
    eval "$(gnome-keyring-daemon --start --components=secrets)" >/dev/null
    '"$(declare -f as home_of code_of address_of device_login fail)"'
    bin='"$bin"' work='"$work"' gw='"$gw"' STORE=auto BUS="$DBUS_SESSION_BUS_ADDRESS"
    device_login '"$c"' '"$work"'/login-keyring.out
  '
  cat "$work/login-keyring.out"
  grep -q "keyring could not keep" "$work/login-keyring.out" || fail "no fallback said"
  test -f "$c/.local/share/stepwise/logins.json" || fail "the login was not kept"
fi
echo "--- provider log (grants):"; grep -E 'grant\.|refresh_token\.|revocation' "$work/idp.log" | sort | uniq -c
echo "idp.sh: all passed in $(( $(date +%s) - began )) s"
