# Mensajes del motor de comprobaciones (src/check/mod.rs, context.rs,
# verdict.rs). Variables: $kind es el tipo de comprobación (latency,
# hit_ratio…), $target el objetivo en palabras, $mode «shop» cuando se mide la
# tienda de perflab (su shop.toml) y «target» cuando se mide otra API con
# --target URL.

check-could-not-measure = La comprobación { $kind } ({ $target }) no pudo medir: { $error }.
check-timed-out = { $mode ->
    [target] La comprobación { $kind } superó su tiempo límite de { $limit } sin terminar de medir. ¿Responde la API? Mira su /health.
   *[shop] La comprobación { $kind } superó su tiempo límite de { $limit } sin terminar de medir. ¿Responde la tienda? Mira /health.
}

check-needs-control = { $kind } no aplica: necesita la API de control de la tienda, y contra --target URL no la hay.
check-needs-database = { $kind } no aplica: necesita acceso directo a la base de datos de la tienda (DATABASE_URL), y contra --target URL no lo hay.
check-needs-process = { $kind } no aplica: necesita el proceso de la tienda (lo tiene el runner que la arrancó) para leer su memoria.
check-needs-peer = { $kind } no aplica: necesita una segunda instancia de la API (--peer URL), y solo hay una.
check-needs-log-file = { $kind } no aplica: lee el fichero de registro de peticiones de la API, y perflab solo lo tiene para su propia tienda.
check-needs-redis-server = { $kind } no aplica: necesita parar y arrancar el Redis de la tienda, y solo puede hacerlo con el Redis privado que arranca el runner.
check-needs-baseline = { $mode ->
    [target] { $kind } no aplica: el objetivo es relativo a una línea base, y contra esta API no se midió ninguna.
   *[shop] { $kind }: el objetivo es relativo a tu línea base y aún no hay ninguna. Pasa primero el laboratorio 1.1-baseline.
}

check-target-met = Cumple el objetivo.
# $slower: «yes» cuando el p95 es peor que el de la línea base; $factor ya lleva un decimal.
check-vs-baseline = { $slower ->
    [yes] p95 { $factor }× más lento que tu línea base
   *[no] p95 { $factor }× mejor que tu línea base
}

# Por qué no se pudo medir (CheckError). $error es el detalle técnico, tal
# como lo da la biblioteca que falló.
check-error-http = la petición a { $url } falló ({ $error })
check-error-status = { $url } respondió { $status } ({ $body })
check-error-no-token = { $url } no devolvió ningún access_token al iniciar sesión como el administrador de los datos de prueba
check-error-no-price = { $url } no devolvió un precio numérico
check-error-no-query-count = { $url } no lleva una cabecera X-Query-Count numérica
check-error-not-json = { $url } respondió { $status } con un cuerpo que no es JSON
check-error-no-execution-time = el plan de { $url } no trae Execution Time
check-error-load = el generador de carga falló ({ $error })
check-error-database = la base de datos falló ({ $error })
check-error-redis-restart = no se pudo volver a arrancar Redis en { $url } ({ $error })
check-error-task = una tarea de la comprobación falló ({ $error })
check-error-write-share = las escrituras fueron el { $measured } de las peticiones, no el { $wanted } que pide el objetivo, así que la medida no vale: ¿tardan mucho las escrituras, o está ocupada la máquina? Vuelve a comprobar en una máquina tranquila
check-error-spec = el laboratorio configura mal la comprobación ({ $error })
