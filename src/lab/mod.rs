//! The runner's engine for a student's day: where their work lives and how far
//! they got.
//!
//! - [`workspace`] creates and finds the student's workspace (`perflab init`):
//!   `shop.toml`, `indexes.sql`, `progress.json` and a marker file, found from
//!   any subdirectory the way git finds a repository.
//! - [`progress`] is the versioned progress file: attempts, hints, revealed
//!   solutions, best measurements per lab and the baseline of lab 1.1. It is
//!   never half-written and never silently thrown away.
//! - [`atomic_file`] is the one writer both use: temp file, fsync, rename,
//!   fsync the directory.
//!
//! This module depends on `shop::settings` only (for the starting `shop.toml`);
//! the CLI and the TUI depend on it. The lab catalog and the checks come later
//! and will record their verdicts through [`progress::Progress`].

pub mod atomic_file;
pub mod progress;
pub mod workspace;

pub use progress::{
    Baseline, Best, Better, LabProgress, LabStatus, Loaded, Measurement, Progress, ProgressError,
};
pub use workspace::{Initialized, Workspace, WorkspaceError};
