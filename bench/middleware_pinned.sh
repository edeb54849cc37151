#!/usr/bin/env bash
# Block 3's layers on cached GET /products/42 with the shop and the load
# generator on separate cores: the shop pinned to core 0 (`taskset`), wrk to
# core 1, so the shop's core is saturated and nothing else runs there. Per
# round and setting: requests/s, and the shop's CPU time per request (user +
# system, from /proc/PID/stat). On a 2-core machine shared with wrk, half the
# shop's CPU is the kernel waking wrk (issue 13's note), and the throughput
# of an unpinned run swings ±15 % between rounds; pinned, both figures hold.
# Same settings as bench/middleware_layers.sh.
# Usage: bench/middleware_pinned.sh [duration] [connections] [rounds]
# Needs: cargo build --release (or PERFLAB_BIN=…); wrk; taskset (util-linux);
# PostgreSQL and Redis as for `perflab serve`; 2 cores or more.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
duration=${1:-6s}
connections=${2:-32}
rounds=${3:-3}
port=18322
bin=${PERFLAB_BIN:-target/release/perflab}
start_pinned_layer_shop "$bin" $port
declare -A rates cpus
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    patch_settings "$off"
    [ "$name" = off ] || patch_settings "${layer[$name]}"
    read -r rate us < <(measure_pinned "$url" "$connections" "$duration")
    rates[$name]+="$rate "
    cpus[$name]+="$us "
  done
done
printf '| layer | req/s per round | median | cost vs off | shop CPU µs/request (median) | CPU cost vs off |\n|---|---|---|---|---|---|\n'
for name in "${names[@]}"; do
  python3 - "$name" "${rates[off]}" "${rates[$name]}" "${cpus[off]}" "${cpus[$name]}" <<'PY'
import statistics, sys
name, off, this, coff, cthis = sys.argv[1], *(a.split() for a in sys.argv[2:])
med = lambda xs: statistics.median(map(float, xs))
m_off, m, c_off, c = med(off), med(this), med(coff), med(cthis)
print(f"| {name} | {', '.join(f'{float(x):,.0f}' for x in this)} | {m:,.0f} | "
      f"{100 * (1 - m / m_off):.1f} % | {c:.2f} | {100 * (c / c_off - 1):.1f} % |")
PY
done
