//! `perflab serve`: the shop in the foreground.

use std::process::ExitCode;

use clap::Args;

use crate::config::Config;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port for the public API (default 8000; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,
}

pub async fn run(_config: Config, _args: ServeArgs) -> ExitCode {
    ExitCode::SUCCESS
}
