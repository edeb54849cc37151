//! Settings: every switch of the shop with its value in the workspace's
//! `shop.toml`, from the settings schema; the lab's own keys are marked.
//! Under the list, what the selected switch does and what its value means,
//! from the catalogue (`settings.ftl`, keyed by the switch's path).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use super::{Theme, title};
use crate::messages::Text;
use crate::msg;
use crate::shop::settings::ShopSettings;
use crate::tui::app::App;
use crate::tui::switches::{self, Kind, Switch};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let text = app.text();
    let Some(settings) = &app.settings else {
        frame.render_widget(
            Paragraph::new(msg!(text, "tui-settings-unreadable"))
                .block(Block::default().borders(Borders::ALL)),
            area,
        );
        return;
    };
    // The keys the open lab starts from are the ones it is about.
    let lab_keys: Vec<String> = app
        .lab()
        .map(|lab| flatten(&lab.start.settings, ""))
        .unwrap_or_default();
    // Three lines under the list: what the switch does (one line) and what
    // its value means (up to two at 80 columns).
    let [list_area, help_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(area);
    // The widest key sets the value column; always one space between.
    let key_width = app
        .switches
        .iter()
        .map(|switch| switch.key.chars().count() + 1)
        .max()
        .unwrap_or(26);
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
                Span::styled(format!("{:<key_width$}", switch.key), theme.accent()),
                Span::raw(switches::shown(switch, settings)),
            ]))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(app.switch_selected));
    frame.render_stateful_widget(
        List::new(items)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title(msg!(text, "tui-settings-title"))),
            )
            .highlight_symbol("» "),
        list_area,
        &mut state,
    );
    let help = app
        .switches
        .get(app.switch_selected)
        .map(|switch| help(&text, switch, settings))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(help)
            .style(theme.dim())
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::TOP)),
        help_area,
    );
}

/// What the switch does, then what its value means: the current choice, or
/// the item a member switch adds. Keys built from the path cannot go through
/// `msg!` (it takes literals): `tests/tui_screens.rs` holds every one of them
/// to the schema instead.
fn help(text: &Text, switch: &Switch, settings: &ShopSettings) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw(text.get(&switch.help_key()))];
    let value = match &switch.kind {
        Kind::Member { item } => Some(item.clone()),
        Kind::Choice(_) => Some(switches::spelled(settings, &switch.key)),
        Kind::Count | Kind::Duration | Kind::Toggle => None,
    };
    if let Some(value) = value
        && let Some(key) = switch.value_key(&value)
    {
        lines.push(Line::raw(format!("{value}: {}", text.get(&key))));
    }
    lines
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
