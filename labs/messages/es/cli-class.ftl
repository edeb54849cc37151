# perflab grade --class FICHERO (src/cli/class.rs): las API de una clase
# calificadas una tras otra, y una tabla al final. Lo lee el profesor.

class-line-malformed = { $file } línea { $line }: se esperaba `nombre URL` (un nombre sin espacios y la URL de la API), y hay `{ $found }`.
class-line-bad-url = { $file } línea { $line }: { $problem }
class-line-duplicate = { $file } línea { $line }: el nombre { $name } ya está en la clase; da a cada estudiante un nombre propio.
class-empty = { $file } no nombra a ningún estudiante: escribe una línea `nombre URL` por estudiante.
class-unreadable = No se puede leer el fichero de la clase { $file }: { $error }.
class-no-classroom = --format classroom es el resultado de un solo estudiante; con --class usa --format human, csv o json.
class-csv-needs-class = --format csv es la tabla de una clase: dásela con --class FICHERO.
class-student = ── { $name } ({ $url }) ──
class-lab-started = { $name }: laboratorio { $lab }…
class-skipped = { $name }: sin calificar — { $problem }
class-unreachable = la API no responde en { $url } ({ $error }); no se pudo medir nada.
class-not-contract = { $url } no es un documento OpenAPI (respondió { $what }): no es la API del curso; no se midió nada.
class-stopped = la API dejó de responder durante el laboratorio { $lab } ({ $problem }); los laboratorios siguientes no se midieron.
class-reason-failed = fallan: { $labs }
class-reason-error = no se pudo medir: { $labs }
class-title = La clase — { $students ->
    [one] un estudiante
   *[other] { $students } estudiantes
  }
class-column-name = nombre
class-column-score = nota
class-column-performance = rend.
class-column-monitoring = monit.
class-column-code = código
class-column-status = estado
class-status-pass = aprobado
class-status-fail = suspenso
class-status-error = sin medir
class-rules = Cada estudiante se califica como perflab grade --target califica una API; lo que no se pudo medir vale 0. Código de salida 1 si algún estudiante no aprueba.
