#!/usr/bin/env bash
# Heap allocations per cached GET /products/42, every Block 3 layer off
# against all on: uprobes on mimalloc's entry points count every call of
# the shop's process while a client sends exactly N requests, one after
# another on one connection. Unlike requests/s this does not move with the
# host's load, so it shows what a change to the stack saves on any machine.
# Usage: bench/middleware_allocs.sh [requests]
# Needs: cargo build --release (or PERFLAB_BIN=…); perf with uprobes (root);
# python3; PostgreSQL and Redis as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
requests=${1:-4000}
port=18324
bin=$(realpath "${PERFLAB_BIN:-target/release/perflab}")
# The allocator's entry points (the Rust GlobalAlloc of the mimalloc crate).
entries=(mi_malloc_aligned mi_zalloc_aligned mi_realloc_aligned)
# In a group of their own, whatever the binary is called (PERFLAB_BIN=…).
forget_probes() { perf probe -q -d 'perflab_allocs:*' >/dev/null 2>&1 || true; }
forget_probes
for entry in "${entries[@]}"; do perf probe -q -x "$bin" -a "perflab_allocs:$entry=$entry" >/dev/null; done
events=$(perf probe -l 2>/dev/null | awk '/perflab_allocs:/ {print $1}' | paste -sd, -)
start_pinned_layer_shop "$bin" $port
trap 'forget_probes; kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT
# Exactly $1 requests on one kept-alive connection; any other answer than 200 stops it.
client() {
  python3 - "$port" "$1" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    conn.request("GET", "/products/42", headers={"Accept-Encoding": "gzip"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"answered {answer.status}")
PY
}
echo "| layers | allocations per request | malloc | zalloc | realloc |"
echo "|---|---|---|---|---|"
for name in off all; do
  patch_settings "$off"
  [ $name = off ] || patch_settings "${layer[all]}"
  client 200 # warm: the limiter's key, the log file, the arena
  counts=$(mktemp)
  perf stat -x, -e "$events" -p "$pid" -o "$counts" -- bash -c "$(declare -f client); port=$port; client $requests"
  awk -F, -v n="$requests" -v name="$name" '
    /mi_malloc_aligned/ {m = $1} /mi_zalloc_aligned/ {z = $1} /mi_realloc_aligned/ {r = $1}
    END {printf "| %s | %.2f | %.2f | %.2f | %.2f |\n", name, (m + z + r) / n, m / n, z / n, r / n}' "$counts"
  rm -f "$counts"
done
