#!/usr/bin/env bash
# Time from `perflab serve` to the first 200 from /health, on an already
# seeded database (the warm start a student sees every time after the first).
# Usage: bench/serve_start.sh [runs]   (needs a release build: cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/perflab
runs=${1:-5}
port=18123
for i in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$bin" serve --port "$port" >/dev/null 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "perflab serve exited"; exit 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid" || true
  echo "run $i: $(( (end - start) / 1000000 )) ms to the first healthy response"
done
