# Los informes de perflab check (src/cli/report.rs) y la nota de perflab grade
# (src/cli/grade.rs). Los puntos llegan ya escritos con dos decimales.

report-could-not-run = No se pudo ejecutar: { $error }
report-lab-passed = superado
report-lab-not-yet = aún no

grade-title = Nota — { $course }
grade-category = { $name } ({ $weight } %): { $points } / { $max }
grade-category-performance = rendimiento
grade-category-monitoring = monitorización
grade-category-code = código
grade-lab-checks = { $passed }/{ $applicable } comprobaciones
grade-lab-not-attempted = sin intentar
grade-lab-not-applicable = ninguna comprobación aplica a esta API; no cuenta
grade-lab-could-not-run = no se pudo ejecutar
grade-block-without-labs = Bloque { $block } ({ $title }): aún no hay laboratorios en este paquete.
grade-classroom-lab = { $id }: { $points } / { $max } ({ $state })
grade-redo = Para sumar puntos:
grade-redo-lab = { $lab }: +{ $gain } (fallan: { $checks }; perflab check { $lab } dice por qué)
grade-redo-lab-not-run = { $lab }: +{ $gain } (no pudo ejecutarse; perflab check { $lab } dice por qué)
grade-redo-not-attempted = { $count ->
    [one] un laboratorio sin intentar
   *[other] { $count } laboratorios sin intentar
  }: +{ $gain }
grade-total = Nota: { $score } / 100 — { $status }
grade-status-pass = ninguna comprobación falló.
grade-status-fail = suspendida: al menos una comprobación falló (✗ arriba).
grade-status-error = incompleta: algo no se pudo medir (! arriba), sin culpa tuya; vuelve a ejecutar perflab grade.
grade-rules = Cada categoría pesa lo que en el curso (rendimiento 40 %, monitorización 30 %, código 30 %), tenga laboratorios o no; dentro de ella cada laboratorio pesa lo mismo y puntúa la parte de sus comprobaciones que pasa; uno sin intentar vale 0.
