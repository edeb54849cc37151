#!/usr/bin/env bash
# Lab 2.3 at the course's scale: GET /orders/{id} as the admin, lazy loading
# (2 + N statements) against eager (2), with lab 2.3's starting index on
# order_items(order_id), alternated in one run against one shop (switched
# through the control API). Prints requests/s, p50/p95/p99 and the query
# count per request of each round.
# Usage: bench/n_plus_one.sh [BIN] [duration] [users] [rounds]
#   e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/perflab_bench \
#        bench/n_plus_one.sh target/release/perflab 10s 8 2
# Needs: a catalog at the default scale in DATABASE_URL (`perflab seed`).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/control.sh
bin=${1:-target/release/perflab}
duration=${2:-10s}
users=${3:-8}
rounds=${4:-2}
port=18420
start_shop "$bin" $port --preset baseline
curl -fs -X POST -H "Authorization: Bearer $token" \
  --data 'CREATE INDEX order_items_order_id_idx ON order_items (order_id);' \
  "$control/indexes/apply" >/dev/null
admin=$(curl -fs -X POST -H 'content-type: application/json' \
  -d '{"email":"admin@perflab.test","password":"admin-perflab"}' \
  "http://127.0.0.1:$port/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
orders=$(psql "${DATABASE_URL:?set DATABASE_URL}" -Atc 'SELECT max(id) FROM orders')
items=$(psql "$DATABASE_URL" -Atc 'SELECT round(avg(n), 1) FROM (SELECT count(*) AS n FROM order_items GROUP BY order_id) t')
echo "orders: $orders, items per order: $items on average"

printf '| round | loading | queries (order 1) | requests/s | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|\n'
for round in $(seq 1 "$rounds"); do
  for loading in lazy eager; do
    patch_settings "{\"database\":{\"loading\":\"$loading\"}}"
    queries=$(curl -fs -o /dev/null -D - -H "Authorization: Bearer $admin" \
      "http://127.0.0.1:$port/orders/1" | sed -n 's/^x-query-count: *\([0-9]*\).*/\1/Ip')
    "$bin" bench --users "$users" --duration "$duration" --ids "$orders" --zipf 0 --json \
      -H "Authorization: Bearer $admin" "http://127.0.0.1:$port/orders/{id}" 2>/dev/null |
      python3 -c "
import json,sys
s=json.load(sys.stdin)['summary']
l=s['latency']
print('| $round | $loading | $queries | %.0f | %.2f | %.2f | %.2f |' % (s['rps'], l['p50_us']/1000, l['p95_us']/1000, l['p99_us']/1000))"
  done
done
