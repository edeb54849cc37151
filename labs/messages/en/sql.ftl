# Messages about the student's indexes.sql (src/lab/runner.rs). Variables:
# $file the file, $line and $column the place, $statement its first words.

sql-refused = { $file }:{ $line }:{ $column }: { $reason } (in `{ $statement }`). Nothing was run: fix the file and check again. { $allowed }
sql-allowed = indexes.sql may hold only: CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON categories | products | users | orders | order_items …; DROP INDEX [IF EXISTS] of your own indexes; CREATE EXTENSION [IF NOT EXISTS] pg_trgm | btree_gin | btree_gist; ANALYZE [a shop table]; and comments.

sql-reason-statement = { $kind } is not allowed in indexes.sql
sql-reason-syntax = this is not valid SQL: { $message }
sql-reason-table = `{ $table }` is not one of the shop's tables (categories, products, users, orders, order_items)
sql-reason-extension = the extension `{ $extension }` is not one the labs use (pg_trgm, btree_gin, btree_gist)
sql-reason-clause = { $clause } is not allowed here
sql-reason-analyze-list = ANALYZE takes one table here: write one ANALYZE per table
sql-reason-not-your-index = `{ $index }` is not one of your indexes: it belongs to the shop's schema or backs a constraint

sql-failed = { $file }:{ $line }:{ $column }: PostgreSQL refused `{ $statement }`: { $message }. The whole file was rolled back: fix it and check again.
sql-lock-timeout = { $file }:{ $line }:{ $column }: `{ $statement }` waited { $limit } for a table another session holds locked (lock_timeout). Finish or stop that session (an open psql transaction?) and check again; nothing was changed.
sql-statement-timeout = { $file }:{ $line }:{ $column }: `{ $statement }` was stopped after { $limit } (statement_timeout) or cancelled; nothing was changed.
