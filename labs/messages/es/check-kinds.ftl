# Mensajes de cada tipo de comprobación (src/check/<tipo>.rs): el objetivo en
# palabras (…-target…) y lo que se le dice al estudiante. Los valores medidos
# llegan ya con su unidad («4.49 ms», «98.8 %», «844 req/s»). $mode es «shop»
# (la tienda de perflab: se habla de shop.toml) o «target» (otra API, con
# --target URL: se habla de lo que hace la API, nunca de los ajustes de perflab).
# $target es el objetivo ya en palabras; $what, las rutas del tráfico («GET /products/{id}»).

## baseline (laboratorio 1.1)
check-baseline-target = caché apagada, ≥ { $min } peticiones en cada perfil ({ $profiles })
check-baseline-profile = { $name }: { $requests } peticiones, p50 { $p50 } / p95 { $p95 } / p99 { $p99 }, { $rps }
check-baseline-measured = Línea base medida con la caché apagada: { $profiles }. Los laboratorios siguientes se comparan con ella. Cumple el objetivo.
check-baseline-too-few = { $mode ->
    [target] Muy pocas peticiones en { $short } (mínimo { $min }): { $profiles }. ¿Responde la API con errores o muy despacio? Mira su /health y vuelve a comprobar en una máquina tranquila.
   *[shop] Muy pocas peticiones en { $short } (mínimo { $min }): { $profiles }. ¿Responde la tienda con errores o muy despacio? Mira /health y vuelve a comprobar en una máquina tranquila.
}
check-baseline-kept = { $mode ->
    [target] La línea base ya está medida ({ $p95 }); con la caché encendida no se vuelve a medir.
   *[shop] Tu línea base ya está medida ({ $p95 }); con la caché encendida no se vuelve a medir. Para repetirla, pon cache.backend = "off" en shop.toml y vuelve a comprobar.
}
check-baseline-cache-on = La caché está encendida (cache.backend = "{ $backend }"): una línea base medida a través de una caché mide la caché, no tu API. Pon cache.backend = "off" en shop.toml y vuelve a comprobar.
check-baseline-hits = { $mode ->
    [target] La API respondió X-Cache: HIT al pedir dos veces GET { $path }: su caché está encendida, y una línea base medida a través de una caché mide la caché, no la API. Mide la línea base con la caché de la API apagada (todas las respuestas MISS o BYPASS).
   *[shop] La tienda respondió X-Cache: HIT al pedir dos veces GET { $path }: hay una caché encendida, y una línea base medida a través de una caché mide la caché, no tu API. Pon cache.backend = "off" en shop.toml y vuelve a comprobar.
}

## latency
check-latency-target-p95 = p95 < { $p95 }
# $factor: 2 para «p95 ≤ la mitad de la línea base».
check-latency-target-relative = p95 < { $bound } ({ $factor ->
    [2] la mitad
   *[other] 1/{ $factor }
} de los { $base } de tu línea base)
check-latency-target-relative-unknown = p95 ≤ { $factor ->
    [2] la mitad
   *[other] 1/{ $factor }
} de tu línea base
check-latency-target-measured = p95 medido
check-latency-target-p99 = p99 < { $p99 }
check-latency-target-rps = ≥ { $rps }
check-latency-target-requests = ≥ { $count } peticiones
check-latency-head = El p95 fue { $p95 } (p99 { $p99 }, { $rps }, { $non2xx } sin 2xx) en { $what } (objetivo { $target }).
check-latency-paths = p95 por ruta: { $paths }.
check-latency-slowest = La más lenta: { $path } (p95 { $p95 }).
check-latency-errors = { $mode ->
    [target] Demasiadas respuestas sin 2xx: mira los códigos de estado de la API (¿429? ¿503?) antes que la latencia.
   *[shop] Demasiadas respuestas sin 2xx: mira los códigos de estado (¿429? ¿503 por el pool de conexiones?) antes que la latencia.
}
check-latency-few = { $mode ->
    [target] Muy pocas peticiones para una medida fiable: ¿responde la API despacio o con errores? Mira su /health.
   *[shop] Muy pocas peticiones para una medida fiable: ¿responde la tienda despacio o con errores? Mira /health.
}
check-latency-rps = { $mode ->
    [target] El rendimiento es bajo: ¿espera la API por conexiones a la base de datos o por la base de datos misma?
   *[shop] El rendimiento es bajo: ¿espera la tienda por conexiones del pool (database.pool_size) o por la base de datos?
}
check-latency-slow = { $mode ->
    [target] Mira los planes de sus consultas (EXPLAIN ANALYZE: ¿Seq Scan?), la caché (X-Cache) y las consultas por petición (X-Query-Count).
   *[shop] Mira el plan de la consulta (perflab explain con el laboratorio, o el panel del plan en el dashboard de la TUI: ¿Seq Scan?), la caché (X-Cache) y las consultas por petición (X-Query-Count).
}

