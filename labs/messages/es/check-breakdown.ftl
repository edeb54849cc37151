# La comprobación breakdown (src/check/breakdown.rs, laboratorio 4.2): el
# desglose por partes de una ruta. $dominant es db, cache, serialise o compute.

check-breakdown-target = el desglose de { $route } dice qué parte se lleva el tiempo
check-breakdown-target-p95 = { $named }; p95 < { $p95 }
check-breakdown-head = GET { $route }: { $requests } peticiones, p95 { $p95 }. Por petición: db { $db } ms, caché { $cache } ms, serialización { $serialise } ms, cómputo { $compute } ms. El tiempo se va en { $dominant } ({ $share } %).
check-breakdown-hint = Mira qué hace la ruta en su parte { $dominant }: con db, la consulta que lanza en cada llamada (perflab explain 4.2); con compute, el gráfico de llamas de perflab profile (si también está ocioso, el tiempo se fue esperando una conexión libre del pool).
check-breakdown-off = El desglose está apagado, así que no hay nada que leer de { $route }: enciende [monitoring] breakdown en shop.toml.
check-breakdown-no-route = El desglose no vio ninguna petición de { $route } que se contestara: comprueba que el tráfico del laboratorio llega a esa ruta.
