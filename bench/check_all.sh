#!/usr/bin/env bash
# A student's solved day, timed: a fresh workspace, lab 1.1's solution and
# its check (the baseline), every solution applied in order (`solution --all
# --apply`), then `perflab check --all` over the twenty labs (goal: < 120 s).
# Prints each lab's verdicts.
# Usage: bench/check_all.sh [scale]   (default: the course's size)
# Needs: cargo build --release (or PERFLAB_BIN=another binary); PostgreSQL and
# Redis as for `perflab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-default}
bin=${PERFLAB_BIN:-$PWD/target/release/perflab}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export PERFLAB_STATE_DIR=$dir/.state PERFLAB_SCALE=$scale LANG=C.UTF-8
"$bin" init ws >/dev/null
cd ws
"$bin" solution 1.1 --apply >/dev/null
"$bin" check 1.1
"$bin" solution --all --apply >/dev/null
start=$(date +%s.%N)
"$bin" check --all
echo "check --all ($scale scale): $(echo "$(date +%s.%N) - $start" | bc) s"
