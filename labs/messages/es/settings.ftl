# Qué significa cada ajuste de la tienda (shop.toml), para la pantalla
# Ajustes de la TUI (src/tui/switches.rs, src/tui/ui/settings.rs). La clave
# sale de la ruta del ajuste: cache.backend → setting-cache-backend, y cada
# valor añade el suyo: setting-cache-backend-redis. Un ajuste nuevo de la
# tienda necesita aquí su ayuda (y la de sus valores) en los dos idiomas: un
# test falla si falta. Una línea cada uno: la pantalla tiene dos.

setting-cache-backend = Dónde se guardan las respuestas en caché.
setting-cache-backend-off = sin caché: cada petición lee la base de datos.
setting-cache-backend-memory = en la memoria de este proceso: rápida, pero cada instancia de la tienda tiene la suya.
setting-cache-backend-redis = en Redis, compartida por todas las instancias; si Redis cae, decide cache.fallback.

setting-cache-strategy = Cómo se llena la caché.
setting-cache-strategy-cache-aside = cache-aside: quien lee llena la caché cuando no encuentra la entrada.
setting-cache-strategy-write-through = write-through: quien escribe también guarda el valor nuevo en la caché.

setting-cache-ttl = Cuánto vive una entrada en la caché (← la mitad, → el doble).

setting-cache-endpoints = Qué rutas se guardan en caché (→ activa o desactiva la marcada).
setting-cache-endpoints-product-detail = GET /products/{"{"}id{"}"}: el detalle de un producto.
setting-cache-endpoints-product-list = GET /products: las páginas del listado.
setting-cache-endpoints-categories = GET /categories: las categorías con su número de productos.
setting-cache-endpoints-search = GET /products/search: la búsqueda.

setting-cache-invalidation = Qué hace una escritura con las entradas que deja viejas.
setting-cache-invalidation-on-write = invalidar al escribir: nadie lee el valor viejo después de la escritura.
setting-cache-invalidation-ttl-only = nada: viven hasta su TTL y hay lecturas obsoletas (el fallo del laboratorio 1.4).

setting-cache-key-scheme = Cómo una petición se convierte en clave de caché.
setting-cache-key-scheme-canonical = canónica: ruta y parámetros ordenados; todas las instancias comparten aciertos.
setting-cache-key-scheme-process-hash = hash() por proceso, el fallo del curso: las instancias nunca comparten entradas.

setting-cache-fallback = Qué responde una ruta en caché mientras Redis no responde.
setting-cache-fallback-memory = la caché en memoria del proceso: rápida, pero los aciertos ya no se comparten.
setting-cache-fallback-database = sin caché: la base de datos responde cada petición (X-Cache: BYPASS).
setting-cache-fallback-none = 503 hasta que Redis vuelva: el código ingenuo del que parte el curso.

setting-database-pool-size = Conexiones máximas de la tienda a PostgreSQL (objetivo del curso: menos de 20).
setting-database-acquire-timeout = Cuánto espera una petición una conexión libre antes de responder 503.
setting-database-loading = Cómo carga GET /orders/{"{"}id{"}"} los productos de sus líneas.
setting-database-loading-lazy = lazy: una consulta por línea del pedido (N+1: 2 + N consultas).
setting-database-loading-eager = eager: las líneas unidas a sus productos (2 consultas).

setting-export-mode = Cómo responde GET /products/export con el catálogo entero.
setting-export-mode-buffered = buffered: construye todo el catálogo en memoria antes de enviarlo.
setting-export-mode-streamed = streamed: envía las filas según las da la base de datos.
