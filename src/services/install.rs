//! Installing what the course needs on a fresh machine (`perflab doctor
//! --fix`, and later the TUI's first screen): which of PostgreSQL, its
//! `pg_trgm` extension and Redis are missing, the exact package-manager
//! commands that install and start them, and running those commands.
//!
//! Split so that every decision can be shown before anything runs: [`plan`]
//! is a pure function of the package manager, what is missing and who runs
//! it (root, or a user who needs `sudo`); [`Machine::detect`] and [`missing`]
//! look at this machine; [`consent`] decides from `--yes` and the terminal
//! whether to go ahead, ask, or refuse; [`run`] runs the steps in order,
//! with the user's terminal, and stops at the first that fails.
//!
//! After the packages, the plan starts the distribution's servers, so the
//! local default server answers. On Debian/Ubuntu/WSL2 and Fedora that
//! server lets each OS user in only as the PostgreSQL role of the same name
//! over its unix socket (peer authentication): the plan creates that role,
//! allowed to create databases, and perflab connects through the socket
//! (see `postgres::resolve`). Homebrew's server already trusts the user who
//! installed it. Where a server is installed but not running, perflab starts
//! a private one from its binaries anyway. Depends on `config` and the
//! probes of this module's siblings; used by `cli::doctor`.

use std::path::Path;
use std::process::ExitStatus;

use crate::config::Config;
use crate::messages::Text;
use crate::msg;

/// A system package manager perflab knows how to drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// Debian, Ubuntu, and so WSL2's default distribution.
    Apt,
    /// Fedora.
    Dnf,
    /// Homebrew on macOS.
    Brew,
}

impl Manager {
    /// The program the install step runs.
    pub fn program(self) -> &'static str {
        match self {
            Self::Apt => "apt-get",
            Self::Dnf => "dnf",
            Self::Brew => "brew",
        }
    }
}

impl std::fmt::Display for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.program())
    }
}

/// Something the course needs that this machine does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Missing {
    /// No PostgreSQL server answers and no server binaries are installed.
    Postgres,
    /// The server has no `pg_trgm` extension (the search lab's index).
    PgTrgm,
    /// No Redis answers and no `redis-server` is installed.
    Redis,
}

impl Missing {
    /// The thing's name, as a user knows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::PgTrgm => "pg_trgm",
            Self::Redis => "Redis",
        }
    }
}

/// Who the commands run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// perflab runs as root: no `sudo`.
    pub root: bool,
    /// The OS user perflab runs as: the PostgreSQL role it connects as.
    pub user: String,
}

/// Why a step is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Refresh the package lists.
    Refresh,
    Install,
    /// Create the server's first cluster (Fedora).
    Initialise,
    Start,
    /// Create the user's PostgreSQL role.
    Role,
}

/// One command of a plan, exactly as it will run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    /// Program and arguments (`sudo` included when needed).
    pub argv: Vec<String>,
    /// A failure is expected when the work was already done (the role
    /// exists, the cluster is initialised): reported, then the plan goes on.
    pub may_fail: bool,
}

impl Step {
    fn new(kind: StepKind, argv: &[&str]) -> Self {
        Self {
            kind,
            argv: argv.iter().map(|a| a.to_string()).collect(),
            may_fail: false,
        }
    }

    fn may_fail(mut self) -> Self {
        self.may_fail = true;
        self
    }

    /// The command as a user would type it in a POSIX shell.
    pub fn command_line(&self) -> String {
        self.argv
            .iter()
            .map(|arg| shell_quote(arg))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `arg` quoted for a POSIX shell only when it needs it. Hand-written: the
/// one place perflab shows a command to copy, and the crates for it (shlex)
/// would be a dependency for a dozen lines.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=@:+,".contains(c));
    match plain {
        true => arg.to_string(),
        false => format!("'{}'", arg.replace('\'', r"'\''")),
    }
}

/// What to install, with which manager, and the commands that do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub manager: Manager,
    pub missing: Vec<Missing>,
    /// The packages the install step names.
    pub packages: Vec<String>,
    pub steps: Vec<Step>,
}

