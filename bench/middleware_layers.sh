#!/usr/bin/env bash
# What each of Block 3's layers costs alone, on cached GET /products/42 (the
# cheapest request the shop has: an in-process hit), in one run against one
# shop switched through the control API: per round, the stack off, then each
# layer on by itself, then all of them; the median of each against the
# median "off". Same settings as bench/middleware.sh's "on" for each layer.
# Usage: bench/middleware_layers.sh [duration] [connections] [rounds]
# Needs: cargo build --release (or PERFLAB_BIN=…); wrk; PostgreSQL and Redis
# as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
duration=${1:-6s}
connections=${2:-32}
rounds=${3:-3}
port=18321
bin=${PERFLAB_BIN:-target/release/perflab}
start_shop "$bin" $port --preset baseline
patch_settings '{"cache":{"backend":"memory","endpoints":["product_detail"],"ttl":"1h"}}'
middleware_layers
url="http://127.0.0.1:$port/products/42"
curl -fs "$url" >/dev/null
rps() {
  wrk -t2 -c"$connections" -d"$duration" -H 'Accept-Encoding: gzip' "$url" | awk '/Requests\/sec/ {print $2}'
}
declare -A results
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    patch_settings "$off"
    [ "$name" = off ] || patch_settings "${layer[$name]}"
    results[$name]+="$(rps) "
  done
done
printf '| layer | req/s per round | median | cost vs off |\n|---|---|---|---|\n'
for name in "${names[@]}"; do
  python3 - "$name" "${results[off]}" "${results[$name]}" <<'PY'
import statistics, sys
name, off, this = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
m_off = statistics.median(map(float, off)); m = statistics.median(map(float, this))
print(f"| {name} | {', '.join(f'{float(x):,.0f}' for x in this)} | {m:,.0f} | {100 * (1 - m / m_off):.1f} % |")
PY
done