## hit_ratio
check-hit-ratio-target = tasa de aciertos ≥ { $min }
check-hit-ratio-target-writes = tasa de aciertos ≥ { $min } con { $share } de escrituras
check-hit-ratio-no-header = Ninguna de las { $responses } respuestas de { $what } llevó la cabecera X-Cache (objetivo { $target }): sin ella no hay aciertos que contar. El contrato de la API pide X-Cache: HIT, MISS o BYPASS en cada ruta que se puede cachear.
check-hit-ratio-no-lookup = { $mode ->
    [target] Ninguna respuesta de { $what } pasó por la caché ({ $bypasses } X-Cache: BYPASS; objetivo { $target }): la API no cachea esta ruta.
   *[shop] La caché no registró ninguna búsqueda en { $what } ({ $bypasses } X-Cache: BYPASS; objetivo { $target }): la ruta no se cachea. Revisa cache.backend y cache.endpoints en shop.toml.
}
check-hit-ratio-head = La tasa de aciertos fue { $ratio } en { $lookups } búsquedas de { $what } ({ $hits } X-Cache: HIT, { $misses } MISS, tras { $warmup } de calentamiento que no cuenta; objetivo { $target }).
check-hit-ratio-head-writes = La tasa de aciertos fue { $ratio } en { $lookups } búsquedas de { $what } con { $writes } escrituras de precio ({ $share } de las peticiones) ({ $hits } X-Cache: HIT, { $misses } MISS, tras { $warmup } de calentamiento que no cuenta; objetivo { $target }). Fallos por escritura: { $per_write } (todos los MISS entre las escrituras, también los de la cola larga que fallarían sin escrituras: compáralo con otra estrategia al mismo ritmo).
check-hit-ratio-hint = { $mode ->
    [target] ¿Un TTL demasiado corto para el ritmo de las peticiones? ¿Claves que cambian en cada petición?
   *[shop] ¿Un TTL demasiado corto para el ritmo de las peticiones (cache.ttl)? ¿Claves que cambian en cada petición? Mira GET /cache/stats en la API de control.
}
check-hit-ratio-hint-writes = { $mode ->
    [target] ¿Invalida cada escritura más de lo que cambió (toda la caché en vez de la entrada del producto)? ¿Un TTL demasiado corto?
   *[shop] ¿Invalida cada escritura más de lo que cambió (toda la caché en vez de la entrada del producto)? ¿Un TTL demasiado corto (cache.ttl)? Mira GET /cache/stats en la API de control.
}

## headers
check-headers-target-require = lleva { $headers }
check-headers-target-expect = petición { $request }: { $header } { $wanted }
check-headers-ok = GET { $path } lleva las cabeceras esperadas ({ $target }).
check-headers-missing = En la petición { $request } a GET { $path } falta la cabecera { $header } (objetivo { $target }).
check-headers-wrong = En la petición { $request } a GET { $path }, { $header } fue «{ $seen }» (se esperaba { $wanted }; objetivo { $target }).
check-headers-hint = { $mode ->
    [target] ¿Cachea la API esta ruta, y lo dice en la cabecera X-Cache de cada respuesta?
   *[shop] ¿Está la ruta en cache.endpoints y la caché encendida (cache.backend)?
}