/// Why nothing can be installed, or an install failed. One line each, naming
/// what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "perflab knows no package manager on this system (apt-get, dnf or brew); \
         install PostgreSQL and Redis by hand (see README.md, Services)"
    )]
    NoManager,
    #[error("Homebrew refuses to run as root; run `perflab doctor --fix` as your own user")]
    BrewAsRoot,
    #[error("installing needs root and sudo is not installed; run `perflab doctor --fix` as root")]
    NoSudo,
    #[error("`{command}` could not run: {cause}")]
    Spawn { command: String, cause: String },
    #[error(
        "`{command}` failed ({status}); fix what it says above, then run `perflab doctor --fix` again"
    )]
    StepFailed { command: String, status: String },
}

impl InstallError {
    /// The error in the learner's words (`services.ftl`), as `perflab doctor
    /// --fix` and the TUI's first screen print it.
    pub fn message(&self, text: &Text) -> String {
        match self {
            InstallError::NoManager => msg!(text, "install-no-manager"),
            InstallError::BrewAsRoot => msg!(text, "install-brew-as-root"),
            InstallError::NoSudo => msg!(text, "install-no-sudo"),
            InstallError::Spawn { command, cause } => msg!(
                text,
                "install-cannot-run",
                command = command.as_str(),
                cause = cause.as_str()
            ),
            InstallError::StepFailed { command, status } => msg!(
                text,
                "install-step-failed",
                command = command.as_str(),
                status = status.as_str()
            ),
        }
    }
}

/// The Homebrew formula perflab installs: a supported major version
/// (`postgresql` without a version is deprecated there), with `pg_trgm`.
pub const BREW_POSTGRES: &str = "postgresql@16";

/// The plan for `missing` with `manager`, run by `who`. Pure: the same
/// inputs give the same commands on any machine. `None` when nothing is missing.
pub fn plan(
    manager: Manager,
    missing: &[Missing],
    who: &Who,
) -> Result<Option<Plan>, InstallError> {
    let mut missing = missing.to_vec();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        return Ok(None);
    }
    if manager == Manager::Brew && who.root {
        return Err(InstallError::BrewAsRoot);
    }
    let (packages, steps) = match manager {
        Manager::Apt => apt(&missing, who),
        Manager::Dnf => dnf(&missing, who),
        Manager::Brew => brew(&missing),
    };
    Ok(Some(Plan {
        manager,
        missing,
        packages,
        steps,
    }))
}

/// `sudo` in front of `argv` unless root.
fn privileged(who: &Who, kind: StepKind, argv: &[&str]) -> Step {
    let mut full: Vec<&str> = Vec::with_capacity(argv.len() + 1);
    if !who.root {
        full.push("sudo");
    }
    full.extend_from_slice(argv);
    Step::new(kind, &full)
}

/// Creates `who.user`'s role as the `postgres` superuser, who alone can
/// at first (peer authentication on the socket). Allowed to create
/// databases, no more: perflab owns the one it creates, and `pg_trgm` is a
/// trusted extension a database owner may create. Fails harmlessly when the
/// role exists.
fn role_step(who: &Who) -> Option<Step> {
    if who.user == "postgres" {
        return None;
    }
    let createuser = ["createuser", "--createdb", who.user.as_str()];
    let mut argv: Vec<&str> = match who.root {
        true => vec!["runuser", "-u", "postgres", "--"],
        false => vec!["sudo", "-u", "postgres"],
    };
    argv.extend_from_slice(&createuser);
    Some(Step::new(StepKind::Role, &argv).may_fail())
}

fn apt(missing: &[Missing], who: &Who) -> (Vec<String>, Vec<Step>) {
    let mut packages = Vec::new();
    for thing in missing {
        packages.push(match thing {
            Missing::Postgres => "postgresql",
            Missing::PgTrgm => "postgresql-contrib",
            Missing::Redis => "redis-server",
        });
    }
    // `env`, not a variable before the command: sudo may drop it, and
    // without it a package that asks a question (tzdata) waits on a terminal.
    let mut install = vec![
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
    ];
    install.extend(packages.iter().copied());
    let mut steps = vec![
        privileged(who, StepKind::Refresh, &["apt-get", "update"]),
        privileged(who, StepKind::Install, &install),
    ];
    // `service` starts it with systemd, and on WSL2 or in a container without it.
    if missing.contains(&Missing::Postgres) {
        steps.push(privileged(
            who,
            StepKind::Start,
            &["service", "postgresql", "start"],
        ));
        steps.extend(role_step(who));
    }
    if missing.contains(&Missing::Redis) {
        steps.push(privileged(
            who,
            StepKind::Start,
            &["service", "redis-server", "start"],
        ));
    }
    (packages.into_iter().map(String::from).collect(), steps)
}

