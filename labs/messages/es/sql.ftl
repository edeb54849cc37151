# Mensajes sobre el indexes.sql del alumno (src/lab/runner.rs). Variables:
# $file el fichero, $line y $column el lugar, $statement sus primeras palabras.

sql-refused = { $file }:{ $line }:{ $column }: { $reason } (en «{ $statement }»). No se ha ejecutado nada: corrige el fichero y vuelve a comprobar. { $allowed }
sql-allowed = indexes.sql solo admite: CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] nombre ON categories | products | users | orders | order_items …; DROP INDEX [IF EXISTS] de tus propios índices; CREATE EXTENSION [IF NOT EXISTS] pg_trgm | btree_gin | btree_gist; ANALYZE [tabla de la tienda]; y comentarios.

sql-reason-statement = { $kind } no está permitido en indexes.sql
sql-reason-syntax = no es SQL válido: { $message }
sql-reason-table = «{ $table }» no es una tabla de la tienda (categories, products, users, orders, order_items)
sql-reason-extension = la extensión «{ $extension }» no es de las que usan los laboratorios (pg_trgm, btree_gin, btree_gist)
sql-reason-clause = { $clause } no está permitido aquí
sql-reason-analyze-list = ANALYZE lleva aquí una sola tabla: escribe un ANALYZE por tabla
sql-reason-not-your-index = «{ $index }» no es uno de tus índices: es del esquema de la tienda o sostiene una restricción

sql-failed = { $file }:{ $line }:{ $column }: PostgreSQL rechazó «{ $statement }»: { $message }. Se ha deshecho todo el fichero: corrígelo y vuelve a comprobar.
sql-lock-timeout = { $file }:{ $line }:{ $column }: «{ $statement }» esperó { $limit } a una tabla que otra sesión tiene bloqueada (lock_timeout). Termina o cierra esa sesión (¿una transacción abierta en psql?) y vuelve a comprobar; no se ha cambiado nada.
sql-statement-timeout = { $file }:{ $line }:{ $column }: «{ $statement }» se detuvo tras { $limit } (statement_timeout) o se canceló; no se ha cambiado nada.
