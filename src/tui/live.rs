//! The dashboard's load: a shop with the student's files, the lab's traffic
//! through the load generator (the same one the checks use), and once a
//! second whether the shop lives and answers, then its own numbers — its
//! process's resident memory, its database connections. Runs in a task;
//! everything reaches the event loop as events, and the run stops with its
//! cancellation token (or when the shop dies: the load would only count
//! refused connections).

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Event;
use super::dashboard::{Exit, ShopHealth};
use crate::check::{CheckSpec, ExplainSpec, TrafficSpec};
use crate::explain::PlanTree;
use crate::lab::Lab;
use crate::lab::catalog::Panel;
use crate::lab::runner::{RunEnv, Staged};
use crate::messages::Text;
use crate::msg;
use crate::shop::settings::ShopSettings;

/// A dashboard load never runs longer than this.
pub const MAX_LOAD: Duration = Duration::from_secs(600);

/// The lab's traffic profile, else what its first measuring check drives
/// (its latency or baseline traffic, the listings its shared-keys check
/// compares), else product detail.
pub fn traffic_of(lab: &Lab) -> TrafficSpec {
    let from_checks = lab.checks.iter().find_map(|spec| match spec {
        CheckSpec::Latency(s) => s.traffic.clone(),
        CheckSpec::Baseline(s) => s.profiles.values().next().cloned(),
        CheckSpec::SharedKeys(s) => listings(&s.paths),
        _ => None,
    });
    lab.traffic
        .clone()
        .or(from_checks)
        .unwrap_or_else(|| TrafficSpec::path("/products/{id}"))
}

/// The listings a check names as an even mix, any category's
/// (`category=3` becomes `category={category}`).
fn listings(paths: &[String]) -> Option<TrafficSpec> {
    let mut traffic = TrafficSpec::path(paths.first()?.as_str());
    traffic.path = None;
    traffic.mix = paths
        .iter()
        .map(|path| crate::check::MixEntry {
            path: any_category(path),
            weight: 1,
            method: None,
            body: None,
        })
        .collect();
    Some(traffic)
}

fn any_category(path: &str) -> String {
    let Some((route, query)) = path.split_once('?') else {
        return path.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some(("category", _)) => "category={category}".to_string(),
            _ => p.to_string(),
        })
        .collect();
    format!("{route}?{}", query.join("&"))
}

