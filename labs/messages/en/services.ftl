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

# Why there is no PostgreSQL or Redis (src/services/mod.rs, redis.rs): what
# doctor, serve, seed, check and the TUI's first screen print.
# $cause is the server's or the system's own words, as they are.
service-pg-configured-down = PostgreSQL at { $url } (the configured database URL) does not answer: { $cause }. Check that the server runs and the URL is right, or unset DATABASE_URL to use the local server.
service-pg-configured-refused = PostgreSQL at { $url } (the configured database URL) answers but refused perflab: { $cause }. Check the user, password and database name in the URL (`createdb` creates a missing database), or unset DATABASE_URL to use the local server.
service-pg-refused = the PostgreSQL server at { $addr } refused perflab (tried users { $users }): { $cause }. Give your user a role (`sudo -u postgres createuser --createdb { $user }`) or set DATABASE_URL to a URL with a user and password that may connect.
service-pg-unanswered = the PostgreSQL server at { $addr } answers but did not tell its version: { $cause }.
service-pg-create-database = cannot create the database "{ $name }" on { $addr }: { $cause }. Create it yourself (`createdb { $name }`) or set DATABASE_URL to a database perflab may use.
service-pg-none = no PostgreSQL: nothing answers at { $local } ({ $cause }) and { $why }. Install the server (`perflab doctor --fix`) or set DATABASE_URL.
service-pg-scratch-failed = cannot start a scratch PostgreSQL cluster: { $step } failed: { $cause }. Set DATABASE_URL to a running server instead.
service-step-directory = creating its directory
service-step-initdb = initdb
service-step-free-port = finding a free port
service-step-start = starting the server
service-step-create-database = creating the database
service-step-version = asking its version
service-no-scratch-disabled = scratch servers are disabled (PERFLAB_SCRATCH=false or scratch = false)
service-no-scratch-pg-binaries = no PostgreSQL server binaries (initdb, postgres) were found in PATH or /usr/lib/postgresql/*/bin to start a scratch cluster
service-no-scratch-root = perflab runs as root, which initdb refuses, and neither a `postgres` nor a `nobody` user exists to run a scratch cluster as (run perflab as a normal user)
service-no-scratch-redis-binary = no redis-server is in PATH to start a scratch one
service-no-scratch-redis-failed = a scratch redis-server did not start: { $cause }
service-redis-disabled = Redis is turned off (PERFLAB_REDIS=off or enabled = false under [redis])
service-redis-configured-down = Redis at { $url } (the configured REDIS_URL) does not answer: { $cause }; the shop runs without a cache; to get one, `perflab doctor --fix` or set REDIS_URL
service-redis-none = nothing answers at { $local } ({ $cause }) and { $why }; the shop runs without a cache; to get one, `perflab doctor --fix` or set REDIS_URL
