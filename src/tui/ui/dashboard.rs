//! The live dashboard: p50/p95/p99 over time against the lab's p95 target,
//! requests per second, status codes, the cache's hit ratio against the
//! course's 80 % and the shop's memory against 512 MB. Each panel is a
//! function of the [`Dashboard`], so later panels (rate-limit budget, log
//! tail, spans) are one more function.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Chart, Dataset, Gauge, GraphType, Paragraph, Sparkline, Wrap,
};

use super::{Theme, mark, title};
use crate::check::Verdict;
use crate::lab::catalog::Panel;
use crate::messages::Text;
use crate::msg;
use crate::tui::app::App;
use crate::tui::dashboard::{Dashboard, ShopHealth};
use crate::tui::live;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let words = app.text();
    let text = &words;
    let Some(dash) = &app.dashboard else {
        frame.render_widget(
            Paragraph::new(msg!(text, "tui-dashboard-no-load"))
                .wrap(Wrap { trim: true })
                .block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    let banner = health_lines(dash, text, theme);
    // Wrapped: the line names what died and how, whatever the width.
    let rows: usize = banner
        .iter()
        .map(|l| l.width().div_ceil(usize::from(area.width.max(1))).max(1))
        .sum();
    let [banner_area, area] = Layout::vertical([
        Constraint::Length(u16::try_from(rows).unwrap_or(0)),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(banner).wrap(Wrap { trim: false }),
        banner_area,
    );
    let theme = match dash.stale() {
        true => theme.greyed(),
        false => theme,
    };
    let bottom_panels: Vec<Panel> = [
        Panel::HitRatio,
        Panel::Memory,
        Panel::Connections,
        Panel::Status,
        Panel::RateLimits,
        Panel::Explain,
        Panel::RequestLog,
        Panel::Breakdown,
    ]
    .into_iter()
    .filter(|p| dash.shows(*p))
    .collect();
    let tall = dash.shows(Panel::Explain)
        || dash.shows(Panel::RateLimits)
        || dash.shows(Panel::RequestLog)
        || dash.shows(Panel::Breakdown);
    let bottom_height = match (bottom_panels.is_empty(), tall) {
        (true, _) => 0,
        (false, true) => 10,
        (false, false) => 6,
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Min(8), Constraint::Length(bottom_height)]).areas(area);
    match (dash.shows(Panel::Latency), dash.shows(Panel::Throughput)) {
        (true, true) => {
            let [chart_area, rate_area] =
                Layout::horizontal([Constraint::Percentage(70), Constraint::Percentage(30)])
                    .areas(top);
            latency_chart(frame, chart_area, dash, text, theme);
            throughput(frame, rate_area, dash, text, theme);
        }
        (true, false) => latency_chart(frame, top, dash, text, theme),
        (false, true) => throughput(frame, top, dash, text, theme),
        (false, false) => {}
    }
    let areas = Layout::horizontal(
        bottom_panels
            .iter()
            .map(|p| match p {
                Panel::Explain => Constraint::Fill(2),
                _ => Constraint::Fill(1),
            })
            .collect::<Vec<_>>(),
    )
    .split(bottom);
    for (panel, area) in bottom_panels.iter().zip(areas.iter()) {
        small_panel(frame, *area, *panel, dash, text, theme);
    }
}

/// What is wrong with the shop, first and in one line (a dead one's last
/// log lines under it); nothing while it answers.
fn health_lines(dash: &Dashboard, text: &Text, theme: Theme) -> Vec<Line<'static>> {
    let alarm = theme.verdict(Verdict::Fail);
    match &dash.health {
        ShopHealth::Up => Vec::new(),
        ShopHealth::Silent { failed } => vec![Line::styled(
            format!(
                "{} {}",
                mark(Verdict::Fail),
                msg!(text, "tui-dashboard-shop-silent", failed = *failed)
            ),
            alarm,
        )],
        dead @ ShopHealth::Dead { log, .. } => {
            let mut lines = vec![Line::styled(
                format!("{} {}", mark(Verdict::Fail), live::death_line(dead, text)),
                alarm,
            )];
            lines.extend(
                log.iter()
                    .map(|l| Line::styled(format!("  {l}"), theme.dim())),
            );
            lines
        }
    }
}

