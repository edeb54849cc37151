# Messages of the check engine (src/check/mod.rs, context.rs, verdict.rs).
# Variables: $kind is the check's kind (latency, hit_ratio…), $target the
# target in words, $mode "shop" when perflab's shop is measured (its
# shop.toml) and "target" when another API is, with --target URL.

check-could-not-measure = The { $kind } check ({ $target }) could not measure: { $error }.
check-timed-out = { $mode ->
    [target] The { $kind } check hit its time limit of { $limit } before it finished measuring. Is the API answering? Look at its /health.
   *[shop] The { $kind } check hit its time limit of { $limit } before it finished measuring. Is the shop answering? Look at /health.
}

check-needs-control = { $kind } does not apply: it needs the shop's control API, which --target URL does not have.
check-needs-database = { $kind } does not apply: it needs direct access to the shop's database (DATABASE_URL), which --target URL does not have.
check-needs-process = { $kind } does not apply: it needs the shop's process (the runner that started it has it) to read its memory.
check-needs-peer = { $kind } does not apply: it needs a second instance of the API (--peer URL), and there is only one.
check-needs-log-file = { $kind } does not apply: it reads the API's request log file, which perflab only has for its own shop.
check-needs-redis-server = { $kind } does not apply: it needs to stop and start the shop's Redis, which it can do only with the private Redis the runner starts.
check-needs-baseline = { $mode ->
    [target] { $kind } does not apply: the target is relative to a baseline, and none was measured against this API.
   *[shop] { $kind }: the target is relative to your baseline and there is none yet. Pass lab 1.1-baseline first.
}

check-target-met = Target met.
# $slower: "yes" when the p95 is worse than the baseline's; $factor already has one decimal.
check-vs-baseline = { $slower ->
    [yes] p95 { $factor }× slower than your baseline
   *[no] p95 { $factor }× better than your baseline
}

# Why a check could not measure (CheckError). $error is the technical detail,
# as the library that failed gave it.
check-error-http = the request to { $url } failed ({ $error })
check-error-status = { $url } answered { $status } ({ $body })
check-error-no-token = { $url } returned no access_token when logging in as the fixtures' admin
check-error-no-price = { $url } returned no numeric price
check-error-no-query-count = { $url } carries no numeric X-Query-Count header
check-error-not-json = { $url } answered { $status } with a body that is not JSON
check-error-no-execution-time = the plan from { $url } has no Execution Time
check-error-load = the load generator failed ({ $error })
check-error-database = the database failed ({ $error })
check-error-redis-restart = Redis at { $url } could not be started again ({ $error })
check-error-task = a task of the check failed ({ $error })
check-error-write-share = writes were { $measured } of the requests, not the { $wanted } the target asks for, so the measurement does not count: are writes very slow, or is the machine busy? Check again on a quiet machine
check-error-spec = the lab misconfigures the check ({ $error })