## health
check-health-ok = GET { $path } responde { $status } con lo esperado: { $target }.
check-health-head = GET { $path } respondió { $status } sin lo esperado ({ $target }): { $list }.
check-health-mismatch = { $field } es «{ $seen }» (se esperaba «{ $wanted }»)
check-health-missing = { $field } no aparece (se esperaba «{ $wanted }»)
check-health-hint-cache = { $mode ->
    [target] Conecta la API a Redis: su /health debe decir que la caché es Redis y que responde.
   *[shop] Conecta la tienda a Redis y pon cache.backend = "redis" en shop.toml (laboratorio 1.2); `perflab doctor` te dice si Redis responde y en qué dirección.
}
check-health-hint = { $mode ->
    [target] Lee la respuesta completa de /health de la API: dice qué servicio falta.
   *[shop] Lee la respuesta completa de /health y ejecuta `perflab doctor` para ver qué servicio falta.
}

check-health-unavailable = { $mode ->
    [target] GET { $path } respondió { $status }: la API dice que no puede servir (objetivo { $target }). Mira qué servicio le falta en su /health.
   *[shop] GET { $path } respondió { $status }: la tienda dice que no puede servir (objetivo { $target }). ¿Responde su base de datos? `perflab doctor` te lo dice.
}

## stale_reads
check-stale-target = lecturas obsoletas ≤ { $max }
check-stale-head = { $stale } lecturas obsoletas de { $reads } en GET /products/{ $product } durante { $writes } escrituras (objetivo { $target }).
check-stale-hint = { $mode ->
    [target] Cada escritura debe invalidar o reescribir la entrada en caché antes de responder (invalidar al escribir, o write-through), no dejarla vivir hasta su TTL.
   *[shop] Cada escritura debe invalidar o reescribir la entrada en caché antes de responder: cache.invalidation = "on-write" en shop.toml (o strategy = "write-through").
}

## shared_keys (laboratorio 1.5; A es la API medida, B la segunda instancia)
check-shared-target = aciertos compartidos entre instancias, 0 lecturas obsoletas de listados
check-shared-ok = Las dos instancias comparten aciertos y ninguna lectura de listado fue obsoleta (A = { $a }, B = { $b }; objetivo: { $target }).
check-shared-not-shared = GET { $path } en B respondió X-Cache: { $b } justo después de que A lo sirviera ({ $a })
check-shared-other-body = GET { $path } en B respondió X-Cache: { $b } con un cuerpo distinto del de A (una entrada propia de B, no la de A)
check-shared-stale = GET { $path } en { $instance } mostró el precio { $seen } en vez de { $wanted } tras la escritura
check-shared-head = { $count ->
    [one] 1 fallo (A = { $a }, B = { $b }): { $list } (objetivo: { $target }).
   *[other] { $count } fallos (A = { $a }, B = { $b }): { $list } (objetivo: { $target }).
}
check-shared-hint-keys = { $mode ->
    [target] Las claves de caché deben ser iguales en todos los procesos y para cualquier orden de parámetros: constrúyelas con la ruta y los parámetros normalizados y ordenados, nunca con un hash propio de cada proceso.
   *[shop] Las claves de caché deben ser iguales en todos los procesos y para cualquier orden de parámetros: constrúyelas con la ruta y los parámetros normalizados y ordenados (cache.key_scheme = "canonical"), nunca con un hash propio de cada proceso.
}
check-shared-hint-stale = Escribir un producto debe invalidar todos los listados en caché: invalidación por espacio de nombres (un número de generación en las claves de listado que cada escritura incrementa).

