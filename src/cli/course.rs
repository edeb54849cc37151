//! What every lab command shares: the pack (`--labs DIR` or the embedded
//! one), the learner's language and the pack's messages in it, the workspace
//! found from the current folder, and its progress file — each failure as one
//! line and exit 2. A failure the student can act on (no such lab, no
//! workspace here, a corrupt progress file) is said through the message
//! catalogue (`cli.ftl`); a broken pack is for its author and stays English.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::EXIT_ENVIRONMENT;
use crate::check::Lang;
use crate::lab::{Catalog, Lab, Loaded, Progress, Workspace};
use crate::messages::Text;
use crate::msg;

/// Options of every lab command.
#[derive(Debug, Clone, Args)]
pub struct CourseArgs {
    /// A lab pack to use instead of the built-in one (a `labs/` folder with
    /// `solutions/` beside it).
    #[arg(long, global = true, env = "PERFLAB_LABS")]
    pub labs: Option<PathBuf>,
    /// Language of instructions and messages (default: from LANG, else es).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Es,
    En,
}

/// A command's failure: the line to print and the exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn environment(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: EXIT_ENVIRONMENT,
        }
    }

    pub fn exit(self) -> ExitCode {
        eprintln!("perflab: {}", self.message);
        ExitCode::from(self.code)
    }
}

impl CourseArgs {
    pub fn lang(&self) -> Lang {
        match self.lang {
            Some(LangArg::Es) => Lang::Es,
            Some(LangArg::En) => Lang::En,
            None => lang_from_env(std::env::var("LANG").ok().as_deref()),
        }
    }

    /// The pack's messages in the learner's language.
    pub fn text(&self, catalog: &Catalog) -> Text {
        catalog.text(self.lang())
    }

    pub fn catalog(&self) -> Result<Catalog, Failure> {
        Catalog::open(self.labs.as_deref()).map_err(|e| {
            Failure::environment(format!(
                "the lab pack is broken: {e}. Fix that file (or drop --labs to use the built-in labs)"
            ))
        })
    }
}

/// `LANG=en_GB.UTF-8` → English; anything else → Spanish, the course's language.
fn lang_from_env(lang: Option<&str>) -> Lang {
    match lang {
        Some(value) if value.starts_with("en") => Lang::En,
        _ => Lang::Es,
    }
}

/// The lab a student named (`1.3-cache-aside` or `1.3`).
pub fn find_lab<'a>(catalog: &'a Catalog, text: &Text, query: &str) -> Result<&'a Lab, Failure> {
    catalog
        .find(query)
        .ok_or_else(|| Failure::environment(msg!(text, "cli-no-such-lab", lab = query)))
}

/// The workspace around the current folder, its errors in `text`'s language.
pub fn find_workspace(text: &Text) -> Result<Workspace, Failure> {
    let cwd = std::env::current_dir().map_err(|e| {
        Failure::environment(msg!(text, "cli-cwd-unreadable", error = e.to_string()))
    })?;
    match Workspace::find_from(&cwd) {
        Ok(Some(workspace)) => Ok(workspace),
        Ok(None) => Err(Failure::environment(msg!(
            text,
            "cli-not-in-workspace",
            dir = cwd.display().to_string()
        ))),
        Err(e) => Err(Failure::environment(e.render(text))),
    }
}

/// The workspace's progress; a corrupt file is reported (it was kept aside).
pub fn load_progress(workspace: &Workspace, text: &Text) -> Result<Progress, Failure> {
    match Progress::load(&workspace.progress_path()) {
        Ok(Loaded::Fresh(progress) | Loaded::Found(progress)) => Ok(progress),
        Ok(recovered @ Loaded::Recovered { .. }) => {
            if let Some(notice) = recovered.notice(text) {
                eprintln!("perflab: {notice}");
            }
            Ok(recovered.into_progress())
        }
        Err(e) => Err(Failure::environment(e.render(text))),
    }
}

pub fn save_progress(
    workspace: &Workspace,
    progress: &Progress,
    text: &Text,
) -> Result<(), Failure> {
    progress
        .save(&workspace.progress_path())
        .map_err(|e| Failure::environment(e.render(text)))
}

/// A path relative to the current folder when it is below it, for messages.
pub fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_only_when_lang_says_so() {
        assert_eq!(lang_from_env(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(lang_from_env(Some("es_ES.UTF-8")), Lang::Es);
        assert_eq!(lang_from_env(Some("C.UTF-8")), Lang::Es);
        assert_eq!(lang_from_env(None), Lang::Es);
    }
}
