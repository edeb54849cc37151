# perflab grade --class FILE (src/cli/class.rs): a class's APIs graded one
# after another, then one table. Read by the instructor.

class-line-malformed = { $file } line { $line }: expected `name URL` (a name without spaces, then the API's URL), found `{ $found }`.
class-line-bad-url = { $file } line { $line }: { $problem }
class-line-duplicate = { $file } line { $line }: the name { $name } is already in the class; give each student a name of their own.
class-empty = { $file } names no student: write one `name URL` line per student.
class-unreadable = Cannot read the class file { $file }: { $error }.
class-no-classroom = --format classroom is one student's result; with --class use --format human, csv or json.
class-csv-needs-class = --format csv is the class table: give it the class with --class FILE.
class-student = ── { $name } ({ $url }) ──
class-lab-started = { $name }: lab { $lab }…
class-skipped = { $name }: not graded — { $problem }
class-unreachable = the API does not answer at { $url } ({ $error }); nothing could be measured.
class-not-contract = { $url } is not an OpenAPI document (it answered { $what }): this is not the course's API; nothing was measured.
class-stopped = the API stopped answering during lab { $lab } ({ $problem }); the labs after it were not measured.
class-reason-failed = failing: { $labs }
class-reason-error = could not measure: { $labs }
class-title = The class — { $students ->
    [one] one student
   *[other] { $students } students
  }
class-column-name = name
class-column-score = score
class-column-performance = perf.
class-column-monitoring = monit.
class-column-code = code
class-column-status = status
class-status-pass = pass
class-status-fail = fail
class-status-error = not measured
class-rules = Each student is graded as perflab grade --target grades one API; what could not be measured scores 0. Exit code 1 when any student does not pass.
