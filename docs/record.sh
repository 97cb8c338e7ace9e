#!/usr/bin/env bash
# Records the two pictures at the top of README.md from the real program:
#   docs/board.svg       `stepwise demo --board --autoplay`: the board fills
#                        in and vehicles turn ready by themselves
#   docs/activation.svg  `stepwise demo --autoplay`: one vehicle's steps
#                        walked to done by the simulated customer
#
#   bash docs/record.sh
#
# Needs a Rust toolchain, python3 (with venv), npm and tmux. The recorder
# (asciinema from PyPI) and the renderer (svg-term-cli from npm) are installed
# at pinned versions under target/record, nowhere else. The program runs in a
# detached tmux session of a fixed size, on the embedded simulator, in
# English, with a fresh data directory, and is ended by a `q` sent through
# tmux; nothing of the user's configuration or state is read or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

ASCIINEMA_VERSION=2.4.0
SVG_TERM_VERSION=2.1.1
COLS=100
ROWS=30
# How long the board is shown (it never finishes: 20 vehicles, one move
# every few seconds). Override with BOARD_SECONDS=... bash docs/record.sh
BOARD_SECONDS=${BOARD_SECONDS:-40}

tools=$PWD/target/record
work=$(mktemp -d)
socket="stepwise-record-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for tool in cargo python3 npm tmux; do
    command -v "$tool" >/dev/null || {
        echo "record.sh: $tool is missing; install it and run again" >&2
        exit 1
    }
done

echo "== building the release binary"
cargo build --release --locked
bin=$PWD/target/release/stepwise

asciinema=$tools/venv/bin/asciinema
if ! "$asciinema" --version 2>/dev/null | grep -qx "asciinema $ASCIINEMA_VERSION"; then
    echo "== installing asciinema $ASCIINEMA_VERSION (PyPI) into $tools/venv"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install --quiet "asciinema==$ASCIINEMA_VERSION"
fi
svg_term=$tools/npm/node_modules/.bin/svg-term
if [ "$(node -p "require('$tools/npm/node_modules/svg-term-cli/package.json').version" 2>/dev/null)" != "$SVG_TERM_VERSION" ]; then
    echo "== installing svg-term-cli $SVG_TERM_VERSION (npm) into $tools/npm"
    npm install --prefix "$tools/npm" --no-save --no-audit --no-fund \
        "svg-term-cli@$SVG_TERM_VERSION"
fi

# The text of the pane, for waiting on what the program shows.
screen() { tmux -L "$socket" capture-pane -p -t rec; }

# record NAME TEXT HOLD ARGS...: runs `stepwise ARGS...` under asciinema in a
# COLS x ROWS terminal until TEXT is on screen (at most 3 minutes; an empty
# TEXT waits for HOLD seconds alone), shows it HOLD more seconds, sends `q`,
# and renders the cast to docs/NAME.svg.
record() {
    local name=$1 text=$2 hold=$3
    shift 3
    local cast=$work/$name.cast home=$work/home-$name
    mkdir -p "$home"
    echo "== recording docs/$name.svg: stepwise $*"
    # A home of its own: the data directory (demo state, reports) and the
    # config file start empty, so every run records the same story.
    tmux -L "$socket" -f /dev/null new-session -d -s rec -x "$COLS" -y "$ROWS" \
        env -i PATH="$PATH" HOME="$home" TERM=xterm-256color LANG=C.UTF-8 \
        XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" \
        XDG_CACHE_HOME="$home/cache" STEPWISE_LANG=en \
        "$asciinema" rec --quiet --overwrite --idle-time-limit 2 \
        --cols "$COLS" --rows "$ROWS" \
        --command "$(printf '%q ' "$bin" "$@")" "$cast"
    if [ -n "$text" ]; then
        local waited=0
        until screen 2>/dev/null | grep -qF -- "$text"; do
            if ! tmux -L "$socket" has-session -t rec 2>/dev/null; then
                echo "record.sh: stepwise $* ended before '$text' showed" >&2
                exit 1
            fi
            sleep 0.5
            waited=$((waited + 1))
            if [ "$waited" -gt 360 ]; then
                echo "record.sh: '$text' never showed in 3 minutes; the screen was:" >&2
                screen >&2
                exit 1
            fi
        done
    fi
    sleep "$hold"
    tmux -L "$socket" send-keys -t rec q
    local waited=0
    while tmux -L "$socket" has-session -t rec 2>/dev/null; do
        sleep 0.2
        waited=$((waited + 1))
        if [ "$waited" -gt 50 ]; then
            echo "record.sh: stepwise did not quit on q; the screen was:" >&2
            screen >&2
            exit 1
        fi
    done
    # The picture ends on the program's last screen, not on the terminal it
    # leaves behind: the cast is cut where stepwise leaves the alternate
    # screen (after the `q`), and that last screen is held until then.
    "$tools/venv/bin/python" - "$cast" <<'PY'
import json
import sys

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    header, *events = f.read().splitlines()
kept = [header]
for line in events:
    time, kind, data = json.loads(line)
    if kind == "o" and "\x1b[?1049l" in data:
        kept.append(json.dumps([time, "o", data.split("\x1b[?1049l")[0]]))
        break
    kept.append(line)
with open(path, "w", encoding="utf-8") as f:
    f.write("\n".join(kept) + "\n")
PY
    # svg-term puts a run of cells of the same colours (the selected row) in
    # one text element; its optimiser squeezes the spaces in it and browsers
    # collapse them, which shifts the columns. Unoptimised, with the spaces
    # marked to keep, the row stays aligned.
    "$svg_term" --in "$cast" --out "docs/$name.svg" --window --no-cursor \
        --no-optimize --width "$COLS" --height "$ROWS"
    sed -i '1s/^<svg /<svg xml:space="preserve" /' "docs/$name.svg"
    echo "   docs/$name.svg: $(wc -c <"docs/$name.svg") bytes, $(($(wc -l <"$cast") - 1)) output events kept"
}

record activation "Service ready" 4 demo --fresh --autoplay
record board "" "$BOARD_SECONDS" demo --fresh --board --autoplay