/// A panel's frame, grey when what it shows is stale.
fn panel(title: String, theme: Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.frame())
        .title(title)
}

/// One of the dashboard's lower panels.
fn small_panel(
    frame: &mut Frame,
    area: Rect,
    panel: Panel,
    dash: &Dashboard,
    text: &Text,
    theme: Theme,
) {
    match panel {
        Panel::HitRatio => gauge(
            frame,
            area,
            theme,
            GaugeSpec {
                title: title(msg!(
                    text,
                    "tui-dashboard-hit-ratio",
                    target = format!("{:.0}", dash.hit_ratio_target * 100.0)
                )),
                value: dash.hit_ratio(),
                target: dash.hit_ratio_target,
                higher_is_better: true,
                label: |v| format!("{:.1} %", v * 100.0),
                scale: 1.0,
            },
        ),
        Panel::Memory => memory(frame, area, dash, text, theme),
        Panel::Connections => gauge(
            frame,
            area,
            theme,
            GaugeSpec {
                title: title(msg!(
                    text,
                    "tui-dashboard-connections",
                    target = format!("{:.0}", dash.connections_target)
                )),
                value: dash.connections.map(|c| c as f64),
                target: dash.connections_target,
                higher_is_better: false,
                label: |v| format!("{v:.0}"),
                scale: dash.connections_target * 1.25,
            },
        ),
        Panel::Status => status_codes(frame, area, dash, text, theme),
        Panel::Explain => plan(frame, area, dash, text, theme),
        Panel::RateLimits => rate_limits(frame, area, dash, text, theme),
        Panel::RequestLog => request_log(frame, area, dash, text, theme),
        Panel::Breakdown => breakdown(frame, area, dash, text, theme),
        Panel::Latency | Panel::Throughput => {}
    }
}

/// The shop's RSS against its target: a bar with the reading now and the
/// peak, and under it, where the panel has room, the readings over time
/// (one a second), scaled to the peak so their shape shows (the bar says
/// where they stand against the target).
fn memory(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let spec = GaugeSpec {
        title: title(msg!(
            text,
            "tui-dashboard-memory",
            target = format!("{:.0}", dash.rss_target_mb)
        )),
        value: dash.rss_mb,
        target: dash.rss_target_mb,
        higher_is_better: false,
        label: |v| format!("{v:.0} MB"),
        scale: dash.rss_target_mb * 1.25,
    };
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    let (Some(now), Some(peak)) = (dash.rss_mb, dash.rss_peak_mb) else {
        return gauge(frame, area, theme, spec);
    };
    if inner.height < 3 || dash.rss_history.len() < 2 {
        return gauge(frame, area, theme, spec);
    }
    let verdict = match now < spec.target {
        true => Verdict::Pass,
        false => Verdict::Fail,
    };
    frame.render_widget(panel(spec.title, theme), area);
    let [bar, history] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let label = msg!(
        text,
        "tui-dashboard-memory-now",
        now = format!("{now:.0}"),
        peak = format!("{peak:.0}")
    );
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.verdict(verdict))
            .ratio((now / spec.scale).clamp(0.0, 1.0))
            .label(label),
        bar,
    );
    mark_target(frame, bar, spec.target / spec.scale);
    // The newest readings that fit, the peak at the top.
    let scale = peak.max(1.0);
    let shown = dash.rss_history.iter().skip(
        dash.rss_history
            .len()
            .saturating_sub(usize::from(history.width)),
    );
    let data: Vec<u64> = shown.map(|mb| (mb / scale * 1000.0) as u64).collect();
    frame.render_widget(
        Sparkline::default()
            .style(theme.verdict(verdict))
            .max(1000)
            .data(&data),
        history,
    );
}

