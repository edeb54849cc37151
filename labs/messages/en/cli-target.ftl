# perflab check and perflab grade with --target URL (src/lab/targets.rs,
# src/lab/runner.rs): they speak of the measured API's behaviour, never of
# perflab's settings. $url is the URL given to --target.

target-bad-url = `{ $url }` is not a URL perflab can measure ({ $reason }); give it whole, like http://127.0.0.1:8000.
target-baseline-unreadable = Cannot read the baseline saved in { $path }: { $error }.
target-baseline-corrupt = The baseline saved in { $path } cannot be read ({ $reason }); delete it and measure it again with perflab check 1.1 --target URL.
target-baseline-unsaved = Could not save the baseline in { $path }: { $error }. What was measured is shown above but was not saved.
target-baseline-saved = Baseline of { $url } saved in { $path }: the baseline-relative checks against this API compare with it.

# They replace a check's "does not apply" when measuring with --target.
target-needs-peer = { $kind } does not apply: it tests that two instances of your API share the cache, and only one was given. Start a second instance on the same database and Redis and pass it with --peer URL.
target-needs-baseline = { $kind } does not apply: its target is relative to this API's baseline ({ $url }), and there is none yet. Measure it first with perflab check 1.1 --target { $url } (with your API's cache off).