## query_count
check-query-count-target = X-Query-Count ≤ { $max }
check-query-count-head = GET { $path } hizo { $count } consultas SQL (objetivo { $target }).
check-query-count-items = La respuesta tiene { $items } elementos: cargar el producto de cada elemento por separado (lazy) cuesta 2 + { $items } = { $lazy } consultas; cargarlos juntos (eager), 2.
check-query-count-hint = { $mode ->
    [target] ¿Una consulta por elemento (N+1)? Carga los elementos con una sola consulta (un JOIN, o WHERE id = ANY(…)) y mira X-Query-Count.
   *[shop] ¿Una consulta por elemento (N+1)? Prueba database.loading = "eager" en shop.toml y mira X-Query-Count.
}

## pool_connections (solo la tienda de perflab: necesita su base de datos)
check-pool-target = < { $below } conexiones
check-pool-head = La tienda abrió hasta { $max } conexiones a PostgreSQL bajo carga en { $what } (objetivo { $target }).
check-pool-hint = { $mode ->
    [target] Ajusta el tamaño del pool de conexiones de la API: pocas conexiones ocupadas rinden más que muchas esperando.
   *[shop] Ajusta database.pool_size en shop.toml: pocas conexiones ocupadas rinden más que muchas esperando.
}

## extension (solo la tienda de perflab: necesita su base de datos)
check-extension-target = { $name } disponible en el servidor
check-extension-available = El servidor PostgreSQL puede crear la extensión { $name }.
check-extension-missing = Este servidor PostgreSQL no tiene la extensión { $name }: instala el paquete { $package } (o ejecuta perflab doctor --fix), reinicia PostgreSQL y vuelve a comprobar.

## explain (solo la tienda de perflab: necesita su API de control)
check-explain-target-index = usa { $index }
check-explain-target-any-index = usa un índice
check-explain-target-no-seq-scan = { $uses }, sin Seq Scan en { $table }
check-explain-head = El plan de { $query } tardó { $time }; índices usados: { $indexes }; Seq Scan en: { $scans } (objetivo: { $target }).
check-explain-as-if-large = Plan hecho como sobre una tabla grande (enable_seqscan = off solo para este plan: en un catálogo pequeño leer la tabla entera sale más barato que cualquier índice).
check-explain-hint = Ejecuta perflab explain { $query } para ver el plan como árbol (primero los nodos marcados) y escribe el índice en indexes.sql: cada comprobación lo aplica.

## memory (solo la tienda de perflab: necesita su proceso)
check-memory-target = RSS < { $below }
check-memory-target-growth = RSS < { $below }, crecimiento ≤ { $growth } en { $runs } ejecuciones
check-memory-target-concurrent = { $target } con { $at_once } peticiones a la vez
check-memory-target-streamed = { $target }, enviada por partes
check-memory-buffered = Su respuesta declaró Content-Length: { $length }: la tienda tenía el cuerpo entero en memoria antes de enviar el primer byte.
check-memory-head = La memoria residente de la tienda llegó a { $max } durante GET { $path } (objetivo { $target }).
check-memory-head-growth = La memoria residente de la tienda llegó a { $max } durante GET { $path } y creció { $growth } de la primera petición a la última (objetivo { $target }).
check-memory-hint-growth = La memoria crece de una petición a otra: ¿queda algo guardado entre peticiones (un búfer, una caché sin límite)?
check-memory-hint-peak = { $mode ->
    [target] ¿Se arma la respuesta entera en memoria? Envíala por partes (streaming) a medida que se lee.
   *[shop] ¿Se arma la respuesta entera en memoria? Prueba export.mode = "streamed" en shop.toml.
}

