//! The lab catalog: the course's blocks and labs, read from a pack.
//!
//! A pack is two folders side by side: `labs/` holds `course.toml` (the
//! blocks and the timetable) and one folder per lab — `lab.toml` (what the
//! runner needs: starting settings, traffic, checks), `es.md` and `en.md`
//! (instructions), `hints.toml` (progressive hints, both languages) — and
//! `solutions/<id>/` holds the reference solution (`shop.toml`, a partial
//! settings file merged over the starting state; `indexes.sql`).
//!
//! The pack in this repository is embedded in the binary ([`Catalog::embedded`]),
//! so perflab works offline after `cargo install`; authors point `--labs DIR`
//! at their own ([`Catalog::from_dir`]). Every error names the file and, for
//! TOML, the line and column. Depends on `check` (the check specs) and
//! `shop::settings` (the starting states).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::check::{CheckSpec, TrafficSpec};
use crate::messages::{self, Catalogue, Lang};
use crate::shop::settings::{Preset, ShopSettings};

static EMBEDDED_LABS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/labs");
static EMBEDDED_SOLUTIONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/solutions");

/// A text in both of the course's languages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub es: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Es => &self.es,
            Lang::En => &self.en,
        }
    }
}

/// What a block's labs count towards in `perflab grade` (the course's weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// 40 %: caching, database, the final project's targets.
    Performance,
    /// 30 %: metrics, logs, profiling.
    Monitoring,
    /// 30 %: the middleware the student writes.
    Code,
}

impl Category {
    pub const ALL: [Category; 3] = [Self::Performance, Self::Monitoring, Self::Code];

    /// The course's weight of the category in the grade.
    pub fn weight(self) -> f64 {
        match self {
            Self::Performance => 0.4,
            Self::Monitoring | Self::Code => 0.3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Performance => "performance",
            Self::Monitoring => "monitoring",
            Self::Code => "code",
        }
    }
}

/// One block of the day (`course.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    pub number: u32,
    pub title: Text,
    /// Minutes after the day's start (the course starts at 12:00).
    pub starts_after: u32,
    pub minutes: u32,
    pub category: Category,
}

/// The day: blocks in order, and where the break goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    pub title: Text,
    /// `HH:MM` of the first block.
    pub start: String,
    pub blocks: Vec<Block>,
    #[serde(default)]
    pub breaks: Vec<Break>,
}

/// A pause in the timetable (the course's mandatory 30 minutes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Break {
    pub title: Text,
    pub starts_after: u32,
    pub minutes: u32,
}

/// The state a lab starts from: a preset with some settings changed, and the
/// indexes already there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    #[serde(default = "baseline")]
    pub preset: Preset,
    /// A partial settings table merged over the preset.
    #[serde(default)]
    pub settings: toml::Table,
    /// SQL applied before the student's `indexes.sql`.
    pub indexes: Option<String>,
}

fn baseline() -> Preset {
    Preset::Baseline
}

impl Default for Start {
    fn default() -> Self {
        Self {
            preset: Preset::Baseline,
            settings: toml::Table::new(),
            indexes: None,
        }
    }
}

/// What the runner must set up around the shop for the lab's checks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Shop instances on the same database and Redis (2 for shared-key labs).
    #[serde(default = "one")]
    pub instances: usize,
    /// Give the shop a Redis of its own that checks may stop (lab 1.6).
    #[serde(default)]
    pub private_redis: bool,
    /// Put this round trip between the shops and PostgreSQL, as when the
    /// database is on another host (lab 2.4; `services::latency`).
    #[serde(default, with = "humantime_serde")]
    pub database_rtt: Option<std::time::Duration>,
    /// The lab meets the rate limiter (Block 3's limiting labs, the final
    /// project). Every other lab runs with `rate_limit.enabled = false`
    /// whatever `shop.toml` says: its traffic is one machine's load test,
    /// which a per-user limit would turn into 429s, and Blocks 1–2 never
    /// meet the limiter (see [`Lab::settings_under_test`]).
    #[serde(default)]
    pub rate_limited: bool,
}

fn one() -> usize {
    1
}

