# The span breakdown panel (src/tui/ui/dashboard.rs, lab 4.2).

tui-dashboard-breakdown = Breakdown by part (ms per request; the dominant part)
tui-dashboard-breakdown-empty = No requests in the breakdown yet.
tui-dashboard-breakdown-off = The breakdown is off: turn on monitoring.breakdown.
