//! The TUI end to end, as a student drives it: the real binary in a real
//! terminal (tmux, Debian's package, on a private socket), keys sent and the
//! screen read back with `capture-pane`. It opens on Today, moves to lab
//! 1.2, puts the lab's starting state in place, switches the cache backend
//! to Redis, runs the lab's checks and reads the verdict; `q` leaves the
//! terminal as it found it.
//!
//! And on a machine without Redis (nothing on its port, no `redis-server`
//! on PATH) whose package manager is a stand-in that writes down what it is
//! asked: Today offers the install; a no runs nothing and says what to run
//! by hand; a yes hands the terminal to the package manager — a failure is
//! shown there and waits for Enter —, and a yes that works comes back and
//! starts the services.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs (apt-get install tmux; .ci/run does)");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "tui"])
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "tui", key]);
        }
    }

    /// Waits until the screen shows `text`, or fails with the screen.
    fn wait_for(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return self.settled(screen, text);
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` not on screen after {limit:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// The screen once a frame is fully drawn: `screen` may have been
    /// captured halfway through one (the top lines new, the rest not yet),
    /// so capture again until two captures agree (or `text` goes away).
    fn settled(&self, mut screen: String, text: &str) -> String {
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(50));
            let again = self.screen();
            if again == screen || !again.contains(text) {
                break;
            }
            screen = again;
        }
        screen
    }

    /// Starts `command` in a 100×30 session of a private tmux server.
    fn start(command: &str) -> Self {
        Self::start_sized(command, 100, 30)
    }

    /// Starts `command` in a `width`×`height` session.
    fn start_sized(command: &str, width: u16, height: u16) -> Self {
        let (width, height) = (width.to_string(), height.to_string());
        let tmux = Tmux {
            socket: format!("perflab-test-{}-{}", std::process::id(), next_session()),
        };
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "tui",
            "-x",
            &width,
            "-y",
            &height,
            command,
        ]);
        tmux
    }
}

/// Tests run in parallel: one tmux server each.
fn next_session() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn a_student_switches_redis_on_and_passes_lab_1_2() {
    use common::Need;
    common::require(&[Need::Tmux, Need::Postgres, Need::Redis]);
    let database = common::database_url("tui_tmux");
    let dir = tempfile::tempdir().expect("temp dir");
    let start = (chrono::Local::now() - chrono::Duration::minutes(10)).format("%H:%M");
    let command = format!(
        "cd {dir} && LANG=en_US.UTF-8 PERFLAB_STATE_DIR={dir}/.state PERFLAB_SCALE=small \
         PERFLAB_SEED=7 DATABASE_URL={database} REDIS_URL=redis://127.0.0.1:6379 \
         {bin} --start {start}; echo EXITED $?; sleep 600",
        dir = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_perflab"),
    );
    let tmux = Tmux::start(&command);

    let today = tmux.wait_for("Timetable", Duration::from_secs(20));
    assert!(
        today.contains("Now: block 1, Caching with Redis"),
        "{today}"
    );
    tmux.wait_for("PostgreSQL and Redis ready", Duration::from_secs(60));

    tmux.keys(&["2"]);
    tmux.wait_for("/ to search", Duration::from_secs(5));
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("1.2-redis — Connect Redis", Duration::from_secs(5));
    tmux.keys(&["r"]);
    tmux.wait_for("Back to the lab's starting state?", Duration::from_secs(5));
    tmux.keys(&["Enter"]);
    tmux.wait_for("backend memory", Duration::from_secs(5));

    tmux.keys(&["b"]);
    tmux.wait_for("backend redis", Duration::from_secs(5));
    tmux.keys(&["c"]);
    let verdict = tmux.wait_for("Passed! n: next lab.", Duration::from_secs(90));
    assert!(verdict.contains("✓ redis-connected"), "{verdict}");

    tmux.keys(&["q"]);
    let after = tmux.wait_for("EXITED 0", Duration::from_secs(20));
    assert!(
        !after.contains("Timetable"),
        "the TUI's screen is gone:\n{after}"
    );
}

#[test]
fn at_80x24_a_student_changes_lab_1_3_and_reads_the_verdict_without_scrolling() {
    use common::Need;
    common::require(&[Need::Tmux, Need::Postgres, Need::Redis]);
    let database = common::database_url("tui_80x24");
    let dir = tempfile::tempdir().expect("temp dir");
    let command = format!(
        "cd {dir} && LANG=en_US.UTF-8 PERFLAB_STATE_DIR={dir}/.state PERFLAB_SCALE=small \
         PERFLAB_SEED=7 DATABASE_URL={database} REDIS_URL=redis://127.0.0.1:6379 \
         {bin} --free; echo EXITED $?; sleep 600",
        dir = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_perflab"),
    );
    let tmux = Tmux::start_sized(&command, 80, 24);
    tmux.wait_for("PostgreSQL and Redis ready", Duration::from_secs(60));
    tmux.keys(&["2", "Down", "Down", "Enter"]);
    tmux.wait_for("1.3-cache-aside", Duration::from_secs(5));
    tmux.keys(&["r"]);
    tmux.wait_for("Back to the lab's starting state?", Duration::from_secs(5));
    tmux.keys(&["Enter"]);
    tmux.wait_for("starting state in shop.toml", Duration::from_secs(5));

    // The change: product detail goes through the cache (Settings screen).
    tmux.keys(&["5"]);
    tmux.wait_for("[ ] product_detail", Duration::from_secs(5));
    tmux.keys(&["Down", "Right"]);
    tmux.wait_for("[x] product_detail", Duration::from_secs(5));

    tmux.keys(&["3", "c"]);
    tmux.wait_for("Measuring", Duration::from_secs(5));
    // The phase, with its clock: the hit ratio's 5 s warm-up and 4 s of
    // measuring leave time to see it.
    tmux.wait_for("1/3 hit-ratio: ", Duration::from_secs(60));
    let deadline = Instant::now() + Duration::from_secs(180);
    let screen = loop {
        let screen = tmux.screen();
        if screen.contains("Passed!") || screen.contains("Not passed:") {
            break screen;
        }
        assert!(Instant::now() < deadline, "no verdict on screen:\n{screen}");
        std::thread::sleep(Duration::from_millis(200));
    };
    // The verdict and every check's line are on the 80×24 screen as it
    // came, no key pressed.
    for check in ["hit-ratio", "detail", "x-cache"] {
        assert!(screen.contains(check), "`{check}` not in view:\n{screen}");
    }
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(30));
}

#[test]
fn perflab_check_shows_its_phase_on_a_terminal_and_nothing_in_a_pipe() {
    use common::Need;
    common::require(&[Need::Tmux, Need::Postgres, Need::Redis]);
    let database = common::database_url("tui_check_bar");
    let dir = tempfile::tempdir().expect("temp dir");
    let piped = dir.path().join("stderr.txt");
    let command = format!(
        "cd {dir} && export LANG=en_US.UTF-8 PERFLAB_STATE_DIR={dir}/.state PERFLAB_SCALE=small \
         PERFLAB_SEED=7 DATABASE_URL={database} REDIS_URL=redis://127.0.0.1:6379; \
         {bin} init ws >/dev/null && cd ws && {bin} check 1.3-cache-aside 2>{piped}; echo PIPED; \
         {bin} check 1.3-cache-aside; echo EXITED; sleep 600",
        dir = dir.path().display(),
        piped = piped.display(),
        bin = env!("CARGO_BIN_EXE_perflab"),
    );
    let tmux = Tmux::start_sized(&command, 100, 30);
    tmux.wait_for("PIPED", Duration::from_secs(120));
    let stderr = std::fs::read_to_string(&piped).expect("stderr captured");
    assert!(
        !stderr.contains("warm-up") && !stderr.contains('\u{1b}'),
        "no progress line in a pipe:\n{stderr}"
    );
    // On the terminal: the phase with its clock, then gone with the run.
    tmux.wait_for(
        "1/3 hit-ratio: warm-up (not counted)",
        Duration::from_secs(60),
    );
    let done = tmux.wait_for("EXITED", Duration::from_secs(120));
    assert!(
        !done.contains("measuring"),
        "the line is cleared at the end:\n{done}"
    );
}

/// The pids of the shop children whose settings file lies under `state`
/// (each run's is `<state>/runs/shop-*.toml`): this test's shops alone.
fn shops_of(state: &std::path::Path) -> Vec<i32> {
    let pattern = format!("serve --settings {}/runs/shop-", state.display());
    let output = Command::new("pgrep")
        .args(["-f", &pattern])
        .output()
        .expect("pgrep runs (procps)");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Polls `shops_of` until it holds a pid that `not` does not.
fn wait_for_shop(state: &std::path::Path, not: &[i32], limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(pid) = shops_of(state).into_iter().find(|p| !not.contains(p)) {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "no new shop child under {} after {limit:?}",
            state.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The TUI in English without the clock (`--free`), in `dir`, on the small
/// catalog of `database` and the machine's Redis.
fn free_tui(dir: &std::path::Path, state: &std::path::Path, database: &str) -> String {
    format!(
        "cd {dir} && LANG=en_US.UTF-8 PERFLAB_STATE_DIR={state} PERFLAB_SCALE=small \
         PERFLAB_SEED=7 DATABASE_URL={database} REDIS_URL={redis} \
         {bin} --free; echo EXITED $?; sleep 600",
        dir = dir.display(),
        state = state.display(),
        redis = common::LOCAL_REDIS_URL,
        bin = env!("CARGO_BIN_EXE_perflab"),
    )
}

/// `perflab --free` on a database of its own (`name`) in a `width`×`height`
/// terminal, once it has found PostgreSQL and Redis; the workspace's
/// directory and the state directory go with it.
fn free_session(
    name: &str,
    width: u16,
    height: u16,
) -> (tempfile::TempDir, std::path::PathBuf, Tmux) {
    let database = common::database_url(name);
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join(".state");
    let tmux = Tmux::start_sized(&free_tui(dir.path(), &state, &database), width, height);
    tmux.wait_for("PostgreSQL and Redis ready", Duration::from_secs(60));
    (dir, state, tmux)
}

#[test]
fn a_shop_killed_under_the_dashboard_is_named_and_one_key_restarts_the_load() {
    use common::Need;
    common::require(&[Need::Tmux, Need::Postgres, Need::Redis]);
    let (_dir, state, tmux) = free_session("tui_dead", 80, 24);
    tmux.keys(&["2", "Down", "Down", "Enter"]);
    tmux.wait_for("1.3-cache-aside", Duration::from_secs(5));
    tmux.keys(&["d"]);
    let shop = wait_for_shop(&state, &[], Duration::from_secs(60));
    // Served: its answers are counted.
    tmux.wait_for("│200 ", Duration::from_secs(60));

    // Frozen first (SIGSTOP): alive but silent, and the dashboard says so.
    let signal = |signal| {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(shop), signal).expect("signal the shop")
    };
    signal(nix::sys::signal::Signal::SIGSTOP);
    let silent = tmux.wait_for("does not answer /health", Duration::from_secs(10));
    assert!(silent.contains("shop not answering"), "{silent}");
    signal(nix::sys::signal::Signal::SIGKILL);
    let dead = tmux.wait_for("signal 9 (SIGKILL) killed it", Duration::from_secs(10));
    assert!(dead.contains(&format!("pid {shop}")), "{dead}");
    assert!(dead.contains("shop down"), "{dead}");
    assert!(dead.contains("d starts the load again"), "{dead}");

    tmux.keys(&["d"]);
    let again = wait_for_shop(&state, &[shop], Duration::from_secs(60));
    let screen = tmux.wait_for("running", Duration::from_secs(10));
    assert!(
        !screen.contains("SIGKILL"),
        "the banner went with the dead shop:\n{screen}"
    );
    assert_ne!(again, shop);

    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(30));
}

/// A PATH holding only stand-ins that write what they were asked into
/// `log`: apt-get (which fails once, with apt's exit code, while `fail-once`
/// exists next to the log), service, sudo (runs its command) and env (the
/// real one).
fn stand_in_package_manager(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let log = dir.join("ran.log");
    let fail_once = dir.join("fail-once");
    let apt = format!(
        "#!/bin/sh\necho \"apt-get $*\" >> '{log}'\n\
         if [ -e '{fail}' ]; then /bin/rm '{fail}'; echo 'E: stand-in failure' >&2; exit 100; fi\n",
        log = log.display(),
        fail = fail_once.display(),
    );
    let service = format!("#!/bin/sh\necho \"service $*\" >> '{}'\n", log.display());
    for (name, script) in [
        ("apt-get", apt.as_str()),
        ("service", service.as_str()),
        ("sudo", "#!/bin/sh\nexec \"$@\"\n"),
    ] {
        std::fs::write(bin.join(name), script).expect("write stand-in");
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755))
            .expect("make it executable");
    }
    std::os::unix::fs::symlink("/usr/bin/env", bin.join("env")).expect("env");
    bin
}

#[test]
fn a_machine_without_redis_is_offered_the_install_and_starts_after_it() {
    if std::fs::read_to_string("/etc/os-release").is_ok_and(|t| !t.contains("debian")) {
        return; // The stand-in is apt-get: a Debian-family machine's manager.
    }
    common::require(&[common::Need::Tmux, common::Need::Postgres]);
    let database = common::database_url("tui_setup");
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = stand_in_package_manager(dir.path());
    let log = dir.path().join("ran.log");
    std::fs::write(dir.path().join("fail-once"), "").expect("fail-once");
    let closed_redis = common::ClosedPort::new();
    // PATH is the stand-ins' alone for perflab: no redis-server there.
    let command = format!(
        "cd {dir} && PATH={bin} PERFLAB_STATE_DIR={dir}/.state PERFLAB_SCALE=small \
         PERFLAB_SEED=7 DATABASE_URL={database} PERFLAB_LOCAL_REDIS={redis} \
         {perflab} --lang es --free; echo EXITED $?; /bin/sleep 600",
        dir = dir.path().display(),
        bin = bin.display(),
        redis = closed_redis.addr(),
        perflab = env!("CARGO_BIN_EXE_perflab"),
    );
    let tmux = Tmux::start(&command);

    let offer = tmux.wait_for("¿Lo instalo? [s/N]", Duration::from_secs(30));
    assert!(offer.contains("A este equipo le falta Redis"), "{offer}");
    assert!(offer.contains("apt-get update"), "{offer}");

    // No: nothing runs, the screen says what to run by hand.
    tmux.keys(&["n"]);
    let declined = tmux.wait_for("No se ha instalado nada.", Duration::from_secs(5));
    assert!(declined.contains("perflab doctor --fix"), "{declined}");
    tmux.wait_for("PostgreSQL listo, sin Redis", Duration::from_secs(60));
    assert!(!log.exists(), "a no ran something");

    // Yes, and apt-get fails: its words stay on the terminal until Enter.
    tmux.keys(&["s"]);
    let failed = tmux.wait_for(
        "Pulsa Enter para volver a perflab.",
        Duration::from_secs(20),
    );
    assert!(failed.contains("E: stand-in failure"), "{failed}");
    assert!(failed.contains("apt-get update"), "{failed}");
    tmux.keys(&["Enter"]);
    let failed = tmux.wait_for("La instalación no terminó", Duration::from_secs(5));
    assert!(failed.contains("s instalar ahora"), "{failed}");

    // Yes again: the plan runs through, the TUI comes back and starts the services.
    tmux.keys(&["s"]);
    let today = tmux.wait_for("Horario", Duration::from_secs(20));
    assert!(!today.contains("Lo que falta"), "{today}");
    tmux.wait_for("PostgreSQL listo, sin Redis", Duration::from_secs(60));
    let ran = std::fs::read_to_string(&log).expect("the plan ran");
    assert_eq!(
        ran.lines().collect::<Vec<_>>(),
        [
            "apt-get update",
            "apt-get update",
            "apt-get install -y redis-server",
            "service redis-server start",
        ],
        "the failed update, then the whole plan"
    );

    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(20));
}

/// Lab 2.1's plan panel shows the plan `perflab explain` prints, and the
/// plan the student's new index gives as soon as indexes.sql is saved.
#[test]
fn the_plan_panel_follows_the_students_indexes() {
    use common::Need;
    common::require(&[Need::Tmux, Need::Postgres, Need::Redis]);
    let (dir, _state, tmux) = free_session("tui_plan", 100, 30);
    tmux.keys(&["2", "Down", "Down", "Down", "Down", "Down", "Down", "Enter"]);
    tmux.wait_for("2.1-explain", Duration::from_secs(5));
    tmux.keys(&["d"]);
    let before = tmux.wait_for("Seq Scan on products", Duration::from_secs(60));
    assert!(!before.contains("tmux_plan_idx"), "{before}");

    std::fs::write(
        dir.path().join("workspace/indexes.sql"),
        "CREATE INDEX tmux_plan_idx ON products (category_id, price);\n",
    )
    .expect("write indexes.sql");
    let after = tmux.wait_for("tmux_plan_idx", Duration::from_secs(30));
    assert!(!after.contains("Seq Scan on products"), "{after}");

    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(30));
}

#[test]
fn the_profiling_labs_dashboard_shows_where_the_shops_cpu_was() {
    use common::Need;
    common::require(&[Need::Tmux, Need::Postgres, Need::Redis]);
    let (_dir, _state, tmux) = free_session("tui_profile", 100, 30);
    // Lab 4.2 is the eighteenth of the pack.
    let mut keys = vec!["2"];
    keys.extend(std::iter::repeat_n("Down", 17));
    keys.push("Enter");
    tmux.keys(&keys);
    tmux.wait_for("4.2-profile", Duration::from_secs(5));
    tmux.keys(&["d"]);
    // A real profile of the shop under the lab's load: its heading and at
    // least one frame with its share.
    let shown = tmux.wait_for("Where the CPU was (3 s,", Duration::from_secs(60));
    // A frame reads "  3.7 %  function" inside its panel.
    let frame = |cell: &str| {
        cell.trim_start()
            .split_once(" %  ")
            .is_some_and(|(share, function)| {
                share.contains('.') && share.parse::<f64>().is_ok() && !function.trim().is_empty()
            })
    };
    assert!(
        shown.lines().any(|line| line.split('│').any(frame)),
        "no frame under the heading:\n{shown}"
    );

    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(30));
}
