//! Today: the course's timetable with the live clock — what block is on,
//! time left, the break coming — and progress per block.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};

use super::{Theme, title};
use crate::msg;
use crate::tui::app::App;
use crate::tui::timetable::Slot;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let lang = app.lang;
    let text = app.text();
    let rows = app.timetable.rows();
    let [now_area, table_area] =
        Layout::vertical([Constraint::Length(4), Constraint::Min(3)]).areas(area);
    let slot = app.timetable.slot(app.now);
    let (passed, total) = day_progress(app);
    let headline = match (&slot, app.free_mode) {
        (_, true) => msg!(text, "tui-today-free"),
        (Slot::Before { starts_in }, _) => {
            msg!(text, "tui-today-before", minutes = *starts_in)
        }
        (Slot::Block { number, left }, _) => {
            let block_title = app
                .catalog
                .block(*number)
                .map(|b| b.title.get(lang))
                .unwrap_or("");
            let (number, left) = (*number, *left);
            match app.timetable.break_in(app.now) {
                Some(pause) => msg!(
                    text,
                    "tui-today-block-before-break",
                    number = number,
                    title = block_title,
                    left = left,
                    pause = pause
                ),
                None => msg!(
                    text,
                    "tui-today-block",
                    number = number,
                    title = block_title,
                    left = left
                ),
            }
        }
        (Slot::Break { left }, _) => msg!(text, "tui-today-break", left = *left),
        // Over: what was done, and how to go on without a clock.
        (Slot::After, _) => msg!(text, "tui-today-after", passed = passed, total = total),
    };
    frame.render_widget(
        Paragraph::new(headline)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .style(theme.accent())
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(app.catalog.course.title.get(lang)),
            ),
        now_area,
    );
    let current_block = match slot {
        Slot::Block { number, .. } if !app.free_mode => Some(number),
        _ => None,
    };
    let on_break = matches!(slot, Slot::Break { .. }) && !app.free_mode;
    let mut lines = Vec::new();
    let mut listed = Vec::new();
    for row in &rows {
        // Without hours a block split by the break is one row.
        if app.free_mode && row.block.is_some_and(|n| listed.contains(&n)) {
            continue;
        }
        listed.extend(row.block);
        // A self-learner has no clock: blocks without their hours.
        let span = match app.free_mode {
            true => String::new(),
            false => format!(
                "{}–{}  ",
                row.starts.format("%H:%M"),
                row.ends.format("%H:%M")
            ),
        };
        if app.free_mode && row.block.is_none() {
            continue;
        }
        let line = match row.block {
            Some(number) => {
                let block_title = app
                    .catalog
                    .block(number)
                    .map(|b| b.title.get(lang))
                    .unwrap_or("");
                let (passed, total) = app.block_progress(number);
                let here = if current_block == Some(number) {
                    "▶"
                } else {
                    " "
                };
                let done = match total {
                    0 => msg!(text, "tui-today-coming"),
                    _ => format!("{passed}/{total}"),
                };
                Line::from(vec![
                    Span::raw(format!("{here} {span}")),
                    Span::styled(
                        msg!(text, "tui-today-block-label", number = number),
                        theme.accent(),
                    ),
                    Span::raw(format!("  {block_title}  ")),
                    Span::styled(done, theme.dim()),
                ])
            }
            None => {
                // The break in progress is where the student is.
                let here = match on_break && row.starts <= app.now && app.now < row.ends {
                    true => "▶",
                    false => " ",
                };
                Line::from(vec![
                    Span::raw(format!("{here} {span}")),
                    Span::styled(msg!(text, "tui-today-break-label"), theme.dim()),
                ])
            }
        };
        lines.push(line);
    }
    if !app.free_mode {
        lines.push(Line::from(vec![
            Span::raw(format!("  {}  ", app.timetable.end().format("%H:%M"))),
            Span::styled(msg!(text, "tui-today-end-label"), theme.dim()),
        ]));
    }
    let [list_area, gauge_area] =
        Layout::vertical([Constraint::Min(2), Constraint::Length(3)]).areas(table_area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title(msg!(text, "tui-today-timetable"))),
        ),
        list_area,
    );
    frame.render_widget(
        Gauge::default()
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title(msg!(text, "tui-today-progress"))),
            )
            .gauge_style(theme.accent())
            .ratio(passed as f64 / total.max(1) as f64)
            .label(format!("{passed}/{total}")),
        gauge_area,
    );
}

/// Labs passed and labs in the pack.
fn day_progress(app: &App) -> (usize, usize) {
    let passed = app
        .catalog
        .labs
        .iter()
        .filter(|l| app.status_of(&l.id) == crate::lab::progress::LabStatus::Passed)
        .count();
    (passed, app.catalog.labs.len())
}
