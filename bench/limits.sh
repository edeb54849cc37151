#!/usr/bin/env bash
# What the shop's server limits bound and what they cost (BENCHMARKS.md,
# "Server limits"), for one or more builds of perflab:
#  1. the shop's RSS idle, then after each of three bursts of 200 concurrent
#     logins (argon2 takes 19 MiB per password check), and its peak (VmHWM);
#  2. requests/s of cached GET /products/1 (cache.backend = memory), wrk -t2 -c64,
#     and the shop's CPU time per request (user + system from /proc, which
#     other load on the machine disturbs far less than requests/s).
# Usage: bench/limits.sh [BINARY...]   (default: target/release/perflab; pass
#        an older build first to get before/after rows)
# Needs: wrk, curl, psql; PostgreSQL on 127.0.0.1:5432 with trust auth. The
# catalog goes into its own database (perflab_limits_bench, `default` scale).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
db=${PERFLAB_BENCH_DB:-perflab_limits_bench}
duration=${DURATION:-10s}
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
export PERFLAB_SCALE=default
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" \
  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $db"
bins=("$@")
[ ${#bins[@]} -eq 0 ] && bins=(target/release/perflab)
port=18400
state=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$state"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

mib() { awk -v key="$2:" '$1 == key {printf "%d", $2 / 1024}' "/proc/$1/status"; }

# 200 logins at once (users 2..201; user n's password is perflab-{n mod 4});
# prints the count of each status code.
burst() {
  {
    for n in $(seq 2 201); do
      curl -s -o /dev/null -w '%{http_code}\n' -X POST -H 'content-type: application/json' \
        -d "{\"email\":\"user$n@perflab.test\",\"password\":\"perflab-$((n % 4))\"}" \
        "http://127.0.0.1:$port/auth/login" &
    done
    wait
  } | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}'
}

"${bins[0]}" seed 2>&1 | tail -1
printf '| build | RSS idle | after burst 1 | 2 | 3 | peak (VmHWM) | logins | cached GET /products/1 req/s | p50 | p99 | shop CPU µs/request |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for bin in "${bins[@]}"; do
  PERFLAB_STATE_DIR=$state "$bin" serve --port $port --preset baseline >/dev/null 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { echo "$bin serve exited"; exit 1; }
    sleep 0.05
  done
  idle=$(mib $pid VmRSS)
  after=()
  statuses=
  for i in 1 2 3; do
    statuses=$(burst)
    after+=("$(mib $pid VmRSS)")
  done
  peak=$(mib $pid VmHWM)

  control_of "$state" "$port"
  patch_cache '{"backend":"memory","endpoints":["product_detail"],"ttl":"5m"}'
  curl -fs "http://127.0.0.1:$port/products/1" >/dev/null
  cpu_before=$(cpu_ticks $pid)
  out=$(wrk -t2 -c64 -d"$duration" -s bench/percentiles.lua "http://127.0.0.1:$port/products/1")
  cpu_after=$(cpu_ticks $pid)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  cpu_us=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  p50=$(echo "$out" | sed -n 's/.*p50=\([^ ]*\).*/\1/p')
  p99=$(echo "$out" | sed -n 's/.*p99=\([^ ]*\).*/\1/p')
  kill -TERM $pid; wait $pid || true
  pid=
  printf '| %s | %s MiB | %s MiB | %s MiB | %s MiB | %s MiB | %s| %s | %s | %s | %s |\n' \
    "$bin" "$idle" "${after[0]}" "${after[1]}" "${after[2]}" "$peak" "$statuses" "$rps" "$p50" "$p99" "$cpu_us"
done
