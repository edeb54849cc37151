//! How `perflab bench` shows a run: a header line saying what it will do
//! ([`RunInfo`], [`header`]), a progress line a second ([`window_line`]), and
//! either a plain summary ([`summary`]: requests, rate, bytes/s, mean,
//! standard deviation and percentiles, status codes, errors, late sends) or
//! JSON ([`json`]: the summary first, then the configuration it ran with).
//! The TUI draws its own widgets from the same [`Snapshot`].

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::mix::Param;
use super::snapshot::{Latency, Snapshot, Stats};
use super::{LoadConfig, Model};
use crate::fixtures::users::credentials;

/// What a run was asked to do, read back from its [`LoadConfig`]: the header
/// line and the JSON's `config` say the same thing, and say what ran.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunInfo {
    /// `"closed"` (N users, each waiting for its answer) or `"open"` (a
    /// fixed rate, whatever the server does).
    pub mode: &'static str,
    /// Open loop: requests per second.
    pub rate: Option<f64>,
    /// Closed loop: virtual users.
    pub users: Option<usize>,
    pub connections: usize,
    pub duration_secs: f64,
    pub timeout_secs: f64,
    /// `http://host:port`.
    pub target: String,
    /// Other instances the connections are dealt over, in turn with `target`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
    pub endpoints: Vec<EndpointInfo>,
    /// How each `{placeholder}` is filled.
    pub params: BTreeMap<String, ParamInfo>,
    /// Whether each virtual user logs in, and as whom.
    pub login: Option<LoginInfo>,
    /// Seed of the random draws (ids, the mix).
    pub seed: u64,
}

/// One endpoint of the mix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EndpointInfo {
    pub method: String,
    pub path: String,
    pub weight: u32,
}

/// How a placeholder is filled.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "distribution", rename_all = "lowercase")]
pub enum ParamInfo {
    Zipf { lo: u64, hi: u64, exponent: f64 },
    Uniform { lo: u64, hi: u64 },
    Choice { values: Vec<String> },
}

/// The logins of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoginInfo {
    pub path: String,
    /// The first and the last virtual user's e-mail.
    pub first: String,
    pub last: String,
}

impl RunInfo {
    /// Describes `config`.
    pub fn of(config: &LoadConfig) -> Self {
        let (mode, rate, users) = match config.model {
            Model::Open { rate, .. } => ("open", Some(rate), None),
            Model::Closed { users } => ("closed", None, Some(users)),
        };
        let connections = config.model.connections();
        let endpoints = config
            .mix
            .endpoints()
            .map(|e| EndpointInfo {
                method: e.method.to_string(),
                path: e.path.clone(),
                weight: e.weight,
            })
            .collect();
        let params = config
            .mix
            .params()
            .map(|(name, param)| (name.to_string(), ParamInfo::of(param)))
            .collect();
        let login = config.login.as_ref().map(|login| {
            let last = login.first_user + connections.saturating_sub(1) as i64;
            LoginInfo {
                path: login.path.clone(),
                first: credentials(login.first_user).0,
                last: credentials(last).0,
            }
        });
        Self {
            mode,
            rate,
            users,
            connections,
            duration_secs: config.duration.as_secs_f64(),
            timeout_secs: config.timeout.as_secs_f64(),
            target: config.target.clone(),
            peers: config.peers.clone(),
            endpoints,
            params,
            login,
            seed: config.seed,
        }
    }
}

impl ParamInfo {
    fn of(param: &Param) -> Self {
        match param {
            Param::Zipf(zipf) => {
                let (lo, hi) = zipf.range();
                Self::Zipf {
                    lo,
                    hi,
                    exponent: zipf.exponent(),
                }
            }
            Param::Uniform { lo, hi } => Self::Uniform { lo: *lo, hi: *hi },
            Param::Choice(values) => Self::Choice {
                values: values.clone(),
            },
        }
    }
}