/// The request log's last lines, newest at the bottom, cut at the panel's
/// width (a line is one request: its start says which).
fn request_log(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let rows = usize::from(area.height.saturating_sub(2));
    let lines: Vec<Line> = match &dash.log_tail {
        Some(lines) if !lines.is_empty() => lines[lines.len().saturating_sub(rows)..]
            .iter()
            .map(|l| Line::raw(l.clone()))
            .collect(),
        _ => vec![Line::raw(msg!(text, "tui-dashboard-log-empty"))],
    };
    frame.render_widget(
        Paragraph::new(lines).block(panel(title(msg!(text, "tui-dashboard-log")), theme)),
        area,
    );
}

/// The span breakdown: per route, the mean milliseconds per request of each
/// part and the part that dominates (the slowest routes first).
fn breakdown(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    use crate::shop::profile::breakdown::PARTS;
    let mut routes: Vec<_> = dash
        .breakdown
        .iter()
        .flat_map(|report| report.routes.iter())
        .collect();
    routes.sort_by(|a, b| b.1.total_ms.total_cmp(&a.1.total_ms));
    let mut lines: Vec<Line> = match (&dash.breakdown, routes.is_empty()) {
        (Some(report), _) if !report.enabled => {
            vec![Line::raw(msg!(text, "tui-dashboard-breakdown-off"))]
        }
        (_, true) => vec![Line::raw(msg!(text, "tui-dashboard-breakdown-empty"))],
        (_, false) => routes
            .into_iter()
            .map(|(route, parts)| {
                let each: Vec<String> = PARTS
                    .iter()
                    .map(|p| format!("{} {:.2}", p.name(), parts.ms_per_request[p]))
                    .collect();
                Line::from(vec![
                    Span::raw(format!("{route:<24} {:>9.2} ms  ", parts.total_ms)),
                    Span::styled(
                        format!(
                            "{} {:.0} %",
                            parts.dominant.name(),
                            parts.dominant_share * 100.0
                        ),
                        theme.verdict(Verdict::Fail),
                    ),
                    Span::raw(format!("  ({})", each.join(", "))),
                ])
            })
            .collect(),
    };
    lines.extend(cpu_profile(dash, text));
    frame.render_widget(
        Paragraph::new(lines).block(panel(title(msg!(text, "tui-dashboard-breakdown")), theme)),
        area,
    );
}

/// The frames of the latest CPU profile that fit under the breakdown.
const PROFILE_FRAMES: usize = 4;

/// Under the breakdown: where the shop's CPU was in its latest profile —
/// the functions with the most self samples.
fn cpu_profile<'a>(dash: &Dashboard, text: &Text) -> Vec<Line<'a>> {
    let Some(profile) = &dash.profile else {
        return vec![Line::raw(msg!(text, "tui-dashboard-profile-waiting"))];
    };
    if profile.top.is_empty() {
        return vec![Line::raw(msg!(
            text,
            "tui-dashboard-profile-idle",
            seconds = profile.seconds
        ))];
    }
    let heading = msg!(
        text,
        "tui-dashboard-profile",
        seconds = profile.seconds,
        samples = profile.samples
    );
    std::iter::once(Line::raw(heading))
        .chain(profile.top.iter().take(PROFILE_FRAMES).map(|frame| {
            Line::raw(format!(
                "{:>5.1} %  {}",
                frame.share * 100.0,
                frame.function
            ))
        }))
        .collect()
}