## redis_outage (laboratorio 1.6; solo con el Redis privado que arranca el runner)
check-outage-target = ≤ { $max } respuestas 5xx con Redis parado, aciertos de vuelta en { $within }
check-outage-probes = Con Redis parado durante { $down }, { $failed } de { $requests } peticiones de sondeo recibieron un 5xx ({ $errors }) o ninguna respuesta en { $answer } ({ $unanswered }); objetivo: { $target }.
check-outage-resumed = Al volver Redis, GET { $path } dio un acierto servido desde Redis a los { $after }.
check-outage-not-resumed = Al volver Redis, GET { $path } no dio ningún acierto servido desde Redis en { $within }.
check-outage-load-5xx = El tráfico del laboratorio recibió { $errors } respuestas 5xx de { $requests } en toda la ejecución.
check-outage-no-probe = { $mode ->
    [target] No se llegó a enviar ninguna petición de sondeo: ¿responde la API? Mira su /health.
   *[shop] No se llegó a enviar ninguna petición de sondeo: ¿responde la tienda? Mira /health.
}
check-outage-hint-served = { $mode ->
    [target] Un fallo de Redis debe convertirse en un fallo de caché: timeouts cortos en cada llamada, y servir desde la base de datos o una caché en memoria. Mira /health durante el corte.
   *[shop] Un fallo de Redis debe convertirse en un fallo de caché: timeouts cortos en cada llamada, y servir desde la base de datos o la caché en memoria (cache.fallback en shop.toml). Mira /health durante el corte.
}
check-outage-hint-resumed = La tienda no volvió a leer de Redis: ¿se reconecta su conexión tras un fallo (un ConnectionManager, no una MultiplexedConnection)? En /health, cache.status debe volver a «up».
check-outage-pool-timeouts = Durante la ejecución, { $timeouts } peticiones esperaron una conexión del pool más que su timeout y recibieron un 503 (GET /pool).
check-outage-peer = Con Redis parado, { $writes } escrituras de precio en la instancia A, cada una seguida de una lectura en la instancia B (otras { $failed } recibieron un 5xx y no se leyeron): B respondió { $reads }, { $hits } desde su caché en memoria, y { $stale } mostraron un precio anterior (lecturas obsoletas).
check-outage-hint-stale = La otra instancia sirvió un precio que ya había cambiado: lo que el laboratorio 1.4 llama un error. Una caché en memoria que sustituye a Redis tiene que saber qué escrituras hicieron las demás instancias (o no cachear nada mientras Redis no está).

## rate_limit
check-rate-limit-target = exactamente { $allowed } de { $requests } pasan
check-rate-limit-target-advertised = de { $requests }, pasa exactamente el presupuesto anunciado
check-rate-limit-head = Pasaron { $passed } de { $requests } peticiones y { $limited } recibieron 429, en { $ms } ms (objetivo { $target }).
check-rate-limit-refills = El presupuesto se rellenó { $refills } veces durante la ráfaga: pueden pasar hasta esas de más.
check-rate-limit-broken = { $count } respuestas fueron errores (5xx o ninguna respuesta): un limitador responde 429 o deja pasar la petición.
check-rate-limit-no-budget = A { $count } respuestas les faltaba X-RateLimit-Limit, X-RateLimit-Remaining o X-RateLimit-Reset: el cliente no puede ver su presupuesto.
check-rate-limit-no-retry-after = { $count } respuestas 429 no traían Retry-After en segundos enteros: el cliente no sabe cuándo volver.
check-rate-limit-other-user = La primera petición de otro usuario no pasó con el presupuesto entero: la ráfaga de uno no debe gastar el de nadie más.
check-rate-limit-hint = { $why ->
    [spoofed] Cada petición decía venir de otra dirección en X-Forwarded-For, y eso le daba un presupuesto nuevo: identifica a los clientes anónimos por la dirección del socket, salvo que la cabecera la ponga un proxy de confianza.
    [instances] Cada instancia contó por su cuenta: el presupuesto tiene que vivir donde todas las instancias lo gastan.
    [too-few] Pasaron menos peticiones que el presupuesto: ¿el límite es más bajo que el objetivo, o las peticiones rechazadas cuentan como gasto?
   *[too-many] Pasaron más peticiones que el presupuesto. Envía tú una ráfaga y lee X-RateLimit-Remaining en cada respuesta: ¿baja una vez por petición?
}

