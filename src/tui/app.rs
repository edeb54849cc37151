//! The TUI's state and what keys do to it. Plain data and pure transitions:
//! no terminal, no I/O. A key returns an [`Action`] the event loop carries
//! out (run checks in a task, save progress, quit); results come back as
//! events that update the state. Rendering (`ui`) only reads it.

use chrono::NaiveTime;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::timetable::Timetable;
use crate::check::{CheckResult, Lang};
use crate::lab::progress::LabStatus;
use crate::lab::{Catalog, Lab, Progress};
use crate::messages::Text;
use crate::services::install::{InstallError, Missing, Plan};

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Today,
    Labs,
    Lab,
    Dashboard,
    Settings,
}

/// A question waiting for y/n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Solution,
    Reset,
}

/// A text shown over the Lab screen the moment it appears (a hint just
/// asked for, the solution just revealed), so it is never below the fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Popup {
    /// The hint with this index (0-based).
    Hint(usize),
    Solution,
}

/// The Lab screen's two panes; ←/→ choose which one ↑↓ scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Instructions,
    Checks,
}

/// What the event loop must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Quit,
    /// Run the lab's checks on the workspace (in a task).
    RunChecks(String),
    /// Count a hint in progress.
    UseHint(String),
    /// Record the solution as revealed.
    RevealSolution(String),
    /// Put the lab's starting state in the workspace.
    Reset(String),
    /// Change one setting in the workspace's shop.toml (a TOML patch).
    Switch(toml::Table),
    /// Start the lab's traffic against a shop with the workspace's files.
    StartLoad(String),
    StopLoad,
    /// Open a workspace file in `$EDITOR` (the TUI steps aside meanwhile).
    Edit(WorkspaceFile),
    /// Run the setup's install plan (the TUI steps aside for the package
    /// manager), then start the services.
    Install,
    /// The student said no to the install: start what can start.
    DeclineInstall,
}

/// What this machine lacks for the course (PostgreSQL, pg_trgm, Redis) and
/// how perflab would install it: the first screen shows it until the
/// install succeeds.
#[derive(Debug)]
pub struct Setup {
    pub missing: Vec<Missing>,
    /// The exact commands, or why perflab cannot install here.
    pub plan: Result<Plan, InstallError>,
    pub stage: SetupStage,
}

/// Where the install offer stands.
#[derive(Debug)]
pub enum SetupStage {
    /// Waiting for y/n.
    Asking,
    /// The student said no.
    Declined,
    /// The plan ran and a step failed (or could not run).
    Failed(InstallError),
}

impl Setup {
    /// The offer, before the student answers.
    pub fn new(missing: Vec<Missing>, plan: Result<Plan, InstallError>) -> Self {
        Self {
            missing,
            plan,
            stage: SetupStage::Asking,
        }
    }

    /// What is missing, as a learner reads it: "PostgreSQL, Redis".
    pub fn missing_names(&self) -> String {
        let names: Vec<&str> = self.missing.iter().map(|m| m.name()).collect();
        names.join(", ")
    }

    /// Whether the shop can start without installing anything.
    pub fn postgres_missing(&self) -> bool {
        self.missing.contains(&Missing::Postgres)
    }
}

/// The files of the workspace a student edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceFile {
    ShopToml,
    IndexesSql,
}

/// Where the checks of the open lab stand.
#[derive(Debug, Clone, Default)]
pub enum Checks {
    #[default]
    NotRun,
    Running,
    Done(Vec<CheckResult>),
    /// The lab could not run (services, shop, the student's files).
    Failed(String),
}

