//! What perflab needs to know about a process it started — is it alive, what
//! is it, how much memory does it hold — read the same way on Linux, macOS and
//! WSL2 through `sysinfo`, instead of `/proc` (Linux only).
//!
//! Used by the memory check and the dashboard (a shop child's resident
//! memory), by the shop's own `/metrics` ([`usage`]: memory and CPU), by
//! [`super::leftovers`] and [`super::scratch_postgres`] (is the owner of a
//! leftover gone; is that pid still the server we started, or a reused
//! one). Every function is blocking (it reads the process table):
//! call it from `spawn_blocking` in async code.

use std::ffi::OsString;

use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

/// One process, as the process table shows it now.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessFacts {
    /// The executable's name (`redis-server`, `postgres`, `perflab`).
    pub name: String,
    /// The command line; empty when the system does not show it to us.
    pub cmd: Vec<String>,
    /// Seconds since the epoch; with the pid it names one process, never a
    /// later one that reused the pid.
    pub start_time: u64,
    /// Resident memory in bytes.
    pub rss_bytes: u64,
    /// Exited but not yet reaped by its parent: it runs no more.
    pub zombie: bool,
}

/// Reads one process; `None` when there is no such process.
pub fn facts(pid: u32) -> Option<ProcessFacts> {
    let mut system = System::new();
    let pid = Pid::from_u32(pid);
    let refresh = ProcessRefreshKind::nothing()
        .with_memory()
        .with_cmd(UpdateKind::Always);
    system.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, refresh);
    let process = system.process(pid)?;
    Some(ProcessFacts {
        name: process.name().to_string_lossy().into_owned(),
        cmd: process.cmd().iter().map(lossy).collect(),
        start_time: process.start_time(),
        rss_bytes: process.memory(),
        zombie: matches!(
            process.status(),
            ProcessStatus::Zombie | ProcessStatus::Dead
        ),
    })
}

fn lossy(arg: &OsString) -> String {
    arg.to_string_lossy().into_owned()
}

/// Whether `pid` is a process that still runs (a zombie does not).
pub fn alive(pid: u32) -> bool {
    pid > 0 && facts(pid).is_some_and(|f| !f.zombie)
}

/// The resident memory of `pid` in MiB; `None` when it is gone.
pub fn rss_mb(pid: u32) -> Option<f64> {
    facts(pid)
        .filter(|f| !f.zombie)
        .map(|f| f.rss_bytes as f64 / (1024.0 * 1024.0))
}

/// Every live process whose parent chain leads to `root` (not `root` itself):
/// what perflab started, and what those started.
pub fn descendants(root: u32) -> Vec<u32> {
    let mut system = System::new();
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
    let parent_of = |pid: Pid| system.process(pid).and_then(|p| p.parent());
    let root = Pid::from_u32(root);
    system
        .processes()
        .iter()
        // Threads show up as tasks of their process on Linux: not processes.
        .filter(|(_, p)| p.thread_kind().is_none())
        .filter(|(_, p)| !matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead))
        .map(|(pid, _)| *pid)
        .filter(|pid| {
            // Bounded: a parent loop cannot happen, but a table read while
            // processes come and go is no place to trust that.
            let mut current = *pid;
            for _ in 0..64 {
                match parent_of(current) {
                    Some(parent) if parent == root => return true,
                    Some(parent) if parent != current => current = parent,
                    _ => return false,
                }
            }
            false
        })
        .map(|pid| pid.as_u32())
        .collect()
}

/// What a process has used so far: resident memory and CPU time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub rss_bytes: u64,
    /// User and system CPU time since the process started.
    pub cpu_seconds: f64,
    /// Seconds since the epoch.
    pub start_time: u64,
}

/// The memory and CPU `pid` has used so far (the shop's own
/// `process_resident_memory_bytes` and `process_cpu_seconds_total`);
/// `None` when it is gone.
pub fn usage(pid: u32) -> Option<Usage> {
    let mut system = System::new();
    let pid = Pid::from_u32(pid);
    let refresh = ProcessRefreshKind::nothing().with_memory().with_cpu();
    system.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, refresh);
    let process = system.process(pid)?;
    Some(Usage {
        rss_bytes: process.memory(),
        cpu_seconds: process.accumulated_cpu_time() as f64 / 1000.0,
        start_time: process.start_time(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_holds_memory() {
        let me = std::process::id();
        assert!(alive(me));
        let rss = rss_mb(me).expect("our own memory");
        assert!(rss > 0.5, "{rss} MiB");
    }

    #[test]
    fn a_reaped_child_is_gone() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("`true` runs");
        let pid = child.id();
        child.wait().expect("reaped");
        assert!(!alive(pid));
        assert_eq!(rss_mb(pid), None);
    }

    #[test]
    fn an_unreaped_child_is_not_alive() {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("`true` runs");
        let pid = child.id();
        // Until it is reaped it is a zombie: exited, still in the table.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while alive(pid) {
            assert!(std::time::Instant::now() < deadline, "`true` never exited");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.wait().expect("reaped");
    }

    #[test]
    fn a_child_is_a_descendant() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("`sleep` runs");
        let found = descendants(std::process::id()).contains(&child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(found);
    }
}
