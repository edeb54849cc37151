//! A server process perflab started (scratch `postgres`, `redis-server`), and
//! the one way to stop it: a polite signal, a bounded wait, then SIGKILL.
//!
//! It holds a `std::process::Child` rather than a tokio one so that `Drop`, the
//! safety net for panics and early returns, can stop and reap the server even
//! when no runtime is left. It is spawned through [`super::children`], so it
//! also gets its stop signal when perflab dies; an optional record file
//! ([`super::leftovers`]) names it for the next run until it is stopped.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::net::POLL_INTERVAL;

/// How long a server gets to stop after the polite signal before SIGKILL.
const STOP_BOUND: Duration = Duration::from_secs(10);

/// A running server process; stopped when dropped.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Option<Child>,
    /// The signal that stops this server quickly and cleanly (SIGINT is
    /// PostgreSQL's "fast shutdown", SIGTERM is Redis's). Also the signal it
    /// gets when perflab dies.
    stop_signal: Signal,
    /// Removed once the server is known to be stopped.
    record: Option<PathBuf>,
}

impl ServerProcess {
    /// Spawns `command`, tied to perflab's life. Blocking.
    pub(crate) fn spawn(command: Command, stop_signal: Signal) -> std::io::Result<Self> {
        let child = super::children::spawn_std(command, stop_signal)?;
        Ok(Self {
            child: Some(child),
            stop_signal,
            record: None,
        })
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Writes the leftover record of this server to `path` (see
    /// [`super::leftovers`]); a record that cannot be written only costs the
    /// next run's clean-up, not this run.
    pub(crate) fn record_at(&mut self, path: PathBuf) {
        let Some(record) = self.pid().and_then(super::leftovers::ServerRecord::of) else {
            return;
        };
        if super::leftovers::write_record(&path, &record).is_ok() {
            self.record = Some(path);
        }
    }

    fn forget_record(&mut self) {
        if let Some(path) = self.record.take() {
            let _ = std::fs::remove_file(path);
        }
    }

    /// `Some(status)` once the process has exited (it is then reaped).
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(status) => status,
            // We cannot wait on it: treat it as gone rather than wait forever.
            Err(_) => Some(ExitStatus::default()),
        }
    }

    /// Stops the server: the stop signal, up to [`STOP_BOUND`] to exit, then SIGKILL.
    pub(crate) async fn stop(&mut self) {
        self.stop_with(self.stop_signal).await;
    }

    /// [`Self::stop`] with another first signal (PostgreSQL's SIGQUIT, the
    /// immediate shutdown, for a test that wants a server that dies).
    pub(crate) async fn stop_with(&mut self, first: Signal) {
        if !self.signal(first) {
            self.forget_record();
            return;
        }
        let stopped = self.wait_async(STOP_BOUND).await || {
            self.signal(Signal::SIGKILL);
            self.wait_async(STOP_BOUND).await
        };
        if stopped {
            self.forget_record();
        }
        self.child = None;
    }

    /// Sends `signal`; false when there is no process left to signal.
    fn signal(&mut self, signal: Signal) -> bool {
        if self.exited().is_some() {
            self.child = None;
        }
        let Some(child) = &self.child else {
            return false;
        };
        let Ok(pid) = i32::try_from(child.id()) else {
            return false;
        };
        kill(Pid::from_raw(pid), signal).is_ok()
    }

    async fn wait_async(&mut self, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if self.child.is_none() || self.exited().is_some() {
                return true;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        false
    }

    fn wait_blocking(&mut self, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if self.child.is_none() || self.exited().is_some() {
                return true;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        false
    }
}

impl Drop for ServerProcess {
    /// Blocks the dropping thread for at most twice [`STOP_BOUND`] (a scratch
    /// server usually stops in well under a second). Code that can should call
    /// the async `stop`/`shutdown` instead; this is the net for panics.
    fn drop(&mut self) {
        if !self.signal(self.stop_signal) {
            self.forget_record();
            return;
        }
        let stopped = self.wait_blocking(STOP_BOUND) || {
            self.signal(Signal::SIGKILL);
            self.wait_blocking(STOP_BOUND)
        };
        if stopped {
            self.forget_record();
        }
    }
}
