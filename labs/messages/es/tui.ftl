# Las palabras de la TUI (src/tui): pestañas, líneas de teclas y de estado,
# títulos de los paneles y el texto de las pantallas Hoy, Laboratorios,
# Laboratorio, Panel y Ajustes. Los títulos de panel van sin espacios
# alrededor: el código los pone. Lo que significa cada ajuste está en
# settings.ftl; la pantalla de lo que falta por instalar, en tui-setup.ftl.

## Pestañas y líneas de teclas (el número de cada pestaña lo pone el código)

tui-tab-today = Hoy
tui-tab-labs = Laboratorios
tui-tab-lab = Laboratorio
tui-tab-dashboard = Panel
tui-tab-settings = Ajustes
tui-free-mode = modo libre

tui-keys-today = Tab pantallas · Enter laboratorio actual · L idioma · q salir
tui-keys-labs = ↑↓ elegir · Enter abrir · / buscar · L idioma · q salir
tui-keys-search = escribe para filtrar · Enter termina · Esc borra la búsqueda · Ctrl-C salir
tui-keys-lab = c medir · d carga · h pista · s solución · r reinicio · b caché · ←→ panel
tui-keys-lab-running = midiendo… · d carga · h pista · s solución · ←→ panel · q salir
tui-keys-dashboard = d detiene la carga · 3 vuelve al laboratorio · q salir
tui-keys-dashboard-stopped = d arranca la carga de nuevo (otra tienda) · 3 vuelve al laboratorio · q salir
tui-keys-dashboard-none = 3 vuelve al laboratorio · q salir
tui-keys-settings = ↑↓ elegir · ←→ cambiar (en shop.toml y en la tienda en marcha) · q salir

tui-confirm-solution = ¿Ver la solución? Queda registrado. Enter: sí · otra tecla: no
tui-confirm-reset = ¿Volver al estado inicial del laboratorio? (copia .bak) Enter: sí · otra tecla: no

## Hoy

tui-today-free = Modo libre: sin horario; avanza a tu ritmo.
tui-today-before = El curso empieza en { $minutes } min.
tui-today-block = Ahora: bloque { $number }, { $title } — quedan { $left } min
tui-today-block-before-break = Ahora: bloque { $number }, { $title } — quedan { $left } min · descanso en { $pause } min
tui-today-break = Descanso obligatorio: quedan { $left } min. Levántate.
tui-today-after = El día terminó: { $passed } de { $total } laboratorios superados. Sigue a tu ritmo, sin horario: perflab --free
tui-today-block-label = Bloque { $number }
tui-today-break-label = Descanso
tui-today-end-label = Fin del día
tui-today-coming = (próximamente)
tui-today-timetable = Horario
tui-today-progress = Progreso

## Laboratorios

tui-labs-title = Laboratorios
tui-labs-search-hint = / para buscar
tui-labs-attempts = { $count ->
    [one] 1 intento
   *[other] { $count } intentos
}
tui-labs-hints = pistas { $count }
tui-labs-solution-seen = solución vista

## Laboratorio

tui-lab-hint = Pista { $number }/{ $total }
tui-lab-solution = Solución
tui-lab-checks = Comprobaciones
tui-lab-settings = backend { $backend } · { $invalidation } · ttl { $ttl } · { $endpoints ->
    [one] 1 ruta en caché
   *[other] { $endpoints } rutas en caché
} · pool { $pool } · { $loading }
tui-lab-settings-keys = b: cambia cache.backend · e: edita shop.toml · i: edita indexes.sql
tui-lab-checks-not-run = c: arranca la tienda con tu shop.toml y mide.
tui-lab-not-ready = PostgreSQL y Redis aún no están listos (mira la línea de estado).
tui-lab-checks-running = Midiendo con una tienda propia (el resultado aparece aquí):
tui-lab-passed = ¡Superado! n: siguiente laboratorio.
tui-lab-not-passed = No superado: { $failed } de { $total } comprobaciones fallan (detalles abajo).
tui-lab-popup-close = ↑↓ desplaza · otra tecla cierra

## Panel

