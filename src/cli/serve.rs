//! `perflab serve`: find or start the services, make sure the catalog is
//! loaded, run the shop in the foreground until Ctrl-C, SIGTERM or SIGHUP,
//! then stop everything perflab started.
//!
//! The `shop <url>` line on stdout means "ready": the runner starts measuring
//! when it reads it, so it comes only after the shop's cache is up (or, past
//! [`CACHE_READY_WITHIN`], known to be down).
//!
//! As the lab runner's shop child (`PERFLAB_PARENT_PID`) it also stops when
//! the runner is gone: on Linux the kernel sends it SIGTERM
//! (`services::children`); elsewhere this watch is what ends it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::EXIT_ENVIRONMENT;
use super::stop::StopSignal;
use crate::config::Config;
use crate::fixtures::SeedOptions;
use crate::messages::{Lang, Text};
use crate::services::net::mask_password;
use crate::services::{self, Origin, redis::RedisAvailability};
use crate::shop::cache::Readiness;
use crate::shop::settings::{Preset, ShopSettings};
use crate::shop::{self, ShopOptions};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port for the public API (default 8000; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,
    /// Settings file (TOML, e.g. workspace/shop.toml); overrides --preset.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Starting settings: `baseline` (every optimisation off) or `optimized`.
    #[arg(long, value_enum, default_value_t = Preset::Baseline)]
    pub preset: Preset,
}

pub async fn run(config: Config, args: ServeArgs, lang: Lang) -> ExitCode {
    match serve(config, args, &Text::builtin(lang)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("perflab: {e}");
            ExitCode::from(EXIT_ENVIRONMENT)
        }
    }
}

async fn serve(config: Config, args: ServeArgs, text: &Text) -> Result<(), String> {
    let settings = match &args.settings {
        Some(path) => ShopSettings::from_file(path)?,
        None => ShopSettings::preset(args.preset),
    };
    // Listen for Ctrl-C and SIGTERM from the start: a stop during start-up
    // (seeding can take seconds) must still stop the scratch servers, which
    // run in their own process group and would otherwise outlive perflab.
    let mut stop = Stop {
        signal: StopSignal::new()?,
        parent: config.parent_pid,
    };
    let services = tokio::select! {
        services = services::start(&config) => services.map_err(|e| e.message(text))?,
        () = stop.recv() => return Err(INTERRUPTED.into()),
    };
    let result = serve_on(&config, &args, settings, &services, &mut stop, text).await;
    services.shutdown().await;
    result
}

const INTERRUPTED: &str = "stopped before the shop started";

/// How long the shop may wait for Redis before it announces itself anyway,
/// degraded: a Redis that answers takes milliseconds, a loaded machine a
/// second or two.
pub const CACHE_READY_WITHIN: Duration = Duration::from_secs(10);

/// How often a shop child looks whether its runner is still there.
const PARENT_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// What ends `serve`: a signal, or (a shop child) its runner gone.
struct Stop {
    signal: StopSignal,
    /// The runner's pid, when this is its shop child.
    parent: Option<u32>,
}

impl Stop {
    async fn recv(&mut self) {
        tokio::select! {
            () = self.signal.recv() => {}
            () = parent_gone(self.parent) => {
                eprintln!("perflab: the lab runner that started this shop is gone; stopping");
            }
        }
    }
}

/// Resolves once this process's parent is no longer `parent` (it died and
/// the process was handed to init or a subreaper); never without a parent.
async fn parent_gone(parent: Option<u32>) {
    let Some(parent) = parent else {
        return std::future::pending().await;
    };
    let mut tick = tokio::time::interval(PARENT_POLL);
    loop {
        tick.tick().await;
        if u32::try_from(nix::unistd::getppid().as_raw()).ok() != Some(parent) {
            return;
        }
    }
}

