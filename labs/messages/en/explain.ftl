# The query plan as a tree (src/explain/mod.rs), shown by `perflab explain`
# and the TUI's plan panel. $rows and $estimated are rows over all loops,
# $time and the totals are milliseconds as PostgreSQL measured them.
explain-node-stats = rows { $rows } (estimated { $estimated }) · { $time } ms
explain-mark-seq-scan = ◀ Seq Scan: read { $read } rows of { $table } to keep { $kept }
explain-mark-index = ◀ uses index { $index }
explain-mark-sort-spilled = ◀ sort spilled to disk ({ $kb } kB): it did not fit in work_mem
explain-mark-misestimate = ◀ the planner expected { $estimated } rows and got { $actual }
explain-totals = Planning { $planning } ms · execution { $execution } ms

## perflab explain (src/cli/explain.rs)
explain-heading = Plan of { $query } (lab { $lab }), with your indexes.sql:
explain-unknown = "{ $what }" is neither a lab nor a query of the shop. Name a Block 2 lab (perflab list) or one of: category_listing, search, order_items, top_products.
explain-lab-has-no-query = Lab { $lab } has no query to explain: perflab explain takes a Block 2 lab (perflab list) or a query name such as category_listing.
