# The span breakdown panel (src/tui/ui/dashboard.rs, lab 4.2).

tui-dashboard-breakdown = Breakdown by part (ms per request; the dominant part)
tui-dashboard-breakdown-empty = No requests in the breakdown yet.
tui-dashboard-breakdown-off = The breakdown is off: turn on monitoring.breakdown.

tui-dashboard-profile-waiting = CPU profile: the first one is being taken (3 s under the load).
tui-dashboard-profile-idle = CPU profile ({ $seconds } s): nothing was on the CPU — is the load running?
tui-dashboard-profile = Where the CPU was ({ $seconds } s, { $samples } samples; flamegraph: perflab profile):
