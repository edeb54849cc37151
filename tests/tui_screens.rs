//! Every TUI screen rendered with ratatui's `TestBackend` at 80×24 and
//! 120×40 and compared with its snapshot (`tests/snapshots/`, reviewed and
//! committed: with `CI=true` insta writes no new ones). The clock is fixed,
//! so the timetable's "now" is part of the snapshot. Styles are asserted
//! through the buffer where colour carries meaning.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveTime;
use perflab::check::{CheckResult, Lang, Verdict};
use perflab::lab::{Catalog, Progress};
use perflab::tui::app::{App, Checks, Screen};
use perflab::tui::timetable::Timetable;
use perflab::tui::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn app(lang: Lang) -> App {
    let catalog = Catalog::embedded().expect("embedded pack");
    let timetable = Timetable::new(&catalog.course, NaiveTime::from_hms_opt(12, 0, 0).unwrap());
    let mut progress = Progress::new();
    let at = chrono::DateTime::from_timestamp(1_764_000_000, 0).expect("a time");
    progress.record_attempt("1.1-baseline", true, &[], at);
    progress.record_attempt("1.2-redis", true, &[], at);
    progress.use_hint("1.3-cache-aside");
    progress.record_attempt("1.3-cache-aside", false, &[], at);
    progress.set_current("1.3-cache-aside");
    let mut app = App::new(catalog, progress, timetable, lang);
    app.now = NaiveTime::from_hms_opt(12, 40, 0).unwrap();
    app.status = "PostgreSQL y Redis listos.".into();
    app
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| ui::draw(frame, app, Theme::new(true)))
        .expect("draw");
    terminal
}

fn result(id: &str, verdict: Verdict, measured: f64, target: &str, message: &str) -> CheckResult {
    CheckResult {
        id: id.into(),
        kind: "hit_ratio",
        measured: Some(measured),
        unit: None,
        target: target.into(),
        verdict,
        message: message.into(),
        details: BTreeMap::new(),
        elapsed: Duration::from_secs(4),
    }
}

#[test]
fn today() {
    let app = app(Lang::Es);
    insta::assert_snapshot!("today_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("today_120x40", render(&app, 120, 40).backend());
}

#[test]
fn labs() {
    let mut app = app(Lang::En);
    app.screen = Screen::Labs;
    insta::assert_snapshot!("labs_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("labs_120x40", render(&app, 120, 40).backend());
}

#[test]
fn lab_with_checks() {
    let mut app = app(Lang::Es);
    app.open_lab(2);
    app.checks = Checks::Done(vec![
        result(
            "hit-ratio",
            Verdict::Pass,
            0.91,
            "hit ratio ≥ 80 %",
            "La tasa de aciertos fue 91.0 %. Cumple el objetivo.",
        ),
        result(
            "detail",
            Verdict::Fail,
            9.8,
            "p95 < 6.97 ms",
            "El p95 fue 9.8 ms. Mira la caché (X-Cache).",
        ),
    ]);
    insta::assert_snapshot!("lab_80x24", render(&app, 80, 24).backend());
    let wide = render(&app, 120, 40);
    insta::assert_snapshot!("lab_120x40", wide.backend());
    // The failed check is red: colour carries the verdict.
    let buffer = wide.backend().buffer();
    let red = buffer
        .content()
        .iter()
        .any(|cell| cell.symbol() == "✗" && cell.fg == ratatui::style::Color::Red);
    assert!(red, "the ✗ of a failed check is drawn in red");
}

#[test]
fn dashboard_while_load_runs() {
    use perflab::tui::dashboard::{Dashboard, Point};
    let mut app = app(Lang::En);
    app.screen = Screen::Dashboard;
    let mut dash = Dashboard::new(
        "1.3-cache-aside",
        "GET /products/{id}, 8 users".into(),
        50.0,
    );
    for t in 1..=30 {
        let t = f64::from(t);
        // Cache warming up: latency falls, throughput rises.
        let p95 = 40.0 / t.sqrt();
        dash.points.push_back(Point {
            t,
            p50_ms: p95 / 3.0,
            p95_ms: p95,
            p99_ms: p95 * 1.6,
            rps: 1000.0 * t.sqrt(),
        });
    }
    dash.status_codes = vec![(200, 98_000), (503, 12)];
    dash.requests = 98_012;
    dash.hit_ratio = Some(0.93);
    dash.rss_mb = Some(41.0);
    dash.connections = Some(5);
    dash.query_count = Some(1);
    app.dashboard = Some(dash);
    insta::assert_snapshot!("dashboard_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("dashboard_120x40", render(&app, 120, 40).backend());
}

#[test]
fn dashboard_of_a_database_lab_shows_its_plan() {
    use perflab::lab::catalog::Panel;
    use perflab::tui::dashboard::Dashboard;
    let mut app = app(Lang::En);
    app.screen = Screen::Dashboard;
    let mut dash = Dashboard::new(
        "2.1-explain",
        "GET /products?category={category}&sort=price".into(),
        50.0,
    );
    dash.panels = vec![
        Panel::Latency,
        Panel::Throughput,
        Panel::Connections,
        Panel::Explain,
    ];
    dash.plan = Some(vec![
        "Limit  61.2 ms".into(),
        "  Sort  61.1 ms".into(),
        "    Seq Scan on products  58.0 ms".into(),
        "Execution Time 61.4 ms".into(),
    ]);
    dash.connections = Some(5);
    app.dashboard = Some(dash);
    insta::assert_snapshot!("dashboard_explain_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("dashboard_explain_120x40", render(&app, 120, 40).backend());
}

#[test]
fn dashboard_of_a_rate_limit_lab_shows_429s_per_user() {
    use perflab::lab::catalog::Panel;
    use perflab::tui::dashboard::Dashboard;
    let mut app = app(Lang::En);
    app.screen = Screen::Dashboard;
    let mut dash = Dashboard::new(
        "3.2-rate-limit",
        "GET /products/{id}, 3 users".into(),
        200.0,
    );
    dash.panels = vec![
        Panel::Latency,
        Panel::Throughput,
        Panel::Status,
        Panel::RateLimits,
    ];
    dash.status_codes = vec![(200, 200), (429, 100)];
    dash.requests = 300;
    dash.users = vec![
        ("user2@perflab.test".into(), 150, 50),
        ("user3@perflab.test".into(), 150, 50),
        ("user4@perflab.test".into(), 0, 0),
    ];
    app.dashboard = Some(dash);
    insta::assert_snapshot!(
        "dashboard_rate_limits_80x24",
        render(&app, 80, 24).backend()
    );
}

#[test]
fn settings_from_the_schema() {
    let mut app = app(Lang::En);
    app.open_lab(3);
    app.screen = Screen::Settings;
    app.settings = Some(perflab::shop::settings::ShopSettings::default());
    app.switch_selected = 1;
    insta::assert_snapshot!("settings_80x24", render(&app, 80, 24).backend());
    insta::assert_snapshot!("settings_120x40", render(&app, 120, 40).backend());
}

#[test]
fn no_color_draws_the_same_text_without_colour() {
    let mut app = app(Lang::Es);
    app.open_lab(2);
    app.checks = Checks::Done(vec![result(
        "detail",
        Verdict::Fail,
        9.8,
        "p95 < 7 ms",
        "m",
    )]);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    terminal
        .draw(|frame| ui::draw(frame, &app, Theme::new(false)))
        .expect("draw");
    let coloured = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .any(|cell| cell.fg != ratatui::style::Color::Reset);
    assert!(!coloured, "NO_COLOR: no foreground colour anywhere");
}
