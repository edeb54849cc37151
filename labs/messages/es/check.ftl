# Mensajes de las comprobaciones (src/check). Variables: $kind es el tipo de
# comprobación (latency, hit_ratio…), $target el objetivo en palabras.

check-could-not-measure = La comprobación { $kind } ({ $target }) no pudo medir: { $error }.
check-timed-out = La comprobación { $kind } superó su tiempo límite de { $limit } sin terminar de medir. ¿Responde la tienda? Mira /health.

check-needs-control = { $kind } no aplica: necesita la API de control de la tienda, y contra --target URL no la hay.
check-needs-database = { $kind } no aplica: necesita acceso directo a la base de datos de la tienda (DATABASE_URL), y contra --target URL no lo hay.
check-needs-process = { $kind } no aplica: necesita el proceso de la tienda (lo tiene el runner que la arrancó) para leer su memoria.
check-needs-peer = { $kind } no aplica: necesita una segunda instancia de la tienda, y contra --target URL solo hay una.
check-needs-redis-server = { $kind } no aplica: necesita parar y arrancar el Redis de la tienda, y solo puede hacerlo con el Redis privado que arranca el runner.
check-needs-baseline = { $kind }: el objetivo es relativo a tu línea base y aún no hay ninguna. Pasa primero el laboratorio 1.1-baseline.

check-target-met = Cumple el objetivo.
