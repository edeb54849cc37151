//! The TUI: the course day in one terminal — Today (timetable and clock),
//! Labs (the list with progress), Lab (instructions, hints, solution, checks),
//! Dashboard (the lab's load live) and Settings (the shop's switches).
//!
//! It opens by looking for what this machine lacks ([`setup`]): when
//! PostgreSQL or Redis is not installed, Today says so and offers the exact
//! commands of `services::install`; on a yes the TUI steps aside for the
//! package manager (as it does for `$EDITOR`), then comes back and starts the
//! services; on a no it says how to do it by hand. Every word it shows comes
//! from the message catalogue (`labs/messages/*/tui*.ftl`).
//!
//! One event loop: keys (crossterm's event stream), a tick (the clock, 10
//! fps at most) and results from tasks arrive as [`Event`]s; each changes the
//! [`App`] and the screen is drawn again. Services start, and checks run, in
//! tasks off the render path, so the screen never freezes; the shop under
//! test is a child process. `ratatui::init` restores the terminal on panic,
//! and every way out (q, Ctrl-C, an error) restores it too.
//!
//! Depends on `lab` (catalog, progress, workspace, runner), `check`,
//! `messages` and `services::install`; nothing depends on it but the CLI,
//! which gives it the configuration and a way to start the services.

pub mod app;
pub mod dashboard;
mod live;
pub mod setup;
pub mod switches;
pub mod timetable;
pub mod ui;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveTime;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use self::app::{Action, App, Checks, Setup, SetupStage};
use self::timetable::Timetable;
use crate::check::{CheckResult, Lang};
use crate::config::Config;
use crate::lab::runner::{self, RunEnv};
use crate::lab::{Catalog, Progress, Workspace};
use crate::msg;
use crate::services::Services;
use crate::services::redis::RedisAvailability;

/// What the TUI was started with.
pub struct Options {
    pub catalog: Catalog,
    pub workspace: Workspace,
    pub progress: Progress,
    pub lang: Lang,
    /// The day's first block (`--start`), else course.toml's.
    pub start: Option<NaiveTime>,
    /// No timetable: a self-learner's mode.
    pub free: bool,
    /// A line to show first (e.g. a corrupt progress file kept aside).
    pub notice: Option<String>,
    /// Where to look for PostgreSQL and Redis (what is missing is judged
    /// against it: a configured URL is never "not installed").
    pub config: Config,
}

/// The services and how to start shops on them, once ready.
pub struct Ready {
    pub env: RunEnv,
    pub services: Services,
}

/// Starting PostgreSQL and Redis (and seeding): run in a task.
pub type Prepare = Pin<Box<dyn Future<Output = Result<Ready, String>> + Send>>;

/// Starts the services each time it is called: once at the start, or after
/// an install (the CLI knows how; the TUI knows when).
pub type StartServices = Arc<dyn Fn() -> Prepare + Send + Sync>;

/// What reaches the loop.
enum Event {
    Term(TermEvent),
    Tick,
    /// Something is missing: the offer to install it.
    Setup(Box<Setup>),
    Ready(Box<Result<Ready, String>>),
    ChecksDone {
        lab: String,
        result: Result<Vec<CheckResult>, String>,
    },
    /// A window of the running load.
    Snapshot(Box<crate::load::Snapshot>),
    /// The shop's own numbers, sampled once a second during the load.
    Sample {
        rss_mb: Option<f64>,
        connections: Option<i64>,
        query_count: Option<u64>,
    },
    /// The running checks began a phase.
    Phase(runner::Phase),
    /// Whether the load's shop lives and answers (each second).
    Health(dashboard::ShopHealth),
    /// The load ended (finished, stopped, or could not start: the reason).
    LoadDone(Option<String>),
    /// The control API of the shop the load runs against (switches reach it at once).
    LoadControl(crate::check::Control),
    /// A line for the status bar.
    Status(String),
    /// The plan of the lab's query, for the explain panel.
    Plan(Vec<String>),
    /// The request log's last lines, for its panel.
    LogTail(Vec<String>),
    /// The shop's span breakdown, for its panel.
    Breakdown(crate::shop::profile::breakdown::Report),
    /// A CPU profile of the shop under the load (no flamegraph drawn), for
    /// the same panel.
    Profile(crate::shop::profile::cpu::Profile),
}

