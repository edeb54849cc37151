//! The progress file and the workspace, through the public API, on real files.
//!
//! The crash tests need a second process: a save killed with SIGKILL, and a
//! save that hits a file-size limit (a full disk that even root cannot write
//! past). The test binary re-executes itself with `PERFLAB_TEST_CHILD` set;
//! [`child_process_entry`] then plays the child and every other test is
//! filtered out. Nothing here sleeps to synchronise: parents wait on the file's
//! contents with a deadline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use perflab::lab::{
    Better, LabStatus, Loaded, Measurement, Progress, ProgressError, Workspace, WorkspaceError,
};
use perflab::messages::{Lang, Text};

const CHILD_MODE: &str = "PERFLAB_TEST_CHILD";
const CHILD_PATH: &str = "PERFLAB_TEST_PROGRESS";
/// The lab whose attempt count the writer child bumps on every save.
const COUNTER: &str = "counter";

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + secs, 0).unwrap()
}

fn load_found(path: &Path) -> Progress {
    match Progress::load(path) {
        Ok(Loaded::Found(p)) => p,
        other => panic!("expected a complete progress file at {path:?}, got {other:?}"),
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = names_in(dir)
        .into_iter()
        .filter(|n| n.starts_with("progress.json.corrupt-"))
        .map(|n| dir.join(n))
        .collect();
    found.sort();
    found
}

/// A progress of a few megabytes, so a save takes long enough to be killed
/// in the middle of it.
fn big_progress() -> Progress {
    let mut p = Progress::new();
    let metrics: Vec<Measurement> = (0..8)
        .map(|i| Measurement::new(format!("metric_{i}"), 1.0 / (i as f64 + 3.0), Better::Lower))
        .collect();
    for lab in 0..4_000 {
        p.record_attempt(&format!("lab-{lab:05}"), lab % 2 == 0, &metrics, at(lab));
    }
    p
}

// ---------------------------------------------------------------- round trip

#[test]
fn a_missing_file_is_a_fresh_start() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = Progress::load(&dir.path().join("progress.json")).unwrap();
    assert!(matches!(loaded, Loaded::Fresh(ref p) if *p == Progress::new()));
}

#[test]
fn round_trip_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    let mut p = Progress::new();
    let baseline = BTreeMap::from([("p95_ms".to_string(), 183.4), ("rps".to_string(), 812.0)]);
    p.set_baseline(baseline, at(0));
    p.set_current("1.3-cache-aside");
    let lab = "1.3-cache-aside";
    // Computed values (17 significant digits) as a real check produces them.
    let ratio = |hits: f64, total: f64| Measurement::new("hit_ratio", hits / total, Better::Higher);
    let p95 = |ms: f64| Measurement::new("p95_ms", ms, Better::Lower);
    p.record_attempt(lab, false, &[ratio(2.0, 3.0), p95(0.1 + 0.2)], at(10));
    p.record_attempt(lab, true, &[ratio(1.0, 3.0), p95(0.25)], at(20));
    assert_eq!(p.use_hint(lab), 1);
    assert_eq!(p.use_hint(lab), 2);
    p.reveal_solution(lab, at(30));
    p.save(&path).unwrap();

    let back = load_found(&path);
    assert_eq!(back, p);
    let rec = back.lab(lab).unwrap();
    assert_eq!(rec.status, LabStatus::Passed);
    assert_eq!((rec.attempts, rec.hints_used), (2, 2));
    assert_eq!(rec.best["hit_ratio"].value, 2.0 / 3.0);
    assert_eq!(rec.best["p95_ms"].value, 0.25);
    assert_eq!(rec.solution_revealed_at, Some(at(30)));
    assert_eq!(
        (rec.first_attempt_at, rec.last_attempt_at),
        (Some(at(10)), Some(at(20)))
    );
    assert_eq!(back.current(), Some(lab));
    let improvement = back
        .baseline()
        .unwrap()
        .improvement("p95_ms", 0.25, Better::Lower);
    assert_eq!(improvement, Some(183.4 / 0.25));
}

// ----------------------------------------------------------- corrupt & newer

