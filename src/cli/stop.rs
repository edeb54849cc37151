//! Ctrl-C and SIGTERM for the commands that start servers (`serve`,
//! `check`, `grade`, `labs validate`): listened for from the start, so the
//! command can stop its shop children, private Redis and scratch servers —
//! which run in their own process groups and would not get a terminal's
//! Ctrl-C — before it exits.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Ctrl-C (SIGINT) or SIGTERM (how the TUI stops its shop child). Both are
/// registered when this is created, so none is missed while starting up.
pub struct StopSignal {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignal {
    pub fn new() -> Result<Self, String> {
        let listen = |kind| signal(kind).map_err(|e| format!("cannot listen for signals: {e}"));
        Ok(Self {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
        })
    }

    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
