//! The live dashboard's data: what the load generator's 1-second windows and
//! the shop's own surfaces (process memory, connections) said, kept as a
//! short history — a fixed number of points, never a record per request —
//! so drawing a frame costs the same after an hour as after a second.
//!
//! Live figures are recent: latency is the last window's, the hit ratio the
//! `X-Cache` answers of the last [`RECENT_WINDOWS`] windows (a `BYPASS`
//! counts as a miss: a switched-off cache reads 0 %, not its old 100 %).
//! And the shop the load runs against is watched ([`ShopHealth`]): a shop
//! that died or stopped answering greys the panels and says so.

use std::collections::{BTreeMap, VecDeque};

use crate::check::CheckSpec;
use crate::lab::Lab;
use crate::lab::catalog::Panel;
use crate::load::{CacheCounts, Snapshot, StatusClass};

/// How many windows the charts keep (two minutes of 1-second windows).
pub const HISTORY: usize = 120;

/// How many of the generator's 1-second windows the live hit ratio spans:
/// long enough not to flicker, short enough to follow a switch within two
/// of them.
pub const RECENT_WINDOWS: usize = 3;

/// How many RSS readings (one a second) the memory panel draws.
pub const RSS_HISTORY: usize = 300;

/// The course's targets (its README), where a lab's checks name none.
pub const COURSE_P95_MS: f64 = 200.0;
pub const COURSE_HIT_RATIO: f64 = 0.8;
pub const COURSE_RSS_MB: f64 = 512.0;
pub const COURSE_CONNECTIONS: f64 = 20.0;

impl Dashboard {
    /// Takes the lab's own targets from its checks: the latency check's p95
    /// (a baseline-relative one computed from `baseline`, the tighter of the
    /// two when it has both, as the check judges), the hit-ratio check's
    /// minimum, the memory check's bound, the pool check's connections.
    pub fn with_targets_of(mut self, lab: &Lab, baseline: Option<&BTreeMap<String, f64>>) -> Self {
        for spec in &lab.checks {
            match spec {
                CheckSpec::Latency(s) if s.p95_ms.is_some() || s.vs_baseline.is_some() => {
                    let key = format!("{}.p95_ms", s.id.as_deref().unwrap_or("latency"));
                    let base = baseline.and_then(|b| b.get(&key)).copied();
                    let relative = match (s.vs_baseline, base) {
                        (Some(factor), Some(base)) if factor > 0.0 => {
                            self.p95_vs_baseline = Some((base, factor));
                            Some(base / factor)
                        }
                        (Some(_), None) => {
                            self.p95_needs_baseline = true;
                            None
                        }
                        _ => None,
                    };
                    self.target_p95_ms = match (s.p95_ms, relative) {
                        (Some(a), Some(b)) => a.min(b),
                        (a, b) => a.or(b).unwrap_or(COURSE_P95_MS),
                    };
                }
                CheckSpec::HitRatio(s) => self.hit_ratio_target = s.min,
                CheckSpec::Memory(s) => self.rss_target_mb = s.below_mb,
                CheckSpec::PoolConnections(s) => self.connections_target = f64::from(s.below),
                _ => {}
            }
        }
        self
    }
}

/// The shop the load runs against, as last seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ShopHealth {
    #[default]
    Up,
    /// The process lives but its `/health` went unanswered this many times in a row.
    Silent { failed: u32 },
    /// The process ended: its pid, how, and the last lines of its log.
    Dead {
        pid: Option<u32>,
        exit: Exit,
        log: Vec<String>,
    },
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
    Unknown,
}

impl Exit {
    pub fn of(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Self::Code(code),
            (None, Some(signal)) => Self::Signal(signal),
            _ => Self::Unknown,
        }
    }

    /// The signal's name (`SIGKILL`), if it was one.
    pub fn signal_name(self) -> Option<&'static str> {
        match self {
            Self::Signal(n) => nix::sys::signal::Signal::try_from(n)
                .ok()
                .map(|s| s.as_str()),
            _ => None,
        }
    }
}

/// One window, as charted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Seconds since the load started.
    pub t: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub rps: f64,
}