/// The limiter as the load meets it: 429s over time (a line of text and a
/// sparkline per window), then per virtual user its requests, the budget
/// the shop last said it had left, and its 429s.
fn rate_limits(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let block = panel(title(msg!(text, "tui-dashboard-rate-limits")), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [over_time, spark, users] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let now = dash.limited_windows.back().copied().unwrap_or(0);
    let peak = dash.limited_windows.iter().copied().max().unwrap_or(0);
    frame.render_widget(
        Paragraph::new(msg!(
            text,
            "tui-dashboard-429-over-time",
            now = now,
            peak = peak
        )),
        over_time,
    );
    let data: Vec<u64> = dash.limited_windows.iter().copied().collect();
    frame.render_widget(
        Sparkline::default()
            .data(&data[data.len().saturating_sub(usize::from(spark.width))..])
            .style(theme.verdict(Verdict::Fail)),
        spark,
    );
    let lines: Vec<Line> = match dash.users.is_empty() {
        true => vec![Line::raw(msg!(text, "tui-dashboard-no-users"))],
        false => dash
            .users
            .iter()
            .map(|user| {
                let name = user.user.split('@').next().unwrap_or(&user.user);
                let limited = user.rate_limited;
                let style = match limited > 0 {
                    true => theme.verdict(Verdict::Fail),
                    false => theme.verdict(Verdict::Pass),
                };
                let budget = match user.remaining {
                    Some(left) => msg!(text, "tui-dashboard-budget-left", left = left),
                    None => msg!(text, "tui-dashboard-budget-unknown"),
                };
                Line::from(vec![
                    Span::raw(format!("{name:<8} {:>6}  {budget:<12} ", user.requests)),
                    Span::styled(format!("429 × {limited}"), style),
                ])
            })
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), users);
}

fn plan(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let lines: Vec<Line> = match &dash.plan {
        Some(lines) => lines
            .iter()
            .map(|l| match l.contains("Seq Scan") {
                true => Line::styled(l.clone(), theme.verdict(Verdict::Fail)),
                false => Line::raw(l.clone()),
            })
            .collect(),
        None => vec![Line::raw("—")],
    };
    frame.render_widget(
        Paragraph::new(lines).block(panel(title(msg!(text, "tui-dashboard-plan")), theme)),
        area,
    );
}

fn latency_chart(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let series = |f: fn(&crate::tui::dashboard::Point) -> f64| -> Vec<(f64, f64)> {
        dash.points
            .iter()
            .map(|p| (p.t, f(p)))
            .filter(|(_, v)| v.is_finite())
            .collect()
    };
    let (p50, p95, p99) = (
        series(|p| p.p50_ms),
        series(|p| p.p95_ms),
        series(|p| p.p99_ms),
    );
    let t0 = dash.points.front().map_or(0.0, |p| p.t);
    let t1 = dash.points.back().map_or(1.0, |p| p.t.max(t0 + 1.0));
    let target_ms = dash.target_p95_ms;
    // The scale follows the measurements; the target line shows when it is
    // near enough to compare with, else the legend says it is above.
    let highest = p99.iter().map(|&(_, v)| v).fold(1.0, f64::max);
    let on_chart = target_ms < highest * 3.0;
    let top = match on_chart {
        true => highest.max(target_ms) * 1.2,
        false => highest * 1.3,
    };
    let target = match on_chart {
        true => vec![(t0, target_ms), (t1, target_ms)],
        false => Vec::new(),
    };
    let target_name = match on_chart {
        true => msg!(text, "tui-dashboard-p95-target", ms = ms_text(target_ms)),
        false => msg!(
            text,
            "tui-dashboard-p95-target-off",
            ms = ms_text(target_ms)
        ),
    };
    // Without colour the lines differ by their marks, and the legend shows
    // each one's mark.
    let line = |name: String, colour: Color, marker: Marker, glyph: &str| {
        let name = match theme.colour() {
            true => name,
            false => format!("{glyph} {name}"),
        };
        let marker = if theme.colour() {
            Marker::Braille
        } else {
            marker
        };
        Dataset::default()
            .name(name)
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(theme.line(colour))
    };
    let datasets = vec![
        line("p50".into(), Color::Green, Marker::Dot, "•").data(&p50),
        line("p95".into(), Color::Yellow, Marker::Braille, "⠒").data(&p95),
        line("p99".into(), Color::Magenta, Marker::Bar, "▄").data(&p99),
        line(target_name, Color::Red, Marker::Block, "█")
            .marker(if theme.colour() {
                Marker::Dot
            } else {
                Marker::Block
            })
            .data(&target),
    ];
    let state = match (&dash.health, dash.running) {
        (ShopHealth::Dead { .. }, _) => msg!(text, "tui-dashboard-dead"),
        (ShopHealth::Silent { .. }, _) => msg!(text, "tui-dashboard-silent"),
        (ShopHealth::Up, true) => msg!(text, "tui-dashboard-running"),
        (ShopHealth::Up, false) => msg!(text, "tui-dashboard-finished"),
    };
    let traffic = match dash.virtual_users {
        Some(users) => msg!(
            text,
            "tui-dashboard-traffic-users",
            traffic = dash.traffic.as_str(),
            users = users
        ),
        None => dash.traffic.clone(),
    };
    // The state first: a narrow screen cuts the end of a title.
    let title = format!(" {state} · {} · {traffic} ", dash.lab);
    frame.render_widget(
        Chart::new(datasets)
            .block(panel(title, theme))
            .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft))
            .hidden_legend_constraints((Constraint::Ratio(2, 3), Constraint::Ratio(2, 3)))
            .x_axis(
                Axis::default()
                    .bounds([t0, t1])
                    .labels([format!("{t0:.0}s"), format!("{t1:.0}s")]),
            )
            .y_axis(
                Axis::default()
                    .bounds([0.0, top])
                    .labels(["0".to_string(), format!("{top:.0} ms")]),
            ),
        area,
    );
}

