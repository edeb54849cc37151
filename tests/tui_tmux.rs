//! The TUI end to end, as a student drives it: the real binary in a real
//! terminal (tmux, Debian's package, on a private socket), keys sent and the
//! screen read back with `capture-pane`. It opens on Today, moves to lab
//! 1.2, puts the lab's starting state in place, switches the cache backend
//! to Redis, runs the lab's checks and reads the verdict; `q` leaves the
//! terminal as it found it.

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
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` not on screen after {limit:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
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
    let tmux = Tmux {
        socket: format!("perflab-test-{}", std::process::id()),
    };
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "tui",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);

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
    tmux.keys(&["y"]);
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