/// Runs the TUI until the student quits.
pub async fn run(options: Options, start_services: StartServices) -> Result<(), String> {
    let start = options
        .start
        .or_else(|| Timetable::parse_start(&options.catalog.course.start))
        .unwrap_or(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN));
    let timetable = Timetable::new(&options.catalog.course, start);
    let mut app = App::new(options.catalog, options.progress, timetable, options.lang);
    app.settings = options.workspace.shop_settings().ok();
    app.free_mode = options.free;
    app.now = chrono::Local::now().time();
    app.status = options
        .notice
        .unwrap_or_else(|| msg!(app.text(), "tui-status-starting"));
    let (tx, rx) = mpsc::unbounded_channel();
    // What is missing is looked for first: services started before an
    // install would run without what it brings.
    let look_tx = tx.clone();
    let start = Arc::clone(&start_services);
    let config = options.config;
    tokio::spawn(async move {
        let event = match setup::look(&config).await {
            Some(setup) => Event::Setup(Box::new(setup)),
            None => Event::Ready(Box::new(start().await)),
        };
        let _ = look_tx.send(event);
    });
    let mut terminal = ratatui::init();
    let mut session = Session {
        app,
        workspace: options.workspace,
        ready: None,
        tx,
        load: None,
        load_control: None,
        checks_task: None,
        phase_started: None,
        start_services,
    };
    let result = session.event_loop(&mut terminal, rx).await;
    ratatui::restore();
    session.stop_load();
    // A check cut short puts back what it changed (prices) in tasks of its
    // own: let them finish before the services they write to go away.
    if let Some(task) = session.checks_task.take() {
        task.abort();
        let _ = task.await;
    }
    crate::check::settle(std::time::Duration::from_secs(10)).await;
    if let Some(ready) = session.ready.take() {
        ready.services.shutdown().await;
    }
    result
}

struct Session {
    app: App,
    workspace: Workspace,
    ready: Option<Ready>,
    tx: mpsc::UnboundedSender<Event>,
    /// Stops the running load (and its shop) when cancelled.
    load: Option<tokio_util::sync::CancellationToken>,
    /// The running load's shop, for switches applied at once.
    load_control: Option<crate::check::Control>,
    /// The checks running in the background, if any (aborted on quit).
    checks_task: Option<tokio::task::JoinHandle<()>>,
    /// When the running checks' phase began (its elapsed time is shown).
    phase_started: Option<std::time::Instant>,
    start_services: StartServices,
}

