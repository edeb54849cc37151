//! The message catalogue against the code and the CLI: every `msg!` in the
//! source names a message that exists, with exactly the variables the message
//! uses; every message of the built-in catalogue is used; and every `perflab …`
//! command and `--flag` that learner text names (the catalogue, the lab pack's
//! instructions and hints, the README) exists in clap's command tree.
//!
//! The source is read as text: `msg!` takes a literal key precisely so that
//! this test can find every message the code speaks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use perflab::messages::{Catalogue, Lang, lint};

/// One `msg!(text, "key", a = …, b = …)` in the source.
#[derive(Debug)]
struct Call {
    place: String,
    key: String,
    args: BTreeSet<String>,
}

#[test]
fn every_msg_call_names_a_message_with_its_variables_and_every_message_is_used() {
    let catalogue = Catalogue::builtin();
    let entries = lint::entries(catalogue.sources());
    let mut variables: BTreeMap<&str, &BTreeSet<String>> = BTreeMap::new();
    for entry in &entries {
        variables.insert(&entry.key, &entry.variables);
    }
    let calls = msg_calls(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path());
    assert!(
        !calls.is_empty(),
        "no msg! call found: is the scanner broken?"
    );
    let mut problems = Vec::new();
    for call in &calls {
        for lang in Lang::ALL {
            if !catalogue.has(lang, &call.key) {
                problems.push(format!(
                    "{}: `{}` is not in the {} catalogue",
                    call.place,
                    call.key,
                    lang.code()
                ));
            }
        }
        if let Some(used) = variables.get(call.key.as_str())
            && **used != call.args
        {
            problems.push(format!(
                "{}: `{}` is given {:?} but uses {:?}",
                call.place, call.key, call.args, used
            ));
        }
    }
    let called: BTreeSet<&str> = calls.iter().map(|c| c.key.as_str()).collect();
    for entry in entries.iter().filter(|e| e.lang == Lang::Es) {
        if !called.contains(entry.key.as_str()) && !built_at_run_time(&entry.key) {
            problems.push(format!(
                "{}:{}: `{}` is never used by the code",
                entry.file, entry.line, entry.key
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Messages the code names by a key it builds (so not through `msg!`): the
/// Settings screen's `setting-<path>` help. `tests/tui_screens.rs` holds
/// them to the settings schema instead — every setting has its messages, and
/// every `setting-*` message names a setting.
fn built_at_run_time(key: &str) -> bool {
    key.starts_with(perflab::tui::switches::MESSAGE_PREFIX) || action_message(key)
}

/// A lab action's rendering (`lab-action-<action>-tui|cli`): `src/lab/actions.rs`'s
/// tests hold every action to both; this holds every such message to an action.
fn action_message(key: &str) -> bool {
    use perflab::lab::actions::{ACTIONS, MESSAGE_PREFIX};
    key.strip_prefix(MESSAGE_PREFIX)
        .and_then(|rest| rest.rsplit_once('-'))
        .is_some_and(|(action, surface)| {
            ACTIONS.contains(&action) && matches!(surface, "tui" | "cli")
        })
}

#[test]
fn the_scanner_reads_keys_and_variables_across_lines_and_nested_calls() {
    let source = r#"
        // msg!(text, "in-a-comment", x = 1)
        let url = "http://example//not-a-comment";
        let a = msg!(ctx.text, "one-key");
        let b = crate::msg!(
            text,
            "two-key",
            count = f(a, b),
            label = format!("{}, {}", x, y),
        );
    "#;
    let calls = scan(source, "t.rs");
    let keys: Vec<_> = calls.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["one-key", "two-key"]);
    let args: Vec<_> = calls[1].args.iter().map(String::as_str).collect();
    assert_eq!(args, ["count", "label"]);
}

#[test]
fn every_command_and_flag_in_learner_text_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts: Vec<(String, String)> = Vec::new();
    for entry in lint::entries(Catalogue::builtin().sources()) {
        texts.push((format!("{}:{}", entry.file, entry.line), entry.text));
    }
    for path in files_with(&root.join("labs"), &["md", "toml"]) {
        let text = std::fs::read_to_string(&path).expect("read pack file");
        texts.push((path.display().to_string(), text));
    }
    texts.push((
        "README.md".into(),
        std::fs::read_to_string(root.join("README.md")).expect("README"),
    ));
    let cli = Cli::new();
    let mut problems = Vec::new();
    for (place, text) in &texts {
        for problem in cli.problems(text) {
            problems.push(format!("{place}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_command_lint_finds_what_does_not_exist() {
    let cli = Cli::new();
    assert!(
        cli.problems("run `perflab check 1.3 --format json`")
            .is_empty()
    );
    assert!(cli.problems("`uvicorn --workers 4`").is_empty());
    assert!(
        cli.problems("perflab would start a scratch server")
            .is_empty()
    );
    assert!(
        cli.problems("```sh\nperflab labs validate labs/ --only 1.2\n```")
            .is_empty()
    );
    assert_eq!(cli.problems("then `perflab plan 2.1`").len(), 1);
    assert_eq!(cli.problems("ejecuta perflab plan 2.1.").len(), 1);
    assert_eq!(cli.problems("pass it with --peers URL").len(), 1);
    assert_eq!(cli.problems("`perflab check 1.3 --peers x`").len(), 1);
    assert!(
        cli.problems("`perflab check 1.5 --target x --peer y`")
            .is_empty()
    );
    assert_eq!(cli.problems("`perflab labs check`").len(), 1);
}

// --- the msg! scanner --------------------------------------------------------

fn msg_calls(dir: &Path) -> Vec<Call> {
    let mut calls = Vec::new();
    for path in files_with(dir, &["rs"]) {
        // The catalogue's own unit tests format made-up messages.
        if path.components().any(|c| c.as_os_str() == "messages") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("read source");
        calls.extend(scan(&source, &path.display().to_string()));
    }
    calls
}

/// The files under `dir` whose extension is one of `extensions`, sorted.
fn files_with(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The source with comments blanked out (strings kept), so that a `//` in a
/// URL is not a comment and a `msg!` in a comment is not a call.
fn strip_comments(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '"' {
            let end = string_end(&chars, i);
            out.extend(&chars[i..end]);
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The index just past the string literal starting at `start` (a `"`).
fn string_end(chars: &[char], start: usize) -> usize {
    // A raw string: r"…" or r#"…"#.
    let mut hashes = 0;
    let mut j = start;
    while j > 0 && chars[j - 1] == '#' {
        hashes += 1;
        j -= 1;
    }
    let raw = j > 0 && chars[j - 1] == 'r';
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if !raw => i += 2,
            '"' => {
                let closing = (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#'));
                if !raw || closing {
                    return i + 1 + if raw { hashes } else { 0 };
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    chars.len()
}

fn scan(source: &str, file: &str) -> Vec<Call> {
    let code = strip_comments(source);
    let mut calls = Vec::new();
    for (at, _) in code.match_indices("msg!(") {
        // `msg!` as a whole word (not `some_msg!`).
        if code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        let body: Vec<char> = code[at + "msg!(".len()..].chars().collect();
        let parts = top_level_parts(&body);
        let Some(key) = parts.get(1).map(|k| k.trim()) else {
            continue;
        };
        let key = key.trim_matches('"').to_string();
        let args = parts[2..]
            .iter()
            .filter_map(|part| {
                part.split_once('=')
                    .map(|(name, _)| name.trim().to_string())
            })
            .filter(|name| !name.is_empty())
            .collect();
        calls.push(Call {
            place: format!("{file}:{line}"),
            key,
            args,
        });
    }
    calls
}

/// The comma-separated arguments of a call whose `(` was just consumed.
fn top_level_parts(body: &[char]) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        match c {
            '"' => {
                let end = string_end(body, i);
                parts.last_mut().expect("part").extend(&body[i..end]);
                i = end;
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                i += 1;
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("part").push(c);
        i += 1;
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

// --- the command lint --------------------------------------------------------

/// perflab's clap tree, flattened for lookups.
struct Cli {
    root: clap::Command,
    /// Every long flag of every (sub)command, globals included.
    every_flag: BTreeSet<String>,
}

impl Cli {
    fn new() -> Self {
        let mut root = perflab::cli::Cli::command();
        root.build();
        let mut every_flag = BTreeSet::new();
        collect_flags(&root, &mut every_flag);
        Self { root, every_flag }
    }

    /// What is wrong with the commands and flags `text` names.
    fn problems(&self, text: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let (code, prose) = split_code(text);
        for span in &code {
            let words: Vec<&str> = span.split_whitespace().collect();
            match words.first() {
                Some(&"perflab") => self.command(&words[1..], true, &mut problems),
                Some(first) if first.starts_with("--") => self.loose_flag(first, &mut problems),
                _ => {} // another tool's command line (`curl -i`, `uvicorn --workers 4`)
            }
        }
        for sentence in prose.split(". ").flat_map(|s| s.split('\n')) {
            let words: Vec<&str> = sentence
                .split_whitespace()
                .map(|w| w.trim_end_matches([',', ';', ':', ')', '.']))
                .collect();
            for (i, word) in words.iter().enumerate() {
                if *word == "perflab" {
                    self.command(&words[i + 1..], false, &mut problems);
                } else if word.starts_with("--") && !after_other_tool(&words[..i]) {
                    self.loose_flag(word, &mut problems);
                }
            }
        }
        problems
    }

    /// `perflab` followed by `words`: subcommands as far as they go, then flags.
    fn command(&self, words: &[&str], in_code: bool, problems: &mut Vec<String>) {
        let mut command = &self.root;
        let mut path = vec!["perflab"];
        let mut rest = words;
        while let Some(word) = rest.first() {
            match command.find_subcommand(word) {
                Some(sub) => {
                    command = sub;
                    path.push(word);
                    rest = &rest[1..];
                }
                None => break,
            }
        }
        if command.has_subcommands() && path.len() > 1 {
            // `perflab labs <what>` must name one of `labs`'s commands.
            if let Some(word) = rest.first().filter(|w| looks_like_command(w)) {
                problems.push(format!("`{} {word}` is not a command", path.join(" ")));
                return;
            }
        }
        if path.len() == 1
            && let Some(word) = rest.first()
            && looks_like_command(word)
        {
            // Prose names perflab as a subject ("perflab would start…"): only
            // a word followed by a lab id, a flag or an argument reads as a
            // command there ("… when perflab exits." is prose).
            let next = rest.get(1);
            let command_like = in_code
                || next.is_some_and(|n| {
                    n.starts_with("--")
                        || n.chars().next().is_some_and(|c| c.is_ascii_digit())
                        || n.chars().all(|c| c.is_ascii_uppercase())
                });
            if command_like {
                problems.push(format!("`perflab {word}` is not a command"));
            }
            return;
        }
        let known: BTreeSet<String> = command
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_string))
            .chain(["help".to_string(), "version".to_string()])
            .collect();
        for word in rest {
            let Some(flag) = word.strip_prefix("--") else {
                continue;
            };
            let flag = flag.split('=').next().unwrap_or(flag);
            if !flag.is_empty() && !known.contains(flag) {
                problems.push(format!("`{}` has no `--{flag}`", path.join(" ")));
            }
        }
    }

    fn loose_flag(&self, word: &str, problems: &mut Vec<String>) {
        let flag = word.trim_start_matches('-');
        let flag = flag.split('=').next().unwrap_or(flag);
        if !flag.is_empty() && !self.every_flag.contains(flag) {
            problems.push(format!("no perflab command has `--{flag}`"));
        }
    }
}

fn collect_flags(command: &clap::Command, into: &mut BTreeSet<String>) {
    into.extend(
        command
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_string)),
    );
    for sub in command.get_subcommands() {
        collect_flags(sub, into);
    }
}

fn looks_like_command(word: &str) -> bool {
    !word.is_empty()
        && word.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        && !word.starts_with('-')
}

/// Whether another program's name comes before a flag in the same sentence
/// (`cargo run --release`, `redis-server --save ""`).
fn after_other_tool(before: &[&str]) -> bool {
    before.iter().rev().any(|w| {
        let w = w.trim_start_matches('`');
        [
            "cargo",
            "curl",
            "wrk",
            "uvicorn",
            "redis-server",
            "redis-cli",
            "psql",
            "pg_ctl",
            "hyperfine",
            "promtool",
            "gunicorn",
            "python",
            "pytest",
        ]
        .contains(&w)
    }) && !before.contains(&"perflab")
}

/// Code (backtick spans and fenced blocks, one entry per line) and the prose
/// around it.
fn split_code(text: &str) -> (Vec<String>, String) {
    let mut code = Vec::new();
    let mut prose = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            code.push(line.trim().to_string());
            continue;
        }
        let mut in_tick = false;
        for (i, part) in line.split('`').enumerate() {
            in_tick = i % 2 == 1;
            if in_tick {
                code.push(part.to_string());
            } else {
                prose.push_str(part);
                prose.push(' ');
            }
        }
        let _ = in_tick;
        prose.push('\n');
    }
    (code, prose)
}