/// Everything the screens show.
pub struct App {
    pub catalog: Catalog,
    pub progress: Progress,
    pub timetable: Timetable,
    /// Self-learners: no clock, no timetable pressure.
    pub free_mode: bool,
    pub lang: Lang,
    pub now: NaiveTime,
    pub screen: Screen,
    /// Index into the filtered lab list.
    pub selected: usize,
    pub search: String,
    pub searching: bool,
    /// The lab open on the Lab screen.
    pub open: usize,
    pub scroll: u16,
    /// The checks pane's scroll.
    pub checks_scroll: u16,
    /// Which pane ↑↓ scroll.
    pub focus: Pane,
    /// How far each pane (instructions, checks) can scroll, as last drawn:
    /// keys stop at the end instead of scrolling into emptiness.
    pub max_scroll: std::cell::Cell<[u16; 2]>,
    pub popup: Option<Popup>,
    pub popup_scroll: u16,
    pub hints_shown: usize,
    pub show_solution: bool,
    pub confirm: Option<Confirm>,
    pub checks: Checks,
    /// Where the running checks stand: the phase and how long it has run
    /// (updated by the clock's tick).
    pub check_phase: Option<(crate::lab::runner::Phase, std::time::Duration)>,
    /// The live dashboard of the load that runs (or ran last).
    pub dashboard: Option<super::dashboard::Dashboard>,
    /// The shop's switches (from its settings schema) and the one selected.
    pub switches: Vec<super::switches::Switch>,
    pub switch_selected: usize,
    /// The workspace's settings, as last read (shown and switched on the Lab screen).
    pub settings: Option<crate::shop::settings::ShopSettings>,
    /// One line at the bottom: services, errors, what just happened.
    pub status: String,
    /// What this machine lacks, while it lacks it (shown on Today).
    pub setup: Option<Setup>,
}

impl App {
    pub fn new(catalog: Catalog, progress: Progress, timetable: Timetable, lang: Lang) -> Self {
        let open = progress
            .current()
            .and_then(|id| catalog.labs.iter().position(|l| l.id == id))
            .unwrap_or(0);
        Self {
            catalog,
            progress,
            timetable,
            free_mode: false,
            lang,
            now: NaiveTime::MIN,
            screen: Screen::Today,
            selected: open,
            search: String::new(),
            searching: false,
            open,
            scroll: 0,
            checks_scroll: 0,
            focus: Pane::Instructions,
            max_scroll: std::cell::Cell::new([u16::MAX; 2]),
            popup: None,
            popup_scroll: 0,
            hints_shown: 0,
            show_solution: false,
            confirm: None,
            checks: Checks::NotRun,
            check_phase: None,
            settings: None,
            dashboard: None,
            switches: super::switches::all(),
            switch_selected: 0,
            status: String::new(),
            setup: None,
        }
    }

    /// The pack's messages in the student's language (`L` switches it).
    pub fn text(&self) -> Text {
        self.catalog.text(self.lang)
    }

    pub fn lab(&self) -> Option<&Lab> {
        self.catalog.labs.get(self.open)
    }

    /// The labs matching the search, with their index in the catalog.
    pub fn visible(&self) -> Vec<(usize, &Lab)> {
        let query = self.search.to_lowercase();
        self.catalog
            .labs
            .iter()
            .enumerate()
            .filter(|(_, lab)| {
                query.is_empty()
                    || lab.id.to_lowercase().contains(&query)
                    || lab.title.get(self.lang).to_lowercase().contains(&query)
            })
            .collect()
    }

    pub fn status_of(&self, lab: &str) -> LabStatus {
        self.progress
            .lab(lab)
            .map_or(LabStatus::NotStarted, |l| l.status)
    }

    /// Labs passed and total, per block number.
    pub fn block_progress(&self, block: u32) -> (usize, usize) {
        let labs = self.catalog.labs.iter().filter(|l| l.block == block);
        let (mut passed, mut total) = (0, 0);
        for lab in labs {
            total += 1;
            passed += usize::from(self.status_of(&lab.id) == LabStatus::Passed);
        }
        (passed, total)
    }

