//! The student's workspace: the folder `perflab init [DIR]` makes and every
//! other command works in.
//!
//! It holds what the student edits (`shop.toml`, `indexes.sql`), what perflab
//! records (`progress.json`), a `README.md`, and a `.perflab-workspace` marker
//! with a format version. Commands find the workspace from any subfolder by
//! walking up to the marker, as git finds `.git`.
//!
//! `init` is safe to run again: it never overwrites a file that exists (it is
//! the student's work), creates only what is missing, and writes the marker
//! last so a half-made workspace is not mistaken for a finished one. The
//! starting contents are the templates in `src/lab/templates/`, plus the
//! shop's default settings serialised from [`ShopSettings`] so `shop.toml`
//! always matches the shop it configures.

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::atomic_file::atomic_create;
use super::progress::{PROGRESS_FILE, Progress};
use super::shop_toml::ShopTomlError;
use crate::messages::Text;
use crate::msg;
use crate::shop::settings::ShopSettings;

/// The marker file's name.
pub const MARKER: &str = ".perflab-workspace";

/// The workspace layout version this perflab makes and the newest it opens.
pub const WORKSPACE_VERSION: u32 = 1;

const SHOP_TOML: &str = "shop.toml";
const INDEXES_SQL: &str = "indexes.sql";
const README: &str = "README.md";

const SHOP_HEADER: &str = include_str!("templates/shop-header.toml");
const INDEXES_TEMPLATE: &str = include_str!("templates/indexes.sql");
const README_TEMPLATE: &str = include_str!("templates/README.md");
const MARKER_HEADER: &str = include_str!("templates/marker-header.toml");

/// A workspace folder that has a valid marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    root: PathBuf,
}

/// What [`Workspace::init`] did.
#[derive(Debug)]
pub struct Initialized {
    pub workspace: Workspace,
    /// The files this run created (empty when everything was already there).
    pub created: Vec<PathBuf>,
}

/// Why a workspace could not be made or opened; each message names the path,
/// the cause and the next step.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "cannot create {path}: {source}. Check that the folder is writable and \
         run `perflab init` again (files already there are kept)"
    )]
    Create { path: PathBuf, source: io::Error },
    #[error(
        "{dir} is not a perflab workspace (no {MARKER} in it); run `perflab init` there to make one"
    )]
    NotAWorkspace { dir: PathBuf },
    #[error(
        "the workspace marker {path} is unreadable ({reason}); delete it and run \
         `perflab init` in its folder again (your files are kept)"
    )]
    Marker { path: PathBuf, reason: String },
    #[error(
        "the workspace {path} was made by a newer perflab (workspace version \
         {found}; this perflab knows up to {supported}); upgrade perflab to use it"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "cannot write the shop's default settings as TOML: {0} (a perflab bug; please report it)"
    )]
    Settings(#[from] toml::ser::Error),
}

impl WorkspaceError {
    /// One line for the student, in `text`'s language. A settings file that
    /// cannot be serialised is perflab's bug and stays English.
    pub fn render(&self, text: &Text) -> String {
        let shown = |path: &Path| path.display().to_string();
        match self {
            Self::Create { path, source } => msg!(
                text,
                "workspace-create-failed",
                path = shown(path),
                error = source.to_string()
            ),
            Self::NotAWorkspace { dir } => {
                msg!(text, "workspace-not-one", dir = shown(dir))
            }
            Self::Marker { path, reason } => msg!(
                text,
                "workspace-marker-unreadable",
                path = shown(path),
                reason = reason.as_str()
            ),
            Self::TooNew {
                path,
                found,
                supported,
            } => msg!(
                text,
                "workspace-too-new",
                path = shown(path),
                found = *found,
                supported = *supported
            ),
            Self::Settings(_) => self.to_string(),
        }
    }
}

impl Workspace {
    /// Makes (or completes) the workspace in `dir`, keeping every existing file.
    pub fn init(dir: &Path) -> Result<Initialized, WorkspaceError> {
        let root = absolute(dir);
        std::fs::create_dir_all(&root).map_err(|source| WorkspaceError::Create {
            path: root.clone(),
            source,
        })?;
        let workspace = Self { root };
        // An existing marker from a newer perflab means files we do not know
        // how to complete: refuse before writing anything.
        if workspace.marker().exists() {
            check_marker(&workspace.marker())?;
        }
        let mut created = Vec::new();
        for (path, contents) in workspace.starting_files()? {
            let made =
                atomic_create(&path, &contents).map_err(|source| WorkspaceError::Create {
                    path: path.clone(),
                    source,
                })?;
            if made {
                created.push(path);
            }
        }
        Ok(Initialized { workspace, created })
    }

    /// Opens the workspace whose marker is in `dir`.
    pub fn open(dir: &Path) -> Result<Self, WorkspaceError> {
        let root = absolute(dir);
        let marker = root.join(MARKER);
        if !marker.exists() {
            return Err(WorkspaceError::NotAWorkspace { dir: root });
        }
        check_marker(&marker)?;
        Ok(Self { root })
    }

