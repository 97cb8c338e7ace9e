#!/usr/bin/env bash
# The contract: schemathesis (pinned) against the simulator and its own
# /openapi.json, every check, every phase (stateful included), every
# operation (the live event stream included), with real test data from
# .ci/schemathesis.toml: zero failures.
#   bash .ci/contract.sh [MAX_EXAMPLES]     (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
max_examples=${1:-500}
st_venv="target/schemathesis-venv"
if [ ! -x "$st_venv/bin/schemathesis" ]; then
  python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
cargo build --locked --bin stepwise
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
home=$(mktemp -d)
HOME="$home" target/debug/stepwise serve --addr "127.0.0.1:$port" >target/schemathesis-serve.log 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$home"' EXIT
api="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf -o /dev/null "$api/openapi.json" && break; sleep 0.1; done
export STEPWISE_DEVICE="contract-device"
STEPWISE_STEPS_ID=$(curl -sf -H "X-Device-Id: $STEPWISE_DEVICE" \
  "$api/pims/subscription/steps?carAssociationID=987654" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["stepsID"])')
export STEPWISE_STEPS_ID
echo "test data: device $STEPWISE_DEVICE, stepsID $STEPWISE_STEPS_ID"
"$st_venv/bin/schemathesis" --config-file .ci/schemathesis.toml run "$api/openapi.json" \
  --checks all --max-examples "$max_examples" --wait-for-schema 60 --no-color --seed 1
kill "$sim_pid"
wait "$sim_pid" 2>/dev/null || true
trap - EXIT
rm -rf "$home"
echo "contract: $(( $(date +%s) - started )) s"
