//! Labs: the list by block with each lab's progress (done, current,
//! attempts, hints, solution seen) and a search line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

use super::{Theme, title};
use crate::lab::progress::LabStatus;
use crate::msg;
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let lang = app.lang;
    let text = app.text();
    let [search_area, list_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let search = match (app.searching, app.search.is_empty()) {
        (false, true) => msg!(text, "tui-labs-search-hint"),
        _ => format!("/{}{}", app.search, if app.searching { "▏" } else { "" }),
    };
    frame.render_widget(Paragraph::new(search).style(theme.dim()), search_area);
    let current = app.progress.current();
    let items: Vec<ListItem> = app
        .visible()
        .into_iter()
        .map(|(_, lab)| {
            let record = app.progress.lab(&lab.id);
            let mark = match app.status_of(&lab.id) {
                LabStatus::Passed => "✓",
                LabStatus::InProgress => "…",
                LabStatus::NotStarted => " ",
            };
            let mut flags = String::new();
            if let Some(r) = record {
                if r.attempts > 0 {
                    let attempts = msg!(text, "tui-labs-attempts", count = r.attempts);
                    flags.push_str(&format!(" {attempts}"));
                }
                if r.hints_used > 0 {
                    let hints = msg!(text, "tui-labs-hints", count = r.hints_used);
                    flags.push_str(&format!(" {hints}"));
                }
                if r.solution_revealed() {
                    flags.push_str(&format!(" {}", msg!(text, "tui-labs-solution-seen")));
                }
            }
            let here = if current == Some(lab.id.as_str()) {
                "▶"
            } else {
                " "
            };
            ListItem::new(Line::from(vec![
                Span::raw(format!("{here}[{mark}] ")),
                Span::styled(format!("{:<18}", lab.id), theme.accent()),
                Span::raw(lab.title.get(lang).to_string()),
                Span::styled(flags, theme.dim()),
            ]))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(app.selected));
    frame.render_stateful_widget(
        List::new(items)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title(msg!(text, "tui-labs-title"))),
            )
            .highlight_symbol("» "),
        list_area,
        &mut state,
    );
}