fn dnf(missing: &[Missing], who: &Who) -> (Vec<String>, Vec<Step>) {
    let mut packages = Vec::new();
    for thing in missing {
        match thing {
            Missing::Postgres => packages.extend(["postgresql-server", "postgresql-contrib"]),
            Missing::PgTrgm => packages.push("postgresql-contrib"),
            // Fedora 41+ resolves it to Valkey's Redis-compatible package.
            Missing::Redis => packages.push("redis"),
        }
    }
    packages.dedup();
    let mut install = vec!["dnf", "install", "-y"];
    install.extend(packages.iter().copied());
    let mut steps = vec![privileged(who, StepKind::Install, &install)];
    if missing.contains(&Missing::Postgres) {
        // Fails when a cluster exists already: nothing lost.
        steps.push(
            privileged(who, StepKind::Initialise, &["postgresql-setup", "--initdb"]).may_fail(),
        );
        steps.push(privileged(
            who,
            StepKind::Start,
            &["systemctl", "enable", "--now", "postgresql"],
        ));
        steps.extend(role_step(who));
    }
    if missing.contains(&Missing::Redis) {
        // Where the unit has another name (valkey), perflab starts a
        // private server from the binary instead.
        steps.push(
            privileged(
                who,
                StepKind::Start,
                &["systemctl", "enable", "--now", "redis"],
            )
            .may_fail(),
        );
    }
    (packages.into_iter().map(String::from).collect(), steps)
}

fn brew(missing: &[Missing]) -> (Vec<String>, Vec<Step>) {
    let mut packages = Vec::new();
    for thing in missing {
        match thing {
            // Homebrew's server includes the contrib extensions.
            Missing::Postgres | Missing::PgTrgm => packages.push(BREW_POSTGRES),
            Missing::Redis => packages.push("redis"),
        }
    }
    packages.dedup();
    let mut install = vec!["brew", "install"];
    install.extend(packages.iter().copied());
    let mut steps = vec![Step::new(StepKind::Install, &install)];
    if missing.contains(&Missing::Postgres) {
        steps.push(Step::new(
            StepKind::Start,
            &["brew", "services", "start", BREW_POSTGRES],
        ));
    }
    if missing.contains(&Missing::Redis) {
        steps.push(Step::new(
            StepKind::Start,
            &["brew", "services", "start", "redis"],
        ));
    }
    (packages.into_iter().map(String::from).collect(), steps)
}

/// The package with PostgreSQL's contrib extensions (`pg_trgm`) on most
/// systems (Debian, Ubuntu, Fedora).
pub const CONTRIB_PACKAGE: &str = "postgresql-contrib";

/// The package that installs `pg_trgm` on this machine: Homebrew's server
/// carries the contrib extensions itself (`postgresql`); Debian, Ubuntu and
/// Fedora name it [`CONTRIB_PACKAGE`], which is also the best guess
/// elsewhere. Blocking (reads `/etc/os-release`).
pub fn contrib_package() -> &'static str {
    match Machine::detect().manager {
        Some(Manager::Brew) => "postgresql",
        Some(Manager::Apt | Manager::Dnf) | None => CONTRIB_PACKAGE,
    }
}

/// The package manager named by an `/etc/os-release` text: its `ID`, else
/// the families in `ID_LIKE` (Ubuntu's derivatives say `ubuntu debian`).
pub fn manager_from_os_release(text: &str) -> Option<Manager> {
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_ascii_lowercase())
            .unwrap_or_default()
    };
    let id = field("ID");
    let like = field("ID_LIKE");
    std::iter::once(id.as_str())
        .chain(like.split_whitespace())
        .find_map(|family| match family {
            "debian" | "ubuntu" => Some(Manager::Apt),
            "fedora" | "rhel" | "centos" => Some(Manager::Dnf),
            _ => None,
        })
}

/// What this machine is, for [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub manager: Option<Manager>,
    pub who: Who,
    /// `sudo` is on PATH (needed unless root, except for Homebrew).
    pub sudo: bool,
}

