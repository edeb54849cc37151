# perflab report (src/cli/html_report.rs): el informe HTML que entrega el
# estudiante, hecho a partir del fichero de progreso del espacio de trabajo.

handin-title = { $course } — informe de laboratorios
handin-generated = Generado el { $at } a partir de progress.json.
handin-grade = Nota
handin-score = Nota según el progreso: { $score } / 100 (aquí un laboratorio no superado cuenta 0; perflab grade ejecuta las comprobaciones y da puntos parciales).
handin-baseline = Línea base
handin-baseline-at = Lo que midió el laboratorio 1.1 con todas las optimizaciones apagadas ({ $at }): los objetivos relativos de los laboratorios siguientes se comparan con ella.
handin-column-lab = laboratorio
handin-column-category = categoría
handin-column-points = puntos
handin-column-max = de
handin-column-check = comprobación
handin-column-target = objetivo
handin-column-first = primer intento
handin-column-latest = último intento
handin-lab-passed = superado
handin-lab-not-passed = aún no superado
handin-attempts = { $attempts ->
    [one] Un intento
   *[other] { $attempts } intentos
  }; { $state }.
handin-no-history = { $attempts ->
    [0] Aún sin intentar.
   *[other] { $attempts } intentos, de antes de que perflab guardara los valores de cada intento: nada que dibujar.
  }
handin-axis-attempt = intento
handin-written = Informe escrito en { $path }: un solo fichero, se abre sin red.
handin-unwritable = No se puede escribir el informe en { $path }: { $error }.