#[test]
fn corrupt_files_are_moved_aside_byte_for_byte() {
    let cases: [(&str, &[u8]); 4] = [
        ("garbage", b"\x00\xff\xfe garbage \x01"),
        (
            "truncated",
            br#"{"version": 1, "current": "1.2-redis", "labs": {"1.2-re"#,
        ),
        (
            "wrong types",
            br#"{"version": 1, "current": 7, "baseline": null, "labs": {}}"#,
        ),
        ("empty", b""),
    ];
    for (what, bytes) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        std::fs::write(&path, bytes).unwrap();
        let loaded = Progress::load(&path).unwrap();
        let notice = loaded.notice(&Text::builtin(Lang::Es));
        let Loaded::Recovered {
            progress,
            backup,
            reason,
            ..
        } = loaded
        else {
            panic!("{what}: not recovered");
        };
        assert_eq!(progress, Progress::new(), "{what}");
        assert_eq!(
            std::fs::read(&backup).unwrap(),
            bytes,
            "{what}: backup differs"
        );
        assert!(!path.exists(), "{what}: the corrupt file is still in place");
        assert_eq!(
            backups_in(dir.path()),
            std::slice::from_ref(&backup),
            "{what}"
        );
        assert!(
            !reason.contains('\n'),
            "{what}: reason is not one line: {reason}"
        );
        assert!(reason.contains(&backup.display().to_string()), "{reason}");
        assert!(reason.contains("nothing was lost"), "{reason}");
        // The student reads it in their language, backup named, one line.
        let notice = notice.expect("a recovered file has a notice");
        assert!(
            notice.contains(&backup.display().to_string()) && !notice.contains('\n'),
            "{what}: {notice}"
        );
        assert!(notice.contains("no se ha perdido nada"), "{notice}");
    }
}

#[test]
fn a_second_corrupt_load_never_clobbers_the_first_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    std::fs::write(&path, b"first {").unwrap();
    let first = Progress::load(&path).unwrap();
    // Same second, same timestamp: the second backup must get its own name.
    std::fs::write(&path, b"second {").unwrap();
    let second = Progress::load(&path).unwrap();
    let (Loaded::Recovered { backup: b1, .. }, Loaded::Recovered { backup: b2, .. }) =
        (first, second)
    else {
        panic!("both loads should recover");
    };
    assert_ne!(b1, b2);
    assert_eq!(std::fs::read(&b1).unwrap(), b"first {");
    assert_eq!(std::fs::read(&b2).unwrap(), b"second {");
    assert_eq!(backups_in(dir.path()).len(), 2);
}

#[test]
fn a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    let newer = br#"{"version": 7, "labs": {}, "streaks": [1, 2, 3]}"#;
    std::fs::write(&path, newer).unwrap();
    let err = Progress::load(&path).unwrap_err();
    let ProgressError::TooNew {
        found,
        supported,
        path: named,
    } = &err
    else {
        panic!("expected TooNew, got {err}");
    };
    assert_eq!(
        (*found, *supported),
        (7, perflab::lab::progress::PROGRESS_VERSION)
    );
    assert_eq!(named, &path);
    assert!(err.to_string().contains("upgrade perflab"), "{err}");
    let said = err.render(&Text::builtin(Lang::Es));
    assert!(
        said.contains("versión 7") && said.contains(&path.display().to_string()),
        "{said}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), newer);
    assert_eq!(names_in(dir.path()), ["progress.json"]);
}

#[test]
fn an_unreadable_path_is_an_error_not_a_recovery() {
    // A directory where the file should be: reading fails with an OS error,
    // which says nothing about the data, so nothing is moved.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    std::fs::create_dir(&path).unwrap();
    let err = Progress::load(&path).unwrap_err();
    assert!(matches!(err, ProgressError::Read { .. }), "{err}");
    assert!(err.to_string().contains("progress.json"), "{err}");
    assert!(path.is_dir() && backups_in(dir.path()).is_empty());
}

// ------------------------------------------------------------- failed saves

