//! perflab: a terminal lab runner for a one-day course on web API performance.
//!
//! The pieces follow `DESIGN.md`: `cli` parses commands and calls the others;
//! `config` loads `perflab.toml` and the environment; `services` finds or starts
//! PostgreSQL and Redis; `fixtures` seeds the catalog; `shop` is the live API the
//! labs optimise; `load` drives traffic at it and measures; `check` compares
//! what it measures with a lab's targets; `lab` holds the lab pack, runs labs
//! and keeps the student's workspace and progress; `tui` is the course day in
//! a terminal; `explain` turns a query plan into a tree a student reads;
//! `messages` is the catalogue of every sentence a learner
//! reads, in Spanish and English.

pub mod check;
pub mod cli;
pub mod config;
pub mod explain;
pub mod fixtures;
pub mod lab;
pub mod load;
pub mod messages;
pub mod services;
pub mod shop;
pub mod tui;
