//! `perflab doctor`: what perflab finds, and what to do about anything missing.

use std::process::ExitCode;

use crate::config::Config;

pub async fn run(_config: &Config) -> ExitCode {
    ExitCode::SUCCESS
}
