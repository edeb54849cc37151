//! Today: the course's timetable with the live clock — what block is on,
//! time left, the break coming — and progress per block.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph};

use super::Theme;
use crate::tui::app::App;
use crate::tui::timetable::Slot;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let lang = app.lang;
    let rows = app.timetable.rows();
    let [now_area, table_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let slot = app.timetable.slot(app.now);
    let headline = match (&slot, app.free_mode) {
        (_, true) => lang
            .pick(
                "Modo libre: sin horario; avanza a tu ritmo.",
                "Free mode: no timetable; go at your own pace.",
            )
            .to_string(),
        (Slot::Before { starts_in }, _) => lang.pick(
            format!("El curso empieza en {starts_in} min."),
            format!("The course starts in {starts_in} min."),
        ),
        (Slot::Block { number, left }, _) => {
            let title = app
                .catalog
                .block(*number)
                .map(|b| b.title.get(lang))
                .unwrap_or("");
            let pause = match app.timetable.break_in(app.now) {
                Some(m) => lang.pick(
                    format!(" · descanso en {m} min"),
                    format!(" · break in {m} min"),
                ),
                None => String::new(),
            };
            lang.pick(
                format!("Ahora: bloque {number}, {title} — quedan {left} min{pause}"),
                format!("Now: block {number}, {title} — {left} min left{pause}"),
            )
        }
        (Slot::Break { left }, _) => lang.pick(
            format!("Descanso obligatorio: quedan {left} min. Levántate."),
            format!("Mandatory break: {left} min left. Stand up."),
        ),
        (Slot::After, _) => lang
            .pick(
                "El día terminó. Buen trabajo.",
                "The day is over. Well done.",
            )
            .to_string(),
    };
    frame.render_widget(
        Paragraph::new(headline).style(theme.accent()).block(
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
    let mut lines = Vec::new();
    for row in &rows {
        let span = format!(
            "{}–{}",
            row.starts.format("%H:%M"),
            row.ends.format("%H:%M")
        );
        let line = match row.block {
            Some(number) => {
                let title = app
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
                    0 => lang.pick("(próximamente)", "(coming)").to_string(),
                    _ => format!("{passed}/{total}"),
                };
                Line::from(vec![
                    Span::raw(format!("{here} {span}  ")),
                    Span::styled(
                        format!("{} {number}", lang.pick("Bloque", "Block")),
                        theme.accent(),
                    ),
                    Span::raw(format!("  {title}  ")),
                    Span::styled(done, theme.dim()),
                ])
            }
            None => Line::from(vec![
                Span::raw(format!("  {span}  ")),
                Span::styled(lang.pick("Descanso", "Break"), theme.dim()),
            ]),
        };
        lines.push(line);
    }
    let [list_area, gauge_area] =
        Layout::vertical([Constraint::Min(2), Constraint::Length(3)]).areas(table_area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(lang.pick(" Horario ", " Timetable ")),
        ),
        list_area,
    );
    let total = app.catalog.labs.len().max(1);
    let passed = app
        .catalog
        .labs
        .iter()
        .filter(|l| app.status_of(&l.id) == crate::lab::progress::LabStatus::Passed)
        .count();
    frame.render_widget(
        Gauge::default()
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(lang.pick(" Progreso ", " Progress ")),
            )
            .gauge_style(theme.accent())
            .ratio(passed as f64 / total as f64)
            .label(format!("{passed}/{total}")),
        gauge_area,
    );
}