    /// Opens lab `index` on the Lab screen.
    pub fn open_lab(&mut self, index: usize) {
        if index != self.open {
            self.checks = Checks::NotRun;
        }
        self.open = index;
        self.scroll = 0;
        self.checks_scroll = 0;
        self.focus = Pane::Instructions;
        self.popup = None;
        self.show_solution = false;
        self.hints_shown = self
            .lab()
            .and_then(|lab| self.progress.lab(&lab.id))
            .map_or(0, |l| l.hints_used as usize);
        self.screen = Screen::Lab;
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Action::Quit;
        }
        if let Some(question) = self.confirm.take() {
            return self.on_confirm(question, key.code);
        }
        if self.popup.is_some() {
            self.on_popup_key(key.code);
            return Action::None;
        }
        if self.searching {
            self.on_search_key(key.code);
            return Action::None;
        }
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('1') => self.screen = Screen::Today,
            KeyCode::Char('2') => self.screen = Screen::Labs,
            KeyCode::Char('3') => self.screen = Screen::Lab,
            KeyCode::Char('4') => self.screen = Screen::Dashboard,
            KeyCode::Char('5') => self.screen = Screen::Settings,
            KeyCode::Char('d') if self.load_running() => return Action::StopLoad,
            KeyCode::Tab => self.screen = next_screen(self.screen),
            KeyCode::Char('L') => {
                self.lang = match self.lang {
                    Lang::Es => Lang::En,
                    Lang::En => Lang::Es,
                }
            }
            _ => {
                return match self.screen {
                    Screen::Today => self.on_today_key(key.code),
                    Screen::Labs => self.on_labs_key(key.code),
                    Screen::Lab => self.on_lab_key(key.code),
                    Screen::Dashboard => self.on_dashboard_key(key.code),
                    Screen::Settings => self.on_settings_key(key.code),
                };
            }
        }
        Action::None
    }

    fn on_today_key(&mut self, code: KeyCode) -> Action {
        if let Some(setup) = &mut self.setup {
            return on_setup_key(setup, code);
        }
        if code == KeyCode::Enter {
            self.open_lab(self.open);
        }
        Action::None
    }

    fn on_labs_key(&mut self, code: KeyCode) -> Action {
        let count = self.visible().len();
        match code {
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1));
            }
            KeyCode::Char('/') => {
                self.searching = true;
                self.selected = 0;
            }
            KeyCode::Esc => self.search.clear(),
            KeyCode::Enter => {
                if let Some(&(index, _)) = self.visible().get(self.selected) {
                    self.open_lab(index);
                }
            }
            _ => {}
        }
        Action::None
    }

    fn on_search_key(&mut self, code: KeyCode) {
        match code {
            KeyCode::Char(c) => self.search.push(c),
            KeyCode::Backspace => {
                self.search.pop();
            }
            KeyCode::Esc => {
                self.search.clear();
                self.searching = false;
            }
            KeyCode::Enter => self.searching = false,
            _ => {}
        }
        self.selected = 0;
    }

    fn on_lab_key(&mut self, code: KeyCode) -> Action {
        let Some(lab) = self.lab() else {
            return Action::None;
        };
        let id = lab.id.clone();
        let hints = lab.hints.len();
        match code {
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(-1),
            KeyCode::PageDown => self.scroll_by(10),
            KeyCode::PageUp => self.scroll_by(-10),
            KeyCode::Left => self.focus = Pane::Instructions,
            KeyCode::Right => self.focus = Pane::Checks,
            KeyCode::Char('h') if self.hints_shown < hints => {
                self.popup = Some(Popup::Hint(self.hints_shown));
                self.popup_scroll = 0;
                self.hints_shown += 1;
                return Action::UseHint(id);
            }
            // The last hint again: `h` never does nothing.
            KeyCode::Char('h') if hints > 0 => {
                self.popup = Some(Popup::Hint(hints - 1));
                self.popup_scroll = 0;
            }
            KeyCode::Char('c') if !matches!(self.checks, Checks::Running) => {
                self.checks = Checks::Running;
                self.focus = Pane::Checks;
                self.checks_scroll = 0;
                return Action::RunChecks(id);
            }
            KeyCode::Char('b') => return self.cycle_backend(),
            KeyCode::Char('e') => return Action::Edit(WorkspaceFile::ShopToml),
            KeyCode::Char('i') => return Action::Edit(WorkspaceFile::IndexesSql),
            KeyCode::Char('d') => {
                self.screen = Screen::Dashboard;
                return Action::StartLoad(id);
            }
            KeyCode::Char('s') => self.confirm = Some(Confirm::Solution),
            KeyCode::Char('r') => self.confirm = Some(Confirm::Reset),
            // The next lab only on request, never by itself.
            KeyCode::Char('n') if self.status_of(&id) == LabStatus::Passed => {
                let next = (self.open + 1).min(self.catalog.labs.len().saturating_sub(1));
                self.open_lab(next);
                self.selected = next;
            }
            _ => {}
        }
        Action::None
    }

    /// Scrolls the focused pane, never past its end.
    fn scroll_by(&mut self, rows: i32) {
        let [text_max, checks_max] = self.max_scroll.get();
        let (scroll, max) = match self.focus {
            Pane::Instructions => (&mut self.scroll, text_max),
            Pane::Checks => (&mut self.checks_scroll, checks_max),
        };
        let moved = i32::from(*scroll) + rows;
        *scroll = u16::try_from(moved.clamp(0, i32::from(max))).unwrap_or(0);
    }

    /// A popup takes the keys while it shows: ↑↓ scroll it, anything else closes it.
    fn on_popup_key(&mut self, code: KeyCode) {
        match code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.popup_scroll = self.popup_scroll.saturating_add(1)
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.popup_scroll = self.popup_scroll.saturating_sub(1)
            }
            KeyCode::PageDown => self.popup_scroll = self.popup_scroll.saturating_add(10),
            KeyCode::PageUp => self.popup_scroll = self.popup_scroll.saturating_sub(10),
            _ => self.popup = None,
        }
    }

    fn on_settings_key(&mut self, code: KeyCode) -> Action {
        let last = self.switches.len().saturating_sub(1);
        let forward = match code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.switch_selected = self.switch_selected.saturating_sub(1);
                return Action::None;
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.switch_selected = (self.switch_selected + 1).min(last);
                return Action::None;
            }
            KeyCode::Right | KeyCode::Enter | KeyCode::Char(' ') => true,
            KeyCode::Left => false,
            _ => return Action::None,
        };
        let (Some(switch), Some(settings)) =
            (self.switches.get(self.switch_selected), &self.settings)
        else {
            return Action::None;
        };
        match super::switches::step(switch, settings, forward) {
            Some(patch) => Action::Switch(patch),
            None => Action::None,
        }
    }

    /// `d` on a dashboard whose load ended (or whose shop died): the same
    /// lab's load again, on a new shop.
    fn on_dashboard_key(&mut self, code: KeyCode) -> Action {
        match (code, &self.dashboard) {
            (KeyCode::Char('d'), Some(dash)) => Action::StartLoad(dash.lab.clone()),
            _ => Action::None,
        }
    }

    pub fn load_running(&self) -> bool {
        self.dashboard.as_ref().is_some_and(|d| d.running)
    }

    /// `b`: the cache backend's next value (off → memory → redis → off).
    fn cycle_backend(&mut self) -> Action {
        use crate::shop::settings::CacheBackend;
        let Some(settings) = &self.settings else {
            return Action::None;
        };
        let next = match settings.cache.backend {
            CacheBackend::Off => "memory",
            CacheBackend::Memory => "redis",
            CacheBackend::Redis => "off",
        };
        let mut cache = toml::Table::new();
        cache.insert("backend".into(), toml::Value::String(next.into()));
        let mut patch = toml::Table::new();
        patch.insert("cache".into(), toml::Value::Table(cache));
        Action::Switch(patch)
    }

    /// Enter confirms, anything else declines: `y`/`s` would collide with
    /// `s` (solution) — `s s` used to reveal and record it at once.
    fn on_confirm(&mut self, question: Confirm, code: KeyCode) -> Action {
        let yes = code == KeyCode::Enter;
        let Some(id) = self.lab().map(|l| l.id.clone()) else {
            return Action::None;
        };
        match (question, yes) {
            (Confirm::Solution, true) => {
                self.show_solution = true;
                self.popup = Some(Popup::Solution);
                self.popup_scroll = 0;
                Action::RevealSolution(id)
            }
            (Confirm::Reset, true) => {
                self.checks = Checks::NotRun;
                Action::Reset(id)
            }
            (_, false) => Action::None,
        }
    }
}

