#!/usr/bin/env bash
# GET /products/{id} under Zipf-skewed ids (or one fixed PATH) with the cache
# off, in memory and in Redis, in one run against one shop (switched through
# the control API).
# Usage: bench/cache_detail.sh [duration] [connections] [PATH ROUTE]
#   e.g. bench/cache_detail.sh 10s 64 /categories categories
# Needs: cargo build --release; wrk; PostgreSQL and Redis as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
duration=${1:-15s}
connections=${2:-64}
path=${3:-}
route=${4:-product_detail}
port=18300
bin=target/release/perflab
start_shop "$bin" $port --preset baseline

printf '| cache | requests/s | p50 | p95 | p99 | hit ratio |\n|---|---|---|---|---|---|\n'
for backend in off memory redis; do
  patch_cache "{\"backend\":\"$backend\",\"endpoints\":[\"$route\"],\"ttl\":\"5m\"}"
  # wait for the Redis watcher before measuring Redis
  until curl -fs "http://127.0.0.1:$port/health" | grep -q '"status":"ok"'; do sleep 0.1; done
  before=$(curl -fs -H "Authorization: Bearer $token" "$control/cache/stats")
  if [ -z "$path" ]; then
    out=$(wrk -t2 -c"$connections" -d"$duration" -s bench/zipf_products.lua \
          "http://127.0.0.1:$port" -- 100000 1.0)
  else
    out=$(wrk -t2 -c"$connections" -d"$duration" -s bench/percentiles.lua \
          "http://127.0.0.1:$port$path")
  fi
  after=$(curl -fs -H "Authorization: Bearer $token" "$control/cache/stats")
  ratio=$(python3 -c "
import json,sys
r=sys.argv[3]; b=json.loads(sys.argv[1])[r]; a=json.loads(sys.argv[2])[r]
h=a['hits']-b['hits']; m=a['misses']-b['misses']
print(f'{h/(h+m):.1%}' if h+m else '—')" "$before" "$after" "$route")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | sed -n 's/.*p50=\([^ ]*\).*/\1/p')
  p95=$(echo "$out" | sed -n 's/.*p95=\([^ ]*\).*/\1/p')
  p99=$(echo "$out" | sed -n 's/.*p99=\([^ ]*\).*/\1/p')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '| %s | %s | %s | %s | %s | %s |%s\n' "$backend" "$rps" "$p50" "$p95" "$p99" "$ratio" "${errors:+ non-2xx: $errors}"
done