/// A panel of the TUI's live dashboard. A lab lists the ones it is about;
/// the middleware and monitoring labs add theirs here (rate-limit budget,
/// request-log tail, spans) without touching the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    /// p50/p95/p99 over time against the p95 target.
    Latency,
    /// req/s now, the last window's percentiles and `X-Query-Count`.
    Throughput,
    /// The cache's hit ratio against 80 %.
    HitRatio,
    /// The shop's resident memory against 512 MB.
    Memory,
    /// The shop's database connections against 20.
    Connections,
    /// Status codes over the run.
    Status,
    /// The plan of the lab's query (its `explain` check).
    Explain,
    /// 429s per virtual user (the rate-limiting labs; users log in).
    RateLimits,
    /// The last lines of the shop's request log (lab 3.6).
    RequestLog,
    /// Time per part (db, cache, serialisation, compute) per route: the
    /// shop's span breakdown (lab 4.2).
    Breakdown,
}

impl Panel {
    /// What a lab that names none shows.
    pub const DEFAULT: [Panel; 6] = [
        Self::Latency,
        Self::Throughput,
        Self::HitRatio,
        Self::Memory,
        Self::Connections,
        Self::Status,
    ];
}

fn default_panels() -> Vec<Panel> {
    Panel::DEFAULT.to_vec()
}

/// `lab.toml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabFile {
    id: String,
    block: u32,
    title: Text,
    /// Workspace files the student changes (`shop.toml`, `indexes.sql`).
    edits: Vec<String>,
    #[serde(default)]
    start: Start,
    #[serde(default)]
    stage: Stage,
    /// Passing this lab records its measurements as the student's baseline.
    #[serde(default)]
    records_baseline: bool,
    traffic: Option<TrafficSpec>,
    /// The dashboard's panels for this lab.
    #[serde(default = "default_panels")]
    panels: Vec<Panel>,
    /// Checks (by id) that count towards another category than the block's.
    #[serde(default)]
    categories: BTreeMap<String, Category>,
    checks: Vec<CheckSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct HintsFile {
    hints: Vec<Text>,
}

/// A lab's reference solution.
#[derive(Debug, Clone, Default)]
pub struct Solution {
    /// A partial settings table merged over the starting state.
    pub settings: Option<toml::Table>,
    /// The settings file as written (shown to the student).
    pub settings_text: Option<String>,
    pub indexes: Option<String>,
}

/// One lab, ready to show, run and check.
#[derive(Debug, Clone)]
pub struct Lab {
    pub id: String,
    pub block: u32,
    pub title: Text,
    pub edits: Vec<String>,
    pub start: Start,
    pub stage: Stage,
    pub records_baseline: bool,
    pub traffic: Option<TrafficSpec>,
    pub panels: Vec<Panel>,
    /// Checks (by id) that count towards another category than the block's:
    /// the final project is graded in all three, as the course grades it.
    pub categories: BTreeMap<String, Category>,
    pub checks: Vec<CheckSpec>,
    pub instructions: Text,
    pub hints: Vec<Text>,
    pub solution: Solution,
}

impl Lab {
    /// The category check `id` counts towards: its own, else its block's.
    pub fn check_category(&self, id: &str, block: Category) -> Category {
        self.categories.get(id).copied().unwrap_or(block)
    }

    /// The settings the lab's shop runs with: the student's, with the rate
    /// limiter off unless the lab is about it (`[stage] rate_limited`).
    pub fn settings_under_test(&self, settings: &ShopSettings) -> ShopSettings {
        let mut settings = settings.clone();
        if !self.stage.rate_limited {
            settings.rate_limit.enabled = false;
        }
        settings
    }

    /// The settings the lab starts from.
    pub fn start_settings(&self) -> Result<ShopSettings, String> {
        merged(
            ShopSettings::preset(self.start.preset),
            &self.start.settings,
        )
        .map_err(|e| format!("lab {}: [start.settings]: {e}", self.id))
    }

    /// What `solution --apply` merges into a student's `shop.toml`: the
    /// lab's starting changes, then the solution's, so the result is the
    /// solved state whatever the file held before.
    pub fn solution_patch(&self) -> Option<toml::Table> {
        let solution = self.solution.settings.as_ref()?;
        let mut patch = self.start.settings.clone();
        merge(&mut patch, solution);
        Some(patch)
    }

    /// The starting settings with the solution applied.
    pub fn solved_settings(&self) -> Result<ShopSettings, String> {
        let start = self.start_settings()?;
        match &self.solution.settings {
            Some(patch) => {
                merged(start, patch).map_err(|e| format!("solution of lab {}: {e}", self.id))
            }
            None => Ok(start),
        }
    }
}

