#!/usr/bin/env bash
# The real-keyring test: a Secret Service (gnome-keyring) on a private
# session bus, its login keyring unlocked with a throwaway password, then the
# ignored test in tests/keyring.rs that checks entries with secret-tool.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v gnome-keyring-daemon >/dev/null || ! command -v secret-tool >/dev/null \
    || ! command -v dbus-run-session >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            gnome-keyring libsecret-tools dbus dbus-x11 >/dev/null
    else
        echo "keyring.sh: needs gnome-keyring, libsecret-tools and dbus (apt packages)" >&2
        exit 1
    fi
fi
# The keyring's files go to a throwaway folder, not the user's.
keyring_home="$(mktemp -d)"
trap 'rm -rf "$keyring_home"' EXIT
cargo test --locked --test keyring --no-run
XDG_DATA_HOME="$keyring_home" XDG_RUNTIME_DIR="$keyring_home" dbus-run-session -- bash -c '
    set -euo pipefail
    # Starts the daemon and creates/unlocks the login keyring.
    eval "$(printf %s ci-keyring-password | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    cargo test --locked --test keyring -- --ignored
'