/// Runs until the traffic ends, `cancel`, or the shop dies (said by an
/// [`Event::Health`]); the error is one line for the status bar.
pub async fn drive(
    env: &RunEnv,
    lab: &Lab,
    settings: &ShopSettings,
    indexes: &Path,
    traffic: &TrafficSpec,
    cancel: CancellationToken,
    tx: &mpsc::UnboundedSender<Event>,
) -> Result<(), String> {
    let text = Text::from(env.lang);
    let mut applied = read_indexes(indexes);
    let mut staged = Staged::start(env, lab, settings, Some(&applied))
        .await
        .map_err(|e| e.to_string())?;
    let ctx = staged.context(env, lab, None);
    if let Some(control) = &ctx.control {
        let _ = tx.send(Event::LoadControl(control.clone()));
    }
    send_plan(&ctx, lab, &text, tx).await;
    // One connection of our own to count the shop's (named differently, it
    // never counts itself).
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&env.database_url)
        .await
        .ok();
    let result = async {
        let mut run = traffic
            .start(&ctx, cancel.clone())
            .await
            .map_err(|e| e.to_string())?;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut silent = 0;
        // Labs with the breakdown panel profile the shop's CPU now and then
        // (one at a time: the shop refuses a second while one runs).
        // Aborted with the loop, so a profile never holds up the shop's stop.
        let mut profiling: Option<tokio_util::task::AbortOnDropHandle<()>> = None;
        let mut profiled_at: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                snapshot = run.snapshots.recv() => match snapshot {
                    Some(snapshot) => {
                        let done = snapshot.done;
                        let _ = tx.send(Event::Snapshot(Box::new(snapshot)));
                        if done {
                            return Ok(());
                        }
                    }
                    None => return Ok(()),
                },
                _ = tick.tick() => {
                    // The shop first: a dead one is said before anything
                    // else is asked of it (and the load stops: it would
                    // only count refused connections).
                    if let Some(death) = death(&mut staged) {
                        let _ = tx.send(Event::Health(death));
                        cancel.cancel();
                        return Ok(());
                    }
                    let health = match answers(&ctx).await {
                        true => {
                            silent = 0;
                            ShopHealth::Up
                        }
                        false => {
                            silent += 1;
                            ShopHealth::Silent { failed: silent }
                        }
                    };
                    let up = health == ShopHealth::Up;
                    let _ = tx.send(Event::Health(health));
                    if !up {
                        continue;
                    }
                    // The student saved indexes.sql: apply it to this shop
                    // and show the plan it gives (labs with a plan).
                    let changed = explain_spec(lab)
                        .map(|_| read_indexes(indexes))
                        .filter(|now| *now != applied);
                    if let Some(now) = changed {
                        applied = now;
                        match staged.reapply_indexes(&text, lab, &applied).await {
                            Ok(()) => send_plan(&ctx, lab, &text, tx).await,
                            Err(e) => {
                                let _ = tx.send(Event::Status(e.to_string()));
                            }
                        }
                    }
                    let rss_mb = match ctx.shop_pid {
                        Some(pid) => crate::check::read_rss(pid).await.ok(),
                        None => None,
                    };
                    let connections = match &db {
                        Some(db) => sqlx::query_scalar(crate::check::POOL_COUNT_SQL).fetch_one(db).await.ok(),
                        None => None,
                    };
                    let query_count = query_count(&ctx, traffic).await;
                    let _ = tx.send(Event::Sample { rss_mb, connections, query_count });
                    if lab.panels.contains(&Panel::RequestLog)
                        && let Some(log) = &ctx.log_file
                    {
                        let _ = tx.send(Event::LogTail(log_tail(log, LOG_TAIL_LINES).await));
                    }
                    if lab.panels.contains(&Panel::Breakdown)
                        && let Ok(body) = ctx.control_json("/breakdown").await
                        && let Ok(report) = serde_json::from_value(body)
                    {
                        let _ = tx.send(Event::Breakdown(report));
                    }
                    let due = profiled_at.is_none_or(|at| at.elapsed() >= PROFILE_EVERY);
                    if lab.panels.contains(&Panel::Breakdown)
                        && due
                        && profiling.as_ref().is_none_or(|task| task.is_finished())
                    {
                        profiled_at = Some(tokio::time::Instant::now());
                        profiling = Some(tokio_util::task::AbortOnDropHandle::new(tokio::spawn(
                            send_profile(ctx.clone(), tx.clone()),
                        )));
                    }
                }
            }
        }
    }
    .await;
    if let Some(db) = db {
        db.close().await;
    }
    staged.stop().await;
    result
}

/// How long each CPU profile of the shop samples…
const PROFILE_SECONDS: u64 = 3;
/// …and how often the dashboard takes one (its cost: a few % of one core
/// for `PROFILE_SECONDS` of every `PROFILE_EVERY`).
const PROFILE_EVERY: Duration = Duration::from_secs(15);

/// Profiles the shop's CPU under the load and sends what the panel shows:
/// the top frames, without a flamegraph (that is `perflab profile`'s). A
/// refused or failed profile sends nothing: the panel keeps the last one.
async fn send_profile(ctx: crate::check::Context, tx: mpsc::UnboundedSender<Event>) {
    let path = format!("/profile?seconds={PROFILE_SECONDS}&flamegraph=false");
    if let Ok(body) = ctx.control_post(&path).await
        && let Ok(profile) = serde_json::from_value::<crate::shop::profile::cpu::Profile>(body)
    {
        let _ = tx.send(Event::Profile(profile));
    }
}

/// The request log's lines the panel shows, at most.
const LOG_TAIL_LINES: usize = 12;

/// The last `lines` whole lines of the log file (read from its last 16 KB:
/// the file grows to megabytes); none while it does not exist.
async fn log_tail(path: &Path, lines: usize) -> Vec<String> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    const TAIL_BYTES: u64 = 16 * 1024;
    let Ok(mut file) = tokio::fs::File::open(path).await else {
        return Vec::new();
    };
    let len = file.metadata().await.map_or(0, |m| m.len());
    let start = len.saturating_sub(TAIL_BYTES);
    if file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).await.is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    // A read from the middle starts inside a line: drop that part.
    let whole = match start {
        0 => &text[..],
        _ => text.split_once('\n').map_or("", |(_, rest)| rest),
    };
    let all: Vec<&str> = whole.lines().filter(|l| !l.is_empty()).collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// How long a `/health` probe may take before the shop counts as silent.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the shop answers `/health` at all (any status: a 503 says the
