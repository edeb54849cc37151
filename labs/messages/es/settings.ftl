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
setting-cache-fallback-local = una caché en memoria ingenua: sin consulta por acierto, pero las escrituras de otra instancia solo le llegan con el TTL (precios obsoletos).
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

setting-rate-limit-enabled = Limitación de peticiones: quien envía demasiadas recibe 429 (→ activa o desactiva).
setting-rate-limit-algorithm = Cómo cuenta el limitador.
setting-rate-limit-algorithm-gcra = GCRA: un cubo de fichas que se rellena a ritmo constante; exacto con concurrencia.
setting-rate-limit-algorithm-sliding-log = el registro deslizante del curso, con sus fallos: una entrada por segundo, así que una ráfaga en el mismo segundo cuenta una vez.
setting-rate-limit-store = Dónde guarda el limitador sus cuentas.
setting-rate-limit-store-memory = este proceso: cada instancia de la tienda cuenta por su cuenta.
setting-rate-limit-store-redis = Redis: todas las instancias gastan un mismo presupuesto.
setting-rate-limit-requests = Peticiones que un cliente puede enviar por periodo (si per_tier está desactivado).
setting-rate-limit-period = El periodo en que se rellena el presupuesto (← mitad, → doble).
setting-rate-limit-burst = Peticiones que un cliente puede enviar de golpe antes de que el relleno las acompase.
setting-rate-limit-key = De quién es el presupuesto que gasta una petición.
setting-rate-limit-key-user = el usuario del token; la dirección del cliente si es anónimo.
setting-rate-limit-key-ip = la dirección del cliente, con sesión o sin ella.
setting-rate-limit-per-tier = Presupuestos por nivel de usuario (guest, basic, premium, admin) en vez de uno para todos (→ activa o desactiva).
setting-rate-limit-tiers-guest = Peticiones por periodo para clientes anónimos.
setting-rate-limit-tiers-basic = Peticiones por periodo para usuarios basic.
setting-rate-limit-tiers-premium = Peticiones por periodo para usuarios premium.
setting-rate-limit-tiers-admin = Peticiones por periodo para administradores.
setting-rate-limit-per-endpoint = Multiplicadores por endpoint (login ×0,1, búsqueda ×0,5, pedidos ×0,3), cada uno con su propia cuenta (→ activa o desactiva).
setting-rate-limit-on-store-error = Qué recibe una petición mientras el Redis del limitador no responde.
setting-rate-limit-on-store-error-open = se cuenta en este proceso hasta que Redis vuelva: los límites valen por instancia.
setting-rate-limit-on-store-error-closed = 429 hasta que Redis vuelva: no pasa nadie.

setting-middleware-request-id = X-Request-Id en cada respuesta: el del cliente o uno nuevo; el registro de peticiones también lo activa (→ activa o desactiva).
setting-middleware-timing = Server-Timing (db, cache, total) y X-Response-Time en cada respuesta (→ activa o desactiva).
setting-middleware-compression-enabled = Compresión de respuestas (→ activa o desactiva).
setting-middleware-compression-algorithms = Las codificaciones que se ofrecen (→ activa o desactiva la seleccionada).
setting-middleware-compression-algorithms-gzip = gzip: la entiende cualquier cliente.
setting-middleware-compression-algorithms-br = br (Brotli): más pequeña que gzip a igual velocidad con texto.
setting-middleware-compression-min-bytes = Los cuerpos de menos bytes que esto se envían tal cual.
setting-middleware-compression-level = Nivel de compresión: 1 es el más rápido, 9 el más pequeño.
setting-middleware-request-log-enabled = Una línea de registro por petición en el fichero de registro de la tienda (→ activa o desactiva).
setting-middleware-request-log-format = Cómo se escribe cada línea.
setting-middleware-request-log-format-text = texto: una línea de acceso para personas; ninguna herramienta puede consultarla.
setting-middleware-request-log-format-json = JSON: un objeto por línea, un campo por dato.
setting-middleware-request-log-headers = Qué cabeceras de la petición lleva cada línea.
setting-middleware-request-log-headers-none = ninguna.
setting-middleware-request-log-headers-redacted = todas, con tokens y cookies sustituidos por [redacted].
setting-middleware-request-log-headers-all = todas tal como llegan: tokens y cookies acaban en el registro.
setting-monitoring-metrics = GET /metrics en el puerto de la tienda, en formato de texto de Prometheus (→ activa o desactiva).
setting-monitoring-route-label = Qué contiene la etiqueta route de las series de peticiones.
setting-monitoring-route-label-path = path: la ruta tal como llega (/products/42): una serie por id, así que las series crecen con el tráfico.
setting-monitoring-route-label-template = template: la ruta que coincide (/products/{"{"}id{"}"}): un número fijo de series.
setting-monitoring-breakdown = Tiempo por parte de cada petición (base de datos, caché, serialización, cómputo), sumado por ruta (→ activa o desactiva).
setting-reports-top-products = De dónde lee sus números GET /reports/top-products.
setting-reports-top-products-live = live: agrega todas las líneas de pedido en cada llamada.
setting-reports-top-products-summary = summary: lee un resumen por producto que las escrituras de pedidos mantienen al día.
