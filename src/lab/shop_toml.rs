//! Reading the student's `shop.toml` so that a mistake points at its line:
//! "`cache.backend`, line 3: unknown value `reddis`, expected off | memory |
//! redis", "`cache.ttl`, line 4: `5 minutos` is not a duration; write it like
//! "30s", "5m" or "1h"". The file is the student's own work, so every way it
//! can be wrong is a [`ShopTomlError`] naming the key and the line, rendered in
//! the learner's language through the message catalogue
//! (`labs/messages/<lang>/cli-shop-toml.ftl`).
//!
//! The settings' types live in `shop::settings`; this module only reads them.
//! serde_path_to_error gives the dotted key (toml's own message leaves it out
//! for value errors), `toml::de::Error::span()` the offending bytes, and a
//! `toml_edit::Document` (which keeps spans) the line of a key when serde
//! gives no span (the checks `ShopSettings::validate` makes after parsing).
//! Used by [`super::Workspace`]; the CLI and the TUI render the error.

use std::ops::Range;
use std::path::PathBuf;

use crate::messages::Text;
use crate::msg;
use crate::shop::settings::ShopSettings;

/// Why `shop.toml` could not be used. `line` is 1-based.
#[derive(Debug, thiserror::Error)]
pub enum ShopTomlError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not TOML at all (an unclosed quote, a missing `=`).
    #[error("line {line}: not valid TOML: {detail}")]
    Syntax { line: usize, detail: String },
    /// A value outside a fixed set (`backend = "reddis"`).
    #[error("`{key}`, line {line}: unknown value `{value}`, expected {}", expected.join(" | "))]
    UnknownValue {
        key: String,
        line: usize,
        value: String,
        expected: Vec<String>,
    },
    /// A duration the shop cannot read (`ttl = "5 minutos"`; humantime reads
    /// English units, "5 minutes" included).
    #[error("`{key}`, line {line}: `{value}` is not a duration")]
    Duration {
        key: String,
        line: usize,
        value: String,
    },
    /// A key the settings do not have (`bakend = …`).
    #[error("`{key}`, line {line}: unknown key, expected {}", expected.join(" | "))]
    UnknownKey {
        key: String,
        line: usize,
        expected: Vec<String>,
    },
    /// Any other value of the wrong kind (`pool_size = "five"`): serde's words.
    #[error("`{key}`, line {line}: {detail}")]
    Value {
        key: String,
        line: usize,
        detail: String,
    },
    /// Read fine, but the shop cannot run with it (`ShopSettings::validate`;
    /// its reason names the key).
    #[error("{}{reason}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Invalid { line: Option<usize>, reason: String },
}

impl ShopTomlError {
    /// One line for the learner, in `text`'s language.
    pub fn render(&self, text: &Text) -> String {
        match self {
            Self::Read { path, source } => msg!(
                text,
                "shop-toml-unreadable",
                path = path.display().to_string(),
                error = source.to_string()
            ),
            Self::Syntax { line, detail } => msg!(
                text,
                "shop-toml-syntax",
                line = *line,
                detail = detail.as_str()
            ),
            Self::UnknownValue {
                key,
                line,
                value,
                expected,
            } => msg!(
                text,
                "shop-toml-unknown-value",
                key = key.as_str(),
                line = *line,
                value = value.as_str(),
                expected = expected.join(" | ")
            ),
            Self::Duration { key, line, value } => msg!(
                text,
                "shop-toml-duration",
                key = key.as_str(),
                line = *line,
                value = value.as_str()
            ),
            Self::UnknownKey {
                key,
                line,
                expected,
            } => msg!(
                text,
                "shop-toml-unknown-key",
                key = key.as_str(),
                line = *line,
                expected = expected.join(", ")
            ),
            Self::Value { key, line, detail } => msg!(
                text,
                "shop-toml-bad-value",
                key = key.as_str(),
                line = *line,
                detail = detail.as_str()
            ),
            Self::Invalid {
                line: Some(line),
                reason,
            } => msg!(
                text,
                "shop-toml-invalid-at",
                line = *line,
                reason = reason.as_str()
            ),
            Self::Invalid { line: None, reason } => {
                msg!(text, "shop-toml-invalid", reason = reason.as_str())
            }
        }
    }

    /// The line the mistake is on, when it is on one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Read { .. } => None,
            Self::Syntax { line, .. }
            | Self::UnknownValue { line, .. }
            | Self::Duration { line, .. }
            | Self::UnknownKey { line, .. }
            | Self::Value { line, .. } => Some(*line),
            Self::Invalid { line, .. } => *line,
        }
    }
}

/// Parses and validates the text of a `shop.toml`.
pub fn parse(text: &str) -> Result<ShopSettings, ShopTomlError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| ShopTomlError::Syntax {
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        detail: e.message().trim().replace('\n', " "),
    })?;
    let settings: ShopSettings = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        classify(text, &key, e.inner())
    })?;
    settings
        .validate()
        .map_err(|reason| ShopTomlError::Invalid {
            line: validated_key(&reason).and_then(|key| key_line(text, key)),
            reason,
        })?;
    Ok(settings)
}

/// Reads `path` and parses it.
pub fn read(path: &std::path::Path) -> Result<ShopSettings, ShopTomlError> {
    let text = std::fs::read_to_string(path).map_err(|source| ShopTomlError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text)
}