    /// The workspace containing `cwd` (itself or the nearest parent with a
    /// marker); `Ok(None)` when there is none up to the filesystem root.
    pub fn find_from(cwd: &Path) -> Result<Option<Self>, WorkspaceError> {
        let start = absolute(cwd);
        match start.ancestors().find(|dir| dir.join(MARKER).exists()) {
            Some(dir) => Self::open(dir).map(Some),
            None => Ok(None),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn shop_toml(&self) -> PathBuf {
        self.root.join(SHOP_TOML)
    }

    pub fn indexes_sql(&self) -> PathBuf {
        self.root.join(INDEXES_SQL)
    }

    pub fn progress_path(&self) -> PathBuf {
        self.root.join(PROGRESS_FILE)
    }

    pub fn readme(&self) -> PathBuf {
        self.root.join(README)
    }

    pub fn marker(&self) -> PathBuf {
        self.root.join(MARKER)
    }

    /// The settings the student's `shop.toml` holds; the error names the key
    /// and the line ([`ShopTomlError::render`] says it in the learner's language).
    pub fn shop_settings(&self) -> Result<ShopSettings, ShopTomlError> {
        super::shop_toml::read(&self.shop_toml())
    }

    /// The student's `indexes.sql` (empty when there is none).
    pub fn indexes(&self) -> io::Result<String> {
        match std::fs::read_to_string(self.indexes_sql()) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
            other => other,
        }
    }

    /// Replaces `shop.toml` with `settings` (a lab's starting state), keeping
    /// the previous file as `shop.toml.<timestamp>.bak`; returns the backup's path.
    pub fn write_settings(&self, settings: &ShopSettings) -> io::Result<PathBuf> {
        let text = toml::to_string_pretty(settings).map_err(io::Error::other)?;
        self.replace(&self.shop_toml(), format!("{SHOP_HEADER}{text}").as_bytes())
    }

    /// Merges a partial settings table (a lab's solution) into `shop.toml`,
    /// keeping the student's comments and layout, and the previous file as
    /// `shop.toml.<timestamp>.bak`. The merged file must still be valid settings.
    pub fn merge_settings(&self, patch: &toml::Table) -> Result<PathBuf, String> {
        let path = self.shop_toml();
        let merged = self.merged_settings(patch)?;
        self.replace(&path, merged.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// [`Self::merge_settings`] without a backup: one switch of the TUI's
    /// (a key the opposite key undoes) is no generation worth keeping — a
    /// backup per keystroke left 31 `.bak` files in 15 minutes. Resets and
    /// applied solutions keep theirs.
    pub fn switch_settings(&self, patch: &toml::Table) -> Result<(), String> {
        let path = self.shop_toml();
        let merged = self.merged_settings(patch)?;
        super::atomic_file::atomic_write(&path, merged.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// `shop.toml` with `patch` merged in, comments and layout kept; refused
    /// unless the result is valid settings.
    fn merged_settings(&self, patch: &toml::Table) -> Result<String, String> {
        let path = self.shop_toml();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut document: toml_edit::DocumentMut =
            text.parse().map_err(|e: toml_edit::TomlError| {
                format!(
                    "{}: {}",
                    path.display(),
                    e.to_string().lines().next().unwrap_or("not TOML")
                )
            })?;
        merge_into(document.as_table_mut(), patch);
        let merged = document.to_string();
        let settings: ShopSettings = toml::from_str(&merged)
            .map_err(|e| format!("the merged {}: {}", path.display(), e.message().trim()))?;
        settings.validate()?;
        Ok(merged)
    }

    /// Replaces `indexes.sql`, keeping the previous file as
    /// `indexes.sql.<timestamp>.bak`.
    pub fn write_indexes(&self, sql: &str) -> io::Result<PathBuf> {
        self.replace(&self.indexes_sql(), sql.as_bytes())
    }

    /// `indexes.sql` as `init` makes it.
    pub fn starting_indexes() -> &'static str {
        INDEXES_TEMPLATE
    }

    /// Keeps the current `path` as `path.<timestamp>.bak` (every generation:
    /// a second reset must not overwrite the first backup), then writes
    /// `bytes` atomically. Returns the backup, or `path` itself when nothing
    /// changed.
    fn replace(&self, path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
        let current = match std::fs::read(path) {
            Ok(current) => Some(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if current.as_deref() == Some(bytes) {
            return Ok(path.to_path_buf());
        }
        let mut backup = path.as_os_str().to_owned();
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S%.3f");
        backup.push(format!(".{stamp}.bak"));
        let backup = PathBuf::from(backup);
        if let Some(current) = current {
            // A backup of the same millisecond already holds these bytes.
            super::atomic_file::atomic_create(&backup, &current)?;
        }
        super::atomic_file::atomic_write(path, bytes)?;
        Ok(backup)
    }

    /// Every file `init` makes, marker last.
    fn starting_files(&self) -> Result<Vec<(PathBuf, Vec<u8>)>, WorkspaceError> {
        let settings = toml::to_string_pretty(&ShopSettings::default())?;
        let marker = format!("{MARKER_HEADER}version = {WORKSPACE_VERSION}\n");
        Ok(vec![
            (
                self.shop_toml(),
                format!("{SHOP_HEADER}{settings}").into_bytes(),
            ),
            (self.indexes_sql(), INDEXES_TEMPLATE.as_bytes().to_vec()),
            (self.progress_path(), Progress::new().to_json()),
            (self.readme(), README_TEMPLATE.as_bytes().to_vec()),
            (self.marker(), marker.into_bytes()),
        ])
    }
}

/// Sets every key of `patch` in `table`, recursing into tables (inline or
/// not), so the document keeps the keys, comments and order it had.
fn merge_into(table: &mut dyn toml_edit::TableLike, patch: &toml::Table) {
    for (key, value) in patch {
        if let toml::Value::Table(sub) = value {
            if table.get(key).is_none() {
                table.insert(key, toml_edit::Item::Table(toml_edit::Table::new()));
            }
            if let Some(inner) = table.get_mut(key).and_then(|i| i.as_table_like_mut()) {
                merge_into(inner, sub);
                continue;
            }
        }
        let text = format!("v = {value}");
        if let Ok(parsed) = text.parse::<toml_edit::DocumentMut>()
            && let Some(item) = parsed.get("v")
        {
            table.insert(key, item.clone());
        }
    }
}

/// Reads the marker's version; a newer one is refused.
fn check_marker(path: &Path) -> Result<(), WorkspaceError> {
    #[derive(Deserialize)]
    struct Marker {
        version: u32,
    }
    let bad = |reason: String| WorkspaceError::Marker {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let marker: Marker = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
    match marker.version {
        0 => Err(bad("version 0 does not exist".into())),
        v if v > WORKSPACE_VERSION => Err(WorkspaceError::TooNew {
            path: path.parent().unwrap_or(path).to_path_buf(),
            found: v,
            supported: WORKSPACE_VERSION,
        }),
        _ => Ok(()),
    }
}

/// `dir` made absolute against the current directory (without resolving
/// symlinks, so paths read back as the student typed them), so walking up
/// parents works from a relative start and messages show full paths.
fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_patch_merges_into_inline_tables_and_keeps_comments() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(dir.path()).unwrap().workspace;
        let text = "# mine\ncache = { backend = \"redis\", ttl = \"5m\" }\n";
        std::fs::write(ws.shop_toml(), text).unwrap();
        let patch: toml::Table = toml::from_str("[cache]\nendpoints = [\"categories\"]").unwrap();
        ws.merge_settings(&patch).unwrap();
        let merged = std::fs::read_to_string(ws.shop_toml()).unwrap();
        assert!(merged.starts_with("# mine"), "{merged}");
        let settings = ws.shop_settings().unwrap();
        assert_eq!(
            settings.cache.backend,
            crate::shop::settings::CacheBackend::Redis
        );
        assert_eq!(settings.cache.ttl, std::time::Duration::from_secs(300));
        assert_eq!(settings.cache.endpoints.len(), 1);
    }

    use super::*;

    #[test]
    fn switches_keep_no_backup_a_reset_keeps_one() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(dir.path()).unwrap().workspace;
        let backups = || {
            std::fs::read_dir(ws.root())
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".bak")
                })
                .count()
        };
        for backend in ["memory", "redis", "off", "memory"] {
            let patch: toml::Table =
                toml::from_str(&format!("[cache]\nbackend = \"{backend}\"")).unwrap();
            ws.switch_settings(&patch).unwrap();
        }
        assert_eq!(backups(), 0, "no .bak per switch");
        assert_eq!(
            ws.shop_settings().unwrap().cache.backend,
            crate::shop::settings::CacheBackend::Memory
        );
        ws.write_settings(&ShopSettings::default()).unwrap();
        assert_eq!(backups(), 1, "a reset keeps the file it replaced");
    }

    #[test]
    fn the_starting_shop_toml_is_the_default_settings() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(dir.path()).unwrap().workspace;
        let text = std::fs::read_to_string(ws.shop_toml()).unwrap();
        assert!(text.starts_with("# perflab"), "{text}");
        let settings = ShopSettings::from_file(&ws.shop_toml()).unwrap();
        assert_eq!(settings, ShopSettings::default());
    }

    #[test]
    fn the_marker_carries_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(dir.path()).unwrap().workspace;
        let text = std::fs::read_to_string(ws.marker()).unwrap();
        assert!(text.ends_with("version = 1\n"), "{text}");
    }

    #[test]
    fn a_corrupt_marker_is_reported_with_the_next_step() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MARKER), "version = \"one\"").unwrap();
        let err = Workspace::open(dir.path()).unwrap_err();
        assert!(matches!(err, WorkspaceError::Marker { .. }), "{err}");
        assert!(err.to_string().contains("perflab init"), "{err}");
    }

    #[test]
    fn a_newer_marker_stops_init_before_it_writes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MARKER), "version = 99\n").unwrap();
        let err = Workspace::init(dir.path()).unwrap_err();
        assert!(
            matches!(err, WorkspaceError::TooNew { found: 99, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn init_into_a_regular_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("taken");
        std::fs::write(&file, "x").unwrap();
        let err = Workspace::init(&file).unwrap_err();
        assert!(err.to_string().contains("taken"), "{err}");
    }
}