/// Milliseconds with the precision a target needs (4.49 ms, 50 ms).
fn ms_text(ms: f64) -> String {
    match ms {
        v if v < 10.0 => format!("{v:.2}"),
        v if v < 100.0 => format!("{v:.1}"),
        v => format!("{v:.0}"),
    }
}

fn throughput(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    // A mix's slowest route takes a line of its own under its p95.
    let route = match (dash.p95_vs_baseline, dash.p95_needs_baseline) {
        (None, false) => dash.slowest.as_ref().map(|(route, _)| route.clone()),
        _ => None,
    };
    let rows = 6 + u16::from(route.is_some());
    let [numbers, spark] =
        Layout::vertical([Constraint::Length(rows), Constraint::Min(1)]).areas(area);
    let last = dash.last();
    // No successful answer in the window: no latency, never a green 0.0 ms.
    let ms = |f: fn(&crate::tui::dashboard::Point) -> f64| {
        last.map(f)
            .filter(|v| v.is_finite())
            .map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
    };
    let p95 = last.map_or(f64::NAN, |p| p.p95_ms);
    let verdict = match p95 < dash.target_p95_ms {
        true => Verdict::Pass,
        false => Verdict::Fail,
    };
    let mut lines = vec![
        Line::from(format!("{:.0} req/s", last.map_or(0.0, |p| p.rps))),
        Line::from(vec![
            Span::raw("p95 "),
            Span::styled(format!("{} ms", ms(|p| p.p95_ms)), theme.verdict(verdict)),
            Span::raw(format!(" (< {})", ms_text(dash.target_p95_ms))),
        ]),
        Line::from(format!(
            "p50 {} · p99 {} ms",
            ms(|p| p.p50_ms),
            ms(|p| p.p99_ms)
        )),
        // Where the p95 target comes from when it is the lab's relative
        // one; else, for a mix, its slowest route (what a per-route target
        // is decided by); else the SQL statements a request costs, once known.
        match (
            dash.p95_vs_baseline,
            dash.p95_needs_baseline,
            dash.query_count,
        ) {
            (None, false, _) if dash.slowest.is_some() => {
                let p95 = dash.slowest.as_ref().map_or(f64::NAN, |(_, p95)| *p95);
                let verdict = match p95 < dash.target_p95_ms {
                    true => Verdict::Pass,
                    false => Verdict::Fail,
                };
                Line::from(vec![
                    Span::raw(format!("{} ", msg!(text, "tui-dashboard-slowest"))),
                    Span::styled(format!("{p95:.1} ms"), theme.verdict(verdict)),
                ])
            }
            (Some((base, factor)), _, _) => Line::from(msg!(
                text,
                "tui-dashboard-target-vs-baseline",
                base = ms_text(base),
                factor = format!("{factor}")
            )),
            (None, true, _) => Line::styled(
                msg!(text, "tui-dashboard-target-no-baseline"),
                theme.verdict(Verdict::Error),
            ),
            (None, false, Some(n)) => Line::from(format!("X-Query-Count {n}")),
            (None, false, None) => Line::default(),
        },
    ];
    if let Some(route) = route {
        lines.push(Line::from(route));
    }
    frame.render_widget(
        Paragraph::new(lines).block(panel(title(msg!(text, "tui-dashboard-now")), theme)),
        numbers,
    );
    let rates: Vec<u64> = dash.points.iter().map(|p| p.rps as u64).collect();
    frame.render_widget(
        Sparkline::default()
            .block(panel(" req/s ".to_string(), theme))
            .style(theme.accent())
            .data(&rates),
        spark,
    );
}

