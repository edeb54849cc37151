# perflab report (src/cli/html_report.rs): the HTML report a student hands
# in, built from the workspace's progress file.

handin-title = { $course } — lab report
handin-generated = Generated { $at } from progress.json.
handin-grade = Grade
handin-score = Grade from progress: { $score } / 100 (a lab not passed counts 0 here; perflab grade runs the checks and gives partial points).
handin-baseline = Baseline
handin-baseline-at = What lab 1.1 measured with every optimisation off ({ $at }): the later labs' relative targets compare with it.
handin-column-lab = lab
handin-column-category = category
handin-column-points = points
handin-column-max = of
handin-column-check = check
handin-column-target = target
handin-column-first = first attempt
handin-column-latest = latest attempt
handin-lab-passed = passed
handin-lab-not-passed = not passed yet
handin-attempts = { $attempts ->
    [one] One attempt
   *[other] { $attempts } attempts
  }; { $state }.
handin-no-history = { $attempts ->
    [0] Not attempted yet.
   *[other] { $attempts } attempts, from before perflab kept each attempt's values: nothing to draw.
  }
handin-axis-attempt = attempt
handin-written = Report written to { $path }: one file, it opens without a network.
handin-unwritable = Cannot write the report to { $path }: { $error }.
