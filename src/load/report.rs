//! The plain-text summary of a run, as `perflab bench` prints it: requests,
//! rate, corrected and uncorrected percentiles, status codes, errors and late
//! sends. The TUI draws its own widgets from the same [`Snapshot`].

use std::fmt::Write;

use super::snapshot::{Latency, Snapshot, Stats};

/// A few lines describing the final snapshot of a run.
pub fn summary(snapshot: &Snapshot) -> String {
    let total = &snapshot.total;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} requests in {:.1}s, {:.0} requests/s",
        total.requests, total.secs, total.rps
    );
    let _ = writeln!(
        out,
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "latency", "p50", "p90", "p95", "p99", "max"
    );
    latency_line(&mut out, "corrected (scheduled)", &total.latency);
    latency_line(&mut out, "uncorrected (sent)", &total.uncorrected);
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

/// A one-line progress report of a window, for stderr while a run goes on.
pub fn window_line(snapshot: &Snapshot) -> String {
    let w = &snapshot.window;
    format!(
        "{:>5.1}s {:>8.0} req/s  p50 {}  p95 {}  p99 {}  errors {}  late {}",
        snapshot.elapsed_secs,
        w.rps,
        ms(w.latency.p50_us),
        ms(w.latency.p95_us),
        ms(w.latency.p99_us),
        w.errors.total(),
        w.late
    )
}

fn latency_line(out: &mut String, label: &str, latency: &Latency) {
    let _ = writeln!(
        out,
        "{label:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
        ms(latency.p50_us),
        ms(latency.p90_us),
        ms(latency.p95_us),
        ms(latency.p99_us),
        ms(latency.max_us)
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

fn ms(us: u64) -> String {
    format!("{:.2}ms", us as f64 / 1000.0)
}
