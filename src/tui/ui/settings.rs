//! Settings: every switch of the shop with its value in the workspace's
//! `shop.toml`, from the settings schema; the lab's own keys are marked.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use super::Theme;
use crate::tui::app::App;
use crate::tui::switches;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let lang = app.lang;
    let Some(settings) = &app.settings else {
        let text = lang.pick(
            "shop.toml no se puede leer: la línea de estado dice por qué (e para editarlo en el laboratorio).",
            "shop.toml cannot be read: the status line says why (e edits it on the Lab screen).",
        );
        frame.render_widget(
            Paragraph::new(text).block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    // The keys the open lab starts from are the ones it is about.
    let lab_keys: Vec<String> = app
        .lab()
        .map(|lab| flatten(&lab.start.settings, ""))
        .unwrap_or_default();
    let [list_area, help_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let items: Vec<ListItem> = app
        .switches
        .iter()
        .map(|switch| {
            let mark = if lab_keys.contains(&switch.key) {
                "●"
            } else {
                " "
            };
            ListItem::new(Line::from(vec![
                Span::raw(format!("{mark} ")),
                Span::styled(format!("{:<26}", switch.key), theme.accent()),
                Span::raw(switches::shown(switch, settings)),
            ]))
        })
        .collect();
    let title = lang.pick(
        " Ajustes de shop.toml (● los de este laboratorio) ",
        " shop.toml settings (● this lab's) ",
    );
    let mut state = ListState::default().with_selected(Some(app.switch_selected));
    frame.render_stateful_widget(
        List::new(items)
            .block(Block::default().borders(Borders::ALL).title(title))
            .highlight_symbol("» "),
        list_area,
        &mut state,
    );
    let help = app
        .switches
        .get(app.switch_selected)
        .map(|s| s.help.clone())
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(help)
            .style(theme.dim())
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::TOP)),
        help_area,
    );
}

/// Dotted keys of a settings patch (`cache.backend`).
fn flatten(table: &toml::Table, prefix: &str) -> Vec<String> {
    table
        .iter()
        .flat_map(|(key, value)| {
            let key = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => flatten(inner, &key),
                _ => vec![key],
            }
        })
        .collect()
}
