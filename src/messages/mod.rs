//! The message catalogue: every sentence a learner reads, in Spanish and
//! English, as Project Fluent files in the lab pack (`labs/messages/es/*.ftl`,
//! `labs/messages/en/*.ftl`, one file per area: checks, CLI, TUI…).
//!
//! Rust code never holds learner text: it names a message and passes its
//! variables — `msg!(text, "check-timed-out", kind = name, limit = limit)` —
//! and the [`Catalogue`] formats it in the learner's [`Lang`]. The built-in
//! catalogue is embedded in the binary; a pack given with `--labs DIR` may
//! bring a `messages/` folder of its own whose messages replace the built-in
//! ones of the same name ([`Catalogue::with_pack`]).
//!
//! This is the bottom layer of learner-facing code: `check`, `lab`, `cli` and
//! `tui` depend on it; it depends on nothing of perflab. The tests here and in
//! `tests/messages.rs` hold the catalogue to its promises: every message in
//! both languages with the same variables, every `msg!` key present with the
//! variables it is given, every `perflab …` command and `--flag` the text names
//! present in the CLI.

pub mod lint;

use std::sync::{Arc, OnceLock};

use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;
use include_dir::{Dir, include_dir};

/// The built-in catalogue's files (`labs/messages/<lang>/<area>.ftl`).
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/labs/messages");

/// The learner's language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Spanish, the course's language and the default.
    #[default]
    Es,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Es, Lang::En];

    /// Picks the Spanish or the English value. Only for data that carries
    /// both languages itself (a lab's title, its instructions); learner text
    /// written by perflab lives in the catalogue.
    pub fn pick<T>(self, es: T, en: T) -> T {
        match self {
            Self::Es => es,
            Self::En => en,
        }
    }

    /// The folder of the language's files, and its code (`es`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::En => "en",
        }
    }
}

/// Why a catalogue could not be built: one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
}

/// One `.ftl` file: where it came from (for errors) and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub lang: Lang,
    pub file: String,
    pub text: String,
}

/// The messages of both languages.
pub struct Catalogue {
    es: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
    /// Every file read, in order (built-in first), for the lints.
    sources: Vec<Source>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("files", &self.sources.len())
            .finish()
    }
}

impl Catalogue {
    /// The catalogue built into this binary, parsed once per process.
    pub fn builtin() -> Arc<Catalogue> {
        static BUILTIN: OnceLock<Arc<Catalogue>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // The embedded files are checked by this module's tests and at
                // build time by `cargo test`; a broken one is a bug of ours.
                Arc::new(
                    Self::from_sources(embedded_sources()).unwrap_or_else(|e| {
                        panic!("the built-in message catalogue is broken: {e}")
                    }),
                )
            })
            .clone()
    }

    /// The built-in catalogue with a pack's files over it: a pack's message
    /// replaces the built-in one of the same name.
    pub fn with_pack(pack: Vec<Source>) -> Result<Catalogue, CatalogueError> {
        let mut sources = embedded_sources();
        sources.extend(pack);
        Self::from_sources(sources)
    }

    /// Builds the bundles; later sources override earlier ones.
    pub fn from_sources(sources: Vec<Source>) -> Result<Catalogue, CatalogueError> {
        let mut es = bundle(Lang::Es);
        let mut en = bundle(Lang::En);
        for source in &sources {
            let resource =
                FluentResource::try_new(source.text.clone()).map_err(|(_, errors)| {
                    CatalogueError::File {
                        file: source.file.clone(),
                        reason: describe_parse_errors(&source.text, &errors),
                    }
                })?;
            let bundle = match source.lang {
                Lang::Es => &mut es,
                Lang::En => &mut en,
            };
            bundle.add_resource_overriding(resource);
        }
        Ok(Catalogue { es, en, sources })
    }

    /// The files this catalogue was built from.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Message `key` in `lang` with `args`. A missing message or variable is
    /// a bug the tests catch; at run time the learner still gets the key, and
    /// the log says what is missing.
    pub fn format(&self, lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
        let bundle = match lang {
            Lang::Es => &self.es,
            Lang::En => &self.en,
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::error!(key, lang = lang.code(), "no such message in the catalogue");
            return key.to_string();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::error!(
                key,
                lang = lang.code(),
                ?errors,
                "message formatted with errors"
            );
        }
        text.into_owned()
    }

    /// Whether `key` exists in `lang`.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        match lang {
            Lang::Es => self.es.has_message(key),
            Lang::En => self.en.has_message(key),
        }
    }
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id =
        unic_langid::LanguageIdentifier::from_bytes(lang.code().as_bytes()).unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks (FSI/PDI) around variables show up as stray
    // characters in terminals (fluent-rs #172); our languages are both LTR.
    bundle.set_use_isolating(false);
    bundle
}

/// The embedded `.ftl` files, Spanish and English, in file-name order.
fn embedded_sources() -> Vec<Source> {
    let mut sources = Vec::new();
    for lang in Lang::ALL {
        let Some(dir) = EMBEDDED.get_dir(lang.code()) else {
            continue;
        };
        let mut files: Vec<_> = dir
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "ftl"))
            .collect();
        files.sort_by_key(|f| f.path());
        for file in files {
            sources.push(Source {
                lang,
                file: format!("labs/messages/{}", file.path().display()),
                text: file.contents_utf8().unwrap_or_default().to_string(),
            });
        }
    }
    sources
}