async fn serve_on(
    config: &Config,
    args: &ServeArgs,
    settings: ShopSettings,
    services: &services::Services,
    stop: &mut Stop,
    text: &Text,
) -> Result<(), String> {
    let seed = SeedOptions {
        scale: config.fixtures.scale,
        seed: config.fixtures.seed,
        force: false,
        progress: true,
    };
    println!("postgres    {}", describe_postgres(&services.postgres));
    let redis_url = match &services.redis {
        RedisAvailability::Up(redis) => {
            println!("redis       {}", describe(redis.origin, &redis.url, None));
            Some(redis.url.clone())
        }
        RedisAvailability::Missing { reason } => {
            println!("redis       none: {}", reason.message(text));
            None
        }
    };
    tokio::select! {
        seeded = super::seed::ensure_seeded(&services.postgres.url, &seed, true) => seeded?,
        () = stop.recv() => return Err(INTERRUPTED.into()),
    }
    let jwt_secret = match &config.shop.jwt_secret {
        Some(secret) => secret.clone(),
        None => shop::auth::shared_secret(&config.state_dir()).map_err(|e| {
            format!(
                "cannot create the JWT secret in {}: {e}",
                config.state_dir().display()
            )
        })?,
    };
    let metrics_on = settings.monitoring.metrics;
    let options = ShopOptions {
        database_url: services.postgres.url.clone(),
        redis_url,
        settings,
        host: config.shop.host.clone(),
        port: args.port.unwrap_or(config.shop.port),
        control_port: config.shop.control_port,
        jwt_secret,
        state_dir: config.state_dir(),
    };
    let shop = shop::start_with_limits(options, config.shop.limits.clone())
        .await
        .map_err(|e| e.to_string())?;
    let ready = tokio::select! {
        ready = shop.cache_ready(CACHE_READY_WITHIN) => ready,
        () = stop.recv() => {
            shop.shutdown().await;
            return Err(INTERRUPTED.into());
        }
    };
    // Written whole, and a failed write ignored: a shop child's stdout is a
    // pipe to its runner, and a runner killed meanwhile (kill -9) must not
    // make `println!` panic here before the shop stops cleanly and takes its
    // endpoint file with it.
    let mut text_out = String::new();
    {
        use std::fmt::Write as _;
        let out = &mut text_out;
        match ready {
            Readiness::NoRedis => {}
            Readiness::RedisUp => {
                let _ = writeln!(out, "cache       Redis up");
            }
            Readiness::RedisDown => {
                let _ = writeln!(
                    out,
                    "cache       Redis did not answer within {} s: cache.fallback answers until it does",
                    CACHE_READY_WITHIN.as_secs()
                );
            }
        }
        let _ = writeln!(out, "shop        {}", shop.endpoint.url);
        let _ = writeln!(out, "health      {}/health", shop.endpoint.url);
        let _ = writeln!(
            out,
            "control     {} (token in {})",
            shop.endpoint.control_url,
            shop.endpoint_file.display()
        );
        if let Some(log) = &shop.endpoint.log_file {
            // Written once middleware.request_log is on (lab 3.6): `tail -f` it.
            let _ = writeln!(out, "log         {}", log.display());
        }
        let _ = writeln!(
            out,
            "{}",
            crate::msg!(
                text,
                "serve-metrics",
                url = shop.endpoint.url.as_str(),
                on = if metrics_on { "yes" } else { "no" },
                target = shop.addr.to_string()
            )
        );
        let _ = writeln!(out, "Press Ctrl-C to stop.");
    }
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(text_out.as_bytes())
            .and_then(|()| stdout.flush());
    }
    stop.recv().await;
    eprintln!("stopping…");
    shop.shutdown().await;
    Ok(())
}

fn describe_postgres(postgres: &services::postgres::PostgresService) -> String {
    describe(postgres.origin, &postgres.url, postgres.scratch_dir())
}

/// One line saying where a server is and whether perflab will stop it.
fn describe(origin: Origin, url: &str, scratch_dir: Option<&std::path::Path>) -> String {
    let url = mask_password(url);
    match (origin, scratch_dir) {
        (Origin::Configured, _) => format!("{url} (configured)"),
        (Origin::LocalDefault, _) => format!("{url} (local server)"),
        (Origin::Scratch, Some(dir)) => {
            format!("{url} (scratch, in {}; removed on exit)", dir.display())
        }
        (Origin::Scratch, None) => format!("{url} (scratch; stopped on exit)"),
    }
}
