#!/usr/bin/env bash
# Block 3's whole stack (or one layer) against every layer off, on cached
# GET /products/42, in short alternating pairs: off then on, on then off,
# … The shop is pinned to core 0 and wrk to core 1 (as in
# bench/middleware_pinned.sh), and each pair's cost is read from its own two
# runs, seconds apart, so a host that slows down for a while (this VM's
# throughput drifts ±20 % over minutes) weighs on both sides of a pair
# alike. Prints each pair, then the median cost over the pairs, as
# requests/s and as the shop's CPU time per request.
# Usage: bench/middleware_pairs.sh [setting] [pairs] [duration] [connections]
#   setting: all (default), request_id, timing, compression, log, limiter
# Needs: cargo build --release (or PERFLAB_BIN=…); wrk; taskset (util-linux);
# PostgreSQL and Redis as for `perflab serve`; 2 cores or more.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
setting=${1:-all}
pairs=${2:-20}
duration=${3:-2s}
connections=${4:-32}
port=18323
bin=${PERFLAB_BIN:-target/release/perflab}
start_pinned_layer_shop "$bin" $port
# One run with NAME's settings: "requests/s µs-per-request".
run() {
  patch_settings "$off"
  [ "$1" = off ] || patch_settings "${layer[$1]}"
  measure_pinned "$url" "$connections" "$duration"
}
results=""
for pair in $(seq "$pairs"); do
  if ((pair % 2)); then
    off_run=$(run off)
    on_run=$(run "$setting")
  else
    on_run=$(run "$setting")
    off_run=$(run off)
  fi
  results+="$off_run $on_run"$'\n'
done
python3 - "$setting" "$results" <<'PY'
import statistics, sys
setting, rows = sys.argv[1], [list(map(float, l.split())) for l in sys.argv[2].strip().splitlines()]
print(f"| pair | off req/s | {setting} req/s | cost | off µs/req | {setting} µs/req | CPU cost |")
print("|---|---|---|---|---|---|---|")
costs, cpu_costs = [], []
for i, (off, off_us, on, on_us) in enumerate(rows, 1):
    costs.append(1 - on / off)
    cpu_costs.append(on_us / off_us - 1)
    print(f"| {i} | {off:,.0f} | {on:,.0f} | {100 * costs[-1]:.1f} % | {off_us:.2f} | {on_us:.2f} | {100 * cpu_costs[-1]:.1f} % |")
med = statistics.median
print(f"\nmedian over {len(rows)} pairs: {setting} costs {100 * med(costs):.1f} % of requests/s "
      f"(quartiles {100 * statistics.quantiles(costs, n=4)[0]:.1f}–{100 * statistics.quantiles(costs, n=4)[2]:.1f} %), "
      f"{100 * med(cpu_costs):.1f} % of the shop's CPU per request "
      f"({med(r[1] for r in rows):.2f} → {med(r[3] for r in rows):.2f} µs)")
PY
