# Messages of the checks (src/check). Variables: $kind is the check's kind
# (latency, hit_ratio…), $target the target in words.

check-could-not-measure = The { $kind } check ({ $target }) could not measure: { $error }.
check-timed-out = The { $kind } check hit its time limit of { $limit } before it finished measuring. Is the shop answering? Look at /health.

check-needs-control = { $kind } does not apply: it needs the shop's control API, which --target URL does not have.
check-needs-database = { $kind } does not apply: it needs direct access to the shop's database (DATABASE_URL), which --target URL does not have.
check-needs-process = { $kind } does not apply: it needs the shop's process (the runner that started it has it) to read its memory.
check-needs-peer = { $kind } does not apply: it needs a second instance of the shop, and --target URL gives only one.
check-needs-redis-server = { $kind } does not apply: it needs to stop and start the shop's Redis, which it can do only with the private Redis the runner starts.
check-needs-baseline = { $kind }: the target is relative to your baseline and there is none yet. Pass lab 1.1-baseline first.

check-target-met = Target met.
