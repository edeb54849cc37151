//! Actions named in lab text, rendered for the screen they are read on.
//!
//! A lab's instructions and hints say `{{check}}` rather than "run `perflab
//! check 4.3`" or "press `c`": in the TUI it becomes the key that does it, in
//! `perflab show` (a terminal without the TUI) the command. A capital first
//! letter (`{{Check}}`) starts a sentence. The words are the message
//! catalogue's (`lab-actions.ftl`: `lab-action-<name>-tui` and
//! `lab-action-<name>-cli`, each given `$lab`, the lab's short id as the
//! commands take it).
//!
//! The syntax is two braces because one is the shop's own path syntax
//! (`/products/{id}`), which lab text quotes.

use crate::messages::{FluentArgs, Text};

/// Where the text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The TUI's Lab screen: actions are keys.
    Tui,
    /// `perflab show` and other headless output: actions are commands.
    Cli,
}

impl Surface {
    fn name(self) -> &'static str {
        match self {
            Self::Tui => "tui",
            Self::Cli => "cli",
        }
    }
}

/// What every action's message key starts with.
pub const MESSAGE_PREFIX: &str = "lab-action-";

/// Every action lab text may name.
pub const ACTIONS: [&str; 6] = [
    "check",
    "dashboard",
    "reset",
    "hint",
    "settings",
    "solution",
];

/// The short id the commands take: `4.3` of `4.3-memory`.
pub fn short_id(lab: &str) -> &str {
    lab.split_once('-').map_or(lab, |(short, _)| short)
}

/// One `{{…}}` in a text.
#[derive(Debug, PartialEq, Eq)]
struct Placeholder<'a> {
    /// Byte range of the whole `{{…}}`.
    start: usize,
    end: usize,
    name: &'a str,
}

fn placeholders(text: &str) -> impl Iterator<Item = Placeholder<'_>> {
    let mut from = 0;
    std::iter::from_fn(move || {
        let start = from + text[from..].find("{{")?;
        let close = start + 2 + text[start + 2..].find("}}")?;
        from = close + 2;
        Some(Placeholder {
            start,
            end: close + 2,
            name: &text[start + 2..close],
        })
    })
}

/// The placeholders of `text` that name no action, with their line (from 1).
pub fn unknown(text: &str) -> Vec<(usize, String)> {
    placeholders(text)
        .filter(|p| !ACTIONS.contains(&p.name.to_lowercase().as_str()))
        .map(|p| {
            (
                text[..p.start].matches('\n').count() + 1,
                p.name.to_string(),
            )
        })
        .collect()
}

/// `text` with every action rendered for `surface` in `words`' language.
pub fn render(text: &str, lab: &str, surface: Surface, words: &Text) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for p in placeholders(text) {
        let action = p.name.to_lowercase();
        if !ACTIONS.contains(&action.as_str()) {
            continue;
        }
        out.push_str(&text[copied..p.start]);
        let key = format!("{MESSAGE_PREFIX}{action}-{}", surface.name());
        let mut args = FluentArgs::new();
        args.set("lab", crate::messages::arg(short_id(lab)));
        let said = words.format(&key, &args);
        match p.name.starts_with(|c: char| c.is_uppercase()) {
            true => out.push_str(&capitalised(&said)),
            false => out.push_str(&said),
        }
        copied = p.end;
    }
    out.push_str(&text[copied..]);
    out
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;

    #[test]
    fn actions_are_keys_in_the_tui_and_commands_headless() {
        let text = "1. Observa.\n2. {{Check}}: ¿pasa?\n3. Si no, {{hint}} o {{reset}}.";
        let es = Text::builtin(Lang::Es);
        let tui = render(text, "4.3-memory", Surface::Tui, &es);
        assert_eq!(
            tui,
            "1. Observa.\n2. Pulsa `c`: ¿pasa?\n3. Si no, pulsa `h` o pulsa `r`."
        );
        let cli = render(text, "4.3-memory", Surface::Cli, &es);
        assert_eq!(
            cli,
            "1. Observa.\n2. Ejecuta `perflab check 4.3`: ¿pasa?\n\
             3. Si no, ejecuta `perflab hint 4.3` o ejecuta `perflab reset 4.3`."
        );
        let en = Text::builtin(Lang::En);
        assert_eq!(
            render("{{Dashboard}}.", "1.3-cache-aside", Surface::Tui, &en),
            "Open the dashboard with `d`."
        );
    }

    #[test]
    fn the_shops_own_braces_and_unknown_names_are_left_alone() {
        let en = Text::builtin(Lang::En);
        let text = "GET /products/{id} then {{chek}} and {{check}}";
        assert_eq!(
            render(text, "2.1-explain", Surface::Cli, &en),
            "GET /products/{id} then {{chek}} and run `perflab check 2.1`"
        );
        assert_eq!(unknown(text), vec![(1, "chek".to_string())]);
        assert_eq!(
            unknown("a\nb {{Check}}\n{{nope}}"),
            vec![(3, "nope".into())]
        );
    }

    #[test]
    fn every_action_has_both_renderings_in_both_languages() {
        for lang in [Lang::Es, Lang::En] {
            let words = Text::builtin(lang);
            for action in ACTIONS {
                for surface in [Surface::Tui, Surface::Cli] {
                    let said = render(&format!("{{{{{action}}}}}"), "3.1-timing", surface, &words);
                    assert!(!said.is_empty() && !said.contains("{{"), "{action}: {said}");
                    assert!(!said.contains("lab-action"), "missing message: {said}");
                }
            }
        }
    }
}
