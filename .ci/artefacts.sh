#!/usr/bin/env bash
# CI: the archives a shop installs, in target/artifacts/ with a .sha256 each:
#   stepwise-<version>-x86_64-pc-windows-gnu.zip      stepwise.exe, README,
#       licences, PowerShell completions (the .exe built by .ci/windows.sh)
#   stepwise-<version>-x86_64-unknown-linux-musl.tar.gz   a static binary
#       (checked: no program interpreter, runs alone in an empty root), man
#       page, bash/zsh/fish completions, README, licences
# and the Debian package of .ci/deb.sh beside them when it was built.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
export CARGO_INCREMENTAL=0
WIN=x86_64-pc-windows-gnu
MUSL=x86_64-unknown-linux-musl
target="${CARGO_TARGET_DIR:-target}"
out="$target/artifacts"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"

need_apt=()
command -v musl-gcc >/dev/null || need_apt+=(musl-tools)
command -v zip >/dev/null || need_apt+=(zip)
command -v readelf >/dev/null || need_apt+=(binutils)
command -v x86_64-w64-mingw32-strip >/dev/null || need_apt+=(binutils-mingw-w64-x86-64)
if ((${#need_apt[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$MUSL" || rustup target add "$MUSL"

exe="$target/$WIN/release/stepwise.exe"
[[ -f "$exe" ]] || { echo "artefacts.sh: $exe is missing: run .ci/windows.sh (it builds it)" >&2; exit 1; }

# The static Linux binary. musl's own C compiler for the C and assembly in ring.
t=$SECONDS
CC_x86_64_unknown_linux_musl=musl-gcc cargo build --locked --release --target "$MUSL" --bin stepwise
echo "musl release build: $((SECONDS - t)) s"
linux="$target/$MUSL/release/stepwise"

# Static: no program interpreter (no ld.so, no libc to find), and it runs in
# an empty root holding nothing but itself: no /lib, no /etc, no shell.
if readelf -l "$linux" | grep -q 'Requesting program interpreter'; then
    echo "$linux is dynamically linked" >&2
    exit 1
fi
echo "ldd: $(ldd "$linux" 2>&1 || true)"
if readelf -d "$linux" 2>/dev/null | grep -q NEEDED; then
    echo "$linux needs shared libraries:" >&2
    readelf -d "$linux" | grep NEEDED >&2
    exit 1
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
strip -o "$stage/stepwise" "$linux"
x86_64-w64-mingw32-strip -o "$stage/stepwise.exe" "$exe"

if [[ "$(id -u)" == 0 ]] && command -v chroot >/dev/null; then
    root="$stage/root"
    mkdir -p "$root"
    cp "$stage/stepwise" "$root/stepwise"
    chroot="$(command -v chroot)"
    got="$(env -i "$chroot" "$root" /stepwise --version)"
    [[ "$got" == "stepwise $version "* ]] || { echo "in an empty root: $got" >&2; exit 1; }
    # The embedded simulator and a loopback socket, with no data directory.
    code=0
    env -i "$chroot" "$root" /stepwise steps --car 987654 --json >"$stage/root.json" || code=$?
    [[ $code == 3 ]] || { echo "steps in an empty root: exit $code" >&2; exit 1; }
    python3 - "$stage/root.json" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))
assert got["carAssociationID"] == "987654" and got["next"] == "deviceActivation", got
EOF
    echo "the static binary runs alone in an empty root: $got; steps --car 987654 exit 3"
    rm -rf "$root"
else
    echo "not root: the empty-root run is skipped (readelf showed no interpreter)"
fi

# What goes in both archives.
"$stage/stepwise" completions powershell >"$stage/stepwise.ps1"
"$stage/stepwise" completions bash >"$stage/stepwise.bash"
"$stage/stepwise" completions zsh >"$stage/_stepwise"
"$stage/stepwise" completions fish >"$stage/stepwise.fish"
"$stage/stepwise" man >"$stage/stepwise.1"
grep -q 'Register-ArgumentCompleter' "$stage/stepwise.ps1" || { echo "no PowerShell completer" >&2; exit 1; }

mkdir -p "$out"
win_name="stepwise-$version-$WIN"
musl_name="stepwise-$version-$MUSL"
rm -rf "${out:?}/$win_name"* "${out:?}/$musl_name"*

w="$stage/$win_name"
mkdir -p "$w"
cp "$stage/stepwise.exe" "$stage/stepwise.ps1" README.md LICENSE-MIT LICENSE-APACHE "$w/"
(cd "$stage" && zip -q -r -X "$win_name.zip" "$win_name")
mv "$stage/$win_name.zip" "$out/"

l="$stage/$musl_name"
mkdir -p "$l/completions"
cp "$stage/stepwise" "$stage/stepwise.1" README.md LICENSE-MIT LICENSE-APACHE "$l/"
cp "$stage/stepwise.bash" "$stage/_stepwise" "$stage/stepwise.fish" "$l/completions/"
tar -C "$stage" --owner=0 --group=0 -czf "$out/$musl_name.tar.gz" "$musl_name"

# Beside them, the Debian package when .ci/deb.sh made one.
shopt -s nullglob
debs=("$target"/debian/stepwise_"$version"*.deb)
shopt -u nullglob
for deb in "${debs[@]}"; do cp "$deb" "$out/"; done

(
    cd "$out"
    for f in "$win_name.zip" "$musl_name.tar.gz" "${debs[@]##*/}"; do
        sha256sum "$f" >"$f.sha256"
        sha256sum -c --quiet "$f.sha256"
    done
)

# What ships: the zip holds no DLL (the Wine tests' stand-in stays there).
listing="$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$out/$win_name.zip")"
if grep -qi '\.dll$' <<<"$listing"; then
    echo "the zip holds a DLL:" >&2
    echo "$listing" >&2
    exit 1
fi
for f in stepwise.exe stepwise.ps1 README.md LICENSE-MIT LICENSE-APACHE; do
    grep -qx "$win_name/$f" <<<"$listing" || { echo "the zip lacks $f" >&2; exit 1; }
done
tar -tzf "$out/$musl_name.tar.gz" | grep -qx "$musl_name/stepwise" || { echo "the tarball lacks the binary" >&2; exit 1; }

ls -l "$out"/stepwise*
echo "artefacts: $((SECONDS - started)) s"