/// `patch` merged key by key over `settings`, validated.
pub fn merged(settings: ShopSettings, patch: &toml::Table) -> Result<ShopSettings, String> {
    let mut value = toml::Value::try_from(settings).map_err(|e| e.to_string())?;
    if let toml::Value::Table(table) = &mut value {
        merge(table, patch);
    }
    let settings: ShopSettings = value
        .try_into()
        .map_err(|e: toml::de::Error| e.message().trim().replace('\n', " "))?;
    settings.validate()?;
    Ok(settings)
}

/// Deep merge: tables merge, everything else replaces.
pub(crate) fn merge(into: &mut toml::Table, patch: &toml::Table) {
    for (key, value) in patch {
        match (into.get_mut(key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(sub)) => merge(inner, sub),
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Why a pack could not be read: one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("lab {id}: {reason}")]
    Lab { id: String, reason: String },
}

/// The folder of a pack's message catalogue (`labs/messages/<lang>/*.ftl`).
const MESSAGES_DIR: &str = "messages";

/// Where a pack's files come from.
enum Source<'a> {
    Embedded,
    Dir { labs: &'a Path, solutions: PathBuf },
}

impl Source<'_> {
    fn read(&self, rel: &str, solutions: bool) -> Result<Option<String>, CatalogError> {
        match self {
            Self::Embedded => {
                let dir = if solutions {
                    &EMBEDDED_SOLUTIONS
                } else {
                    &EMBEDDED_LABS
                };
                Ok(dir
                    .get_file(rel)
                    .and_then(|f| f.contents_utf8())
                    .map(str::to_string))
            }
            Self::Dir {
                labs,
                solutions: sol,
            } => {
                let path = if solutions {
                    sol.join(rel)
                } else {
                    labs.join(rel)
                };
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(CatalogError::File {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    }),
                }
            }
        }
    }

    /// The lab folders' names.
    fn lab_dirs(&self) -> Result<Vec<String>, CatalogError> {
        let mut names: Vec<String> = match self {
            Self::Embedded => EMBEDDED_LABS
                .dirs()
                .filter_map(|d| d.path().file_name()?.to_str().map(str::to_string))
                .collect(),
            Self::Dir { labs, .. } => std::fs::read_dir(labs)
                .map_err(|e| CatalogError::File {
                    path: labs.display().to_string(),
                    reason: e.to_string(),
                })?
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect(),
        };
        // `messages/` holds the pack's message catalogue, not a lab.
        names.retain(|name| name != MESSAGES_DIR);
        names.sort_by_key(|name| lab_order(name));
        Ok(names)
    }

    /// The pack's own `.ftl` files (the embedded pack's are the built-in
    /// catalogue itself, so it brings none of its own).
    fn message_sources(&self) -> Result<Vec<messages::Source>, CatalogError> {
        let Self::Dir { labs, .. } = self else {
            return Ok(Vec::new());
        };
        let mut sources = Vec::new();
        for lang in Lang::ALL {
            let dir = labs.join(MESSAGES_DIR).join(lang.code());
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
                .collect();
            files.sort();
            for path in files {
                let text = std::fs::read_to_string(&path).map_err(|e| CatalogError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                sources.push(messages::Source {
                    lang,
                    file: path.display().to_string(),
                    text,
                });
            }
        }
        Ok(sources)
    }

    fn describe(&self, rel: &str, solutions: bool) -> String {
        match self {
            Self::Embedded if solutions => format!("solutions/{rel}"),
            Self::Embedded => format!("labs/{rel}"),
            Self::Dir {
                labs,
                solutions: sol,
            } => {
                let base = if solutions { sol.as_path() } else { labs };
                base.join(rel).display().to_string()
            }
        }
    }
}

/// `1.10-x` after `1.9-x`: order by the numbers before the first `-`.
fn lab_order(name: &str) -> (Vec<u32>, String) {
    let numbers = name
        .split('-')
        .next()
        .unwrap_or("")
        .split('.')
        .map(|n| n.parse().unwrap_or(u32::MAX))
        .collect();
    (numbers, name.to_string())
}

/// The course and its labs, in order, and the messages they speak with.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub course: Course,
    pub labs: Vec<Lab>,
    /// The built-in catalogue with the pack's own messages over it.
    pub messages: Arc<Catalogue>,
}

impl Catalog {
    /// The pack built into this binary.
    pub fn embedded() -> Result<Self, CatalogError> {
        Self::load(&Source::Embedded)
    }

    /// A pack on disk: `labs` and, beside it, `solutions`.
    pub fn from_dir(labs: &Path) -> Result<Self, CatalogError> {
        let parent = labs.parent().unwrap_or(Path::new("."));
        let solutions = parent.join("solutions");
        Self::load(&Source::Dir { labs, solutions })
    }

