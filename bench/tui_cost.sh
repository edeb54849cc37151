#!/usr/bin/env bash
# What the TUI costs the load it shows, on a cached endpoint: the same
# traffic (GET /products/{id}, Zipf over 1..1000, 8 closed-loop users, for
# DURATION) against the same shop settings (lab 1.3's solution: Redis,
# cache-aside on product detail, TTL 5 min), once headless with
# `perflab bench` and once from the TUI's dashboard (lab 1.3, key d) in a
# 100×30 tmux terminal, whose status-code panel gives the requests. CPU is
# read from /proc (utime + stime) of the generating process: `perflab bench`
# headless, the TUI (its load generator included) with the dashboard open,
# and the TUI idle for 30 s after the load stops.
# Usage: bench/tui_cost.sh [seconds]
#   PERFLAB_BIN (default target/release/perflab), DATABASE_URL, REDIS_URL and
#   PERFLAB_SCALE are passed through. Needs tmux and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
bin=${PERFLAB_BIN:-$PWD/target/release/perflab}
dir=$(mktemp -d)
sock=perflab-bench-$$
shop=
trap 'tmux -L $sock kill-server 2>/dev/null; [ -n "$shop" ] && kill $shop 2>/dev/null; rm -rf "$dir"' EXIT
export PERFLAB_STATE_DIR=$dir/.state LANG=en_US.UTF-8
cd "$dir" && "$bin" init ws >/dev/null && cd ws
"$bin" seed >/dev/null 2>&1
"$bin" solution 1.3-cache-aside --apply >/dev/null 2>&1
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# Headless: the generator's CPU from its own /proc entry, sampled until it exits.
"$bin" serve --port 18330 --settings shop.toml >/dev/null 2>&1 & shop=$!
until curl -fs http://127.0.0.1:18330/health >/dev/null; do sleep 0.1; done
"$bin" bench --users 8 --duration "${secs}s" --ids 1000 --json \
  'http://127.0.0.1:18330/products/{id}' > bench.json & gen=$!
gen_ticks=0
while kill -0 $gen 2>/dev/null; do t=$(ticks $gen 2>/dev/null || true); gen_ticks=${t:-$gen_ticks}; sleep 0.5; done
headless=$(python3 -c 'import json; print(round(json.load(open("bench.json"))["summary"]["rps"]))')
kill $shop; wait $shop 2>/dev/null || true; shop=

# From the TUI's dashboard.
tmux -L $sock new-session -d -s t -x 100 -y 30 "$bin --free"
until tmux -L $sock capture-pane -p -t t | grep -q 'PostgreSQL and Redis ready'; do sleep 0.2; done
pid=$(pgrep -f "^$bin --free" | head -1)
tmux -L $sock send-keys -t t 2; sleep 0.3
tmux -L $sock send-keys -t t Down Down Enter; sleep 0.3
tmux -L $sock send-keys -t t d
until tmux -L $sock capture-pane -p -t t | grep -q '│200 '; do sleep 0.1; done
before=$(ticks $pid)
sleep "$secs"
after=$(ticks $pid)
screen=$(tmux -L $sock capture-pane -p -t t)
requests=$(echo "$screen" | sed -n 's/.*Codes (\([0-9]*\)).*/\1/p' | head -1)
elapsed=$(echo "$screen" | grep -o '[0-9]*s│' | tail -1 | tr -d 's│')
tmux -L $sock send-keys -t t d
tui=$(( requests / elapsed ))
sleep 3
idle0=$(ticks $pid); sleep 30; idle1=$(ticks $pid)
tmux -L $sock send-keys -t t q
core() { python3 -c "print(f'{$1 / $hz / $2 * 100:.1f}')"; }
echo "| run | req/s | CPU of the generating process (% of one core) |"
echo "|---|---|---|"
echo "| headless (perflab bench, ${secs} s) | $headless | $(core $gen_ticks $secs) |"
echo "| TUI, dashboard open (${requests} requests in ${elapsed} s) | $tui | $(core $((after - before)) $secs) |"
echo "| TUI idle after the load (30 s) | — | $(python3 -c "print(f'{($idle1 - $idle0) / $hz / 30 * 100:.2f}')") |"
python3 -c "print(f'TUI cost: {(1 - $tui / $headless) * 100:.1f} % of the headless rate')"
