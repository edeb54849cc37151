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

/// The course's targets the gauges compare with.
const HIT_RATIO_TARGET: f64 = 0.8;
const RSS_TARGET_MB: f64 = 512.0;
const CONNECTIONS_TARGET: f64 = 20.0;

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
    ]
    .into_iter()
    .filter(|p| dash.shows(*p))
    .collect();
    let tall = dash.shows(Panel::Explain) || dash.shows(Panel::RateLimits);
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
                title: title(msg!(text, "tui-dashboard-hit-ratio")),
                value: dash.hit_ratio(),
                target: HIT_RATIO_TARGET,
                higher_is_better: true,
                label: |v| format!("{:.1} %", v * 100.0),
                scale: 1.0,
            },
        ),
        Panel::Memory => gauge(
            frame,
            area,
            theme,
            GaugeSpec {
                title: title(msg!(text, "tui-dashboard-memory")),
                value: dash.rss_mb,
                target: RSS_TARGET_MB,
                higher_is_better: false,
                label: |v| format!("{v:.0}/512 MB"),
                scale: RSS_TARGET_MB * 1.25,
            },
        ),
        Panel::Connections => gauge(
            frame,
            area,
            theme,
            GaugeSpec {
                title: title(msg!(text, "tui-dashboard-connections")),
                value: dash.connections.map(|c| c as f64),
                target: CONNECTIONS_TARGET,
                higher_is_better: false,
                label: |v| format!("{v:.0} (< 20)"),
                scale: CONNECTIONS_TARGET * 1.25,
            },
        ),
        Panel::Status => status_codes(frame, area, dash, text, theme),
        Panel::Explain => plan(frame, area, dash, text, theme),
        Panel::RateLimits => rate_limits(frame, area, dash, text, theme),
        Panel::Latency | Panel::Throughput => {}
    }
}

/// 429s per virtual user: who hit the limit, and how hard.
fn rate_limits(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let lines: Vec<Line> = match dash.users.is_empty() {
        true => vec![Line::raw(msg!(text, "tui-dashboard-no-users"))],
        false => dash
            .users
            .iter()
            .map(|(user, requests, limited)| {
                let name = user.split('@').next().unwrap_or(user);
                let style = match *limited > 0 {
                    true => theme.verdict(Verdict::Fail),
                    false => theme.verdict(Verdict::Pass),
                };
                Line::from(vec![
                    Span::raw(format!("{name:<8} {requests:>6} ")),
                    Span::styled(format!("429 × {limited}"), style),
                ])
            })
            .collect(),
    };
    frame.render_widget(
        Paragraph::new(lines).block(panel(title(msg!(text, "tui-dashboard-rate-limits")), theme)),
        area,
    );
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
    let target = vec![(t0, dash.target_p95_ms), (t1, dash.target_p95_ms)];
    // The scale follows the measurements; the target line shows when it is
    // near enough to compare with (the title always names it).
    let highest = p99.iter().map(|&(_, v)| v).fold(1.0, f64::max);
    let top = match dash.target_p95_ms < highest * 3.0 {
        true => highest.max(dash.target_p95_ms) * 1.2,
        false => highest * 1.3,
    };
    let colour = |c: Color| theme.line(c);
    let datasets = vec![
        Dataset::default()
            .name("p50")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(colour(Color::Green))
            .data(&p50),
        Dataset::default()
            .name("p95")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(colour(Color::Yellow))
            .data(&p95),
        Dataset::default()
            .name("p99")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(colour(Color::Magenta))
            .data(&p99),
        Dataset::default()
            .name(msg!(text, "tui-dashboard-p95-target"))
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(colour(Color::Red))
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
    let title = format!(
        " {state} · {} · {traffic} · p95 < {:.0} ms ",
        dash.lab, dash.target_p95_ms
    );
    frame.render_widget(
        Chart::new(datasets)
            .block(panel(title, theme))
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

fn throughput(frame: &mut Frame, area: Rect, dash: &Dashboard, text: &Text, theme: Theme) {
    let [numbers, spark] =
        Layout::vertical([Constraint::Length(6), Constraint::Min(1)]).areas(area);
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
    let lines = vec![
        Line::from(format!("{:.0} req/s", last.map_or(0.0, |p| p.rps))),
        Line::from(vec![
            Span::raw("p95 "),
            Span::styled(format!("{} ms", ms(|p| p.p95_ms)), theme.verdict(verdict)),
            Span::raw(format!(" (< {:.0})", dash.target_p95_ms)),
        ]),
        Line::from(format!(
            "p50 {} · p99 {} ms",
            ms(|p| p.p50_ms),
            ms(|p| p.p99_ms)
        )),
        Line::from(match dash.query_count {
            Some(n) => format!("X-Query-Count {n}"),
            None => "X-Query-Count —".to_string(),
        }),
    ];
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
