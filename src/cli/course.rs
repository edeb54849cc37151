//! What every lab command shares: the pack (`--labs DIR` or the embedded
//! one), the learner's language, the workspace found from the current
//! folder, and its progress file — each failure as one line and exit 2.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::EXIT_ENVIRONMENT;
use crate::check::Lang;
use crate::lab::{Catalog, Lab, Loaded, Progress, Workspace};

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
pub fn find_lab<'a>(catalog: &'a Catalog, query: &str) -> Result<&'a Lab, Failure> {
    catalog.find(query).ok_or_else(|| {
        Failure::environment(format!(
            "there is no lab `{query}`; `perflab list` shows them"
        ))
    })
}

/// The workspace around the current folder.
pub fn workspace() -> Result<Workspace, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::environment(format!("cannot read the current folder: {e}")))?;
    match Workspace::find_from(&cwd) {
        Ok(Some(workspace)) => Ok(workspace),
        Ok(None) => Err(Failure::environment(format!(
            "{} is not inside a perflab workspace; run `perflab init` to make one, then cd into it",
            cwd.display()
        ))),
        Err(e) => Err(Failure::environment(e.to_string())),
    }
}

/// The workspace's progress; a corrupt file is reported (it was kept aside).
pub fn load_progress(workspace: &Workspace) -> Result<Progress, Failure> {
    match Progress::load(&workspace.progress_path()) {
        Ok(Loaded::Fresh(progress) | Loaded::Found(progress)) => Ok(progress),
        Ok(Loaded::Recovered {
            progress, reason, ..
        }) => {
            eprintln!("perflab: {reason}");
            Ok(progress)
        }
        Err(e) => Err(Failure::environment(e.to_string())),
    }
}

pub fn save_progress(workspace: &Workspace, progress: &Progress) -> Result<(), Failure> {
    progress
        .save(&workspace.progress_path())
        .map_err(|e| Failure::environment(e.to_string()))
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
