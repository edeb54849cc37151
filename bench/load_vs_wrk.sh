#!/usr/bin/env bash
# perflab's load generator against wrk: the same endpoint of the real shop,
# the same number of connections, closed loop, in one run. Prints both
# requests/s, their ratio (goal ≥ 0.95: the generator is not the bottleneck)
# and each tool's max RSS. The shop serves GET /products/1 from its in-process
# cache, so the server is as fast as it gets and the generator's own cost shows.
# Usage: bench/load_vs_wrk.sh [duration] [connections] [rounds] [PATH]
# Needs: cargo build --release; wrk; /usr/bin/time; PostgreSQL as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
connections=${2:-64}
rounds=${3:-2}
path=${4:-/products/1}
port=18310
bin=target/release/perflab
state=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT

PERFLAB_STATE_DIR=$state "$bin" serve --port $port --preset baseline >/dev/null 2>&1 &
pid=$!
until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { echo "perflab serve exited"; exit 1; }
  sleep 0.1
done
endpoint=$state/shops/$port.json
token=$(sed -n 's/.*"control_token": "\(.*\)".*/\1/p' "$endpoint")
control=$(sed -n 's/.*"control_url": "\(.*\)".*/\1/p' "$endpoint")
curl -fs -X PATCH -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"cache":{"backend":"memory","endpoints":["product_detail"],"ttl":"5m"}}' \
  "$control/settings" >/dev/null
url="http://127.0.0.1:$port$path"
curl -fs "$url" >/dev/null   # warm the cache entry

rss() { sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$1"; }

echo "endpoint: GET $path; $connections connections; $duration per tool; $(nproc) cores"
printf '| round | wrk req/s | perflab bench req/s | ratio | wrk max RSS | perflab max RSS | perflab p50 / p99 |\n'
printf '|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "$rounds"); do
  wrk_out=$(/usr/bin/time -v -o "$state/wrk.time" wrk -t2 -c"$connections" -d"$duration" "$url")
  wrk_rps=$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')
  json=$(/usr/bin/time -v -o "$state/perflab.time" \
         "$bin" bench --users "$connections" --duration "$duration" --json "$url")
  read -r rps p50 p99 errors < <(python3 -c "
import json,sys
t=json.loads(sys.argv[1])['total']
print(f\"{t['rps']:.0f} {t['latency']['p50_us']/1000:.2f}ms {t['latency']['p99_us']/1000:.2f}ms {t['errors']['connect']+t['errors']['timeout']+t['errors']['other']}\")" "$json")
  ratio=$(python3 -c "print(f'{float(\"$rps\")/float(\"$wrk_rps\"):.3f}')")
  printf '| %s | %.0f | %s | %s | %s MB | %s MB | %s / %s |%s\n' "$round" "$wrk_rps" "$rps" "$ratio" \
    "$(( $(rss "$state/wrk.time") / 1024 ))" "$(( $(rss "$state/perflab.time") / 1024 ))" "$p50" "$p99" \
    "$([ "$errors" = 0 ] || echo " errors: $errors")"
done
echo
echo "commands: wrk -t2 -c$connections -d$duration $url"
echo "          $bin bench --users $connections --duration $duration --json $url"