impl Machine {
    /// Looks at this machine: its OS, its package manager on PATH, the user.
    /// Blocking (reads files).
    pub fn detect() -> Self {
        let manager = if cfg!(target_os = "macos") {
            on_path("brew").then_some(Manager::Brew)
        } else {
            std::fs::read_to_string("/etc/os-release")
                .ok()
                .and_then(|text| manager_from_os_release(&text))
                .filter(|m| on_path(m.program()))
        };
        Self {
            manager,
            who: Who {
                root: nix::unistd::geteuid().is_root(),
                user: super::postgres::os_user().unwrap_or_else(|| "postgres".into()),
            },
            sudo: on_path("sudo"),
        }
    }

    /// The plan for `missing` on this machine.
    pub fn plan(&self, missing: &[Missing]) -> Result<Option<Plan>, InstallError> {
        if missing.is_empty() {
            return Ok(None);
        }
        let manager = self.manager.ok_or(InstallError::NoManager)?;
        if manager != Manager::Brew && !self.who.root && !self.sudo {
            return Err(InstallError::NoSudo);
        }
        plan(manager, missing, &self.who)
    }
}

/// `program` is an executable file in a PATH directory.
fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What this machine lacks, from what [`super::probe`] finds: only what a
/// package would bring. A configured URL that does not answer, or a server
/// that refuses perflab, is not fixed by installing anything (doctor says
/// what to do about those).
pub async fn missing(config: &Config) -> Vec<Missing> {
    let report = super::probe(config).await;
    let binaries = tokio::task::spawn_blocking(|| {
        (
            super::scratch_postgres::find_binaries().is_some(),
            super::redis::find_redis_server().is_some(),
        )
    })
    .await
    .unwrap_or((true, true));
    missing_from(&report, config, binaries.0, binaries.1)
}

/// [`missing`] as a pure function of the probe and the binaries found.
pub fn missing_from(
    report: &super::Report,
    config: &Config,
    postgres_binaries: bool,
    redis_binary: bool,
) -> Vec<Missing> {
    use super::{Origin, PostgresReport, RedisReport};
    let mut missing = Vec::new();
    match &report.postgres {
        PostgresReport::Unavailable { .. }
            if config.database.url.is_none() && !postgres_binaries =>
        {
            missing.push(Missing::Postgres);
        }
        PostgresReport::Reachable {
            origin: Origin::LocalDefault,
            pg_trgm: false,
            ..
        }
        | PostgresReport::WouldStartScratch {
            pg_trgm: Some(false),
            ..
        } => missing.push(Missing::PgTrgm),
        _ => {}
    }
    let redis_wanted = config.redis.enabled && config.redis.url.is_none();
    if matches!(report.redis, RedisReport::Missing { .. }) && redis_wanted && !redis_binary {
        missing.push(Missing::Redis);
    }
    missing
}

/// Whether to run a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// `--yes`: go ahead.
    Given,
    /// A terminal: ask y/N first.
    Ask,
    /// Neither: refuse, and say how to consent.
    Refused,
}

/// `--yes` consents; otherwise a terminal is asked; otherwise nothing runs.
pub fn consent(yes: bool, terminal: bool) -> Consent {
    match (yes, terminal) {
        (true, _) => Consent::Given,
        (false, true) => Consent::Ask,
        (false, false) => Consent::Refused,
    }
}

/// A step's end, for the caller to show.
#[derive(Debug)]
pub enum StepOutcome {
    Done,
    /// It failed, but the plan expected that it might (see [`Step::may_fail`]).
    FailedHarmlessly(String),
}

/// Runs the plan's steps in order with the user's terminal (sudo may ask for
/// a password; the package manager shows its progress). `before` is called
/// before each step, `after` with how it ended. Stops at the first step
/// that fails and may not.
pub async fn run(
    plan: &Plan,
    mut before: impl FnMut(&Step),
    mut after: impl FnMut(&Step, &StepOutcome),
) -> Result<(), InstallError> {
    for step in &plan.steps {
        before(step);
        let status = run_step(step).await?;
        if status.success() {
            after(step, &StepOutcome::Done);
            continue;
        }
        if step.may_fail {
            after(step, &StepOutcome::FailedHarmlessly(status.to_string()));
            continue;
        }
        return Err(InstallError::StepFailed {
            command: step.command_line(),
            status: status.to_string(),
        });
    }
    Ok(())
}

