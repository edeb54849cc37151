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
//! - [`actions`] renders the actions lab text names (`{{check}}`) as keys in
//!   the TUI and as commands headless.
//! - [`catalog`] reads the lab pack (`labs/` + `solutions/`), embedded in the
//!   binary or from `--labs DIR`.
//! - [`runner`] starts the shop as a child process in a lab's state and runs
//!   the lab's checks against it (or against `--target URL`).
//! - [`shop_toml`] reads the student's `shop.toml`, its mistakes named by key
//!   and line.
//! - [`targets`] keeps lab 1.1's baseline per `--target` API, apart from any
//!   workspace.
//!
//! This module depends on `shop::settings`, `check` and `services`; the CLI
//! and the TUI depend on it.

pub mod actions;
pub mod atomic_file;
pub mod catalog;
pub mod progress;
pub mod runner;
pub mod shop_toml;
pub mod targets;
pub mod workspace;

pub use catalog::{Catalog, CatalogError, Category, Lab};
pub use progress::{
    Baseline, Best, Better, LabProgress, LabStatus, Loaded, Measurement, Progress, ProgressError,
};
pub use runner::{RunEnv, RunError, Staged};
pub use shop_toml::ShopTomlError;
pub use targets::{Target, TargetBaseline, TargetError, TargetStore};
pub use workspace::{Initialized, Workspace, WorkspaceError};
