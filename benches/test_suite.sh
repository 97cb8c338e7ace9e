#!/usr/bin/env bash
# The test suite's cost to a developer, for docs/BENCHMARKS.md: a cold
# `cargo test --locked` (every dependency and test binary built from nothing,
# then every test run), and a rebuild after a one-line change in src/ui/.
# CPU seconds (user + system) are given beside wall time: on a shared
# machine they move far less than the wall clock.
#   bash benches/test_suite.sh [COMMIT]     (default: the checkout as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
commit=${1:-HEAD}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/tree" "$commit" >/dev/null 2>&1
cd "$work/tree"
export CARGO_TARGET_DIR="$work/target" CARGO_TERM_COLOR=never
timed() { # label, command...: prints wall and CPU seconds of the command
  local label=$1 start end usage
  shift
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/usage" "$@" >"$work/out" 2>&1 || { tail -20 "$work/out"; return 1; }
  end=$(date +%s.%N)
  usage=$(cat "$work/usage")
  python3 -c "import sys; u,s=map(float,'$usage'.split()); print(f'$label: wall {float($end)-float($start):.0f} s, CPU {u+s:.0f} s')"
}
echo "commit $(git rev-parse --short HEAD): $(ls tests/*.rs tests/*/main.rs 2>/dev/null | wc -l) test binaries"
timed "cold build of the tests (cargo test --no-run)" cargo test --locked --no-run
timed "running every test (cargo test)" cargo test --locked
echo "// a one-line change" >> src/ui/mod.rs
timed "rebuild after a one-line change in src/ui/ (cargo test --no-run)" cargo test --locked --no-run
git checkout -q src/ui/mod.rs
