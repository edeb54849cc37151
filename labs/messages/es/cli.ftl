# La línea de órdenes (src/cli): list, show, hint, solution, reset, init, el
# espacio de trabajo y el progreso, y los errores de check que el estudiante
# puede arreglar. $lab es el id de un laboratorio (1.3-cache-aside).

cli-no-such-lab = No hay ningún laboratorio `{ $lab }`; perflab list los muestra.
cli-cwd-unreadable = No se puede leer la carpeta actual: { $error }.
cli-not-in-workspace = { $dir } no está dentro de un espacio de trabajo de perflab; crea uno con perflab init y entra en él con cd.

workspace-create-failed = No se puede crear { $path }: { $error }. Comprueba que la carpeta admite escritura y vuelve a ejecutar perflab init (lo que ya existe se conserva).
workspace-not-one = { $dir } no es un espacio de trabajo de perflab; ejecuta perflab init allí para crearlo.
workspace-marker-unreadable = La marca del espacio de trabajo { $path } no se puede leer ({ $reason }); bórrala y vuelve a ejecutar perflab init en su carpeta (tus archivos se conservan).
workspace-too-new = El espacio de trabajo { $path } lo hizo un perflab más nuevo (versión { $found }; este conoce hasta la { $supported }); actualiza perflab para usarlo.

progress-unreadable = No se puede leer el archivo de progreso { $path }: { $error }. No se ha cambiado nada; revisa sus permisos y vuelve a ejecutar perflab.
progress-too-new = El archivo de progreso { $path } lo escribió un perflab más nuevo (versión { $found }; este lee hasta la { $supported }). Se ha dejado intacto; actualiza perflab para seguir.
progress-backup-failed = El archivo de progreso { $path } está dañado ({ $reason }) y no se pudo apartar a { $backup }: { $error }. No se ha cambiado nada; apártalo tú (o da permiso de escritura a su carpeta) y vuelve a ejecutar perflab.
progress-save-failed = No se pudo guardar el progreso en { $path }: { $error }. El archivo conserva su último guardado completo; comprueba que su carpeta existe, admite escritura y que queda espacio en disco.
progress-recovered = Tu archivo de progreso estaba dañado ({ $cause }); se ha movido a { $backup } y no se ha perdido nada. Se empieza con el progreso vacío.

list-block = Bloque { $block } — { $title } ({ $passed }/{ $labs })
list-here = ← aquí

show-edits = Editas: { $edits }. Para empezar desde el estado inicial del laboratorio: perflab reset { $lab }
show-checks = Comprobaciones:
show-check = { $id } ({ $kind }): { $target }
show-hints = Pistas: perflab hint { $lab } ({ $count } en total)

hint-line = Pista { $number }/{ $total }: { $hint }
hint-none-left = No quedan más pistas. La solución: perflab solution { $lab }

solution-how-to-apply = Para escribirla en tu espacio de trabajo: perflab solution { $lab } --apply
solution-all = Las soluciones de { $count } laboratorios: { $labs }.
solution-all-how-to-apply = Para escribirlas todas en tu espacio de trabajo, en este orden: perflab solution --all --apply
solution-not-applied = No se pudo aplicar la solución: { $reason }.
solution-shop-toml-applied = shop.toml actualizado (el anterior está en { $backup }).
solution-shop-toml-unchanged = shop.toml ya tenía la solución; no ha cambiado.
solution-indexes-unwritten = No se pudo escribir indexes.sql: { $error }.
solution-indexes-applied = indexes.sql reemplazado (el anterior está en { $backup }).
solution-indexes-unchanged = indexes.sql ya tenía la solución; no ha cambiado.

reset-every-lab = todos los laboratorios
reset-nothing-changed = No ha cambiado nada.
reset-done = { $what }: estado inicial restaurado (tus archivos anteriores están en { $backups }).
reset-done-unchanged = { $what }: tus archivos ya estaban en el estado inicial; no ha cambiado nada en ellos y el progreso del laboratorio se ha olvidado.
reset-unwritten = No se puede escribir en el espacio de trabajo: { $error }.
reset-needs-yes = perflab reset pide confirmación y no hay un terminal donde preguntar; añade --yes.
reset-confirm = ¿Restaurar el estado inicial de { $what }? Se guardan copias .bak. [s/N]
reset-no-answer = No se pudo leer la respuesta: { $error }.

init-already = { $dir } ya es un espacio de trabajo de perflab; no ha cambiado nada.
init-made = Espacio de trabajo de perflab en { $dir }:
init-created = creado { $file }
init-workflow-failed = no se puede escribir { $file }: { $error }

run-interrupted = Interrumpido: las tiendas y servidores que arrancó perflab están parados y el progreso medido hasta ahora está guardado.
run-indexes-unreadable = No se puede leer indexes.sql: { $error }.
