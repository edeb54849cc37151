//! Lab: the instructions rendered from Markdown in the chosen language, the
//! hints revealed so far, the solution once confirmed, and the checks with
//! measured vs target and their messages.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Theme, mark, title};
use crate::check::Verdict;
use crate::msg;
use crate::tui::app::{App, Checks};
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
        let [a, b] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        (a, b)
    };
    let mut text: Text = tui_markdown::from_str(lab.instructions.get(lang));
    theme.strip(&mut text);
    for (n, hint) in lab.hints.iter().take(app.hints_shown).enumerate() {
        text.lines.push(Line::default());
        text.lines.push(Line::styled(
            msg!(
                words,
                "tui-lab-hint",
                number = n + 1,
                total = lab.hints.len()
            ),
            theme.accent(),
        ));
        for line in hint.get(lang).trim().lines() {
            text.lines.push(Line::raw(line.to_string()));
        }
    }
    if app.show_solution {
        text.lines.push(Line::default());
        text.lines.push(Line::styled(
            msg!(words, "tui-lab-solution"),
            theme.accent(),
        ));
        for line in lab
            .solution
            .settings_text
            .iter()
            .chain(&lab.solution.indexes)
        {
            for l in line.lines() {
                text.lines.push(Line::raw(l.to_string()));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .scroll((app.scroll, 0))
            .block(Block::default().borders(Borders::ALL).title(format!(
                " {} — {} ",
                lab.id,
                lab.title.get(lang)
            ))),
        text_area,
    );
    frame.render_widget(
        Paragraph::new(checks(app, theme))
            .wrap(Wrap { trim: true })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title(msg!(words, "tui-lab-checks"))),
            ),
        side_area,
    );
}

fn checks(app: &App, theme: Theme) -> Text<'static> {
    let text = app.text();
    let Some(lab) = app.lab() else {
        return Text::default();
    };
    let mut lines = Vec::new();
    if let Some(settings) = &app.settings {
        // The values as shop.toml spells them (`on-write`), not Rust's names.
        let value = |key: &str| switches::spelled(settings, key);
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
        Checks::Running => lines.push(Line::styled(
            msg!(text, "tui-lab-checks-running"),
            theme.accent(),
        )),
        Checks::Failed(why) => lines.push(Line::styled(why.clone(), theme.verdict(Verdict::Error))),
        Checks::Done(results) => {
            for r in results {
                let measured = crate::check::measured_text(r.measured, r.unit);
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} {}", mark(r.verdict), r.id),
                        theme.verdict(r.verdict),
                    ),
                    Span::raw(format!("  {measured}  ({})", r.target)),
                ]));
                lines.push(Line::raw(format!("  {}", r.message)));
            }
            let passed = crate::check::lab_passed(results.iter().map(|r| r.verdict));
            if passed {
                lines.push(Line::default());
                lines.push(Line::styled(
                    msg!(text, "tui-lab-passed"),
                    theme.verdict(Verdict::Pass),
                ));
            }
        }
    }
    Text::from(lines)
}
