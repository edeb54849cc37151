//! The TUI: the course day in one terminal — Today (timetable and clock),
//! Labs (the list with progress), Lab (instructions, hints, solution, checks).
//!
//! One event loop: keys (crossterm's event stream), a tick (the clock, 10
//! fps at most) and results from tasks arrive as [`Event`]s; each changes the
//! [`App`] and the screen is drawn again. Services start, and checks run, in
//! tasks off the render path, so the screen never freezes; the shop under
//! test is a child process. `ratatui::init` restores the terminal on panic,
//! and every way out (q, Ctrl-C, an error) restores it too.
//!
//! Depends on `lab` (catalog, progress, workspace, runner) and `check`;
//! nothing depends on it but the CLI.

pub mod app;
pub mod dashboard;
mod live;
pub mod switches;
pub mod timetable;
pub mod ui;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::NaiveTime;
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use self::app::{Action, App, Checks};
use self::timetable::Timetable;
use crate::check::{CheckResult, Lang};
use crate::lab::runner::{self, RunEnv};
use crate::lab::{Catalog, Progress, Workspace};
use crate::services::Services;

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
}

/// The services and how to start shops on them, once ready.
pub struct Ready {
    pub env: RunEnv,
    pub services: Services,
}

/// Starting PostgreSQL and Redis (and seeding): run in a task.
pub type Prepare = Pin<Box<dyn Future<Output = Result<Ready, String>> + Send>>;

/// What reaches the loop.
enum Event {
    Term(TermEvent),
    Tick,
    Ready(Box<Result<Ready, String>>),
    ChecksDone {
        lab: String,
        result: Result<Vec<CheckResult>, String>,
    },
    /// A window of the running load.
    Snapshot(Box<crate::load::Snapshot>),
    /// The shop's own numbers, sampled once a second during the load.
    Sample {
        hit_ratio: Option<f64>,
        rss_mb: Option<f64>,
        connections: Option<i64>,
        query_count: Option<u64>,
    },
    /// The load ended (finished, stopped, or could not start: the reason).
    LoadDone(Option<String>),
    /// The control API of the shop the load runs against (switches reach it at once).
    LoadControl(crate::check::Control),
    /// A line for the status bar.
    Status(String),
    /// The plan of the lab's query, for the explain panel.
    Plan(Vec<String>),
}

/// Runs the TUI until the student quits.
pub async fn run(options: Options, prepare: Prepare) -> Result<(), String> {
    let start = options
        .start
        .or_else(|| Timetable::parse_start(&options.catalog.course.start))
        .unwrap_or(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN));
    let timetable = Timetable::new(&options.catalog.course, start);
    let mut app = App::new(options.catalog, options.progress, timetable, options.lang);
    app.settings = options.workspace.settings().ok();
    app.free_mode = options.free;
    app.now = chrono::Local::now().time();
    app.status = options.notice.unwrap_or_else(|| {
        app.lang
            .pick(
                "Arrancando PostgreSQL y Redis…",
                "Starting PostgreSQL and Redis…",
            )
            .to_string()
    });
    let (tx, rx) = mpsc::unbounded_channel();
    let ready_tx = tx.clone();
    tokio::spawn(async move {
        let _ = ready_tx.send(Event::Ready(Box::new(prepare.await)));
    });
    let mut terminal = ratatui::init();
    let mut session = Session {
        app,
        workspace: options.workspace,
        ready: None,
        tx,
        load: None,
        load_control: None,
    };
    let result = session.event_loop(&mut terminal, rx).await;
    ratatui::restore();
    session.stop_load();
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
}