/// What the dashboard shows.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// The lab whose traffic runs.
    pub lab: String,
    /// What runs: "GET /products/{id}".
    pub traffic: String,
    /// The requests of the traffic's mix, in its order, when it has several
    /// (`GET /products/{id}`, `POST /auth/login`…): the final project judges
    /// each one's p95.
    pub routes: Vec<String>,
    /// The slowest of them and its p95 (ms): the route that decides a
    /// per-route target. Each route's p95 is its latest window's with a few
    /// answers, so a route drawn rarely is still judged.
    pub slowest: Option<(String, f64)>,
    /// Each route's latest p95 (ms), by index in `routes`.
    route_p95: Vec<Option<f64>>,
    /// Its closed loop's virtual users, if it is one (said in the
    /// student's language when drawn).
    pub virtual_users: Option<usize>,
    pub points: VecDeque<Point>,
    /// The p95 line to beat (the lab's latency target, else the course's 200 ms).
    pub target_p95_ms: f64,
    /// Where that p95 comes from, when it is relative: the baseline's p95
    /// and the factor the lab asks for.
    pub p95_vs_baseline: Option<(f64, f64)>,
    /// The lab's relative p95 target, with no baseline to compute it from.
    pub p95_needs_baseline: bool,
    /// The other targets: the lab's checks', else the course's.
    pub hit_ratio_target: f64,
    pub rss_target_mb: f64,
    pub connections_target: f64,
    /// Status codes over the whole run.
    pub status_codes: Vec<(u16, u64)>,
    pub errors: u64,
    pub requests: u64,
    /// `X-Cache` answers of the last [`RECENT_WINDOWS`] windows.
    pub cache_windows: VecDeque<CacheCounts>,
    /// The shop process's resident memory.
    pub rss_mb: Option<f64>,
    /// Its last [`RSS_HISTORY`] readings, one a second, oldest first.
    pub rss_history: VecDeque<f64>,
    /// The highest reading since the dashboard opened.
    pub rss_peak_mb: Option<f64>,
    /// The shop's PostgreSQL connections (`pg_stat_activity`).
    pub connections: Option<i64>,
    /// `X-Query-Count` of one probe request on the traffic's first path.
    pub query_count: Option<u64>,
    /// Per virtual user over the run: requests, 429s and the budget the
    /// shop last said it had left.
    pub users: Vec<crate::load::UserStats>,
    /// 429s per window, oldest first (as many windows as the chart).
    pub limited_windows: VecDeque<u64>,
    /// The plan of the lab's query, a line per node.
    pub plan: Option<Vec<String>>,
    /// The request log's last lines (`None` until read).
    pub log_tail: Option<Vec<String>>,
    /// The shop's span breakdown per route (`None` until read).
    pub breakdown: Option<crate::shop::profile::breakdown::Report>,
    /// The latest CPU profile of the shop under the load, taken without a
    /// flamegraph (`None` until one is taken).
    pub profile: Option<crate::shop::profile::cpu::Profile>,
    /// What the lab shows.
    pub panels: Vec<Panel>,
    pub running: bool,
    /// Whether the shop answers (the panels are stale when it does not).
    pub health: ShopHealth,
}

/// A route's p95 in one window needs at least this many 2xx answers.
const MIN_ROUTE_ANSWERS: u64 = 3;

impl Dashboard {
    pub fn new(lab: &str, traffic: String, target_p95_ms: f64) -> Self {
        Self {
            lab: lab.to_string(),
            traffic,
            target_p95_ms,
            hit_ratio_target: COURSE_HIT_RATIO,
            rss_target_mb: COURSE_RSS_MB,
            connections_target: COURSE_CONNECTIONS,
            running: true,
            panels: Panel::DEFAULT.to_vec(),
            ..Self::default()
        }
    }

    /// Takes one reading of the shop's resident memory.
    pub fn sample_rss(&mut self, mb: f64) {
        self.rss_mb = Some(mb);
        self.rss_peak_mb = Some(self.rss_peak_mb.map_or(mb, |peak| peak.max(mb)));
        if self.rss_history.len() == RSS_HISTORY {
            self.rss_history.pop_front();
        }
        self.rss_history.push_back(mb);
    }

