# The TUI's words (src/tui): tabs, key and status lines, panel titles and
# the text of the Today, Labs, Lab, Dashboard and Settings screens. Panel
# titles come without surrounding spaces: the code adds them. What each
# setting means is in settings.ftl; the screen of what is missing, in
# tui-setup.ftl.

## Tabs and key lines (the code puts each tab's number)

tui-tab-today = Today
tui-tab-labs = Labs
tui-tab-lab = Lab
tui-tab-dashboard = Dashboard
tui-tab-settings = Settings
tui-free-mode = free mode

tui-keys-today = Tab screens · Enter current lab · L language · q quit
tui-keys-labs = ↑↓ choose · Enter open · / search · L language · q quit
tui-keys-search = type to filter · Enter done · Esc clears the search · Ctrl-C quit
tui-keys-lab = c check · d load · h hint · s solution · r reset · b cache · ←→ pane · q quit
tui-keys-lab-running = checking… · d load · h hint · s solution · ←→ pane · q quit
tui-keys-dashboard = d stops the load · 3 back to the lab · q quit
tui-keys-dashboard-stopped = d starts the load again (a new shop) · 3 back to the lab · q quit
tui-keys-dashboard-none = 3 back to the lab · q quit
tui-keys-settings = ↑↓ choose · ←→ change (written to shop.toml and the running shop) · q quit

tui-confirm-solution = Show the solution? It is recorded. Enter: yes · any other key: no
tui-confirm-reset = Back to the lab's starting state? (a .bak copy is kept) Enter: yes · any other key: no

## Today

tui-today-free = Free mode: no timetable; go at your own pace.
tui-today-before = The course starts in { $minutes } min.
tui-today-block = Now: block { $number }, { $title } — { $left } min left
tui-today-block-before-break = Now: block { $number }, { $title } — { $left } min left · break in { $pause } min
tui-today-break = Mandatory break: { $left } min left. Stand up.
tui-today-after = The day is over: { $passed } of { $total } labs passed. Go on at your own pace, without a timetable: perflab --free
tui-today-block-label = Block { $number }
tui-today-break-label = Break
tui-today-end-label = End of the day
tui-today-coming = (coming)
tui-today-timetable = Timetable
tui-today-progress = Progress

## Labs

tui-labs-title = Labs
tui-labs-search-hint = / to search
tui-labs-attempts = { $count ->
    [one] 1 attempt
   *[other] { $count } attempts
}
tui-labs-hints = hints { $count }
tui-labs-solution-seen = solution seen

## Lab

tui-lab-hint = Hint { $number }/{ $total }
tui-lab-solution = Solution
tui-lab-checks = Checks
tui-lab-settings = backend { $backend } · { $invalidation } · ttl { $ttl } · { $endpoints ->
    [one] 1 cached route
   *[other] { $endpoints } cached routes
} · pool { $pool } · { $loading }
tui-lab-settings-keys = b: switch cache.backend · e: edit shop.toml · i: edit indexes.sql
tui-lab-checks-not-run = c: starts the shop with your shop.toml and measures.
tui-lab-not-ready = PostgreSQL and Redis are not ready yet (see the status line).
tui-lab-checks-running = Measuring with a shop of its own (the result appears here):
tui-lab-passed = Passed! n: next lab.
tui-lab-not-passed = Not passed: { $failed } of { $total } checks fail (details below).
tui-lab-popup-close = ↑↓ scroll · any other key closes

## Dashboard

tui-dashboard-no-load = No load. In a lab, d starts its traffic against your shop and shows it here.
tui-dashboard-traffic-users = { $traffic }, { $users } users
tui-dashboard-running = running
tui-dashboard-finished = finished
tui-dashboard-dead = shop down
tui-dashboard-silent = shop not answering
tui-dashboard-shop-died = The shop (perflab serve, pid { $pid }) ended: { $how }. The load stopped; d starts another shop and the load.
tui-dashboard-shop-silent = The shop does not answer /health ({ $failed ->
    [one] 1 probe
   *[other] { $failed } probes in a row
}): the grey numbers are old.
tui-exit-code = it exited with code { $code }
tui-exit-signal = signal { $signal } ({ $name }) killed it
tui-exit-unknown = no exit status
tui-dashboard-p95-target = p95 target { $ms } ms
tui-dashboard-p95-target-off = p95 target { $ms } ms (↑ off)
tui-dashboard-slowest = slowest:
tui-dashboard-target-vs-baseline = baseline { $base } ms ÷ { $factor }
tui-dashboard-target-no-baseline = no baseline: measure 1.1
tui-dashboard-now = Now
tui-dashboard-hit-ratio = Cache 3 s ≥ { $target } %
tui-dashboard-memory = Memory < { $target } MB
tui-dashboard-memory-now = { $now } MB · peak { $peak } MB
tui-dashboard-connections = Connections < { $target }
tui-dashboard-status-codes = Codes ({ $requests })
tui-dashboard-no-answer = no answer { $count }
tui-dashboard-rate-limits = 429s per user
tui-dashboard-no-users = no logged-in users
tui-dashboard-429-over-time = 429/s: { $now } now, { $peak } at most
tui-dashboard-budget-left = { $left } left
tui-dashboard-budget-unknown = — left
tui-dashboard-plan = Plan (EXPLAIN ANALYZE)
tui-dashboard-log = Request log (last lines)
tui-dashboard-log-empty = Nothing logged yet: is middleware.request_log on?

## Settings

tui-settings-title = shop.toml settings (● this lab's)
tui-settings-unreadable = shop.toml cannot be read: the status line says why (e edits it on the Lab screen).

## Status line

tui-status-starting = Starting PostgreSQL and Redis…
tui-status-ready = PostgreSQL and Redis ready.
tui-status-ready-without-redis = PostgreSQL ready, no Redis: the shop runs without a cache (`perflab doctor` says why).
tui-status-not-ready = PostgreSQL and Redis are not ready yet.
tui-status-shop-toml-saved = shop.toml saved: c measures with it.
tui-status-indexes-saved = indexes.sql saved: c applies it and measures.
tui-status-editor-failed = { $editor }: { $error }. Set the EDITOR variable to your editor (for example EDITOR=nano).
tui-status-switched = shop.toml: { $patch }
tui-status-reset = { $lab }: starting state in shop.toml (copy in { $backup }).
tui-status-no-such-lab = There is no lab { $lab }.
tui-status-cannot-write-shop-toml = Cannot write shop.toml: { $error }.
tui-status-cannot-read-indexes = Cannot read indexes.sql: { $error }.
tui-status-load-starting = { $lab }: starting a shop with your shop.toml and its traffic (d stops it).
tui-status-load-stopped-for-checks = Dashboard load stopped: the checks measure alone (two loads at once skew each other). d in the lab starts it again.
tui-status-running-shop-patched = Running shop: { $patch }
tui-status-running-shop-refused = The running shop refused { $patch }: { $status }.
tui-status-running-shop-silent = The running shop did not answer: { $error }.

## Errors that end the TUI

tui-error-signals = perflab cannot listen for the system's signals: { $error }.
tui-error-draw = perflab cannot draw on the terminal: { $error }.
tui-error-read = perflab cannot read the terminal: { $error }.
