#!/usr/bin/env bash
# What the TUI costs the load it shows: the same traffic (GET /products/{id},
# Zipf over 1..1000, 8 closed-loop users, for DURATION) against the same shop
# settings, once headless with `perflab bench` and once from the TUI's
# dashboard (lab 1.3, key d) in a 100×30 tmux terminal, whose status-code
# panel gives the requests. Then the TUI's own CPU while idle for 30 s.
# Usage: bench/tui_cost.sh [seconds]   Needs: cargo build --release; tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
bin=$PWD/target/release/perflab
dir=$(mktemp -d)
sock=perflab-bench-$$
trap 'tmux -L $sock kill-server 2>/dev/null; kill $shop 2>/dev/null; rm -rf "$dir"' EXIT
export PERFLAB_STATE_DIR=$dir/.state LANG=en_US.UTF-8
cd "$dir" && "$bin" init ws >/dev/null && cd ws
"$bin" seed >/dev/null 2>&1

# Headless.
"$bin" serve --port 18330 --settings shop.toml >/dev/null 2>&1 & shop=$!
until curl -fs http://127.0.0.1:18330/health >/dev/null; do sleep 0.1; done
headless=$("$bin" bench --users 8 --duration "${secs}s" --ids 1000 --json \
  'http://127.0.0.1:18330/products/{id}' | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["total"]["rps"]))')
kill $shop; wait $shop 2>/dev/null || true

# From the TUI's dashboard.
tmux -L $sock new-session -d -s t -x 100 -y 30 "$bin --free"
until tmux -L $sock capture-pane -p -t t | grep -q 'PostgreSQL and Redis ready'; do sleep 0.2; done
tmux -L $sock send-keys -t t 2; sleep 0.3
tmux -L $sock send-keys -t t Down Down Enter; sleep 0.3
tmux -L $sock send-keys -t t d
sleep "$((secs + 2))"
screen=$(tmux -L $sock capture-pane -p -t t)
requests=$(echo "$screen" | sed -n 's/.*Status codes (\([0-9]*\)).*/\1/p' | head -1)
elapsed=$(echo "$screen" | grep -o '[0-9]*s│' | tail -1 | tr -d 's│')
tmux -L $sock send-keys -t t d
tui=$(( requests / elapsed ))
pid=$(pgrep -f "^$bin --free" | head -1)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(cpu); sleep 30; after=$(cpu)
tmux -L $sock send-keys -t t q
echo "| run | req/s |"
echo "|---|---|"
echo "| headless (perflab bench, ${secs} s) | $headless |"
echo "| TUI dashboard open (${requests} requests in ${elapsed} s) | $tui |"
python3 -c "print(f'TUI cost: {(1 - $tui / $headless) * 100:.1f} % of the headless rate')"
python3 -c "print(f'TUI idle CPU: {($after - $before) / 100 / 30 * 100:.2f} % of one core over 30 s')"