    /// `--labs DIR` when given, else the embedded pack.
    pub fn open(dir: Option<&Path>) -> Result<Self, CatalogError> {
        match dir {
            Some(dir) => Self::from_dir(dir),
            None => Self::embedded(),
        }
    }

    /// The pack's messages in `lang`.
    pub fn text(&self, lang: Lang) -> messages::Text {
        messages::Text::new(lang, Arc::clone(&self.messages))
    }

    pub fn lab(&self, id: &str) -> Option<&Lab> {
        self.labs.iter().find(|lab| lab.id == id)
    }

    /// A lab by id, or by its number alone (`1.3`).
    pub fn find(&self, query: &str) -> Option<&Lab> {
        self.lab(query).or_else(|| {
            self.labs
                .iter()
                .find(|lab| lab.id.split('-').next() == Some(query))
        })
    }

    pub fn block(&self, number: u32) -> Option<&Block> {
        self.course.blocks.iter().find(|b| b.number == number)
    }

    fn load(source: &Source) -> Result<Self, CatalogError> {
        let course: Course = parse(source, "course.toml", false)?
            .ok_or_else(|| missing(source, "course.toml", false))?;
        let mut labs = Vec::new();
        for dir in source.lab_dirs()? {
            labs.push(load_lab(source, &dir)?);
        }
        let pack = source.message_sources()?;
        let messages = if pack.is_empty() {
            Catalogue::builtin()
        } else {
            Arc::new(Catalogue::with_pack(pack).map_err(|e| match e {
                messages::CatalogueError::File { file, reason } => {
                    CatalogError::File { path: file, reason }
                }
            })?)
        };
        let catalog = Self {
            course,
            labs,
            messages,
        };
        catalog.validate()?;
        Ok(catalog)
    }

    /// What must hold in any pack: unique ids, known blocks, hints, both
    /// languages, a solution, valid starting and solved settings.
    fn validate(&self) -> Result<(), CatalogError> {
        let entries = messages::lint::entries(self.messages.sources());
        if let Some(problem) = messages::lint::language_mismatches(&entries).first() {
            return Err(CatalogError::File {
                path: format!("{MESSAGES_DIR}/"),
                reason: problem.clone(),
            });
        }
        let mut seen = BTreeSet::new();
        for lab in &self.labs {
            let fail = |reason: String| CatalogError::Lab {
                id: lab.id.clone(),
                reason,
            };
            if !seen.insert(lab.id.as_str()) {
                return Err(fail("the id is used by another lab".into()));
            }
            if self.block(lab.block).is_none() {
                return Err(fail(format!("block {} is not in course.toml", lab.block)));
            }
            if lab.checks.is_empty() {
                return Err(fail("it has no checks".into()));
            }
            if lab.hints.is_empty() {
                return Err(fail("hints.toml has no hints".into()));
            }
            if let Some(id) = lab
                .categories
                .keys()
                .find(|id| !lab.checks.iter().any(|c| c.id() == id.as_str()))
            {
                return Err(fail(format!(
                    "[categories] names `{id}`, which no check has"
                )));
            }
            let texts = [&lab.title, &lab.instructions]
                .into_iter()
                .chain(&lab.hints);
            if texts
                .into_iter()
                .any(|t| t.es.trim().is_empty() || t.en.trim().is_empty())
            {
                return Err(fail(
                    "a title, instruction or hint is empty in es or en".into(),
                ));
            }
            for text in [&lab.instructions].into_iter().chain(&lab.hints) {
                for (lang, body) in [("es", &text.es), ("en", &text.en)] {
                    if let Some((line, name)) = super::actions::unknown(body).first() {
                        return Err(fail(format!(
                            "{lang}: line {line}: {{{{{name}}}}} is no action (known: {})",
                            super::actions::ACTIONS.join(", ")
                        )));
                    }
                }
            }
            if lab.solution.settings.is_none()
                && lab.solution.indexes.is_none()
                && !lab.records_baseline
            {
                return Err(fail(
                    "solutions/<id>/ has neither shop.toml nor indexes.sql".into(),
                ));
            }
            lab.solved_settings().map_err(fail)?;
        }
        Ok(())
    }
}

fn missing(source: &Source, rel: &str, solutions: bool) -> CatalogError {
    CatalogError::File {
        path: source.describe(rel, solutions),
        reason: "missing".into(),
    }
}

