# The TUI's first screen when this machine lacks PostgreSQL, its pg_trgm
# extension or Redis (src/tui/ui/setup.rs, src/tui/mod.rs): what is missing,
# the exact commands that install it with the package manager, and the
# question. Variables: $missing names what is missing (PostgreSQL, pg_trgm,
# Redis), $manager the package manager's program (apt-get, dnf, brew),
# $error why it could not be done (a message of services.ftl).

tui-setup-title = What is missing
tui-setup-missing = This machine lacks { $missing } for the course.
tui-setup-plan = perflab can install it with { $manager }. It will run these commands:
tui-setup-handover = While they run, the terminal is { $manager }'s: you see what it does. Then perflab comes back here and starts PostgreSQL and Redis.
tui-setup-sudo = sudo may ask for your password.
tui-setup-ask = Install it? [y/N]
tui-setup-declined = Nothing was installed.
tui-setup-failed = The install did not finish: { $error }
tui-setup-by-hand = To install it: y here, or `perflab doctor --fix` in another terminal (or the commands above by hand), then open perflab again.

tui-setup-keys-ask = y install · n do not install · Tab screens · q quit
tui-setup-keys-again = y install now · Tab screens · q quit
tui-setup-keys-none = Tab screens · q quit

tui-setup-status-ask = { $missing } missing: perflab can install it.
tui-setup-status-no-postgres = Without PostgreSQL the shop cannot start: install it and open perflab again.
tui-setup-status-installed = Installed. Starting PostgreSQL and Redis…

# Written to the terminal during the install, with the TUI stepped aside.
tui-install-start = perflab installs { $missing } with { $manager }. Ctrl-C interrupts it.
tui-install-press-enter = Press Enter to go back to perflab.