#[test]
fn a_save_into_a_missing_folder_fails_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("workspace");
    std::fs::write(&not_a_dir, b"a file, not a folder").unwrap();
    let path = not_a_dir.join("progress.json");
    let err = Progress::new().save(&path).unwrap_err();
    assert!(matches!(err, ProgressError::Save { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read(&not_a_dir).unwrap(), b"a file, not a folder");
}

#[test]
fn a_save_that_hits_a_full_disk_leaves_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    let mut before = Progress::new();
    before.record_attempt("1.1-baseline", true, &[], at(0));
    before.save(&path).unwrap();
    let saved = std::fs::read(&path).unwrap();

    let out = run_child("full-disk", &path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed: {stderr}");
    assert!(stderr.contains("could not save progress to"), "{stderr}");
    assert!(stderr.contains("disk has space"), "{stderr}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        saved,
        "previous file changed"
    );
    assert_eq!(
        names_in(dir.path()),
        ["progress.json"],
        "temp file left behind"
    );
    assert_eq!(load_found(&path), before);
}

#[test]
fn a_save_into_a_read_only_folder_leaves_the_previous_file() {
    if nix::unistd::geteuid().is_root() {
        // Root writes through permission bits; the full-disk test above covers
        // a failing save for root.
        eprintln!("skipped: running as root, a read-only folder does not stop writes");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    Progress::new().save(&path).unwrap();
    let saved = std::fs::read(&path).unwrap();
    let set_mode =
        |mode| std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    set_mode(0o555);
    let result = big_progress().save(&path);
    set_mode(0o755);
    assert!(
        matches!(result, Err(ProgressError::Save { .. })),
        "{result:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), saved);
    assert_eq!(names_in(dir.path()), ["progress.json"]);
}

#[test]
fn killing_the_writer_mid_save_leaves_a_complete_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    let labs = big_progress().labs().count();
    let mut seen = 0;
    let mut mid_save_kills = 0;
    let mut rounds = 0;
    while mid_save_kills < 3 && rounds < 20 {
        let round = rounds;
        rounds += 1;
        let mut child = spawn_child("writer", &path);
        // Kill only after this child has completed a save of its own, and
        // while its next save is under way (its temp file exists).
        seen = wait_for_saves_beyond(&path, seen, &mut child);
        wait_for_a_temp_file(dir.path(), &mut child);
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs
        child.wait().unwrap();

        // The temp file still there proves the kill landed inside the save
        // (it could have finished between our look and the kill).
        mid_save_kills += usize::from(remove_temp_files(dir.path()) > 0);
        let after = load_found(&path);
        let attempts = after.lab(COUNTER).map_or(0, |l| l.attempts);
        assert!(
            attempts >= seen,
            "round {round}: went back from {seen} to {attempts}"
        );
        assert_eq!(
            after.labs().count(),
            labs + 1,
            "round {round}: labs missing"
        );
        seen = attempts;
    }
    eprintln!("{mid_save_kills} of {rounds} kills landed inside a save ({seen} saves)");
    assert!(
        mid_save_kills >= 3,
        "only {mid_save_kills} kills landed inside a save"
    );
    assert!(
        backups_in(dir.path()).is_empty(),
        "a load found a corrupt file"
    );
}

/// Waits (with a deadline) until the file shows more than `seen` attempts on
/// the counter lab; every load on the way must find a complete file.
fn wait_for_saves_beyond(path: &Path, seen: u32, child: &mut Child) -> u32 {
    let mut attempts = 0;
    wait_until(child, "a new save", || {
        if path.exists() {
            attempts = load_found(path).lab(COUNTER).map_or(0, |l| l.attempts);
        }
        attempts > seen
    });
    attempts
}

fn wait_for_a_temp_file(dir: &Path, child: &mut Child) {
    wait_until(child, "a temp file", || {
        names_in(dir).iter().any(|n| is_temp(n))
    });
}

/// Polls `done` until it holds; fails if the child dies or 120 s pass.
fn wait_until(child: &mut Child, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("writer exited early ({status}): {}", child_stderr(child));
        }
        if done() {
            return;
        }
    }
    child.kill().unwrap();
    panic!(
        "no {what} from the writer within 120 s: {}",
        child_stderr(child)
    );
}

fn is_temp(name: &str) -> bool {
    name.starts_with(".progress.json.") && name.ends_with(".tmp")
}

fn remove_temp_files(dir: &Path) -> usize {
    let temps: Vec<String> = names_in(dir).into_iter().filter(|n| is_temp(n)).collect();
    for name in &temps {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    temps.len()
}

// --------------------------------------------------------------- the child

fn child_command(mode: &str, path: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "child_process_entry",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_MODE, mode)
    .env(CHILD_PATH, path)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    cmd
}

fn spawn_child(mode: &str, path: &Path) -> Child {
    child_command(mode, path).spawn().unwrap()
}

fn run_child(mode: &str, path: &Path) -> Output {
    child_command(mode, path).output().unwrap()
}

