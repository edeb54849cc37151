#!/usr/bin/env bash
# perflab's load generator against wrk: the same endpoint of the real shop,
# the same number of connections, closed loop, in one run. Prints both
# requests/s, their ratio (goal ≥ 0.95: the generator is not the bottleneck)
# and each tool's max RSS. The shop serves GET /products/1 from its in-process
# cache, so the server is as fast as it gets and the generator's own cost shows.
# Also each tool's CPU time per request (user + system, from /usr/bin/time):
# the generator's own cost, which the machine's other load does not change
# the way it changes a rate. And each tool's bytes/s: wrk's Transfer/sec (bytes read from the socket)
# beside perflab's `bytes_per_sec` (heads rebuilt from the parsed response
# plus bodies), which should agree.
# Usage: bench/load_vs_wrk.sh [duration] [connections] [rounds] [PATH]
# PERFLAB_BIN: the `perflab bench` to measure (default target/release/perflab,
# which always serves the shop). Older binaries' JSON (`total` instead of
# `summary`) is read too, to compare generators before and after a change.
# Needs: cargo build --release; wrk; /usr/bin/time; PostgreSQL as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
duration=${1:-10s}
connections=${2:-64}
rounds=${3:-2}
path=${4:-/products/1}
port=18310
shop_bin=${SHOP_BIN:-target/release/perflab}
bin=${PERFLAB_BIN:-$shop_bin}
state=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT

PERFLAB_STATE_DIR=$state "$shop_bin" serve --port $port --preset baseline >/dev/null 2>&1 &
pid=$!
until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { echo "perflab serve exited"; exit 1; }
  sleep 0.1
done
control_of "$state" "$port"
patch_cache '{"backend":"memory","endpoints":["product_detail"],"ttl":"5m"}'
url="http://127.0.0.1:$port$path"
curl -fs "$url" >/dev/null   # warm the cache entry

rss() { sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$1"; }
# CPU seconds (user + system) of a /usr/bin/time -v report, in µs per request.
cpu_per_request() {
  awk -v n="$2" '/User time|System time/ { t += $NF } END { printf "%.1f", t * 1e6 / n }' "$1"
}

# wrk's "Transfer/sec: 12.34MB" (binary units) in MB/s (10^6 bytes).
wrk_mbs() {
  awk '/Transfer\/sec/ {
    v = $2; u = substr(v, length(v) - 1); n = substr(v, 1, length(v) - 2) + 0
    m = (u == "GB") ? 1073741824 : (u == "MB") ? 1048576 : (u == "KB") ? 1024 : 1
    printf "%.2f", n * m / 1e6 }'
}

echo "endpoint: GET $path; $connections connections; $duration per tool; $(nproc) cores; perflab: $bin"
printf '| round | wrk req/s | perflab bench req/s | ratio | wrk CPU µs/req | perflab CPU µs/req | wrk MB/s | perflab MB/s | wrk max RSS | perflab max RSS | perflab p50 / p99 |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "$rounds"); do
  wrk_out=$(/usr/bin/time -v -o "$state/wrk.time" wrk -t2 -c"$connections" -d"$duration" "$url")
  wrk_rps=$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')
  wrk_transfer=$(echo "$wrk_out" | wrk_mbs)
  wrk_requests=$(echo "$wrk_out" | awk '/requests in/ {print $1}')
  json=$(/usr/bin/time -v -o "$state/perflab.time" \
         "$bin" bench --users "$connections" --duration "$duration" --json "$url")
  read -r requests rps mbs p50 p99 errors < <(python3 -c "
import json,sys
j=json.loads(sys.argv[1]); t=j.get('summary') or j['total']
mbs=f\"{t['bytes_per_sec']/1e6:.2f}\" if 'bytes_per_sec' in t else '-'
print(f\"{t['requests']} {t['rps']:.0f} {mbs} {t['latency']['p50_us']/1000:.2f}ms {t['latency']['p99_us']/1000:.2f}ms {t['errors']['connect']+t['errors']['timeout']+t['errors']['other']}\")" "$json")
  ratio=$(python3 -c "print(f'{float(\"$rps\")/float(\"$wrk_rps\"):.3f}')")
  printf '| %s | %.0f | %s | %s | %s | %s | %s | %s | %s MB | %s MB | %s / %s |%s\n' "$round" "$wrk_rps" "$rps" "$ratio" \
    "$(cpu_per_request "$state/wrk.time" "$wrk_requests")" "$(cpu_per_request "$state/perflab.time" "$requests")" \
    "$wrk_transfer" "$mbs" \
    "$(( $(rss "$state/wrk.time") / 1024 ))" "$(( $(rss "$state/perflab.time") / 1024 ))" "$p50" "$p99" \
    "$([ "$errors" = 0 ] || echo " errors: $errors")"
done
echo
echo "commands: wrk -t2 -c$connections -d$duration $url"
echo "          $bin bench --users $connections --duration $duration --json $url"
