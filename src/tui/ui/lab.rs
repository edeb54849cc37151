//! Lab: the instructions rendered from Markdown in the chosen language, the
//! hints revealed so far, the solution once confirmed, and the checks with
//! measured vs target and their messages — the verdict first, so it is in
//! view the moment it arrives at any size.
//!
//! Both panes scroll (←/→ choose which, ↑↓ PgUp PgDn move it) and say where
//! they stand in their title and on a scrollbar; a hint just asked for and
//! the solution just revealed open in a popup over the screen, so they are
//! never appended below the fold unseen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Margin, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Block, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Wrap,
};

use super::{Theme, fold, mark, title};
use crate::check::Verdict;
use crate::lab::Lab;
use crate::lab::actions::{self, Surface};
use crate::messages::Text as Words;
use crate::msg;
use crate::tui::app::{App, Checks, Pane, Popup};
use crate::tui::switches;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(lab) = app.lab() else {
        return;
    };
    let lang = app.lang;
    let words = app.text();
    let wide = area.width >= 110;
    let (text_area, side_area) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(area);
        (a, b)
    } else {
        // Results in: the checks pane gets the larger share.
        let checks_share = match app.checks {
            Checks::NotRun => 50,
            _ => 60,
        };
        let [a, b] = Layout::vertical([
            Constraint::Percentage(100 - checks_share),
            Constraint::Percentage(checks_share),
        ])
        .areas(area);
        (a, b)
    };
    // Inside the borders: the width the paragraph wraps at.
    let text_width = usize::from(text_area.width.saturating_sub(2));
    let instructions = instructions(app, lab, &words, theme, text_width);
    let lab_title = format!("{} — {}", lab.id, lab.title.get(lang));
    let text_max = scrolled_pane(
        frame,
        text_area,
        ScrolledPane {
            title: lab_title,
            text: instructions,
            scroll: app.scroll,
            focused: app.focus == Pane::Instructions,
        },
        theme,
    );
    let checks_max = scrolled_pane(
        frame,
        side_area,
        ScrolledPane {
            title: msg!(words, "tui-lab-checks"),
            text: checks(app, theme),
            scroll: app.checks_scroll,
            focused: app.focus == Pane::Checks,
        },
        theme,
    );
    app.max_scroll.set([text_max, checks_max]);
    if let Some(popup) = app.popup {
        draw_popup(frame, area, app, lab, popup, theme);
    }
}

/// The instructions, then the hints asked for and the solution if revealed;
/// shell commands folded to `width` columns.
fn instructions(app: &App, lab: &Lab, words: &Words, theme: Theme, width: usize) -> Text<'static> {
    let lang = app.lang;
    let options = tui_markdown::Options::new(LabMarkdown);
    let markdown = actions::render(lab.instructions.get(lang), &lab.id, Surface::Tui, words);
    let markdown = fold::shell_commands(&markdown, width);
    let mut text: Text = owned(tui_markdown::from_str_with_options(&markdown, &options));
    theme.strip(&mut text);
    for n in 0..app.hints_shown.min(lab.hints.len()) {
        text.lines.push(Line::default());
        text.lines.extend(hint_lines(lab, n, app, words, theme));
    }
    if app.show_solution {
        text.lines.push(Line::default());
        text.lines.extend(solution_lines(lab, words, theme));
    }
    text
}

/// Lab text's Markdown as a terminal shows it: headings by their style,
/// without the `#` marks; code blocks by their style, without the fences.
#[derive(Clone, Copy, Debug, Default)]
struct LabMarkdown;

impl tui_markdown::StyleSheet for LabMarkdown {
    fn heading_marker(&self, _level: u8) -> &str {
        ""
    }

    fn code_block_fence(&self) -> &str {
        ""
    }
}

/// A Markdown rendering that no longer borrows its source.
fn owned(text: Text<'_>) -> Text<'static> {
    let lines = text
        .lines
        .into_iter()
        .map(|line| {
            let spans: Vec<Span<'static>> = line
                .spans
                .into_iter()
                .map(|s| Span::styled(s.content.into_owned(), s.style))
                .collect();
            Line::from(spans).style(line.style)
        })
        .collect::<Vec<_>>();
    Text::from(lines).style(text.style)
}

fn hint_lines(lab: &Lab, n: usize, app: &App, words: &Words, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        msg!(
            words,
            "tui-lab-hint",
            number = n + 1,
            total = lab.hints.len()
        ),
        theme.accent(),
    )];
    if let Some(hint) = lab.hints.get(n) {
        let hint = actions::render(hint.get(app.lang).trim(), &lab.id, Surface::Tui, words);
        lines.extend(hint.lines().map(|l| Line::raw(l.to_string())));
    }
    lines
}

fn solution_lines(lab: &Lab, words: &Words, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        msg!(words, "tui-lab-solution"),
        theme.accent(),
    )];
    for part in lab
        .solution
        .settings_text
        .iter()
        .chain(&lab.solution.indexes)
    {
        lines.extend(part.lines().map(|l| Line::raw(l.to_string())));
    }
    lines
}

struct ScrolledPane {
    title: String,
    text: Text<'static>,
    scroll: u16,
    focused: bool,
}