/// "line L: what" for each of Fluent's parse errors.
fn describe_parse_errors(text: &str, errors: &[fluent_syntax::parser::ParserError]) -> String {
    errors
        .iter()
        .map(|e| {
            // The entry the error broke (its slice) starts on the line to fix.
            let at = e.slice.as_ref().map_or(e.pos.start, |slice| slice.start);
            let line = text[..at.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The learner's language and the catalogue: what every piece that speaks to
/// a learner carries. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Text {
    lang: Lang,
    catalogue: Arc<Catalogue>,
}

impl Text {
    pub fn new(lang: Lang, catalogue: Arc<Catalogue>) -> Self {
        Self { lang, catalogue }
    }

    /// The built-in catalogue in `lang`.
    pub fn builtin(lang: Lang) -> Self {
        Self::new(lang, Catalogue::builtin())
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The same catalogue in another language.
    pub fn in_lang(&self, lang: Lang) -> Self {
        Self::new(lang, Arc::clone(&self.catalogue))
    }

    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.catalogue
    }

    /// A message without variables.
    pub fn get(&self, key: &str) -> String {
        self.catalogue.format(self.lang, key, None)
    }

    /// A message with variables (see [`msg!`](crate::msg)).
    pub fn format(&self, key: &str, args: &FluentArgs) -> String {
        self.catalogue.format(self.lang, key, Some(args))
    }
}

impl From<Lang> for Text {
    /// The built-in catalogue in `lang`.
    fn from(lang: Lang) -> Self {
        Self::builtin(lang)
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::builtin(Lang::default())
    }
}

/// Formats a message of the catalogue: `msg!(text, "key")` or
/// `msg!(text, "key", name = value, …)`, where `text` is a [`Text`] (or a
/// reference to one) and each value converts into a Fluent value (`&str`,
/// `String`, integers, `f64`). The key must be a literal, so that the tests
/// can find every message the code uses.
#[macro_export]
macro_rules! msg {
    ($text:expr, $key:literal $(,)?) => {
        $crate::messages::Text::get(&$text, $key)
    };
    ($text:expr, $key:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::messages::FluentArgs::new();
        $( args.set(stringify!($name), $crate::messages::arg($value)); )+
        $crate::messages::Text::format(&$text, $key, &args)
    }};
}

pub use fluent_bundle::FluentArgs;

/// A variable's value for [`msg!`]: strings (owned or borrowed) and numbers.
pub fn arg<'a>(value: impl IntoArg<'a>) -> fluent_bundle::FluentValue<'a> {
    value.into_arg()
}

/// What [`msg!`] accepts as a variable's value.
pub trait IntoArg<'a> {
    fn into_arg(self) -> fluent_bundle::FluentValue<'a>;
}

impl<'a> IntoArg<'a> for &'a str {
    fn into_arg(self) -> fluent_bundle::FluentValue<'a> {
        self.into()
    }
}

impl<'a> IntoArg<'a> for &'a String {
    fn into_arg(self) -> fluent_bundle::FluentValue<'a> {
        self.as_str().into()
    }
}

impl<'a> IntoArg<'a> for String {
    fn into_arg(self) -> fluent_bundle::FluentValue<'a> {
        self.into()
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl<'a> IntoArg<'a> for $t {
            fn into_arg(self) -> fluent_bundle::FluentValue<'a> {
                self.into()
            }
        }
    )*};
}

number_arg!(i32, i64, u16, u32, u64, usize, f64);

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue(es: &str, en: &str) -> Catalogue {
        Catalogue::from_sources(vec![
            Source {
                lang: Lang::Es,
                file: "es/t.ftl".into(),
                text: es.into(),
            },
            Source {
                lang: Lang::En,
                file: "en/t.ftl".into(),
                text: en.into(),
            },
        ])
        .expect("valid")
    }

    #[test]
    fn variables_are_formatted_without_isolation_marks() {
        let text = Text::new(
            Lang::En,
            Arc::new(catalogue(
                "hola = Hola, { $name }.",
                "hola = Hello, { $name }.",
            )),
        );
        assert_eq!(crate::msg!(text, "hola", name = "Ana"), "Hello, Ana.");
        let name = String::from("Eva");
        assert_eq!(
            crate::msg!(text.in_lang(Lang::Es), "hola", name = &name),
            "Hola, Eva."
        );
    }

    #[test]
    fn plurals_follow_the_language() {
        let ftl = "n = { $count ->\n    [one] un intento\n   *[other] { $count } intentos\n}\n";
        let text = Text::new(Lang::Es, Arc::new(catalogue(ftl, ftl)));
        assert_eq!(crate::msg!(text, "n", count = 1), "un intento");
        assert_eq!(crate::msg!(text, "n", count = 3), "3 intentos");
    }

    #[test]
    fn a_pack_replaces_a_message_and_a_missing_one_shows_its_key() {
        let mut sources = vec![Source {
            lang: Lang::Es,
            file: "a".into(),
            text: "x = uno\n".into(),
        }];
        sources.push(Source {
            lang: Lang::Es,
            file: "b".into(),
            text: "x = dos\n".into(),
        });
        let catalogue = Arc::new(Catalogue::from_sources(sources).expect("valid"));
        let text = Text::new(Lang::Es, catalogue);
        assert_eq!(text.get("x"), "dos");
        assert_eq!(text.get("nope"), "nope");
    }

    #[test]
    fn a_broken_file_is_named_with_its_line() {
        let error = Catalogue::from_sources(vec![Source {
            lang: Lang::Es,
            file: "es/roto.ftl".into(),
            text: "bien = sí\n\nmal = { $x\n".into(),
        }])
        .expect_err("broken");
        let line = error.to_string();
        assert!(line.starts_with("es/roto.ftl: line 3"), "{line}");
    }

    #[test]
    fn the_builtin_catalogue_parses() {
        let catalogue = Catalogue::builtin();
        assert!(!catalogue.sources().is_empty());
    }
}