async fn run_step(step: &Step) -> Result<ExitStatus, InstallError> {
    let spawn_error = |cause: String| InstallError::Spawn {
        command: step.command_line(),
        cause,
    };
    let (program, args) = step
        .argv
        .split_first()
        .ok_or_else(|| spawn_error("an empty command".into()))?;
    // Not tied to perflab's life (children.rs): a package manager killed
    // half-way leaves a broken install. It shares the terminal, so a
    // Ctrl-C reaches it as it would from a shell.
    tokio::process::Command::new(program)
        .args(args)
        .status()
        .await
        .map_err(|e| spawn_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> Who {
        Who {
            root: false,
            user: name.into(),
        }
    }

    fn root() -> Who {
        Who {
            root: true,
            user: "root".into(),
        }
    }

    fn lines(plan: &Plan) -> Vec<String> {
        plan.steps.iter().map(Step::command_line).collect()
    }

    #[test]
    fn nothing_missing_is_no_plan() {
        assert_eq!(plan(Manager::Apt, &[], &root()).unwrap(), None);
    }

    #[test]
    fn apt_as_a_user_uses_sudo_and_makes_the_users_role() {
        let plan = plan(
            Manager::Apt,
            &[Missing::Redis, Missing::Postgres],
            &user("ana"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(plan.missing, [Missing::Postgres, Missing::Redis]);
        assert_eq!(plan.packages, ["postgresql", "redis-server"]);
        assert_eq!(
            lines(&plan),
            [
                "sudo apt-get update",
                "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql redis-server",
                "sudo service postgresql start",
                "sudo -u postgres createuser --createdb ana",
                "sudo service redis-server start",
            ]
        );
        assert!(
            plan.steps
                .iter()
                .filter(|s| s.may_fail)
                .all(|s| s.kind == StepKind::Role)
        );
    }

    #[test]
    fn apt_as_root_needs_no_sudo() {
        let plan = plan(Manager::Apt, &[Missing::Redis], &root())
            .unwrap()
            .unwrap();
        assert_eq!(
            lines(&plan),
            [
                "apt-get update",
                "env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server",
                "service redis-server start",
            ]
        );
        let plan = super::plan(Manager::Apt, &[Missing::Postgres], &root())
            .unwrap()
            .unwrap();
        assert!(
            lines(&plan).contains(&"runuser -u postgres -- createuser --createdb root".to_string()),
            "{:?}",
            lines(&plan)
        );
    }

    #[test]
    fn apt_for_pg_trgm_alone_installs_contrib_and_starts_nothing() {
        let plan = plan(Manager::Apt, &[Missing::PgTrgm], &user("ana"))
            .unwrap()
            .unwrap();
        assert_eq!(plan.packages, ["postgresql-contrib"]);
        assert!(
            plan.steps.iter().all(|s| s.kind != StepKind::Start),
            "{:?}",
            lines(&plan)
        );
    }

    #[test]
    fn dnf_initialises_the_cluster_and_enables_the_services() {
        let plan = plan(
            Manager::Dnf,
            &[Missing::Postgres, Missing::Redis],
            &user("ana"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            plan.packages,
            ["postgresql-server", "postgresql-contrib", "redis"]
        );
        assert_eq!(
            lines(&plan),
            [
                "sudo dnf install -y postgresql-server postgresql-contrib redis",
                "sudo postgresql-setup --initdb",
                "sudo systemctl enable --now postgresql",
                "sudo -u postgres createuser --createdb ana",
                "sudo systemctl enable --now redis",
            ]
        );
        let tolerated: Vec<StepKind> = plan
            .steps
            .iter()
            .filter(|s| s.may_fail)
            .map(|s| s.kind)
            .collect();
        assert_eq!(
            tolerated,
            [StepKind::Initialise, StepKind::Role, StepKind::Start]
        );
    }

    #[test]
    fn dnf_as_root() {
        let plan = plan(Manager::Dnf, &[Missing::PgTrgm], &root())
            .unwrap()
            .unwrap();
        assert_eq!(lines(&plan), ["dnf install -y postgresql-contrib"]);
    }

    #[test]
    fn brew_needs_no_sudo_no_role_and_refuses_root() {
        let plan = plan(
            Manager::Brew,
            &[Missing::Postgres, Missing::Redis],
            &user("ana"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            lines(&plan),
            [
                "brew install postgresql@16 redis",
                "brew services start postgresql@16",
                "brew services start redis",
            ]
        );
        let pg_trgm = super::plan(
            Manager::Brew,
            &[Missing::Postgres, Missing::PgTrgm],
            &user("ana"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(pg_trgm.packages, ["postgresql@16"], "one formula, not two");
        assert!(matches!(
            super::plan(Manager::Brew, &[Missing::Redis], &root()),
            Err(InstallError::BrewAsRoot)
        ));
    }

    #[test]
    fn the_postgres_user_needs_no_role() {
        let plan = plan(Manager::Apt, &[Missing::Postgres], &user("postgres"))
            .unwrap()
            .unwrap();
        assert!(plan.steps.iter().all(|s| s.kind != StepKind::Role));
    }

    #[test]
    fn odd_arguments_are_quoted_for_the_shell() {
        let step = Step::new(
            StepKind::Role,
            &["sudo", "-u", "postgres", "createuser", "o'brien x"],
        );
        assert_eq!(
            step.command_line(),
            r"sudo -u postgres createuser 'o'\''brien x'"
        );
    }

    #[test]
    fn os_release_names_the_manager() {
        let debian =
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";
        assert_eq!(manager_from_os_release(debian), Some(Manager::Apt));
        let mint = "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n";
        assert_eq!(manager_from_os_release(mint), Some(Manager::Apt));
        let fedora = "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=41\n";
        assert_eq!(manager_from_os_release(fedora), Some(Manager::Dnf));
        assert_eq!(manager_from_os_release("ID=arch\n"), None);
    }

    #[test]
    fn a_machine_without_a_manager_or_sudo_says_so() {
        let mut machine = Machine {
            manager: None,
            who: user("ana"),
            sudo: true,
        };
        assert!(matches!(
            machine.plan(&[Missing::Redis]),
            Err(InstallError::NoManager)
        ));
        assert_eq!(
            machine.plan(&[]).unwrap(),
            None,
            "nothing missing, nothing needed"
        );
        machine.manager = Some(Manager::Apt);
        machine.sudo = false;
        assert!(matches!(
            machine.plan(&[Missing::Redis]),
            Err(InstallError::NoSudo)
        ));
        machine.manager = Some(Manager::Brew);
        assert!(
            machine.plan(&[Missing::Redis]).unwrap().is_some(),
            "brew needs no sudo"
        );
    }

    #[test]
    fn consent_comes_from_yes_or_a_terminal() {
        assert_eq!(consent(true, false), Consent::Given);
        assert_eq!(consent(true, true), Consent::Given);
        assert_eq!(consent(false, true), Consent::Ask);
        assert_eq!(consent(false, false), Consent::Refused);
    }

    fn report(
        postgres: super::super::PostgresReport,
        redis: super::super::RedisReport,
    ) -> super::super::Report {
        super::super::Report { postgres, redis }
    }

    #[test]
    fn only_what_a_package_brings_is_missing() {
        use super::super::{Origin, PostgresReport, RedisReport};
        let unavailable = || PostgresReport::Unavailable {
            problem: super::super::ServiceError::NoServer {
                local: "127.0.0.1:5432".into(),
                cause: "refused".into(),
                why: super::super::NoScratch::NoPostgresBinaries,
            },
        };
        let no_redis = || RedisReport::Missing {
            reason: super::super::redis::RedisMissing::Disabled,
        };
        let config = Config::default();
        let fresh = report(unavailable(), no_redis());
        assert_eq!(
            missing_from(&fresh, &config, false, false),
            [Missing::Postgres, Missing::Redis]
        );
        assert_eq!(
            missing_from(&fresh, &config, true, true),
            [],
            "binaries: perflab starts its own"
        );
        let mut configured = Config::default();
        configured.database.url = Some("postgres://db.example/x".into());
        configured.redis.url = Some("redis://cache.example".into());
        assert_eq!(
            missing_from(&fresh, &configured, false, false),
            [],
            "a dead configured URL is not fixed by installing"
        );
        let mut off = Config::default();
        off.redis.enabled = false;
        assert_eq!(missing_from(&fresh, &off, true, false), []);
        let no_trgm = report(
            PostgresReport::Reachable {
                origin: Origin::LocalDefault,
                location: "localhost:5432".into(),
                server_version: "16".into(),
                pg_trgm: false,
            },
            RedisReport::Reachable {
                origin: Origin::LocalDefault,
                location: "localhost:6379".into(),
                version: "7".into(),
            },
        );
        assert_eq!(
            missing_from(&no_trgm, &config, true, true),
            [Missing::PgTrgm]
        );
    }
}
