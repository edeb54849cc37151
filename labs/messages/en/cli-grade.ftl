# The reports of perflab check (src/cli/report.rs) and the grade of perflab
# grade (src/cli/grade.rs). Points arrive already written with two decimals.

report-could-not-run = Could not run: { $error }
report-lab-passed = passed
report-lab-not-yet = not yet

grade-title = Grade — { $course }
grade-category = { $name } ({ $weight } %): { $points } / { $max }
grade-category-performance = performance
grade-category-monitoring = monitoring
grade-category-code = code
grade-lab-checks = { $passed }/{ $applicable } checks
grade-lab-not-attempted = not attempted
grade-lab-not-applicable = no check applies to this API; not counted
grade-lab-could-not-run = could not run
grade-block-without-labs = Block { $block } ({ $title }): no labs in this pack yet.
grade-classroom-lab = { $id }: { $points } / { $max } ({ $state })
grade-redo = To gain points:
grade-redo-lab = { $lab }: +{ $gain } (failing: { $checks }; perflab check { $lab } says why)
grade-redo-lab-not-run = { $lab }: +{ $gain } (it could not run; perflab check { $lab } says why)
grade-redo-not-attempted = { $count ->
    [one] one lab not attempted
   *[other] { $count } labs not attempted
  }: +{ $gain }
grade-total = Grade: { $score } / 100 — { $status }
grade-status-pass = no check failed.
grade-status-fail = failing: at least one check failed (✗ above).
grade-status-error = incomplete: something could not be measured (! above), not your doing; run perflab grade again.
grade-rules = Each category weighs what it does in the course (performance 40 %, monitoring 30 %, code 30 %), with labs or not; within it every lab weighs the same and scores the share of its checks that pass; one not attempted is worth 0.
