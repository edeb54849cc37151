#!/usr/bin/env bash
# What the in-process fallback's shared generations cost PostgreSQL: the bump
# every write of a shop with Redis makes (UNLOGGED, as the shop creates it, and
# the same table logged, for comparison), the read each fallback lookup makes,
# and the product detail query a fallback hit saves. pgbench, 8 clients.
# Usage: bench/cache_generations.sh DATABASE [duration-seconds]
#   DATABASE must be a seeded perflab database where a shop with Redis has run
#   (it creates perflab_cache_generations); a logged copy is made and dropped.
set -euo pipefail
db=${1:?usage: bench/cache_generations.sh DATABASE [seconds]}
secs=${2:-10}
pgbench=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
conn=(-h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}")
dir=$(mktemp -d)
trap 'psql "${conn[@]}" -d "$db" -qc "DROP TABLE IF EXISTS bench_generations_logged"; rm -rf "$dir"' EXIT

cat > "$dir/bump.sql" <<'SQL'
\set id random(1, 1000)
INSERT INTO perflab_cache_generations AS g (scope, generation) SELECT scope, 1 FROM unnest(ARRAY['catalog', 'product:' || :id]) AS scope ON CONFLICT (scope) DO UPDATE SET generation = g.generation + 1;
SQL
sed 's/perflab_cache_generations/bench_generations_logged/' "$dir/bump.sql" > "$dir/bump_logged.sql"
cat > "$dir/read.sql" <<'SQL'
\set id random(1, 1000)
SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::bigint, 'perflab_cache_generations'::regclass::oid::bigint, coalesce((SELECT generation FROM perflab_cache_generations WHERE scope = 'product:' || :id), 0);
SQL
cat > "$dir/detail.sql" <<'SQL'
\set id random(1, 1000)
SELECT p.*, (SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = p.id) AS sold FROM products p WHERE p.id = :id;
SQL
psql "${conn[@]}" -d "$db" -qc \
  "CREATE TABLE bench_generations_logged (scope text PRIMARY KEY, generation bigint NOT NULL)"
printf '| statement | tps | latency average |\n|---|---|---|\n'
for f in bump bump_logged read detail; do
  out=$("$pgbench" "${conn[@]}" -n -M prepared -c 8 -j 2 -T "$secs" -f "$dir/$f.sql" "$db" 2>&1)
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  lat=$(echo "$out" | sed -n 's/^latency average = \(.*\)/\1/p')
  printf '| %s | %.0f | %s |\n' "$f" "$tps" "$lat"
done