## compression
check-compression-target = respuestas grandes en { $encodings } a ≤ { $percent } % de su tamaño, las pequeñas tal cual
check-compression-head = GET { $path } ocupa { $plain } bytes sin comprimir; comprimida, la mayor fue el { $percent } % (objetivo { $target }).
check-compression-not-encoded = GET { $path } pedida con Accept-Encoding: { $encoding } llegó sin comprimir ({ $bytes } bytes).
check-compression-corrupt = La respuesta en { $encoding } no se descomprime en la respuesta original.
check-compression-too-large = La respuesta en { $encoding } ocupa { $bytes } de { $plain } bytes ({ $percent } %).
check-compression-no-vary = A la respuesta en { $encoding } le falta Vary: Accept-Encoding: una caché intermedia podría dársela a un cliente que no sabe descomprimirla.
check-compression-small-encoded = GET { $path } (pequeña) llegó comprimida en { $encoding }: por debajo de un tamaño mínimo, comprimir cuesta CPU y no ahorra nada.
check-compression-hint = { $mode ->
    [target] Comprime las respuestas a partir de 1 KiB más o menos, con las codificaciones que ofrece el cliente, y añade Vary: Accept-Encoding.
   *[shop] Mira los ajustes middleware.compression: ¿qué respuestas se comprimen, desde qué tamaño y con qué codificaciones?
}

## timing
check-timing-target = Server-Timing (db, cache, total) y X-Response-Time en cada respuesta, coherentes con la espera del cliente
check-timing-head = { $requests } peticiones, { $problems } problemas con sus tiempos.
check-timing-example = GET { $path }: db { $db } ms + caché { $cache } ms de { $total } ms en el servidor; el cliente esperó { $waited } ms.
check-timing-missing = GET { $path } llegó sin { $header }.
check-timing-parts = GET { $path }: a Server-Timing le falta db, cache o total con dur=.
check-timing-parts-exceed = GET { $path }: db { $db } ms + caché { $cache } ms suman más que el total de { $total } ms.
check-timing-longer-than-wait = GET { $path }: el servidor dice { $total } ms pero el cliente esperó { $waited } ms: el total tiene que medirse dentro del viaje de ida y vuelta.
check-timing-hint = { $mode ->
    [target] Mide cada petición desde que llega hasta que responde, suma el tiempo pasado en la base de datos y en la caché, y envíalos como Server-Timing: db;dur=…, cache;dur=…, total;dur=… y X-Response-Time.
   *[shop] Pide un producto a la tienda con curl -i: ¿qué cabeceras dicen en qué se fue su tiempo? La respuesta está en los ajustes de middleware.
}

## request_log
check-log-target = una línea JSON por petición con su X-Request-Id, ningún secreto en ninguna parte
check-log-head = { $requests } peticiones (un login, un token, un login fallido, una cookie); el registro recibió { $lines } líneas nuevas, { $json } de ellas JSON.
check-log-empty = No se escribió nada: ¿está activado el registro de peticiones?
check-log-not-json = { $count } líneas no son objetos JSON: ninguna herramienta puede consultarlas.
check-log-no-request-id = { $count } respuestas no traían X-Request-Id: no hay forma de encontrar la línea de la petición de la que se queja un usuario.
check-log-unlogged = { $count } identificadores de petición de las respuestas no son el request_id de ninguna línea.
check-log-leaked = { $secret ->
    [password] La contraseña del usuario está en el registro.
    [wrong-password] La contraseña del login fallido está en el registro (la gente teclea una contraseña por otra).
    [cookie] El valor de la cookie está en el registro.
   *[token] El token bearer está en el registro: quien lea el registro puede actuar como el usuario hasta que caduque.
}
check-log-hint = { $mode ->
    [target] Escribe un objeto JSON por petición (hora, id de petición, método, ruta, estado, latencia, usuario) y nunca los valores de Authorization, Cookie ni un cuerpo.
   *[shop] Abre el fichero de registro que muestra el panel y lee una línea como lo haría una herramienta: los ajustes de request_log deciden su formato y qué copia de la petición.
}
