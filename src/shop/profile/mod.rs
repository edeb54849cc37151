//! Block 4's profiling (lab 4.2): where a route's time goes.
//!
//! - [`breakdown`]: per route, the time per part of each request — database,
//!   cache, serialisation (encoding the JSON body) and compute (the rest) —
//!   summed while `[monitoring] breakdown` is on, read and reset through the
//!   control API (`GET /breakdown`, `POST /breakdown/reset`).
//! - [`cpu`]: a sampling CPU profile of the whole shop process for a few
//!   seconds on demand (`POST /profile?seconds=N`), as a flamegraph SVG and
//!   its hottest frames (pprof; unix only).
//! - [`SERIALISE_TIME`]: the clock the shop's `Json` responder adds to,
//!   scoped per request beside the statement tally (`routes::count_statements`).
//!
//! Depends on the telemetry's per-request [`Breakdown`](super::telemetry::Breakdown);
//! `telemetry::observe` records into [`breakdown::Breakdowns`], the control
//! API reads it, and `perflab profile`, the `breakdown` check and the TUI use
//! the serialised forms ([`breakdown::Report`], [`cpu::Profile`]).

pub mod breakdown;
pub mod cpu;

use std::cell::Cell;
use std::time::{Duration, Instant};

tokio::task_local! {
    /// Time the current request spent turning its answer into JSON bytes.
    pub static SERIALISE_TIME: Cell<Duration>;
}

/// Runs `encode` and adds its time to the current request's
/// [`SERIALISE_TIME`] (outside a request, just runs it).
pub fn timed_serialise<T>(encode: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let output = encode();
    let spent = started.elapsed();
    let _ = SERIALISE_TIME.try_with(|time| time.set(time.get() + spent));
    output
}
