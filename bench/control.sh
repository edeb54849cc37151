# Sourced by the bench scripts: a shop to measure (`start_shop`) and its
# control API, read from the endpoint file `perflab serve` writes in its
# state directory.

# Starts `BIN serve --port PORT ARGS…` with a state directory of its own,
# waits until it answers /health, and sets $pid, $state, $token and
# $control; the shop stops and its state goes when the script exits.
start_shop() {
  local bin=$1 port=$2
  shift 2
  state=$(mktemp -d)
  PERFLAB_STATE_DIR=$state "$bin" serve --port "$port" "$@" >/dev/null 2>&1 &
  pid=$!
  trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT
  until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do sleep 0.1; done
  control_of "$state" "$port"
}

# Sets $token and $control for the shop on PORT whose state is in STATE.
control_of() {
  local endpoint=$1/shops/$2.json
  token=$(sed -n 's/.*"control_token": "\(.*\)".*/\1/p' "$endpoint")
  control=$(sed -n 's/.*"control_url": "\(.*\)".*/\1/p' "$endpoint")
}

# PATCHes the shop's settings with the JSON merge patch PATCH.
patch_settings() {
  curl -fs -X PATCH -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "$1" "$control/settings" >/dev/null
}

# PATCHes the shop's cache settings with the JSON object CACHE.
patch_cache() {
  patch_settings "{\"cache\":$1}"
}

# Block 3's settings for the layer-by-layer benches: `off` (every layer
# off), `layer[NAME]` (that layer on as bench/middleware.sh's "on" has it;
# `all`: every one) and `names` (off, each layer, all, in the order run).
middleware_layers() {
  off='{"middleware":{"request_id":false,"timing":false,"compression":{"enabled":false},"request_log":{"enabled":false}},"rate_limit":{"enabled":false}}'
  declare -gA layer=(
    [request_id]='{"middleware":{"request_id":true}}'
    [timing]='{"middleware":{"timing":true}}'
    [compression]='{"middleware":{"compression":{"enabled":true}}}'
    [log]='{"middleware":{"request_log":{"enabled":true,"format":"json"}}}'
    [limiter]='{"rate_limit":{"enabled":true,"store":"memory","requests":1000000,"burst":1000000,"period":"1m"}}'
    [all]='{"middleware":{"request_id":true,"timing":true,"compression":{"enabled":true},"request_log":{"enabled":true,"format":"json"}},"rate_limit":{"enabled":true,"store":"memory","requests":1000000,"burst":1000000,"period":"1m"}}'
  )
  names=(off request_id timing compression log limiter all)
}

# The pinned benches: every thread of the shop on core 0, wrk on core 1, so
# the shop's core is saturated and nothing else runs there.
# `pin_shop` pins $pid; `measure_pinned URL CONNECTIONS DURATION` runs wrk
# once and prints "requests/s µs-of-shop-CPU-per-request" (user + system
# time of every shop thread, from /proc/PID/stat).
pin_shop() {
  taskset -a -p -c 0 "$pid" >/dev/null
}
measure_pinned() {
  local url=$1 connections=$2 duration=$3 before after out requests
  before=$(shop_cpu)
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"$duration" -H 'Accept-Encoding: gzip' "$url")
  after=$(shop_cpu)
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  awk -v rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")" -v t=$((after - before)) \
    -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%s %.2f\n", rps, t / hz * 1e6 / n }'
}
# The pinned layer benches' shop: `BIN serve` on PORT (`start_shop`), every
# thread of it (its runtime's workers, the log's writer) on core 0, cached
# GET /products/42 from memory and warmed; sets $url and the layer settings
# (`middleware_layers`).
start_pinned_layer_shop() {
  start_shop "$1" "$2" --preset baseline
  pin_shop
  patch_settings '{"cache":{"backend":"memory","endpoints":["product_detail"],"ttl":"1h"}}'
  middleware_layers
  url="http://127.0.0.1:$2/products/42"
  curl -fs "$url" >/dev/null
}
# The shop's CPU time so far, in clock ticks (utime + stime).
shop_cpu() {
  awk '{print $14 + $15}' "/proc/$pid/stat"
}
