#!/usr/bin/env bash
# The load generator's memory over a long run: `perflab bench` drives the real
# shop for DURATION while this samples its RSS every 30 s (goal: < 32 MB and
# flat — histograms are aggregated per window, never a record per request).
# Usage: bench/generator_rss.sh [duration] [rate]
# Needs: cargo build --release; PostgreSQL as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10m}
rate=${2:-2000}
port=18320
bin=target/release/perflab
state=$(mktemp -d)
trap 'kill -TERM $shop 2>/dev/null; wait $shop 2>/dev/null; rm -rf "$state"' EXIT

PERFLAB_STATE_DIR=$state "$bin" serve --port $port --preset optimized >/dev/null 2>&1 &
shop=$!
until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
  kill -0 "$shop" 2>/dev/null || { echo "perflab serve exited"; exit 1; }
  sleep 0.1
done
"$bin" bench --rate "$rate" --connections 32 --duration "$duration" --ids 1000 \
  "http://127.0.0.1:$port/products/{id}" >"$state/bench.out" 2>/dev/null &
bench=$!
echo "perflab bench --rate $rate --connections 32 --duration $duration on GET /products/{id} (optimized preset)"
echo "| elapsed | generator RSS |"
echo "|---|---|"
start=$(date +%s)
while kill -0 "$bench" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$bench/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "| $(( $(date +%s) - start )) s | $(( rss / 1024 )) MB |"
  sleep 30
done
wait "$bench"
tail -n 12 "$state/bench.out"