/// One line saying what the run does, before it starts, e.g.
/// `closed loop: 32 users, one connection each, for 10s: GET
/// http://127.0.0.1:8000/products/{id} ({id}: Zipf 1 over 1..=100000)`.
pub fn header(info: &RunInfo) -> String {
    let mut out = match (info.rate, info.users) {
        (Some(rate), _) => format!(
            "open loop: {rate} requests/s over {} connections",
            info.connections
        ),
        (None, users) => format!(
            "closed loop: {} users, one connection each",
            users.unwrap_or(info.connections)
        ),
    };
    let duration = std::time::Duration::from_secs_f64(info.duration_secs);
    let _ = write!(out, ", for {}:", humantime::format_duration(duration));
    let weighted = info.endpoints.iter().any(|e| e.weight != 1);
    for (k, endpoint) in info.endpoints.iter().enumerate() {
        let sep = if k == 0 { " " } else { ", " };
        let _ = write!(
            out,
            "{sep}{} {}{}",
            endpoint.method, info.target, endpoint.path
        );
        if weighted {
            let _ = write!(out, " ×{}", endpoint.weight);
        }
    }
    for (name, param) in &info.params {
        let _ = match param {
            ParamInfo::Zipf { lo, hi, exponent } => {
                write!(out, " ({{{name}}}: Zipf {exponent} over {lo}..={hi})")
            }
            ParamInfo::Uniform { lo, hi } => write!(out, " ({{{name}}}: uniform {lo}..={hi})"),
            ParamInfo::Choice { values } => {
                write!(out, " ({{{name}}}: one of {})", values.join(", "))
            }
        };
    }
    if !info.peers.is_empty() {
        let _ = write!(
            out,
            "; connections dealt in turn over {} and {}",
            info.target,
            info.peers.join(", ")
        );
    }
    if let Some(login) = &info.login {
        let _ = write!(out, "; logged in as {}…{}", login.first, login.last);
    }
    out
}

/// A few lines describing the final snapshot of a run.
pub fn summary(info: &RunInfo, snapshot: &Snapshot) -> String {
    let total = &snapshot.total;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} requests in {:.1}s, {:.0} requests/s, {}/s received ({} in all)",
        total.requests,
        total.secs,
        total.rps,
        bytes(total.bytes_per_sec),
        bytes(total.bytes as f64)
    );
    let _ = writeln!(
        out,
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "latency", "mean", "stdev", "p50", "p90", "p95", "p99", "max"
    );
    if info.mode == "open" {
        latency_line(&mut out, "corrected (scheduled)", &total.latency);
        latency_line(&mut out, "uncorrected (sent)", &total.uncorrected);
    } else {
        // Closed loop: every request is sent when it is scheduled, so the
        // corrected and uncorrected latencies are one and the same.
        latency_line(&mut out, "all responses", &total.latency);
    }
    for (class, stats) in &total.by_class {
        let label = format!("{} ({})", class.label(), stats.count);
        latency_line(&mut out, &label, &stats.latency);
    }
    let _ = writeln!(out, "status codes: {}", codes(total));
    let cache = &total.cache;
    if cache.answered() > 0 {
        let ratio = cache
            .hit_ratio()
            .map_or("-".to_string(), |r| format!("{:.1} %", r * 100.0));
        let _ = writeln!(
            out,
            "X-Cache: HIT {}, MISS {}, BYPASS {}, other {}; hit ratio {ratio}",
            cache.hit, cache.miss, cache.bypass, cache.other
        );
    }
    let errors = &total.errors;
    let _ = writeln!(
        out,
        "errors: {} (connect {}, timeout {}, other {}); late sends: {}; unsent: {}",
        errors.total(),
        errors.connect,
        errors.timeout,
        errors.other,
        total.late,
        snapshot.unsent
    );
    let missing = snapshot.unsent + errors.total();
    if missing > 0 {
        // Unsent slots and failed requests have no latency, yet they are the
        // ones that waited longest: the percentiles above leave them out.
        let _ = writeln!(
            out,
            "note: {missing} requests unsent or failed are not in the percentiles, \
             which are therefore lower bounds"
        );
    }
    if !total.users.is_empty() {
        let limited = total.users.iter().filter(|u| u.rate_limited > 0).count();
        let _ = writeln!(
            out,
            "users: {}, {} of them rate limited ({} responses 429)",
            total.users.len(),
            limited,
            total.rate_limited
        );
    }
    out
}

