//! Ctrl-C, SIGTERM and SIGHUP for the commands that start servers (`serve`,
//! `check`, `grade`, `labs validate`): listened for from the start, so the
//! command can stop its shop children, private Redis and scratch servers —
//! which run in their own process groups and would not get a terminal's
//! Ctrl-C — before it exits.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Ctrl-C (SIGINT), SIGTERM (how the TUI stops its shop child) or SIGHUP
/// (the terminal was closed: without it perflab would die at once and its
/// scratch servers, in their own process groups, would not hear of it). All
/// are registered when this is created, so none is missed while starting up.
pub struct StopSignal {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignal {
    pub fn new() -> Result<Self, String> {
        let listen = |kind| signal(kind).map_err(|e| format!("cannot listen for signals: {e}"));
        Ok(Self {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
            hangup: listen(SignalKind::hangup())?,
        })
    }

    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}