    pub fn shows(&self, panel: Panel) -> bool {
        self.panels.contains(&panel)
    }

    /// Takes one snapshot: a point from its window (2xx latencies, so fast
    /// errors do not flatter the chart; NaN — no point — when nothing
    /// succeeded, never a 0 ms that looks like a fast shop), the run's totals.
    pub fn push(&mut self, snapshot: &Snapshot) {
        let ms = |us: u64| us as f64 / 1000.0;
        let ok = snapshot
            .window
            .class(StatusClass::Success)
            .filter(|c| c.count > 0);
        let latency =
            |f: fn(&crate::load::Latency) -> u64| ok.map_or(f64::NAN, |c| ms(f(&c.latency)));
        self.points.push_back(Point {
            t: snapshot.elapsed_secs,
            p50_ms: latency(|l| l.p50_us),
            p95_ms: latency(|l| l.p95_us),
            p99_ms: latency(|l| l.p99_us),
            rps: snapshot.window.rps,
        });
        while self.points.len() > HISTORY {
            self.points.pop_front();
        }
        self.slowest = self.slowest_of(snapshot);
        self.cache_windows.push_back(snapshot.window.cache);
        while self.cache_windows.len() > RECENT_WINDOWS {
            self.cache_windows.pop_front();
        }
        let total = &snapshot.total;
        self.status_codes = total.status_codes.iter().map(|(&c, &n)| (c, n)).collect();
        self.errors = total.errors.connect + total.errors.timeout + total.errors.other;
        self.requests = total.requests;
        self.users = total.users.clone();
        self.limited_windows.push_back(snapshot.window.rate_limited);
        while self.limited_windows.len() > HISTORY {
            self.limited_windows.pop_front();
        }
        if snapshot.done {
            self.running = false;
        }
    }

    pub fn last(&self) -> Option<&Point> {
        self.points.back()
    }