impl Session {
    async fn event_loop(
        &mut self,
        terminal: &mut ratatui::DefaultTerminal,
        mut rx: mpsc::UnboundedReceiver<Event>,
    ) -> Result<(), String> {
        let theme = ui::Theme::from_env();
        // SIGTERM, SIGINT (a `kill -INT`: in raw mode Ctrl-C is a key) or a
        // closed terminal (SIGHUP) end the TUI like q: the terminal is
        // restored and the load's shop stopped on the way out.
        let listen = |kind| {
            signal(kind)
                .map_err(|e| msg!(self.app.text(), "tui-error-signals", error = e.to_string()))
        };
        let mut terminate = listen(SignalKind::terminate())?;
        let mut hangup = listen(SignalKind::hangup())?;
        let mut interrupt = listen(SignalKind::interrupt())?;
        let mut keys = EventStream::new();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut dirty = true;
        loop {
            if dirty {
                terminal
                    .draw(|frame| ui::draw(frame, &self.app, theme))
                    .map_err(|e| msg!(self.app.text(), "tui-error-draw", error = e.to_string()))?;
                dirty = false;
            }
            let event = tokio::select! {
                key = keys.next() => match key {
                    Some(Ok(event)) => Event::Term(event),
                    Some(Err(e)) => {
                        return Err(msg!(self.app.text(), "tui-error-read", error = e.to_string()));
                    }
                    None => return Ok(()),
                },
                _ = tick.tick() => Event::Tick,
                Some(event) = rx.recv() => event,
                _ = terminate.recv() => return Ok(()),
                _ = hangup.recv() => return Ok(()),
                _ = interrupt.recv() => return Ok(()),
            };
            match event {
                Event::Term(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => {
                    let action = self.app.on_key(key);
                    match action {
                        Action::Quit => return Ok(()),
                        // The editor and the package manager get the terminal
                        // and stdin to themselves: crossterm's reader thread
                        // would race them for keys (a sudo password, vi's
                        // commands) unless its stream is dropped first
                        // (ratatui's "spawn vim" recipe; openai/codex#7961).
                        Action::Edit(file) => {
                            drop(keys);
                            ratatui::restore();
                            let outcome = self.edit(file);
                            *terminal = ratatui::init();
                            keys = EventStream::new();
                            self.app.status = outcome;
                            self.app.settings = self.workspace.shop_settings().ok();
                        }
                        Action::Install => {
                            drop(keys);
                            ratatui::restore();
                            self.install(&mut interrupt).await;
                            *terminal = ratatui::init();
                            keys = EventStream::new();
                        }
                        action => self.act(action),
                    }
                    dirty = true;
                }
                Event::Term(TermEvent::Resize(..)) => dirty = true,
                Event::Term(_) => {}
                Event::Tick => {
                    // A running check's elapsed seconds move once a second.
                    if let (Some(started), Some((_, elapsed))) =
                        (self.phase_started, &mut self.app.check_phase)
                    {
                        let now = started.elapsed();
                        dirty |= now.as_secs() != elapsed.as_secs();
                        *elapsed = now;
                    }
                    // Otherwise redraw only when the minute shown changes.
                    let now = chrono::Local::now().time();
                    dirty |=
                        now.format("%H:%M").to_string() != self.app.now.format("%H:%M").to_string();
                    self.app.now = now;
                }
                Event::Setup(setup) => {
                    self.offer(*setup);
                    dirty = true;
                }
                Event::Ready(ready) => {
                    self.ready_or_not(*ready);
                    dirty = true;
                }
                Event::ChecksDone { lab, result } => {
                    self.app.check_phase = None;
                    self.phase_started = None;
                    self.checks_done(&lab, result);
                    dirty = true;
                }
                Event::Snapshot(snapshot) => {
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.push(&snapshot);
                    }
                    dirty = true;
                }
                Event::Sample {
                    rss_mb,
                    connections,
                    query_count,
                } => {
                    if let Some(dash) = &mut self.app.dashboard {
                        if let Some(mb) = rss_mb {
                            dash.sample_rss(mb);
                        }
                        dash.connections = connections.or(dash.connections);
                        dash.query_count = query_count.or(dash.query_count);
                    }
                    dirty = true;
                }
                Event::Phase(phase) => {
                    self.phase_started = Some(std::time::Instant::now());
                    self.app.check_phase = Some((phase, Duration::ZERO));
                    dirty = true;
                }
                Event::Health(health) => {
                    if matches!(health, dashboard::ShopHealth::Dead { .. }) {
                        self.app.status = live::death_line(&health, &self.app.text());
                    }
                    if let Some(dash) = &mut self.app.dashboard {
                        dirty |= dash.health != health;
                        dash.health = health;
                    }
                }
                Event::LoadControl(control) => self.load_control = Some(control),
                Event::Plan(lines) => {
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.plan = Some(lines);
                    }
                    dirty = true;
                }
                Event::LogTail(lines) => {
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.log_tail = Some(lines);
                    }
                    dirty = true;
                }
                Event::Breakdown(report) => {
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.breakdown = Some(report);
                    }
                    dirty = true;
                }
                Event::Profile(profile) => {
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.profile = Some(profile);
                    }
                    dirty = true;
                }
                Event::Status(line) => {
                    self.app.status = line;
                    dirty = true;
                }
                Event::LoadDone(why) => {
                    self.load_control = None;
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.running = false;
                    }
                    self.load = None;
                    if let Some(why) = why {
                        self.app.status = why;
                    }
                    dirty = true;
                }
            }
        }
    }

    /// Carries out what a key asked for.
    fn act(&mut self, action: Action) {
        let outcome = match action {
            Action::None | Action::Quit | Action::Edit(_) | Action::Install => Ok(None),
            Action::DeclineInstall => Ok(Some(self.declined())),
            Action::RunChecks(lab) => {
                self.run_checks(lab);
                Ok(None)
            }
            Action::UseHint(lab) => {
                self.app.progress.use_hint(&lab);
                self.save().map(|()| None)
            }
            Action::RevealSolution(lab) => {
                self.app.progress.reveal_solution(&lab, chrono::Utc::now());
                self.save().map(|()| None)
            }
            Action::Reset(lab) => self.reset(&lab),
            Action::Switch(patch) => self.switch(&patch),
            Action::StartLoad(lab) => self
                .start_load(&lab)
                .map(|()| Some(msg!(self.app.text(), "tui-status-load-starting", lab = lab))),
            Action::StopLoad => {
                self.stop_load();
                Ok(None)
            }
        };
        self.app.settings = self.workspace.shop_settings().ok();
        match outcome {
            Ok(Some(message)) => self.app.status = message,
            Ok(None) => {}
            Err(message) => self.app.status = message,
        }
    }

    /// Something is missing: Today shows the offer. Without a plan (no
    /// package manager perflab knows, no sudo) there is nothing to ask, so
    /// what can start, starts.
    fn offer(&mut self, setup: Setup) {
        let text = self.app.text();
        self.app.status = match &setup.plan {
            Ok(_) => msg!(
                text,
                "tui-setup-status-ask",
                missing = setup.missing_names()
            ),
            Err(_) if setup.postgres_missing() => msg!(text, "tui-setup-status-no-postgres"),
            Err(_) => {
                self.start_services();
                msg!(text, "tui-status-starting")
            }
        };
        self.app.setup = Some(setup);
    }

    /// The student said no: the screen keeps saying how to install by hand,
    /// and the services start if the shop can run without what is missing
    /// (Redis, `pg_trgm`).
    fn declined(&mut self) -> String {
        let text = self.app.text();
        match &self.app.setup {
            Some(setup) if setup.postgres_missing() => msg!(text, "tui-setup-status-no-postgres"),
            _ => {
                self.start_services();
                msg!(text, "tui-status-starting")
            }
        }
    }

    /// Starts PostgreSQL and Redis in a task; [`Event::Ready`] says how it went.
    fn start_services(&self) {
        let start = Arc::clone(&self.start_services);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(Event::Ready(Box::new(start().await)));
        });
    }

    /// The services are up (or could not start: the doctor's message, in
    /// the status line). Services started earlier — before an install that
    /// followed a no — are stopped.
    fn ready_or_not(&mut self, ready: Result<Ready, String>) {
        let text = self.app.text();
        match ready {
            Ok(ready) => {
                self.app.status = match ready.services.redis {
                    RedisAvailability::Up(_) => msg!(text, "tui-status-ready"),
                    RedisAvailability::Missing { .. } => {
                        msg!(text, "tui-status-ready-without-redis")
                    }
                };
                if let Some(old) = self.ready.replace(ready) {
                    tokio::spawn(old.services.shutdown());
                }
            }
            Err(why) => self.app.status = why,
        }
    }

    /// `y` on the offer: the package manager gets the terminal and runs the
    /// plan; then the services start, or the screen says what failed. What
    /// runs is stopped first, so that the services start again with what
    /// the install brought.
    async fn install(&mut self, interrupt: &mut Signal) {
        let Some(mut offer) = self.app.setup.take() else {
            return;
        };
        let text = self.app.text();
        let outcome = match &offer.plan {
            Ok(plan) => {
                self.stop_load();
                if let Some(ready) = self.ready.take() {
                    ready.services.shutdown().await;
                }
                setup::install(plan, &offer.missing_names(), &text, interrupt).await
            }
            Err(_) => {
                self.app.setup = Some(offer);
                return;
            }
        };
        match outcome {
            Ok(()) => {
                self.app.status = msg!(text, "tui-setup-status-installed");
                self.start_services();
            }
            Err(why) => {
                self.app.status = why.message(&text);
                offer.stage = SetupStage::Failed(why);
                self.app.setup = Some(offer);
            }
        }
    }

    fn save(&self) -> Result<(), String> {
        self.app
            .progress
            .save(&self.workspace.progress_path())
            .map_err(|e| e.to_string())
    }

    /// Runs `$VISUAL`/`$EDITOR` (else `vi`) on a workspace file and says how
    /// it went; the settings are read again after (a broken file is named).
    fn edit(&self, file: app::WorkspaceFile) -> String {
        let path = match file {
            app::WorkspaceFile::ShopToml => self.workspace.shop_toml(),
            app::WorkspaceFile::IndexesSql => self.workspace.indexes_sql(),
        };
        let editor = std::env::var("VISUAL")
            .or_else(|_| std::env::var("EDITOR"))
            .unwrap_or_else(|_| "vi".into());
        let mut words = editor.split_whitespace();
        let program = words.next().unwrap_or("vi");
        let status = std::process::Command::new(program)
            .args(words)
            .arg(&path)
            .status();
        let text = self.app.text();
        match (status, file) {
            (Err(e), _) => msg!(
                text,
                "tui-status-editor-failed",
                editor = editor.as_str(),
                error = e.to_string()
            ),
            (Ok(_), app::WorkspaceFile::ShopToml) => match self.workspace.shop_settings() {
                Ok(_) => msg!(text, "tui-status-shop-toml-saved"),
                Err(e) => e.render(&text),
            },
            (Ok(_), app::WorkspaceFile::IndexesSql) => msg!(text, "tui-status-indexes-saved"),
        }
    }

    /// Writes one setting into shop.toml (comments kept; no .bak per key:
    /// resets and solutions keep one); the next check runs the shop with it.
    fn switch(&mut self, patch: &toml::Table) -> Result<Option<String>, String> {
        self.workspace.switch_settings(patch)?;
        if let Some(control) = self.load_control.clone() {
            let body = serde_json::to_value(patch).map_err(|e| e.to_string())?;
            let tx = self.tx.clone();
            let text = self.app.text();
            tokio::spawn(async move {
                let line = live::patch_running(&control, &body, &text).await;
                let _ = tx.send(Event::Status(line));
            });
        }
        let patch = patch.to_string().replace('\n', " ");
        Ok(Some(msg!(
            self.app.text(),
            "tui-status-switched",
            patch = patch
        )))
    }

    fn reset(&mut self, lab_id: &str) -> Result<Option<String>, String> {
        let text = self.app.text();
        let lab = self
            .app
            .catalog
            .lab(lab_id)
            .ok_or_else(|| no_such_lab(&text, lab_id))?;
        let settings = lab.start_settings()?;
        let backup = self.workspace.write_settings(&settings).map_err(|e| {
            msg!(
                text,
                "tui-status-cannot-write-shop-toml",
                error = e.to_string()
            )
        })?;
        self.app.progress.reset(lab_id);
        self.save()?;
        Ok(Some(msg!(
            text,
            "tui-status-reset",
            lab = lab_id,
            backup = backup.display().to_string()
        )))
    }

    /// Starts the shop with the workspace's files and runs the lab's checks in a task.
    fn run_checks(&mut self, lab_id: String) {
        let fail = |app: &mut App, why: String| app.checks = Checks::Failed(why);
        let text = self.app.text();
        let Some(env) = self.ready.as_ref().map(|ready| ready.env.clone()) else {
            return fail(&mut self.app, msg!(text, "tui-lab-not-ready"));
        };
        let Some(lab) = self.app.catalog.lab(&lab_id).cloned() else {
            return;
        };
        let settings = match self.workspace.shop_settings() {
            Ok(settings) => settings,
            Err(e) => return fail(&mut self.app, e.render(&text)),
        };
        let indexes = match self.workspace.indexes() {
            Ok(sql) => sql,
            Err(e) => return fail(&mut self.app, cannot_read_indexes(&text, &e)),
        };
        // One measurement at a time: the dashboard's load would share the
        // machine with the check's and skew both (a baseline taken then is wrong).
        if self.app.load_running() {
            self.stop_load();
            self.app.status = msg!(text, "tui-status-load-stopped-for-checks");
        }
        let baseline = self.app.progress.baseline().map(|b| b.measurements.clone());
        let tx = self.tx.clone();
        let phases = self.tx.clone();
        let on_phase: runner::OnPhase = Arc::new(move |phase| {
            let _ = phases.send(Event::Phase(phase));
        });
        self.checks_task = Some(tokio::spawn(async move {
            let result = runner::run_lab_reporting(
                &env,
                &lab,
                &settings,
                Some(&indexes),
                baseline,
                &on_phase,
            )
            .await
            .map_err(|e| e.to_string());
            let _ = tx.send(Event::ChecksDone {
                lab: lab.id,
                result,
            });
        }));
    }

    fn stop_load(&mut self) {
        if let Some(cancel) = self.load.take() {
            cancel.cancel();
        }
    }

    /// Starts the lab's traffic for up to ten minutes against a shop with
    /// the workspace's files; windows and samples come back as events.
    fn start_load(&mut self, lab_id: &str) -> Result<(), String> {
        self.stop_load();
        let text = self.app.text();
        let ready = self
            .ready
            .as_ref()
            .ok_or_else(|| msg!(text, "tui-status-not-ready"))?;
        let lab = self
            .app
            .catalog
            .lab(lab_id)
            .cloned()
            .ok_or_else(|| no_such_lab(&text, lab_id))?;
        let settings = self
            .workspace
            .shop_settings()
            .map_err(|e| e.render(&text))?;
        self.workspace
            .indexes()
            .map_err(|e| cannot_read_indexes(&text, &e))?;
        let indexes = self.workspace.indexes_sql();
        let mut traffic = live::traffic_of(&lab);
        traffic.duration = live::MAX_LOAD;
        let baseline = self.app.progress.baseline().map(|b| b.measurements.clone());
        let mut dash =
            dashboard::Dashboard::new(lab_id, traffic.describe(), dashboard::COURSE_P95_MS)
                .with_targets_of(&lab, baseline.as_ref());
        dash.virtual_users = traffic.users;
        if traffic.mix.len() > 1 {
            dash.routes = traffic.requests();
        }
        dash.panels = lab.panels.clone();
        self.app.dashboard = Some(dash);
        let cancel = tokio_util::sync::CancellationToken::new();
        self.load = Some(cancel.clone());
        let env = ready.env.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let why = live::drive(&env, &lab, &settings, &indexes, &traffic, cancel, &tx).await;
            let _ = tx.send(Event::LoadDone(why.err()));
        });
        Ok(())
    }

    fn checks_done(&mut self, lab_id: &str, result: Result<Vec<CheckResult>, String>) {
        let Some(lab) = self.app.catalog.lab(lab_id).cloned() else {
            return;
        };
        match result {
            Ok(results) => {
                runner::record(&mut self.app.progress, &lab, &results, true);
                self.app.progress.set_current(lab_id);
                if let Err(e) = self.save() {
                    self.app.status = e;
                }
                if self.app.lab().map(|l| l.id.as_str()) == Some(lab_id) {
                    self.app.checks = Checks::Done(results);
                }
            }
            Err(why) => self.app.checks = Checks::Failed(why),
        }
    }
}

fn no_such_lab(text: &crate::messages::Text, lab: &str) -> String {
    msg!(text, "tui-status-no-such-lab", lab = lab)
}

fn cannot_read_indexes(text: &crate::messages::Text, error: &impl std::fmt::Display) -> String {
    msg!(
        text,
        "tui-status-cannot-read-indexes",
        error = error.to_string()
    )
}
