//! Shell commands in lab text, folded to the pane's width the way a shell
//! reads them: a line of a fenced `sh` block wider than the pane breaks at a
//! space outside quotes, ends with ` \` and goes on indented on the next
//! line, so what the student copies still runs. Left to the paragraph's own
//! wrapping, a long `curl` breaks wherever the border falls, mid-token and
//! with nothing to say the next line belongs to it.
//!
//! Written here because the Markdown renderer (tui-markdown) and ratatui's
//! `Wrap` know words, not shell syntax; textwrap would need the same quote
//! tracking around it. Only shell blocks (`sh`, `bash`, `shell`, `console`)
//! are folded: SQL and TOML read the same wrapped, and a `\` would change
//! them. A single token wider than the pane cannot be folded and is left to
//! the paragraph.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Continuation lines are indented by this much past the command's own indent.
const CONTINUATION_INDENT: &str = "  ";

/// `markdown` with every shell line wider than `width` columns folded.
pub fn shell_commands(markdown: &str, width: usize) -> String {
    let mut out = String::with_capacity(markdown.len());
    // The fence's indentation while inside a shell block.
    let mut shell_block: Option<usize> = None;
    let mut other_block = false;
    for line in markdown.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        let trimmed = text.trim_start();
        let indent = text.len() - trimmed.len();
        if trimmed.starts_with("```") {
            match (shell_block, other_block) {
                (None, false) => {
                    let lang = trimmed.trim_start_matches('`').trim();
                    match matches!(lang, "sh" | "bash" | "shell" | "console") {
                        true => shell_block = Some(indent),
                        false => other_block = true,
                    }
                }
                _ => {
                    shell_block = None;
                    other_block = false;
                }
            }
            out.push_str(line);
            continue;
        }
        match shell_block {
            // The renderer drops the fence's indentation from the block's
            // lines and indents them as the list item they are in: the fence's
            // own indentation is the room that takes.
            Some(fence) => fold_line(&mut out, line, width.saturating_sub(fence).max(1)),
            None => out.push_str(line),
        }
    }
    out
}

/// Appends `line` to `out`, folded at `width` columns when it is wider.
fn fold_line(out: &mut String, line: &str, width: usize) {
    let ending = &line[line.trim_end_matches(['\n', '\r']).len()..];
    let mut rest = line.trim_end_matches(['\n', '\r']);
    let own_indent = &rest[..rest.len() - rest.trim_start().len()];
    let mut first = true;
    loop {
        let prefix_width = match first {
            true => 0,
            false => own_indent.len() + CONTINUATION_INDENT.len(),
        };
        // Room for the text and the ` \` that says the command goes on.
        let room = width.saturating_sub(prefix_width + 2);
        let piece_width = rest.width() + prefix_width;
        let cut = match piece_width > width {
            true => break_point(rest, room),
            false => None,
        };
        if !first {
            out.push_str(own_indent);
            out.push_str(CONTINUATION_INDENT);
        }
        match cut {
            Some(at) => {
                out.push_str(rest[..at].trim_end());
                out.push_str(" \\\n");
                rest = rest[at..].trim_start();
                first = false;
            }
            None => {
                out.push_str(rest);
                out.push_str(ending);
                return;
            }
        }
    }
}

/// The byte offset of the last space outside quotes at which `text` fits in
/// `room` columns, or `None` when the first token alone is wider.
fn break_point(text: &str, room: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut best = None;
    let mut columns = 0;
    for (at, c) in text.char_indices() {
        if columns > room {
            break;
        }
        match (quote, c) {
            _ if escaped => escaped = false,
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ' ') if at > 0 && !text[..at].trim().is_empty() => best = Some(at),
            _ => {}
        }
        columns += c.width().unwrap_or(0);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURL: &str = "   ```sh\n   curl -s -o /dev/null -w '%{http_code} %{time_total}\\n' http://127.0.0.1:8000/products/1 -H \"Authorization: Bearer $TOKEN\"\n   ```\n";

    fn block_lines(folded: &str) -> Vec<&str> {
        folded
            .lines()
            .filter(|l| !l.trim_start().starts_with("```"))
            .collect()
    }

    #[test]
    fn a_long_command_folds_at_spaces_outside_quotes_with_continuations() {
        let folded = shell_commands(CURL, 60);
        let lines = block_lines(&folded);
        assert!(lines.len() > 1, "{folded}");
        for line in &lines[..lines.len() - 1] {
            assert!(line.ends_with(" \\"), "{line:?} goes on without a `\\`");
        }
        for line in &lines {
            assert!(line.width() <= 60 + 3, "{line:?} is wider than the pane");
        }
        // The quoted arguments are whole on one line.
        assert!(
            lines
                .iter()
                .any(|l| l.contains("'%{http_code} %{time_total}\\n'"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("\"Authorization: Bearer $TOKEN\""))
        );
        // Joined back as a shell joins `\`-newline, it is the same command.
        let joined = lines
            .iter()
            .map(|l| l.trim().trim_end_matches('\\').trim_end())
            .collect::<Vec<_>>()
            .join(" ");
        let original = block_lines(CURL)[0].trim();
        assert_eq!(joined, original);
    }

    #[test]
    fn short_commands_other_languages_and_prose_are_untouched() {
        assert_eq!(shell_commands(CURL, 200), CURL);
        let sql = "```sql\nCREATE INDEX products_category_price_idx ON products (category_id, price) WHERE stock > 0;\n```\n";
        assert_eq!(shell_commands(sql, 30), sql);
        let prose = "A paragraph that is much longer than thirty columns, with 'quotes'.\n";
        assert_eq!(shell_commands(prose, 30), prose);
    }

    #[test]
    fn a_token_wider_than_the_pane_is_left_whole() {
        let url =
            "```sh\ncurl http://127.0.0.1:8000/products/search?q=a-very-long-query-string\n```\n";
        let folded = shell_commands(url, 20);
        let lines = block_lines(&folded);
        assert_eq!(lines[0], "curl \\");
        assert_eq!(
            lines[1],
            "  http://127.0.0.1:8000/products/search?q=a-very-long-query-string"
        );
    }
}