/// database is down, which the status codes panel shows; silence is the
/// shop's own).
async fn answers(ctx: &crate::check::Context) -> bool {
    ctx.http
        .get(ctx.url("/health"))
        .timeout(PROBE_TIMEOUT)
        .send()
        .await
        .is_ok()
}

/// A shop of the stage that has ended: its pid, how, its log's last lines.
fn death(staged: &mut Staged) -> Option<ShopHealth> {
    staged.shops.iter_mut().find_map(|shop| {
        let pid = shop.pid();
        let status = shop.exited()?;
        Some(ShopHealth::Dead {
            pid,
            exit: Exit::of(status),
            log: shop.log_tail(LOG_LINES),
        })
    })
}

/// How many lines of a dead shop's log the dashboard shows.
const LOG_LINES: usize = 2;

/// A dead shop in one line, for the dashboard and the status line.
pub fn death_line(health: &ShopHealth, text: &Text) -> String {
    let ShopHealth::Dead { pid, exit, .. } = health else {
        return String::new();
    };
    let how = match exit {
        Exit::Code(code) => msg!(text, "tui-exit-code", code = *code),
        Exit::Signal(n) => msg!(
            text,
            "tui-exit-signal",
            signal = *n,
            name = exit.signal_name().unwrap_or("?")
        ),
        Exit::Unknown => msg!(text, "tui-exit-unknown"),
    };
    let pid = pid.map_or_else(|| "?".to_string(), |p| p.to_string());
    msg!(text, "tui-dashboard-shop-died", pid = pid, how = how)
}

/// The lab's `explain` check, if it has one.
fn explain_spec(lab: &Lab) -> Option<&ExplainSpec> {
    lab.checks.iter().find_map(|spec| match spec {
        CheckSpec::Explain(s) => Some(s),
        _ => None,
    })
}

/// The plan of the lab's query as its check asks for it, as the tree
/// `perflab explain` prints (or the reason there is none).
async fn send_plan(
    ctx: &crate::check::Context,
    lab: &Lab,
    text: &Text,
    tx: &mpsc::UnboundedSender<Event>,
) {
    let Some(spec) = explain_spec(lab) else {
        return;
    };
    let lines = match ctx.control_json(&spec.control_path()).await {
        Ok(json) => match PlanTree::from_json(&json) {
            Ok(tree) => tree.lines(text),
            Err(e) => vec![e.to_string()],
        },
        Err(e) => vec![e.render(text)],
    };
    let _ = tx.send(Event::Plan(lines));
}

/// The student's `indexes.sql` as it is now; unreadable reads as empty (the
/// dashboard's start already said why, and the checks will).
fn read_indexes(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// `X-Query-Count` of one request on the traffic's first path (`{id}` and
/// `{category}` as 1): the SQL statements a request of this lab costs.
async fn query_count(ctx: &crate::check::Context, traffic: &TrafficSpec) -> Option<u64> {
    let path = traffic
        .path
        .clone()
        .or_else(|| traffic.mix.first().map(|m| m.path.clone()))?
        .replace("{id}", "1")
        .replace("{category}", "1");
    let answer = ctx.http.get(ctx.url(&path)).send().await.ok()?;
    answer
        .headers()
        .get("x-query-count")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Applies a switch to the running shop at once (a JSON merge patch on its
/// control API); the line says how it went.
pub async fn patch_running(
    control: &crate::check::Control,
    patch: &serde_json::Value,
    text: &Text,
) -> String {
    let sent = reqwest::Client::new()
        .patch(format!("{}/settings", control.url))
        .bearer_auth(&control.token)
        .timeout(Duration::from_secs(5))
        .json(patch)
        .send()
        .await;
    let patch = patch.to_string();
    match sent {
        Ok(answer) if answer.status().is_success() => {
            msg!(text, "tui-status-running-shop-patched", patch = patch)
        }
        Ok(answer) => msg!(
            text,
            "tui-status-running-shop-refused",
            patch = patch,
            status = answer.status().to_string()
        ),
        Err(e) => msg!(
            text,
            "tui-status-running-shop-silent",
            error = e.to_string()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_1_5_drives_the_listings_it_is_about() {
        let catalog = crate::lab::Catalog::embedded().expect("embedded pack");
        let lab = catalog.lab("1.5-list-keys").expect("lab 1.5");
        assert_eq!(
            traffic_of(lab).describe(),
            "GET /products?category={category}&sort=price&page=1, GET /categories"
        );
        let lab = catalog.lab("1.3-cache-aside").expect("lab 1.3");
        assert_eq!(traffic_of(lab).describe(), "GET /products/{id}");
    }
}