/// Sorts serde's error into the kinds a student can act on. serde's messages
/// for these are fixed formats (`unknown variant `x`, expected one of `a`,
/// `b``, `unknown field …`, `… expected a duration` from humantime-serde);
/// anything else keeps serde's words.
fn classify(text: &str, key: &str, error: &toml::de::Error) -> ShopTomlError {
    let message = error.message().trim().replace('\n', " ");
    let span = error.span();
    let line = span
        .clone()
        .map(|s| line_of(text, s.start))
        .or_else(|| key_line(text, key))
        .unwrap_or(1);
    let ticked = backticked(&message);
    if message.starts_with("unknown variant") && !ticked.is_empty() {
        return ShopTomlError::UnknownValue {
            key: key.to_string(),
            line,
            value: ticked[0].clone(),
            expected: ticked[1..].to_vec(),
        };
    }
    if message.starts_with("unknown field") && !ticked.is_empty() {
        // serde_path_to_error's path ends with the unknown key; should a
        // version stop at its table, the key is joined on.
        let full = match key.rsplit('.').next() == Some(ticked[0].as_str()) {
            true => key.to_string(),
            false => join_key(key, &ticked[0]),
        };
        return ShopTomlError::UnknownKey {
            line: key_line(text, &full).unwrap_or(line),
            key: full,
            expected: ticked[1..].to_vec(),
        };
    }
    if message.ends_with("expected a duration") {
        return ShopTomlError::Duration {
            key: key.to_string(),
            line,
            value: span
                .map(|s| value_text(text, s))
                .unwrap_or_else(|| message.clone()),
        };
    }
    ShopTomlError::Value {
        key: key.to_string(),
        line,
        detail: message,
    }
}

/// `cache` + `bakend` → `cache.bakend`; the root's path is `.`.
fn join_key(table: &str, key: &str) -> String {
    match table {
        "" | "." => key.to_string(),
        table => format!("{table}.{key}"),
    }
}

/// The words between backticks, in order.
fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The value as the student wrote it, without its quotes.
fn value_text(text: &str, span: Range<usize>) -> String {
    text.get(span)
        .unwrap_or_default()
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string()
}

/// The 1-based line of byte `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The line where dotted `key` is written (as `[table]` + `key = …`, an
/// inline table or a dotted key), found through toml_edit's spans.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let document = toml_edit::Document::parse(text).ok()?;
    let mut table: &dyn toml_edit::TableLike = document.as_table();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let (found, item) = table.get_key_value(part)?;
        if parts.peek().is_none() {
            let span = found.span().or_else(|| item.span())?;
            return Some(line_of(text, span.start));
        }
        table = item.as_table_like()?;
    }
    None
}

/// The key a `ShopSettings::validate` reason starts with (`cache.ttl = 0s: …`).
fn validated_key(reason: &str) -> Option<&str> {
    let (key, _) = reason.split_once(" = ")?;
    key.chars()
        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        .then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;

    fn error(text: &str) -> ShopTomlError {
        parse(text).expect_err("invalid")
    }

    #[test]
    fn an_unknown_value_names_key_line_and_the_choices() {
        let text = "# mine\n[cache]\nbackend = \"reddis\"\n";
        let e = error(text);
        assert_eq!(
            e.to_string(),
            "`cache.backend`, line 3: unknown value `reddis`, expected off | memory | redis"
        );
        let en = e.render(&Text::builtin(Lang::En));
        assert!(
            en.contains("`cache.backend`, line 3") && en.contains("off | memory | redis"),
            "{en}"
        );
        let es = e.render(&Text::builtin(Lang::Es));
        assert!(es.contains("`cache.backend`, línea 3"), "{es}");
    }

    #[test]
    fn a_duration_gets_an_example() {
        let text = "[cache]\nbackend = \"redis\"\n\nttl = \"5 minutos\"\n";
        let e = error(text);
        assert!(
            matches!(&e, ShopTomlError::Duration { key, line: 4, value } if key == "cache.ttl" && value == "5 minutos"),
            "{e:?}"
        );
        let en = e.render(&Text::builtin(Lang::En));
        assert!(en.contains("\"30s\", \"5m\" or \"1h\""), "{en}");
        // Not a string at all is still a duration to fix.
        let number = error("[cache]\nttl = 5\n");
        assert!(
            matches!(&number, ShopTomlError::Duration { line: 2, value, .. } if value == "5"),
            "{number:?}"
        );
    }

    #[test]
    fn an_unknown_key_is_named_in_full_with_its_line() {
        let e = error("[cache]\nbackend = \"redis\"\nbakend = \"off\"\n");
        assert!(
            matches!(&e, ShopTomlError::UnknownKey { key, line: 3, expected } if key == "cache.bakend" && expected.contains(&"backend".to_string())),
            "{e:?}"
        );
        let top = error("cash = 1\n");
        assert!(
            matches!(&top, ShopTomlError::UnknownKey { key, line: 1, .. } if key == "cash"),
            "{top:?}"
        );
    }

    #[test]
    fn inline_tables_and_wrong_types_point_at_their_line() {
        let e = error("\n\ndatabase = { pool_size = \"five\" }\n");
        assert!(
            matches!(&e, ShopTomlError::Value { key, line: 3, .. } if key == "database.pool_size"),
            "{e:?}"
        );
    }

    #[test]
    fn broken_toml_and_validation_give_their_line() {
        let e = error("[cache]\nbackend = \"redis\n");
        assert!(matches!(e, ShopTomlError::Syntax { line: 2, .. }), "{e:?}");
        let e = error("[database]\nloading = \"eager\"\npool_size = 0\n");
        assert_eq!(e.line(), Some(3), "{e:?}");
        assert!(
            e.render(&Text::builtin(Lang::En)).contains("pool_size"),
            "{e}"
        );
    }

    #[test]
    fn good_settings_read() {
        let settings = parse("[cache]\nbackend = \"redis\"\nttl = \"5m\"\n").expect("valid");
        assert_eq!(settings.cache.ttl, std::time::Duration::from_secs(300));
    }
}
