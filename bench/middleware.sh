#!/usr/bin/env bash
# Block 3's middleware stack on vs off, on cached GET /products/42, in one
# run against one shop (switched through the control API between rounds, so
# both sides share the machine's state): requests/s per round and the ratio
# of the medians. Then the rate limiter's added p50 at one connection: no
# limiter, the in-memory GCRA, the Redis GCRA.
# "On" is everything the optimized preset turns on: request id, timing,
# compression (the detail is under min_bytes: judged, not compressed), the
# JSON request log, and the limiter (with a budget no client reaches, so
# every request is counted and passes).
# Usage: bench/middleware.sh [duration] [connections] [rounds]
#   CACHE_BACKEND=redis: the hit comes from Redis (the course's cache) instead
#   of the shop's memory (the cheapest request the shop has; the default).
# Needs: cargo build --release (or PERFLAB_BIN=target/debug/perflab); wrk;
# PostgreSQL and Redis as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
duration=${1:-10s}
connections=${2:-32}
rounds=${3:-3}
port=18320
bin=${PERFLAB_BIN:-target/release/perflab}
start_shop "$bin" $port --preset baseline
backend=${CACHE_BACKEND:-memory}
patch_settings "{\"cache\":{\"backend\":\"$backend\",\"endpoints\":[\"product_detail\"],\"ttl\":\"1h\"}}"
off='{"middleware":{"request_id":false,"timing":false,"compression":{"enabled":false},"request_log":{"enabled":false}},"rate_limit":{"enabled":false}}'
on='{"middleware":{"request_id":true,"timing":true,"compression":{"enabled":true},"request_log":{"enabled":true,"format":"json"}},"rate_limit":{"enabled":true,"store":"memory","requests":1000000,"burst":1000000,"period":"1m"}}'
url="http://127.0.0.1:$port/products/42"
curl -fs "$url" >/dev/null

rps() {
  wrk -t2 -c"$connections" -d"$duration" -H 'Accept-Encoding: gzip' "$url" | awk '/Requests\/sec/ {print $2}'
}
printf '| round | stack off, req/s | stack on, req/s |\n|---|---|---|\n'
offs=(); ons=()
for round in $(seq "$rounds"); do
  patch_settings "$off"; a=$(rps)
  patch_settings "$on"; b=$(rps)
  offs+=("$a"); ons+=("$b")
  printf '| %s | %s | %s |\n' "$round" "$a" "$b"
done
python3 - "${offs[*]}" "${ons[*]}" <<'PY'
import statistics, sys
off = statistics.median(map(float, sys.argv[1].split()))
on = statistics.median(map(float, sys.argv[2].split()))
print(f"\nmedian: off {off:.0f} req/s, on {on:.0f} req/s: the stack costs {100 * (1 - on / off):.1f} %")
PY

p50() {
  wrk -t1 -c1 -d"$duration" -s bench/percentiles.lua "$url" | sed -n 's/.*p50=\([^ ]*\).*/\1/p'
}
printf '\n| limiter (1 connection) | p50 |\n|---|---|\n'
patch_settings "$off"; printf '| none | %s |\n' "$(p50)"
patch_settings '{"rate_limit":{"enabled":true,"store":"memory","requests":1000000,"burst":1000000}}'
printf '| memory (GCRA) | %s |\n' "$(p50)"
patch_settings '{"rate_limit":{"enabled":true,"store":"redis","requests":1000000,"burst":1000000}}'
printf '| redis (GCRA script) | %s |\n' "$(p50)"
