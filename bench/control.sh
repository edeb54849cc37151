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
