//! Children that die with perflab: every server and shop perflab starts is
//! spawned here, so that a `kill -9` of perflab, or a closed terminal, leaves
//! nothing running.
//!
//! On Linux the kernel does it: the child asks for a signal when its parent
//! dies (`PR_SET_PDEATHSIG`) — the server's own clean-stop signal, so
//! PostgreSQL shuts down fast and frees its shared memory instead of being
//! killed. Two traps (see CRATES.md, "children die with perflab"):
//!
//! - the "parent" is the *thread* that forked, not the process: a child
//!   forked on one of tokio's blocking threads would be signalled when that
//!   thread idles out after 10 s. So every child is forked on one thread that
//!   lives as long as perflab: the spawner thread below.
//! - perflab may die between the fork and the `prctl`: the child then checks
//!   that its parent is still the perflab that forked it, and gives up if not.
//!
//! Elsewhere (macOS) there is no such call: a shop child watches its parent
//! itself (`PERFLAB_PARENT_PID`, see `cli::serve`), and scratch servers left
//! behind are stopped on the next run ([`super::leftovers`]).
//!
//! Used by [`super::redis`], [`super::scratch_postgres`] and the lab runner.

use std::process::Command;
use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel, sync_channel};

use nix::sys::signal::Signal;

/// Work run on the spawner thread.
type Job = Box<dyn FnOnce() + Send>;

/// The spawner thread's queue, started on first use. A process-wide thread
/// is the point: it must outlive every child it forks.
fn spawner() -> std::io::Result<&'static Sender<Job>> {
    static SPAWNER: OnceLock<Sender<Job>> = OnceLock::new();
    if let Some(sender) = SPAWNER.get() {
        return Ok(sender);
    }
    let (sender, jobs) = channel::<Job>();
    std::thread::Builder::new()
        .name("perflab-spawner".into())
        .spawn(move || {
            for job in jobs {
                // A panicking job must not end the thread: its death would
                // signal every child forked so far.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        })?;
    // Two first callers racing both start a thread; the loser's ends at once
    // (its sender is dropped) without having forked anything.
    Ok(SPAWNER.get_or_init(|| sender))
}

fn spawner_gone() -> std::io::Error {
    std::io::Error::other("perflab's process-spawning thread is gone")
}

/// Makes `command`'s process receive `signal` when perflab dies (Linux), or
/// not start at all if perflab is already gone. Elsewhere it does nothing:
/// see the module doc for what stands in.
pub fn die_with_parent(command: &mut Command, signal: Signal) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = nix::unistd::getpid();
        // SAFETY: the closure runs between fork and exec and only makes two
        // system calls (prctl, getppid); it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(signal).map_err(std::io::Error::from)?;
                if nix::unistd::getppid() != parent {
                    // perflab died before the prctl: no one will stop us.
                    return Err(std::io::Error::from(nix::errno::Errno::ESRCH));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (command, signal);
    }
}

/// Spawns `command` on the spawner thread, tied to perflab with `signal`.
/// Blocking (waits for the fork): call it from blocking code.
pub fn spawn_std(mut command: Command, signal: Signal) -> std::io::Result<std::process::Child> {
    die_with_parent(&mut command, signal);
    let (reply, answer) = sync_channel(1);
    spawner()?
        .send(Box::new(move || {
            let _ = reply.send(command.spawn());
        }))
        .map_err(|_| spawner_gone())?;
    answer.recv().map_err(|_| spawner_gone())?
}

/// Spawns a tokio `command` on the spawner thread, tied to perflab with
/// `signal`; the child belongs to the caller's runtime.
pub async fn spawn_tokio(
    mut command: tokio::process::Command,
    signal: Signal,
) -> std::io::Result<tokio::process::Child> {
    die_with_parent(command.as_std_mut(), signal);
    // tokio registers the child with the runtime that is current where it
    // is spawned: the caller's, entered on the spawner thread.
    let runtime = tokio::runtime::Handle::current();
    let (reply, answer) = tokio::sync::oneshot::channel();
    spawner()?
        .send(Box::new(move || {
            let _entered = runtime.enter();
            let _ = reply.send(command.spawn());
        }))
        .map_err(|_| spawner_gone())?;
    answer.await.map_err(|_| spawner_gone())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_std_child_runs() {
        let mut command = Command::new("true");
        command.stdin(std::process::Stdio::null());
        let mut child = spawn_std(command, Signal::SIGTERM).expect("spawned");
        assert!(child.wait().expect("waited").success());
    }

    #[tokio::test]
    async fn a_tokio_child_runs_and_is_waited_for_on_the_callers_runtime() {
        let command = tokio::process::Command::new("true");
        let mut child = spawn_tokio(command, Signal::SIGTERM)
            .await
            .expect("spawned");
        assert!(child.wait().await.expect("waited").success());
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_hang() {
        let command = Command::new("/nonexistent/perflab-no-such-program");
        assert!(spawn_std(command, Signal::SIGTERM).is_err());
    }
}