    /// Takes each route's p95 from the snapshot's window where it had a few
    /// 2xx answers (one answer is no percentile), keeps the others' last
    /// ones, and names the highest.
    fn slowest_of(&mut self, snapshot: &Snapshot) -> Option<(String, f64)> {
        self.route_p95.resize(self.routes.len(), None);
        for e in &snapshot.window.endpoints {
            if e.ok.count >= MIN_ROUTE_ANSWERS
                && let Some(slot) = self.route_p95.get_mut(e.index)
            {
                *slot = Some(e.ok.p95_us as f64 / 1000.0);
            }
        }
        self.routes
            .iter()
            .zip(&self.route_p95)
            .filter_map(|(route, p95)| Some((route.clone(), (*p95)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Hits over every `X-Cache` answer (hits, misses and bypasses) of the
    /// recent windows; `None` when none carried the header.
    pub fn hit_ratio(&self) -> Option<f64> {
        let mut recent = CacheCounts::default();
        for window in &self.cache_windows {
            recent.add(window);
        }
        let answers = recent.hit + recent.miss + recent.bypass;
        (answers > 0).then(|| recent.hit as f64 / answers as f64)
    }

    /// Sets the recent hit ratio as if every window had said it (tests and
    /// screens drawn without a load).
    pub fn set_hit_ratio(&mut self, ratio: f64) {
        let hit = (ratio * 1000.0).round() as u64;
        self.cache_windows = VecDeque::from([CacheCounts {
            hit,
            miss: 1000 - hit.min(1000),
            ..CacheCounts::default()
        }]);
    }

    /// Whether what the panels show is stale: the shop died or went silent.
    pub fn stale(&self) -> bool {
        self.health != ShopHealth::Up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window in which the responses' `X-Cache` said `hit`, `miss`, `bypass`.
    fn window(t: f64, (hit, miss, bypass): (u64, u64, u64)) -> Snapshot {
        let cache = CacheCounts {
            hit,
            miss,
            bypass,
            other: 0,
        };
        let stats = crate::load::Stats {
            requests: hit + miss + bypass,
            responses: hit + miss + bypass,
            cache,
            ..Default::default()
        };
        Snapshot {
            elapsed_secs: t,
            window: stats.clone(),
            total: stats,
            unsent: 0,
            done: false,
        }
    }

    #[test]
    fn switching_redis_off_reads_zero_within_two_windows_of_the_hit_ratio() {
        let mut dash = Dashboard::new("1.3-cache-aside", "GET /products/{id}".into(), 200.0);
        // A minute with Redis: 95 % hits.
        for t in 0..60 {
            dash.push(&window(f64::from(t), (950, 50, 0)));
        }
        assert_eq!(dash.hit_ratio(), Some(0.95));
        // The cache switched off: every answer is a BYPASS.
        let mut seen = Vec::new();
        for t in 60..60 + 2 * RECENT_WINDOWS {
            dash.push(&window(t as f64, (0, 0, 1000)));
            seen.push(dash.hit_ratio().expect("answers with X-Cache"));
        }
        assert!(seen[0] < 0.95, "moves at the first window: {seen:?}");
        assert_eq!(
            seen[RECENT_WINDOWS - 1],
            0.0,
            "0 once the recent windows are all after the switch: {seen:?}"
        );
        assert!(
            seen.iter().skip(RECENT_WINDOWS).all(|&r| r == 0.0),
            "{seen:?}"
        );
    }

    #[test]
    fn the_targets_are_the_labs_own() {
        let catalog = crate::lab::Catalog::embedded().expect("embedded pack");
        let lab = catalog.lab("1.3-cache-aside").expect("lab 1.3");
        let new = || Dashboard::new(&lab.id, String::new(), COURSE_P95_MS);
        // 2× better than a baseline of 8.98 ms: 4.49 ms, not the course's 200.
        let baseline = BTreeMap::from([("detail.p95_ms".to_string(), 8.98)]);
        let dash = new().with_targets_of(lab, Some(&baseline));
        assert!(
            (dash.target_p95_ms - 4.49).abs() < 1e-9,
            "{}",
            dash.target_p95_ms
        );
        assert_eq!(dash.p95_vs_baseline, Some((8.98, 2.0)));
        assert_eq!(dash.hit_ratio_target, 0.8);
        // No baseline yet: the dashboard says so rather than judge by 200 ms silently.
        let dash = new().with_targets_of(lab, None);
        assert!(dash.p95_needs_baseline);
    }

    #[test]
    fn the_slowest_route_of_a_mix_is_named_from_the_last_window() {
        let mut dash = Dashboard::new("final", "mix".into(), 200.0);
        dash.routes = vec![
            "GET /products/{id}".into(),
            "GET /products/search?q=lamp".into(),
        ];
        let route = |index, count, p95_us| crate::load::EndpointStats {
            index,
            requests: count,
            ok: crate::load::Latency {
                count,
                p95_us,
                ..Default::default()
            },
        };
        let mut snapshot = window(1.0, (0, 0, 0));
        snapshot.window.endpoints = vec![route(0, 90, 4_000), route(1, 10, 318_500)];
        dash.push(&snapshot);
        assert_eq!(
            dash.slowest,
            Some(("GET /products/search?q=lamp".to_string(), 318.5))
        );
        // Too few answers to judge the search in this window: its last p95
        // stands against the product page's new one.
        snapshot.window.endpoints = vec![route(0, 90, 3_000), route(1, 2, 900_000)];
        dash.push(&snapshot);
        assert_eq!(dash.slowest.as_ref().map(|s| s.1), Some(318.5));
        snapshot.window.endpoints = vec![route(0, 90, 3_000), route(1, 10, 2_000)];
        dash.push(&snapshot);
        assert_eq!(
            dash.slowest,
            Some(("GET /products/{id}".to_string(), 3.0)),
            "the search got cached"
        );
    }

    #[test]
    fn a_window_without_a_success_charts_no_latency() {
        let mut dash = Dashboard::new("1.3-cache-aside", "GET /products/{id}".into(), 200.0);
        dash.push(&window(1.0, (0, 0, 0)));
        let point = dash.last().expect("a point");
        assert!(point.p95_ms.is_nan(), "no 0 ms for a dead shop: {point:?}");
    }
}
