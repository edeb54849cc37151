#!/usr/bin/env bash
# The cost of recording metrics (lab 4.1): cached GET /products/{id} (one
# id, so every request is a hit) with monitoring.metrics off and on,
# alternated in one run against one shop (switched through the control API),
# then one scrape's time and size.
# Usage: bench/metrics_cost.sh [BIN] [duration] [users] [rounds]
#   e.g. bench/metrics_cost.sh target/release/perflab 10s 32 3
# Needs: a built perflab; PostgreSQL as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
bin=${1:-target/release/perflab}
duration=${2:-10s}
users=${3:-32}
rounds=${4:-3}
port=18410
start_shop "$bin" $port --preset baseline
patch_settings '{"cache":{"backend":"memory","endpoints":["product_detail"],"ttl":"5m"}}'

printf '| round | metrics | requests/s | p50 ms | p99 ms |\n|---|---|---|---|---|\n'
for round in $(seq 1 "$rounds"); do
  for on in false true; do
    patch_settings "{\"monitoring\":{\"metrics\":$on,\"route_label\":\"template\"}}"
    "$bin" bench --users "$users" --duration "$duration" --json \
      "http://127.0.0.1:$port/products/42" 2>/dev/null |
      python3 -c "
import json,sys
s=json.load(sys.stdin)['summary']
print('| $round | $on | %.0f | %.2f | %.2f |' % (s['rps'], s['latency']['p50_us']/1000, s['latency']['p99_us']/1000))"
  done
done

printf '\n| scrape | ms | bytes |\n|---|---|---|\n'
for i in 1 2 3; do
  curl -s -o /dev/null -w "| $i | %{time_total} | %{size_download} |\n" "http://127.0.0.1:$port/metrics" |
    awk -F'|' '{printf "|%s| %.2f |%s|\n", $2, $3*1000, $4}'
done
