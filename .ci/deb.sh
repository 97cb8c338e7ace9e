#!/usr/bin/env bash
# CI: build the Debian package, install it, use it as a technician would,
# remove it, and check that every file it put is gone. Runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_DEB_VERSION=3.8.0

need_apt=()
command -v man >/dev/null || need_apt+=(man-db)
command -v dpkg-shlibdeps >/dev/null || need_apt+=(dpkg-dev)
command -v strip >/dev/null || need_apt+=(binutils)
if ((${#need_apt[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
if [[ "$(cargo deb --version 2>/dev/null || true)" != *"$CARGO_DEB_VERSION"* ]]; then
    cargo install --locked cargo-deb --version "$CARGO_DEB_VERSION"
fi

# The binary, then the man page and completions it generates.
cargo build --release --locked
bin="${CARGO_TARGET_DIR:-target}/release/stepwise"

# The README's other way in: cargo install (it reuses the release build).
root="$(mktemp -d)"
cargo install --locked --path . --root "$root" --quiet
[[ "$("$root/bin/stepwise" --version)" == "$("$bin" --version)" ]] || { echo "cargo install --path . gave another binary" >&2; exit 1; }
rm -rf "$root"
mkdir -p target/pkg
"$bin" --lang en man > target/pkg/stepwise.1
# Each language's page, installed where man-db looks for it (Debian: pt is
# Portugal's Portuguese, pt_BR Brazil's).
"$bin" --lang fr man > target/pkg/stepwise.fr.1
"$bin" --lang de man > target/pkg/stepwise.de.1
"$bin" --lang it man > target/pkg/stepwise.it.1
"$bin" --lang es man > target/pkg/stepwise.es.1
"$bin" --lang nl man > target/pkg/stepwise.nl.1
"$bin" --lang pt-BR man > target/pkg/stepwise.pt-BR.1
"$bin" --lang pt-PT man > target/pkg/stepwise.pt-PT.1
"$bin" completions bash > target/pkg/stepwise.bash
"$bin" completions zsh > target/pkg/_stepwise
"$bin" completions fish > target/pkg/stepwise.fish
deb="$(cargo deb --no-build --locked | tail -n 1)"
echo "built $deb"

if dpkg -s stepwise >/dev/null 2>&1; then
    echo "a stepwise package is already installed; remove it first" >&2
    exit 1
fi
# Minimal images exclude man pages from packages; this one is let in.
dpkg -i --path-include='/usr/share/man/man1/stepwise.1.gz' \
    --path-include='/usr/share/man/*/man1/stepwise.1.gz' "$deb"
trap 'dpkg -r stepwise >/dev/null 2>&1 || true' EXIT
mapfile -t files < <(dpkg -L stepwise)

# Where Debian expects them.
for f in /usr/bin/stepwise /usr/share/man/man1/stepwise.1.gz \
    /usr/share/bash-completion/completions/stepwise \
    /usr/share/zsh/vendor-completions/_stepwise \
    /usr/share/fish/vendor_completions.d/stepwise.fish; do
    [[ -f "$f" ]] || { echo "missing after install: $f" >&2; exit 1; }
done

# The installed binary names its version and commit.
version="$(/usr/bin/stepwise --version)"
echo "$version"
want_version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
[[ "$version" == "stepwise $want_version (commit "*")" ]] || { echo "bad --version: $version" >&2; exit 1; }
if commit="$(git rev-parse --short=12 HEAD 2>/dev/null)"; then
    [[ "$version" == *"(commit $commit)" ]] || { echo "--version names another commit than $commit" >&2; exit 1; }
fi

# The manual page opens, in English and in each language.
MANPAGER=cat MANWIDTH=100 man stepwise > target/pkg/man.txt
grep -q "stepwise doctor\|STEPWISE DOCTOR" target/pkg/man.txt || { echo "man stepwise lacks doctor" >&2; exit 1; }
for pair in fr:/usr/share/man/fr/man1/stepwise.1.gz de:/usr/share/man/de/man1/stepwise.1.gz \
    it:/usr/share/man/it/man1/stepwise.1.gz es:/usr/share/man/es/man1/stepwise.1.gz \
    nl:/usr/share/man/nl/man1/stepwise.1.gz pt-BR:/usr/share/man/pt_BR/man1/stepwise.1.gz \
    pt-PT:/usr/share/man/pt/man1/stepwise.1.gz; do
    lang="${pair%%:*}" page="${pair#*:}"
    [[ -f "$page" ]] || { echo "missing after install: $page" >&2; exit 1; }
    zcat "$page" | cmp -s - "target/pkg/stepwise.$lang.1" || { echo "$page is not stepwise --lang $lang man" >&2; exit 1; }
    MANPAGER=cat MANWIDTH=100 man "$page" | grep -q "STEPWISE DOCTOR" || { echo "$page does not open" >&2; exit 1; }
done

# doctor on the embedded default, in a clean home.
home="$(mktemp -d)"
HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
    env -u STEPWISE_API -u STEPWISE_TOKEN -u STEPWISE_CONFIG /usr/bin/stepwise doctor
rm -rf "$home"

# Removal takes every file it put.
dpkg -r stepwise
trap - EXIT
left=0
for f in "${files[@]}"; do
    if [[ -f "$f" || -L "$f" ]]; then
        echo "left behind by dpkg -r: $f" >&2
        left=1
    fi
done
((left == 0)) || exit 1
echo "Debian package: built, installed, used and removed cleanly"