/// Reads and parses a TOML file of the pack, if it exists.
fn parse<T: serde::de::DeserializeOwned>(
    source: &Source,
    rel: &str,
    solutions: bool,
) -> Result<Option<T>, CatalogError> {
    let Some(text) = source.read(rel, solutions)? else {
        return Ok(None);
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| CatalogError::File {
            path: source.describe(rel, solutions),
            reason: toml_error(&text, &e),
        })
}

/// "line L, column C: message" for a TOML error.
pub(crate) fn toml_error(text: &str, error: &toml::de::Error) -> String {
    crate::config::one_line_toml_error(text, error, "")
}

fn load_lab(source: &Source, dir: &str) -> Result<Lab, CatalogError> {
    let rel = |name: &str| format!("{dir}/{name}");
    let file: LabFile = parse(source, &rel("lab.toml"), false)?
        .ok_or_else(|| missing(source, &rel("lab.toml"), false))?;
    if file.id != dir {
        return Err(CatalogError::File {
            path: source.describe(&rel("lab.toml"), false),
            reason: format!("id `{}` differs from its folder `{dir}`", file.id),
        });
    }
    let text = |name: &str| -> Result<String, CatalogError> {
        source
            .read(&rel(name), false)?
            .ok_or_else(|| missing(source, &rel(name), false))
    };
    let instructions = Text {
        es: text("es.md")?,
        en: text("en.md")?,
    };
    let hints: HintsFile = parse(source, &rel("hints.toml"), false)?
        .ok_or_else(|| missing(source, &rel("hints.toml"), false))?;
    let settings_text = source.read(&rel("shop.toml"), true)?;
    let settings = match &settings_text {
        Some(text) => Some(toml::from_str(text).map_err(|e| CatalogError::File {
            path: source.describe(&rel("shop.toml"), true),
            reason: toml_error(text, &e),
        })?),
        None => None,
    };
    let solution = Solution {
        settings,
        settings_text,
        indexes: source.read(&rel("indexes.sql"), true)?,
    };
    Ok(Lab {
        id: file.id,
        block: file.block,
        title: file.title,
        edits: file.edits,
        start: file.start,
        stage: file.stage,
        records_baseline: file.records_baseline,
        traffic: file.traffic,
        panels: file.panels,
        categories: file.categories,
        checks: file.checks,
        instructions,
        hints: hints.hints,
        solution,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labs_sort_by_number_not_text() {
        let mut names = vec!["1.10-x", "1.2-y", "2.1-z", "1.9-w"];
        names.sort_by_key(|name| lab_order(name));
        assert_eq!(names, ["1.2-y", "1.9-w", "1.10-x", "2.1-z"]);
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let patch: toml::Table = toml::from_str("[cache]\nbackend = \"memory\"").unwrap();
        let settings = merged(ShopSettings::default(), &patch).unwrap();
        assert_eq!(
            settings.cache.backend,
            crate::shop::settings::CacheBackend::Memory
        );
        assert_eq!(settings.database, ShopSettings::default().database);
        let bad: toml::Table = toml::from_str("[cache]\nbakend = \"memory\"").unwrap();
        assert!(
            merged(ShopSettings::default(), &bad)
                .unwrap_err()
                .contains("bakend")
        );
    }

    #[test]
    fn a_lab_names_its_dashboard_panels_and_unknown_ones_are_refused() {
        let head = "id = \"x\"\nblock = 1\ntitle = { es = \"a\", en = \"b\" }\nedits = []\n";
        let checks = "[[checks]]\nkind = \"health\"\nexpect = { status = \"ok\" }\n";
        let named: LabFile = toml::from_str(&format!(
            "{head}panels = [\"explain\", \"latency\"]\n{checks}"
        ))
        .unwrap();
        assert_eq!(named.panels, [Panel::Explain, Panel::Latency]);
        let default: LabFile = toml::from_str(&format!("{head}{checks}")).unwrap();
        assert_eq!(default.panels, Panel::DEFAULT);
        let unknown = toml::from_str::<LabFile>(&format!("{head}panels = [\"vibes\"]\n{checks}"));
        assert!(unknown.is_err());
    }

    #[test]
    fn toml_errors_carry_line_and_column() {
        let text = "a = 1\nb = \n";
        let error = toml::from_str::<toml::Table>(text).unwrap_err();
        assert!(
            toml_error(text, &error).starts_with("line 2, column"),
            "{}",
            toml_error(text, &error)
        );
    }
}
