# Messages of `perflab doctor` and `perflab doctor --fix` (src/cli/doctor.rs,
# src/services/install.rs). Variables: $missing names what is missing
# (PostgreSQL, pg_trgm, Redis), $manager the package manager's program
# (apt-get, dnf, brew), $command a command line, $status how it ended.

doctor-can-run = The shop can run.
doctor-cannot-run = The shop cannot run until PostgreSQL is available (see above).

doctor-label-where = where
doctor-label-reachable = reachable
doctor-label-version = version
doctor-label-database = database
doctor-label-problem = problem
doctor-label-why = why

doctor-yes = yes
doctor-no = no
doctor-origin-configured = configured URL
doctor-origin-local = local default server
doctor-origin-scratch = scratch server
doctor-database-created = "{ $name }" (created there on first use if missing)
doctor-postgres-would-start = nothing answers at { $local }; perflab would start a private scratch cluster from { $from }
doctor-postgres-would-start-as = nothing answers at { $local }; perflab would start a private scratch cluster from { $from }, running as user { $user }
doctor-postgres-not-yet = not yet (started on demand, removed on exit)
doctor-pg-trgm-available = available
doctor-pg-trgm-missing = MISSING: lab 2.2 needs it; install the { $package } package (or run perflab doctor --fix), then restart PostgreSQL
doctor-pg-trgm-unknown = unknown until the server starts
doctor-redis-would-start = nothing answers at { $local }; perflab would start a scratch { $binary }
doctor-redis-not-yet = not yet (started on demand, stopped on exit)
doctor-redis-missing = no: the shop will run without a cache

doctor-fix-nothing = Nothing to install: PostgreSQL, pg_trgm and Redis are here.
doctor-fix-plan = Missing: { $missing }. perflab will run, with { $manager }:
doctor-fix-ask = Run these commands? [y/N]
# The answers that mean yes, separated by spaces; anything else is no.
doctor-fix-yes-words = y yes
doctor-fix-declined = nothing was installed (you answered no).
doctor-fix-refused = doctor --fix would install { $missing } with { $manager } but has no terminal to ask: run `perflab doctor --fix --yes` to install without asking.
doctor-fix-already-done = ({ $status }: `{ $program }` had already been done; going on)
doctor-fix-installed = Installed. Looking again:

install-no-manager = perflab knows no package manager on this system (apt-get, dnf or brew): install PostgreSQL and Redis by hand (README.md, "Install by hand").
install-brew-as-root = Homebrew refuses to run as root: run `perflab doctor --fix` as your own user.
install-no-sudo = installing needs root and sudo is not installed: run `perflab doctor --fix` as root.
install-cannot-run = `{ $command }` could not run: { $cause }.
install-step-failed = `{ $command }` failed ({ $status }): fix what it says above, then run `perflab doctor --fix` again.