struct GaugeSpec {
    title: String,
    value: Option<f64>,
    target: f64,
    higher_is_better: bool,
    label: fn(f64) -> String,
    /// The value the full bar stands for.
    scale: f64,
}

fn gauge(frame: &mut Frame, area: Rect, theme: Theme, spec: GaugeSpec) {
    let block = panel(spec.title, theme);
    let Some(value) = spec.value else {
        frame.render_widget(Paragraph::new("—").block(block), area);
        return;
    };
    let ok = match spec.higher_is_better {
        true => value >= spec.target,
        false => value < spec.target,
    };
    let verdict = if ok { Verdict::Pass } else { Verdict::Fail };
    frame.render_widget(
        Gauge::default()
            .block(block)
            .gauge_style(theme.verdict(verdict))
            .ratio((value / spec.scale).clamp(0.0, 1.0))
            .label((spec.label)(value)),
        area,
    );
    target_mark(frame, area, spec.target / spec.scale);
}

/// The target's place on a gauge: a `┃` down the bar (not over its label),
/// readable with or without colour.
fn target_mark(frame: &mut Frame, area: Rect, at: f64) {
    mark_target(frame, area.inner(ratatui::layout::Margin::new(1, 1)), at);
}

/// [`target_mark`] on a bar drawn without a frame.
fn mark_target(frame: &mut Frame, inner: Rect, at: f64) {
    if inner.width < 2 || !(0.0..=1.0).contains(&at) {
        return;
    }
    let offset = (at * f64::from(inner.width)).round() as u16;
    let x = inner.x + offset.min(inner.width - 1);
    let buffer = frame.buffer_mut();
    for y in inner.y..inner.y + inner.height {
        let cell = &mut buffer[(x, y)];
        if matches!(
            cell.symbol(),
            " " | "█" | "▏" | "▎" | "▍" | "▌" | "▋" | "▊" | "▉"
        ) {
            cell.set_symbol("┃");
        }
    }
}

fn status_codes(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let mut lines: Vec<Line> = dash
        .status_codes
        .iter()
        .map(|&(code, n)| {
            let verdict = if code < 400 {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            Line::from(vec![
                Span::styled(format!("{code}"), theme.verdict(verdict)),
                Span::raw(format!(" {n}")),
            ])
        })
        .collect();
    if dash.errors > 0 {
        lines.push(Line::styled(
            msg!(text, "tui-dashboard-no-answer", count = dash.errors),
            theme.verdict(Verdict::Fail),
        ));
    }
    let codes = msg!(text, "tui-dashboard-status-codes", requests = dash.requests);
    frame.render_widget(
        Paragraph::new(lines).block(panel(title(codes), theme)),
        area,
    );
}
