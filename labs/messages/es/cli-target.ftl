# perflab check y perflab grade con --target URL (src/lab/targets.rs,
# src/lab/runner.rs): hablan del comportamiento de la API medida, nunca de los
# ajustes de perflab. $url es la URL dada a --target.

target-bad-url = `{ $url }` no es una URL que perflab pueda medir ({ $reason }); dala completa, como http://127.0.0.1:8000.
target-baseline-unreadable = No se puede leer la línea base guardada en { $path }: { $error }.
target-baseline-corrupt = La línea base guardada en { $path } no se puede leer ({ $reason }); bórrala y vuelve a medirla con perflab check 1.1 --target URL.
target-baseline-unsaved = No se pudo guardar la línea base en { $path }: { $error }. Lo medido se muestra arriba pero no se guardó.
target-baseline-saved = Línea base de { $url } guardada en { $path }: las comprobaciones relativas a la línea base contra esta API se comparan con ella.

# Sustituyen al "no aplica" de la comprobación cuando se mide con --target.
target-needs-peer = { $kind } no aplica: comprueba que dos instancias de tu API comparten la caché, y solo se ha dado una. Arranca una segunda instancia sobre la misma base de datos y el mismo Redis y pásala con --peer URL.
target-needs-baseline = { $kind } no aplica: su objetivo es relativo a la línea base de esta API ({ $url }), y aún no hay ninguna. Mídela primero con perflab check 1.1 --target { $url } (con la caché de tu API apagada).