fn child_stderr(child: &mut Child) -> String {
    use std::io::Read;
    let _ = child.wait();
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

/// Not a test of its own: the body of the child processes above. In a normal
/// run (no `PERFLAB_TEST_CHILD`) it returns at once.
#[test]
fn child_process_entry() {
    let (Ok(mode), Ok(path)) = (std::env::var(CHILD_MODE), std::env::var(CHILD_PATH)) else {
        return;
    };
    let path = PathBuf::from(path);
    match mode.as_str() {
        "writer" => save_forever(&path),
        "full-disk" => save_past_a_file_size_limit(&path),
        other => panic!("unknown child mode {other}"),
    }
}

/// Saves a big progress in a tight loop, one more counter attempt each time,
/// until killed.
fn save_forever(path: &Path) -> ! {
    let mut progress = match Progress::load(path).unwrap() {
        Loaded::Found(p) => p,
        Loaded::Fresh(_) => big_progress(),
        recovered => panic!("writer found a corrupt file: {recovered:?}"),
    };
    loop {
        progress.record_attempt(COUNTER, false, &[], Utc::now());
        progress.save(path).unwrap();
    }
}

/// Caps this process's file size below the progress's size, then saves: the
/// write fails with EFBIG as it would on a full disk, for root too.
fn save_past_a_file_size_limit(path: &Path) {
    use nix::sys::resource::{Resource, setrlimit};
    use nix::sys::signal::{SigHandler, Signal, signal};
    // Without this the kernel kills the process at the limit (SIGXFSZ)
    // instead of failing the write.
    // SAFETY: ignoring a signal installs no handler code.
    unsafe { signal(Signal::SIGXFSZ, SigHandler::SigIgn) }.unwrap();
    setrlimit(Resource::RLIMIT_FSIZE, 64 * 1024, 64 * 1024).unwrap();
    match big_progress().save(path) {
        Err(e @ ProgressError::Save { .. }) => eprintln!("{e}"),
        other => panic!("the save should have failed: {other:?}"),
    }
}

// ---------------------------------------------------------------- workspace

#[test]
fn init_creates_the_workspace_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mi-taller");
    let init = Workspace::init(&root).unwrap();
    let ws = &init.workspace;
    let expected = [
        ws.shop_toml(),
        ws.indexes_sql(),
        ws.progress_path(),
        ws.readme(),
        ws.marker(),
    ];
    assert_eq!(init.created, expected);
    let sql = std::fs::read_to_string(ws.indexes_sql()).unwrap();
    assert!(sql.starts_with("-- Escribe aquí tus índices / Write your indexes here"));
    assert!(
        std::fs::read_to_string(ws.readme())
            .unwrap()
            .contains("perflab list")
    );
    assert_eq!(load_found(&ws.progress_path()), Progress::new());
    assert_eq!(Workspace::open(&root).unwrap(), *ws);
}

#[test]
fn a_second_init_keeps_edited_files_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::init(dir.path()).unwrap().workspace;
    std::fs::write(ws.shop_toml(), "[cache]\nbackend = \"redis\"\n").unwrap();
    std::fs::write(
        ws.indexes_sql(),
        "CREATE INDEX ON products (category_id);\n",
    )
    .unwrap();
    let mut progress = Progress::new();
    progress.use_hint("2.1-explain");
    progress.save(&ws.progress_path()).unwrap();
    let before: Vec<Vec<u8>> = files_of(&ws);

    let again = Workspace::init(dir.path()).unwrap();
    assert!(again.created.is_empty(), "{:?}", again.created);
    assert_eq!(files_of(&ws), before);
}

#[test]
fn init_completes_a_workspace_with_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::init(dir.path()).unwrap().workspace;
    std::fs::remove_file(ws.readme()).unwrap();
    std::fs::write(ws.shop_toml(), "# mine\n").unwrap();
    let again = Workspace::init(dir.path()).unwrap();
    assert_eq!(again.created, [ws.readme()]);
    assert_eq!(std::fs::read_to_string(ws.shop_toml()).unwrap(), "# mine\n");
}

fn files_of(ws: &Workspace) -> Vec<Vec<u8>> {
    [
        ws.shop_toml(),
        ws.indexes_sql(),
        ws.progress_path(),
        ws.readme(),
        ws.marker(),
    ]
    .iter()
    .map(|p| std::fs::read(p).unwrap())
    .collect()
}

#[test]
fn find_from_walks_up_from_a_nested_folder() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::init(&dir.path().join("ws")).unwrap().workspace;
    let nested = ws.root().join("notes").join("day1");
    std::fs::create_dir_all(&nested).unwrap();
    assert_eq!(Workspace::find_from(&nested).unwrap(), Some(ws.clone()));
    assert_eq!(Workspace::find_from(ws.root()).unwrap(), Some(ws));
}

#[test]
fn find_from_outside_a_workspace_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir(&outside).unwrap();
    assert_eq!(Workspace::find_from(&outside).unwrap(), None);
    let err = Workspace::open(&outside).unwrap_err();
    assert!(matches!(err, WorkspaceError::NotAWorkspace { .. }), "{err}");
    assert!(err.to_string().contains("perflab init"), "{err}");
}
