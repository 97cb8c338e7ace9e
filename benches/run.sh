#!/usr/bin/env bash
# The evidence behind docs/BENCHMARKS.md: every figure, side by side with its
# baseline, measured in one run on loopback only. Needs hyperfine, wrk, nginx
# and curl (Debian: apt-get install hyperfine wrk nginx-light curl).
#   bash benches/run.sh [RUNS [SECTION...]]
# SECTIONs (numbers of docs/BENCHMARKS.md, or `board` for 10) pick what
# runs; all by default. `bash benches/run.sh 10 board` runs only the board.
# BOARD_BEFORE=/path/to/an/older/stepwise measures the board (section 10)
# with that build too, each size and latency right before this build's.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
shift || true
sections=" ${*//board/10} "
want() { [ "$sections" = "  " ] || [[ "$sections" == *" $1 "* ]]; }
# The runs get a scratch HOME; cargo keeps its own.
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
bin=target/release/stepwise
cargo build --release --locked --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

port=$(free_port)
HOME="$work" "$bin" serve --addr "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
wait_port "$port"
api="http://127.0.0.1:$port"
url="$api/pims/subscription/steps?carAssociationID=987654&resetSteps=false&stepsStatus=all"
export HOME="$work"   # one device id for curl-equivalent requests and the CLI

if want 1; then
echo "== 1. stepwise steps --json (A) against curl -s (B), same simulator URL, 40 pairs"
curl -s -H 'X-Device-Id: bench' "$url" > /dev/null
python3 benches/pairs.py 40 \
  "$bin steps --json --api $api --car 987654" \
  "curl -s -H 'X-Device-Id: bench' $url"
fi

if want 2; then
echo "== 2. wizard in a pty, exec to the steps list on screen, against curl"
python3 benches/wizard_probe.py "$bin" "$api" startup "$runs"
fi

if want 3; then
echo "== 3. CPU time in 10 s on the steps screen (watch off, then on)"
python3 benches/wizard_probe.py "$bin" "$api" idle 3
fi

if want 4; then
echo "== 4. bytes written to the terminal (in a pty, then by kind of move)"
python3 benches/wizard_probe.py "$bin" "$api" bytes "$runs"
cargo bench --locked --bench bytes 2>/dev/null | grep bytes
fi

if want 5; then
echo "== 5. peak RSS through a full journey"
python3 benches/wizard_probe.py "$bin" "$api" rss 3
fi

if want 6; then
echo "== 6. requests/s on loopback: simulator against nginx serving the same JSON"
mkdir -p "$work/www/pims/subscription"
curl -s -H 'X-Device-Id: bench' "$url" > "$work/www/pims/subscription/steps"
chmod -R a+rX "$work"   # nginx's workers read it as another user
nport=$(free_port)
cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
    default_type application/json;
  }
}
NGINX
nginx -c "$work/nginx.conf"
wait_port "$nport"
for target in "simulator $url" "nginx http://127.0.0.1:$nport/pims/subscription/steps?carAssociationID=987654&resetSteps=false&stepsStatus=all"; do
  set -- $target
  echo "-- $1 (2 wrk threads, 32 connections, 5 s, 3 runs)"
  for i in 1 2 3; do
    wrk -t2 -c32 -d5s -H 'X-Device-Id: bench' "$2" | grep -E 'Requests/sec|Non-2xx|errors'
  done
done
echo "simulator still answers: $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Device-Id: bench' "$url")"
fi

if want 10; then
echo "== 10. the board: 1,000 and 10,000 vehicles (time to data against the ideal, RSS, idle CPU, turning live on: CPU until settled and key latency meanwhile), on loopback, then through a relay adding 20 ms to each answer"
for vehicles in 1000 10000; do
  fport=$(free_port)
  HOME="$work" "$bin" serve --addr "127.0.0.1:$fport" --fleet "$vehicles" > "$work/serve-fleet-$vehicles.log" 2>&1 &
  fleet=$!
  wait_port "$fport"
  for latency in "" 20; do
    for b in ${BOARD_BEFORE:-} "$bin"; do
      echo "-- $vehicles vehicles${latency:+, answers $latency ms away}: $b"
      python3 benches/board_probe.py "$b" "http://127.0.0.1:$fport" "$vehicles" 4 $latency
    done
  done
  kill "$fleet"
done
fi

if want 7; then
echo "== 7. criterion: rendering the steps screen at 110x32"
cargo bench --locked --bench render 2>&1 | grep -E 'steps screen|time:'
fi

if want 8; then
echo "== 8. cost of watching one list for a minute, nothing changing: full polling, conditional polling, the event stream"
cargo bench --locked --bench live_cost -- 60 2>/dev/null | grep -v '^$'
fi

if want 9; then
echo "== 9. watch in the wizard: control call to the change on screen, event stream against 3 s polling (50 trials each); CPU of an idle watch"
python3 benches/wizard_probe.py "$bin" "$api" live 50
fi

if want 11; then
echo "== 11. the message catalogue: what parsing one language and formatting a message cost"
cargo bench --locked --bench catalogue 2>&1 | grep -E 'catalogue:|time:'
# Start-up against a build without the catalogue, when one is given:
#   BEFORE=/path/to/stepwise-without-languages bash benches/run.sh
if [ -n "${BEFORE:-}" ]; then
  echo "-- wizard start-up, $BEFORE against this build, two rounds"
  for round in 1 2; do
    for b in "$BEFORE" "$bin"; do
      echo "$b (round $round)"
      python3 benches/wizard_probe.py "$b" "$api" startup 20 | grep 'wizard exec'
    done
  done
fi
fi