tui-dashboard-no-load = Sin carga. En un laboratorio, d arranca su tráfico contra tu tienda y lo muestra aquí.
tui-dashboard-traffic-users = { $traffic }, { $users } usuarios
tui-dashboard-running = en marcha
tui-dashboard-finished = terminada
tui-dashboard-dead = tienda caída
tui-dashboard-silent = tienda sin respuesta
tui-dashboard-shop-died = La tienda (perflab serve, pid { $pid }) terminó: { $how }. La carga se detuvo; d arranca otra tienda y la carga.
tui-dashboard-shop-silent = La tienda no responde a /health ({ $failed ->
    [one] 1 intento
   *[other] { $failed } intentos seguidos
}): los números en gris son viejos.
tui-exit-code = salió con código { $code }
tui-exit-signal = la mató la señal { $signal } ({ $name })
tui-exit-unknown = sin estado de salida
tui-dashboard-p95-target = objetivo p95 { $ms } ms
tui-dashboard-p95-target-off = objetivo p95 { $ms } ms (↑ fuera)
tui-dashboard-slowest = más lenta:
tui-dashboard-target-vs-baseline = línea base { $base } ms ÷ { $factor }
tui-dashboard-target-no-baseline = sin línea base: mide 1.1
tui-dashboard-now = Ahora
tui-dashboard-hit-ratio = Caché 3 s ≥ { $target } %
tui-dashboard-memory = Memoria < { $target } MB
tui-dashboard-memory-now = { $now } MB · pico { $peak } MB
tui-dashboard-connections = Conexiones < { $target }
tui-dashboard-status-codes = Códigos ({ $requests })
tui-dashboard-no-answer = sin respuesta { $count }
tui-dashboard-rate-limits = 429 por usuario
tui-dashboard-no-users = sin usuarios con sesión
tui-dashboard-429-over-time = 429/s: { $now } ahora, { $peak } como máximo
tui-dashboard-budget-left = quedan { $left }
tui-dashboard-budget-unknown = quedan —
tui-dashboard-plan = Plan (EXPLAIN ANALYZE)
tui-dashboard-log = Registro de peticiones (últimas líneas)
tui-dashboard-log-empty = Nada registrado todavía: ¿está activado middleware.request_log?

## Ajustes

tui-settings-title = Ajustes de shop.toml (● los de este laboratorio)
tui-settings-unreadable = shop.toml no se puede leer: la línea de estado dice por qué (e para editarlo en el laboratorio).

## Línea de estado

tui-status-starting = Arrancando PostgreSQL y Redis…
tui-status-ready = PostgreSQL y Redis listos.
tui-status-ready-without-redis = PostgreSQL listo, sin Redis: la tienda funciona sin caché (`perflab doctor` dice por qué).
tui-status-not-ready = PostgreSQL y Redis aún no están listos.
tui-status-shop-toml-saved = shop.toml guardado: c mide con él.
tui-status-indexes-saved = indexes.sql guardado: c lo aplica y mide.
tui-status-editor-failed = { $editor }: { $error }. Pon tu editor en la variable EDITOR (por ejemplo EDITOR=nano).
tui-status-switched = shop.toml: { $patch }
tui-status-reset = { $lab }: estado inicial en shop.toml (copia en { $backup }).
tui-status-no-such-lab = No hay ningún laboratorio { $lab }.
tui-status-cannot-write-shop-toml = No se puede escribir shop.toml: { $error }.
tui-status-cannot-read-indexes = No se puede leer indexes.sql: { $error }.
tui-status-load-starting = { $lab }: arrancando una tienda con tu shop.toml y su tráfico (d la detiene).
tui-status-load-stopped-for-checks = Carga del panel detenida: las comprobaciones miden solas (dos cargas a la vez se falsean una a otra). d en el laboratorio la vuelve a arrancar.
tui-status-running-shop-patched = Tienda en marcha: { $patch }
tui-status-running-shop-refused = La tienda en marcha rechazó { $patch }: { $status }.
tui-status-running-shop-silent = La tienda en marcha no respondió: { $error }.

## Errores que cierran la TUI

tui-error-signals = perflab no puede escuchar las señales del sistema: { $error }.
tui-error-draw = perflab no puede dibujar en la terminal: { $error }.
tui-error-read = perflab no puede leer la terminal: { $error }.