/// Draws a bordered, wrapped pane scrolled by `pane.scroll` (clamped to its
/// end), with its position in the title and a scrollbar when it overflows;
/// returns how far it can scroll.
fn scrolled_pane(frame: &mut Frame, area: Rect, pane: ScrolledPane, theme: Theme) -> u16 {
    let inner = area.inner(Margin::new(1, 1));
    let paragraph = Paragraph::new(pane.text).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(inner.width.max(1));
    let visible = usize::from(inner.height);
    let max = u16::try_from(rows.saturating_sub(visible)).unwrap_or(u16::MAX);
    let scroll = pane.scroll.min(max);
    let position = match rows > visible {
        true => format!(
            " {}–{}/{rows} ",
            usize::from(scroll) + 1,
            (usize::from(scroll) + visible).min(rows)
        ),
        false => String::new(),
    };
    let marker = if pane.focused && max > 0 { "▸ " } else { "" };
    let border = match pane.focused && max > 0 {
        true => theme.accent(),
        false => theme.frame(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(title(format!("{marker}{}", pane.title)))
        .title_bottom(Line::from(position).right_aligned());
    frame.render_widget(paragraph.scroll((scroll, 0)).block(block), area);
    if max > 0 {
        let mut state = ScrollbarState::new(rows)
            .viewport_content_length(visible)
            .position(usize::from(scroll));
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            area.inner(Margin::new(0, 1)),
            &mut state,
        );
    }
    max
}

/// A hint or the solution over the screen, the moment it is asked for.
fn draw_popup(frame: &mut Frame, area: Rect, app: &App, lab: &Lab, popup: Popup, theme: Theme) {
    let words = app.text();
    let lines = match popup {
        Popup::Hint(n) => hint_lines(lab, n, app, &words, theme),
        Popup::Solution => solution_lines(lab, &words, theme),
    };
    let (heading, body) = match lines.split_first() {
        Some((heading, body)) => {
            let words: String = heading.spans.iter().map(|s| s.content.as_ref()).collect();
            (Line::styled(title(words), heading.style), body.to_vec())
        }
        None => (Line::default(), Vec::new()),
    };
    let width = area.width.saturating_sub(4).min(90);
    let paragraph = Paragraph::new(body).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(width.saturating_sub(2).max(1));
    let height = u16::try_from(rows + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2))
        .max(3);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup_area] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, popup_area);
    let close = msg!(words, "tui-lab-popup-close");
    frame.render_widget(
        paragraph.scroll((app.popup_scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.accent())
                .title(heading)
                .title_bottom(Line::from(title(close)).right_aligned()),
        ),
        popup_area,
    );
}

fn checks(app: &App, theme: Theme) -> Text<'static> {
    let text = app.text();
    let Some(lab) = app.lab() else {
        return Text::default();
    };
    let mut lines = Vec::new();
    match &app.checks {
        Checks::NotRun => {
            for spec in &lab.checks {
                lines.push(Line::raw(format!("· {}", spec.describe_in(&text))));
            }
            lines.push(Line::default());
            lines.push(Line::styled(
                msg!(text, "tui-lab-checks-not-run"),
                theme.dim(),
            ));
        }
        Checks::Running => {
            lines.push(Line::styled(
                msg!(text, "tui-lab-checks-running"),
                theme.accent(),
            ));
            if let Some((phase, elapsed)) = &app.check_phase {
                lines.push(Line::raw(format!("▸ {}", phase.describe(&text, *elapsed))));
            }
            for (n, spec) in lab.checks.iter().enumerate() {
                let done = match &app.check_phase {
                    Some((crate::lab::runner::Phase::Check { index, .. }, _)) => n + 1 < *index,
                    Some((crate::lab::runner::Phase::Restoring, _)) => true,
                    _ => false,
                };
                let mark = if done { "✓" } else { "·" };
                lines.push(Line::styled(
                    format!("  {mark} {}", spec.id()),
                    if done {
                        theme.dim()
                    } else {
                        Default::default()
                    },
                ));
            }
        }
        Checks::Failed(why) => lines.push(Line::styled(why.clone(), theme.verdict(Verdict::Error))),
        Checks::Done(results) => {
            // The verdict first, then a line per check (all in view at
            // 80×24), then what each one says.
            lines.push(verdict_line(results, &text, theme));
            for r in results {
                let measured = crate::check::measured_text(r.measured, r.unit);
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {} {}", mark(r.verdict), r.id),
                        theme.verdict(r.verdict),
                    ),
                    Span::raw(format!("  {measured}  ({})", r.target)),
                ]));
            }
            for r in results {
                lines.push(Line::default());
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} {}: ", mark(r.verdict), r.id),
                        theme.verdict(r.verdict),
                    ),
                    Span::raw(r.message.clone()),
                ]));
            }
        }
    }
    if let Some(settings) = &app.settings {
        // The values as shop.toml spells them (`on-write`), not Rust's names.
        let value = |key: &str| switches::spelled(settings, key);
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("shop.toml ", theme.accent()),
            Span::raw(msg!(
                text,
                "tui-lab-settings",
                backend = value("cache.backend"),
                invalidation = value("cache.invalidation"),
                ttl = value("cache.ttl"),
                endpoints = settings.cache.endpoints.len(),
                pool = settings.database.pool_size,
                loading = value("database.loading"),
            )),
        ]));
        lines.push(Line::styled(
            msg!(text, "tui-lab-settings-keys"),
            theme.dim(),
        ));
    }
    Text::from(lines)
}

/// Passed, or how many checks failed: one line.
fn verdict_line(
    results: &[crate::check::CheckResult],
    text: &Words,
    theme: Theme,
) -> Line<'static> {
    let passed = crate::check::lab_passed(results.iter().map(|r| r.verdict));
    if passed {
        return Line::styled(
            format!("{} {}", mark(Verdict::Pass), msg!(text, "tui-lab-passed")),
            theme.verdict(Verdict::Pass),
        );
    }
    let failed = results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
        .count();
    Line::styled(
        format!(
            "{} {}",
            mark(Verdict::Fail),
            msg!(
                text,
                "tui-lab-not-passed",
                failed = failed,
                total = results.len()
            )
        ),
        theme.verdict(Verdict::Fail),
    )
}
