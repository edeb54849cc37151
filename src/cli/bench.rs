//! `perflab bench URL…`: the load generator as a standalone tool, wrk-like.
//! Closed loop (`--users`) or open loop (`--rate`); a header line saying
//! which, a progress line a second on stderr, then a plain summary or
//! `--json` (the summary, then the configuration it ran with). `{name}`
//! placeholders in URLs are Zipf-skewed ids over `1..=--ids`. The wording
//! lives in `load::report`; this file only reads the arguments.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::EXIT_ENVIRONMENT;
use crate::load::{
    self, Endpoint, LoadConfig, LoadError, Login, Mix, Model, Param, RunInfo, Snapshot,
};

#[derive(Debug, Args)]
pub struct BenchArgs {
    // Help texts: one line each in `--help`. Never write `{n}` in them:
    // clap reads it as a line break.
    /// URLs to load, e.g. http://127.0.0.1:8000/products/{id}; several are
    /// drawn at random, `URL@WEIGHT` to weight them (default 1).
    #[arg(required = true)]
    pub urls: Vec<String>,
    /// Open loop: send N requests per second whatever the server does
    /// (latency counted from each request's scheduled time).
    #[arg(long, value_name = "N", conflicts_with = "users")]
    pub rate: Option<f64>,
    /// Closed loop (the default): N virtual users, one connection each, each
    /// sending its next request when the last one is answered [default: 32].
    #[arg(long, value_name = "N")]
    pub users: Option<usize>,
    /// Open loop: the connections the requests are spread over.
    #[arg(long, value_name = "N", default_value_t = 32, conflicts_with = "users")]
    pub connections: usize,
    /// How long to run, e.g. 30s or 2m.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// How long one request may take before it counts as a timeout.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Each virtual user first logs in as a fixture user of its own
    /// (user2@perflab.test, user3@perflab.test, …) and sends its token.
    #[arg(long)]
    pub login: bool,
    /// Placeholders such as {id} in a URL take ids from 1 to N.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub ids: u64,
    /// How skewed those ids are: the Zipf exponent (0 uniform, 1 a few hot ids).
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub zipf: f64,
    /// Another instance of the same server (repeatable): the connections are
    /// dealt in turn over the URLs' server and each peer, e.g. http://127.0.0.1:8001.
    #[arg(long, value_name = "URL")]
    pub peer: Vec<String>,
    /// A header sent with every request (repeatable), e.g. "Accept-Encoding: gzip".
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Print JSON on stdout instead of text: the summary, then the
    /// configuration.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: BenchArgs) -> ExitCode {
    let config = match config(&args) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    let info = RunInfo::of(&config);
    if !args.json {
        println!("{}", load::header(&info));
    }
    let cancel = CancellationToken::new();
    let run = match load::start(config, cancel.clone()).await {
        Ok(run) => run,
        Err(e) => return fail(&e),
    };
    let stop = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
        }
    });
    let last = follow(run, args.json).await;
    cancel.cancel();
    match last {
        Ok(snapshot) if args.json => match load::json(&info, &snapshot) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Ok(snapshot) => {
            print!("{}", load::summary(&info, &snapshot));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// Prints a progress line per window (unless `--json`), returns the final snapshot.
async fn follow(mut run: load::LoadRun, quiet: bool) -> Result<Snapshot, LoadError> {
    while let Some(snapshot) = run.snapshots.recv().await {
        if !quiet && !snapshot.done {
            eprintln!("{}", load::window_line(&snapshot));
        }
    }
    run.finish().await
}

fn config(args: &BenchArgs) -> Result<LoadConfig, LoadError> {
    let mut weights = Vec::with_capacity(args.urls.len());
    for url in &args.urls {
        weights.push(split_weight(url)?);
    }
    let (target, paths) = load::split_urls(weights.iter().map(|(url, _)| *url))?;
    let mut params = BTreeMap::new();
    let endpoints: Vec<Endpoint> = paths
        .into_iter()
        .zip(&weights)
        .map(|(path, (_, weight))| Endpoint::get(path).weight(*weight))
        .collect();
    for endpoint in &endpoints {
        for name in placeholders(&endpoint.path) {
            if !params.contains_key(name) {
                params.insert(name.to_string(), Param::zipf(1, args.ids, args.zipf)?);
            }
        }
    }
    let model = match (args.rate, args.users) {
        (Some(rate), _) => Model::Open {
            rate,
            connections: args.connections,
        },
        (None, users) => Model::Closed {
            users: users.unwrap_or(args.connections),
        },
    };
    let headers = args
        .headers
        .iter()
        .map(|header| load::parse_header(header))
        .collect::<Result<Vec<_>, _>>()?;
    let mix = Mix::new(endpoints, params)?.with_headers(headers);
    let mut config = LoadConfig::new(target, mix, model, args.duration);
    config.timeout = args.timeout;
    for peer in &args.peer {
        let (authority, _) = load::split_url(peer)?;
        config.peers.push(format!("http://{authority}"));
    }
    config.login = args.login.then(Login::default);
    Ok(config)
}

/// `URL@3` → (`URL`, 3); a URL without `@N` at its end weighs 1.
fn split_weight(url: &str) -> Result<(&str, u32), LoadError> {
    match url.rsplit_once('@') {
        Some((head, weight))
            if weight.chars().all(|c| c.is_ascii_digit()) && !weight.is_empty() =>
        {
            let weight = weight.parse().map_err(|e| LoadError::BadUrl {
                url: url.to_string(),
                reason: format!("bad weight: {e}"),
            })?;
            Ok((head, weight))
        }
        _ => Ok((url, 1)),
    }
}

fn placeholders(path: &str) -> impl Iterator<Item = &str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("perflab bench: {error}");
    ExitCode::from(EXIT_ENVIRONMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_placeholders() {
        assert_eq!(split_weight("http://h:1/a@3").unwrap(), ("http://h:1/a", 3));
        assert_eq!(
            split_weight("http://u@h:1/a").unwrap(),
            ("http://u@h:1/a", 1)
        );
        let names: Vec<&str> = placeholders("/p/{id}?c={cat}").collect();
        assert_eq!(names, ["id", "cat"]);
    }
}