impl Session {
    async fn event_loop(
        &mut self,
        terminal: &mut ratatui::DefaultTerminal,
        mut rx: mpsc::UnboundedReceiver<Event>,
    ) -> Result<(), String> {
        let theme = ui::Theme::from_env();
        // SIGTERM or a closed terminal (SIGHUP) end the TUI like q: the
        // terminal is restored and the load's shop stopped on the way out.
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| signal(kind).map_err(|e| format!("cannot listen for signals: {e}"));
        let mut terminate = listen(SignalKind::terminate())?;
        let mut hangup = listen(SignalKind::hangup())?;
        let mut keys = EventStream::new();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut dirty = true;
        loop {
            if dirty {
                terminal
                    .draw(|frame| ui::draw(frame, &self.app, theme))
                    .map_err(|e| format!("cannot draw on the terminal: {e}"))?;
                dirty = false;
            }
            let event = tokio::select! {
                key = keys.next() => match key {
                    Some(Ok(event)) => Event::Term(event),
                    Some(Err(e)) => return Err(format!("cannot read the terminal: {e}")),
                    None => return Ok(()),
                },
                _ = tick.tick() => Event::Tick,
                Some(event) = rx.recv() => event,
                _ = terminate.recv() => return Ok(()),
                _ = hangup.recv() => return Ok(()),
            };
            match event {
                Event::Term(TermEvent::Key(key)) if key.kind == KeyEventKind::Press => {
                    let action = self.app.on_key(key);
                    match action {
                        Action::Quit => return Ok(()),
                        Action::Edit(file) => {
                            // The editor gets the terminal; the TUI comes back after.
                            ratatui::restore();
                            let outcome = self.edit(file);
                            *terminal = ratatui::init();
                            self.app.status = outcome;
                            self.app.settings = self.workspace.settings().ok();
                        }
                        action => self.act(action),
                    }
                    dirty = true;
                }
                Event::Term(TermEvent::Resize(..)) => dirty = true,
                Event::Term(_) => {}
                Event::Tick => {
                    // Redraw only when the minute shown changes.
                    let now = chrono::Local::now().time();
                    dirty |=
                        now.format("%H:%M").to_string() != self.app.now.format("%H:%M").to_string();
                    self.app.now = now;
                }
                Event::Ready(ready) => {
                    let ready = *ready;
                    self.app.status = match &ready {
                        Ok(_) => self
                            .app
                            .lang
                            .pick("PostgreSQL y Redis listos.", "PostgreSQL and Redis ready.")
                            .to_string(),
                        // The doctor's message, inside the TUI.
                        Err(why) => why.clone(),
                    };
                    self.ready = ready.ok();
                    dirty = true;
                }
                Event::ChecksDone { lab, result } => {
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
                    hit_ratio,
                    rss_mb,
                    connections,
                    query_count,
                } => {
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.hit_ratio = hit_ratio.or(dash.hit_ratio);
                        dash.rss_mb = rss_mb.or(dash.rss_mb);
                        dash.connections = connections.or(dash.connections);
                        dash.query_count = query_count.or(dash.query_count);
                    }
                    dirty = true;
                }
                Event::LoadControl(control) => self.load_control = Some(control),
                Event::Plan(lines) => {
                    if let Some(dash) = &mut self.app.dashboard {
                        dash.plan = Some(lines);
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
            Action::None | Action::Quit | Action::Edit(_) => Ok(None),
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
            Action::StartLoad(lab) => self.start_load(&lab).map(|()| None),
            Action::StopLoad => {
                self.stop_load();
                Ok(None)
            }
        };
        self.app.settings = self.workspace.settings().ok();
        match outcome {
            Ok(Some(message)) => self.app.status = message,
            Ok(None) => {}
            Err(message) => self.app.status = message,
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
        let lang = self.app.lang;
        match (status, file) {
            (Err(e), _) => format!("{editor}: {e}; set EDITOR to your editor"),
            (Ok(_), app::WorkspaceFile::ShopToml) => match self.workspace.settings() {
                Ok(_) => lang
                    .pick(
                        "shop.toml guardado: c mide con él.",
                        "shop.toml saved: c measures with it.",
                    )
                    .to_string(),
                Err(e) => e,
            },
            (Ok(_), app::WorkspaceFile::IndexesSql) => lang
                .pick(
                    "indexes.sql guardado: c lo aplica y mide.",
                    "indexes.sql saved: c applies it and measures.",
                )
                .to_string(),
        }
    }

    /// Writes one setting into shop.toml (comments kept, a .bak copy made);
    /// the next check runs the shop with it.
    fn switch(&mut self, patch: &toml::Table) -> Result<Option<String>, String> {
        self.workspace.merge_settings(patch)?;
        if let Some(control) = self.load_control.clone() {
            let body = serde_json::to_value(patch).map_err(|e| e.to_string())?;
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let line = live::patch_running(&control, &body).await;
                let _ = tx.send(Event::Status(line));
            });
        }
        Ok(Some(self.app.lang.pick(
            format!("shop.toml: {patch}").replace('\n', " "),
            format!("shop.toml: {patch}").replace('\n', " "),
        )))
    }

    fn reset(&mut self, lab_id: &str) -> Result<Option<String>, String> {
        let lab = self.app.catalog.lab(lab_id).ok_or("no such lab")?;
        let settings = lab.start_settings()?;
        let backup = self
            .workspace
            .write_settings(&settings)
            .map_err(|e| format!("cannot write shop.toml: {e}"))?;
        self.app.progress.reset(lab_id);
        self.save()?;
        Ok(Some(self.app.lang.pick(
            format!(
                "{lab_id}: estado inicial en shop.toml (copia en {}).",
                backup.display()
            ),
            format!(
                "{lab_id}: starting state in shop.toml (copy in {}).",
                backup.display()
            ),
        )))
    }

    /// Starts the shop with the workspace's files and runs the lab's checks in a task.
    fn run_checks(&mut self, lab_id: String) {
        let fail = |app: &mut App, why: String| app.checks = Checks::Failed(why);
        let Some(ready) = &self.ready else {
            let why = self.app.lang.pick(
                "PostgreSQL y Redis aún no están listos (mira la línea de estado).",
                "PostgreSQL and Redis are not ready yet (see the status line).",
            );
            return fail(&mut self.app, why.to_string());
        };
        let Some(lab) = self.app.catalog.lab(&lab_id).cloned() else {
            return;
        };
        let settings = match self.workspace.settings() {
            Ok(settings) => settings,
            Err(e) => return fail(&mut self.app, e),
        };
        let indexes = match self.workspace.indexes() {
            Ok(sql) => sql,
            Err(e) => return fail(&mut self.app, format!("cannot read indexes.sql: {e}")),
        };
        let env = ready.env.clone();
        let baseline = self.app.progress.baseline().map(|b| b.measurements.clone());
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = runner::run_lab(&env, &lab, &settings, Some(&indexes), baseline)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(Event::ChecksDone {
                lab: lab.id,
                result,
            });
        });
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
        let ready = self.ready.as_ref().ok_or_else(|| {
            self.app
                .lang
                .pick(
                    "PostgreSQL y Redis aún no están listos.",
                    "PostgreSQL and Redis are not ready yet.",
                )
                .to_string()
        })?;
        let lab = self.app.catalog.lab(lab_id).cloned().ok_or("no such lab")?;
        let settings = self.workspace.settings()?;
        let indexes = self
            .workspace
            .indexes()
            .map_err(|e| format!("cannot read indexes.sql: {e}"))?;
        let mut traffic = live::traffic_of(&lab);
        traffic.duration = live::MAX_LOAD;
        let target = live::p95_target_of(&lab);
        let users = traffic
            .users
            .map_or_else(String::new, |u| format!(", {u} users"));
        let mut dash =
            dashboard::Dashboard::new(lab_id, format!("{}{users}", traffic.describe()), target);
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
