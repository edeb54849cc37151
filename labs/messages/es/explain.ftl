# El plan de una consulta como árbol (src/explain/mod.rs), que muestran
# `perflab explain` y el panel del plan de la TUI. $rows y $estimated son filas
# sumando todas las vueltas (loops); $time y los totales, milisegundos medidos
# por PostgreSQL.
explain-node-stats = filas { $rows } (estimadas { $estimated }) · { $time } ms
explain-mark-seq-scan = ◀ Seq Scan: leyó { $read } filas de { $table } para quedarse con { $kept }
explain-mark-index = ◀ usa el índice { $index }
explain-mark-sort-spilled = ◀ la ordenación se desbordó a disco ({ $kb } kB): no cupo en work_mem
explain-mark-misestimate = ◀ el planificador esperaba { $estimated } filas y obtuvo { $actual }
explain-totals = Planificación { $planning } ms · ejecución { $execution } ms

## perflab explain (src/cli/explain.rs)
explain-heading = Plan de { $query } (laboratorio { $lab }), con tu indexes.sql:
explain-unknown = «{ $what }» no es ni un laboratorio ni una consulta de la tienda. Indica un laboratorio del bloque 2 (perflab list) o una de: category_listing, search, order_items, top_products.
explain-lab-has-no-query = El laboratorio { $lab } no tiene consulta que explicar: perflab explain acepta un laboratorio del bloque 2 (perflab list) o el nombre de una consulta, como category_listing.