/// `perflab bench --json`: the summary first, then the configuration.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    summary: JsonSummary<'a>,
    config: &'a RunInfo,
}

/// The run's totals, and the open loop's unsent requests.
#[derive(Debug, Serialize)]
struct JsonSummary<'a> {
    #[serde(flatten)]
    total: &'a Stats,
    unsent: u64,
}

/// The final snapshot and the configuration as pretty JSON: `summary` (the
/// run's totals) first, then `config` (the [`RunInfo`]).
pub fn json(info: &RunInfo, snapshot: &Snapshot) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&JsonReport {
        summary: JsonSummary {
            total: &snapshot.total,
            unsent: snapshot.unsent,
        },
        config: info,
    })
}

/// A one-line progress report of a window, for stderr while a run goes on.
pub fn window_line(snapshot: &Snapshot) -> String {
    let w = &snapshot.window;
    format!(
        "{:>5.1}s {:>8.0} req/s  p50 {}  p95 {}  p99 {}  errors {}  late {}",
        snapshot.elapsed_secs,
        w.rps,
        ms(w.latency.p50_us as f64),
        ms(w.latency.p95_us as f64),
        ms(w.latency.p99_us as f64),
        w.errors.total(),
        w.late
    )
}

fn latency_line(out: &mut String, label: &str, latency: &Latency) {
    let _ = writeln!(
        out,
        "{label:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        ms(latency.mean_us),
        ms(latency.stdev_us),
        ms(latency.p50_us as f64),
        ms(latency.p90_us as f64),
        ms(latency.p95_us as f64),
        ms(latency.p99_us as f64),
        ms(latency.max_us as f64)
    );
}

fn codes(stats: &Stats) -> String {
    if stats.status_codes.is_empty() {
        return "none".to_string();
    }
    let parts: Vec<String> = stats
        .status_codes
        .iter()
        .map(|(code, n)| format!("{code}: {n}"))
        .collect();
    parts.join(", ")
}

fn ms(us: f64) -> String {
    format!("{:.2}ms", us / 1000.0)
}

/// Bytes in SI units (kB = 1000 B), three significant digits or so.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{value:.0} {}", UNITS[unit]),
        _ => format!("{value:.2} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::load::{Endpoint, Login, Mix};

    fn info(model: Model, login: bool) -> RunInfo {
        let params = BTreeMap::from([("id".to_string(), Param::zipf(1, 1000, 1.0).unwrap())]);
        let mix = Mix::new(
            vec![
                Endpoint::get("/products/{id}").weight(3),
                Endpoint::get("/categories"),
            ],
            params,
        )
        .unwrap();
        let mut config =
            LoadConfig::new("http://127.0.0.1:8000", mix, model, Duration::from_secs(10));
        config.login = login.then(Login::default);
        RunInfo::of(&config)
    }

    #[test]
    fn the_header_says_mode_load_and_mix() {
        let closed = header(&info(Model::Closed { users: 4 }, true));
        assert_eq!(
            closed,
            "closed loop: 4 users, one connection each, for 10s: \
             GET http://127.0.0.1:8000/products/{id} ×3, GET http://127.0.0.1:8000/categories ×1 \
             ({id}: Zipf 1 over 1..=1000); logged in as user2@perflab.test…user5@perflab.test"
        );
        let open = header(&info(
            Model::Open {
                rate: 250.0,
                connections: 8,
            },
            false,
        ));
        assert!(
            open.starts_with("open loop: 250 requests/s over 8 connections, for 10s: GET"),
            "{open}"
        );
    }

    #[test]
    fn bytes_read_in_si_units() {
        assert_eq!(bytes(999.0), "999 B");
        assert_eq!(bytes(1_500.0), "1.50 kB");
        assert_eq!(bytes(2_345_678.0), "2.35 MB");
    }
}