/// Today while something is missing: y installs (again, after a no or a
/// failure), n declines; without a plan there is nothing to answer.
fn on_setup_key(setup: &mut Setup, code: KeyCode) -> Action {
    if setup.plan.is_err() {
        return Action::None;
    }
    match (code, &setup.stage) {
        (KeyCode::Char(c), _) if is_yes(c) => Action::Install,
        (KeyCode::Char('n' | 'N') | KeyCode::Esc, SetupStage::Asking) => {
            setup.stage = SetupStage::Declined;
            Action::DeclineInstall
        }
        _ => Action::None,
    }
}

/// `y` in English, `s` (sí) in Spanish: both mean yes in either language,
/// so a student never says no by pressing the other language's key.
fn is_yes(c: char) -> bool {
    matches!(c, 'y' | 's' | 'Y' | 'S')
}

fn next_screen(screen: Screen) -> Screen {
    match screen {
        Screen::Today => Screen::Labs,
        Screen::Labs => Screen::Lab,
        Screen::Lab => Screen::Dashboard,
        Screen::Dashboard => Screen::Settings,
        Screen::Settings => Screen::Today,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let catalog = Catalog::embedded().expect("embedded pack");
        let timetable = Timetable::new(&catalog.course, NaiveTime::from_hms_opt(12, 0, 0).unwrap());
        App::new(catalog, Progress::new(), timetable, Lang::En)
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn search_filters_and_enter_opens_the_lab() {
        let mut app = app();
        app.on_key(key(KeyCode::Char('2')));
        app.on_key(key(KeyCode::Char('/')));
        for c in "redis".chars() {
            app.on_key(key(KeyCode::Char(c)));
        }
        app.on_key(key(KeyCode::Enter));
        assert_eq!(
            app.visible().len(),
            2,
            "1.2-redis and 1.6 (Redis goes down)"
        );
        app.on_key(key(KeyCode::Enter));
        assert_eq!(app.screen, Screen::Lab);
        assert_eq!(app.lab().map(|l| l.id.as_str()), Some("1.2-redis"));
    }

    #[test]
    fn the_solution_needs_a_yes_and_checks_run_once_at_a_time() {
        let mut app = app();
        app.open_lab(2);
        assert_eq!(app.on_key(key(KeyCode::Char('s'))), Action::None);
        assert_eq!(app.on_key(key(KeyCode::Char('x'))), Action::None);
        assert!(!app.show_solution);
        // `s s` is no yes: the key that asks cannot answer.
        app.on_key(key(KeyCode::Char('s')));
        assert_eq!(app.on_key(key(KeyCode::Char('s'))), Action::None);
        assert!(!app.show_solution);
        app.on_key(key(KeyCode::Char('s')));
        let revealed = app.on_key(key(KeyCode::Enter));
        assert_eq!(revealed, Action::RevealSolution("1.3-cache-aside".into()));
        assert_eq!(app.popup, Some(Popup::Solution), "shown at once");
        app.on_key(key(KeyCode::Esc));
        assert_eq!(app.popup, None);
        assert!(matches!(
            app.on_key(key(KeyCode::Char('c'))),
            Action::RunChecks(_)
        ));
        assert_eq!(app.on_key(key(KeyCode::Char('c'))), Action::None);
    }

    #[test]
    fn a_settings_key_becomes_a_patch_of_the_selected_switch() {
        let mut app = app();
        app.settings = Some(crate::shop::settings::ShopSettings::default());
        app.on_key(key(KeyCode::Char('5')));
        assert_eq!(app.screen, Screen::Settings);
        let backend = app
            .switches
            .iter()
            .position(|s| s.key == "cache.backend")
            .unwrap();
        while app.switch_selected < backend {
            app.on_key(key(KeyCode::Down));
        }
        let Action::Switch(patch) = app.on_key(key(KeyCode::Right)) else {
            panic!("a switch");
        };
        assert_eq!(patch.to_string().trim(), "[cache]\nbackend = \"memory\"");
    }

    fn setup() -> Setup {
        use crate::services::install::{Manager, Who, plan};
        let who = Who {
            root: false,
            user: "ana".into(),
        };
        let missing = vec![Missing::Postgres, Missing::Redis];
        let plan = plan(Manager::Apt, &missing, &who)
            .expect("a plan")
            .expect("something to do");
        Setup::new(missing, Ok(plan))
    }

    #[test]
    fn the_install_needs_a_yes_and_a_no_is_remembered() {
        let mut app = app();
        app.setup = Some(setup());
        assert_eq!(app.on_key(key(KeyCode::Enter)), Action::None, "no lab yet");
        assert_eq!(app.screen, Screen::Today);
        assert_eq!(app.on_key(key(KeyCode::Char('x'))), Action::None);
        assert_eq!(app.on_key(key(KeyCode::Char('n'))), Action::DeclineInstall);
        let stage = &app.setup.as_ref().unwrap().stage;
        assert!(matches!(stage, SetupStage::Declined), "{stage:?}");
        assert_eq!(
            app.on_key(key(KeyCode::Char('n'))),
            Action::None,
            "declined once"
        );
        assert_eq!(app.on_key(key(KeyCode::Char('s'))), Action::Install);
        // Elsewhere the keys keep their meaning.
        app.on_key(key(KeyCode::Char('2')));
        assert_eq!(app.screen, Screen::Labs);
    }

    #[test]
    fn without_a_plan_there_is_nothing_to_answer() {
        let mut app = app();
        app.setup = Some(Setup::new(
            vec![Missing::Redis],
            Err(InstallError::NoManager),
        ));
        assert_eq!(app.on_key(key(KeyCode::Char('y'))), Action::None);
        assert_eq!(app.on_key(key(KeyCode::Char('n'))), Action::None);
    }

    #[test]
    fn a_hint_pops_up_and_panes_scroll_within_their_text() {
        let mut app = app();
        app.open_lab(2);
        assert_eq!(
            app.on_key(key(KeyCode::Char('h'))),
            Action::UseHint("1.3-cache-aside".into())
        );
        assert_eq!(app.popup, Some(Popup::Hint(0)));
        // The key that closes the popup does nothing else.
        assert_eq!(app.on_key(key(KeyCode::Char('c'))), Action::None);
        assert_eq!(app.popup, None);
        app.max_scroll.set([5, 2]);
        for _ in 0..20 {
            app.on_key(key(KeyCode::Down));
        }
        assert_eq!(app.scroll, 5, "stops at the end of the instructions");
        app.on_key(key(KeyCode::Right));
        app.on_key(key(KeyCode::PageDown));
        assert_eq!((app.scroll, app.checks_scroll), (5, 2));
    }

    #[test]
    fn next_lab_only_after_a_pass() {
        let mut app = app();
        app.open_lab(0);
        app.on_key(key(KeyCode::Char('n')));
        assert_eq!(app.open, 0);
        app.progress
            .record_attempt("1.1-baseline", true, &[], chrono::Utc::now());
        app.on_key(key(KeyCode::Char('n')));
        assert_eq!(app.open, 1);
    }
}
