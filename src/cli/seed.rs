//! `perflab seed`: load the catalog (reused when the marker matches).

use std::process::ExitCode;

use clap::Args;

use crate::config::Config;
use crate::fixtures::Scale;

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Catalog size (default from the configuration: `default`).
    #[arg(long)]
    pub scale: Option<Scale>,
    /// RNG seed: the same seed gives the same rows.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Drop and reload even if the same catalog is already there.
    #[arg(long)]
    pub force: bool,
}

pub async fn run(_config: Config, _args: SeedArgs) -> ExitCode {
    ExitCode::SUCCESS
}
