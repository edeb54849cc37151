//! Drawing: one function per screen, each reading the [`App`] and writing
//! into a frame — no state of its own, no I/O, so every screen is tested
//! with ratatui's `TestBackend` at 80×24 and 120×40. Colours follow the
//! verdict and disappear under `NO_COLOR`.

mod dashboard;
mod lab;
mod labs;
mod settings;
mod today;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use super::app::{App, Confirm, Screen};
use crate::check::Verdict;

/// Styles, colourless when `NO_COLOR` is set (https://no-color.org).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// With or without colour.
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, color: Color) -> Style {
        match self.color {
            true => Style::default().fg(color),
            false => Style::default(),
        }
    }

    /// Removes the colours a widget library put in `text` (the Markdown
    /// renderer colours headings), keeping bold and italics.
    pub fn strip(self, text: &mut ratatui::text::Text) {
        if self.color {
            return;
        }
        let plain = |style: &mut Style| {
            style.fg = None;
            style.bg = None;
        };
        plain(&mut text.style);
        for line in &mut text.lines {
            plain(&mut line.style);
            for span in &mut line.spans {
                plain(&mut span.style);
            }
        }
    }

    pub fn verdict(self, verdict: Verdict) -> Style {
        match verdict {
            Verdict::Pass => self.fg(Color::Green),
            Verdict::Fail => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Verdict::Error => self.fg(Color::Yellow),
            Verdict::NotApplicable => self.fg(Color::DarkGray),
        }
    }

    /// A chart line's colour (lines without colour stay distinguishable by
    /// their legend).
    pub fn line(self, color: Color) -> Style {
        self.fg(color)
    }

    pub fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }
}

/// The mark of a verdict, readable without colour.
pub fn mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::NotApplicable => "–",
        Verdict::Error => "!",
    }
}

/// Draws the whole screen: tabs, the current screen, keys and status.
pub fn draw(frame: &mut Frame, app: &App, theme: Theme) {
    let [top, body, keys, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let lang = app.lang;
    let titles = [
        lang.pick("1 Hoy", "1 Today"),
        lang.pick("2 Laboratorios", "2 Labs"),
        lang.pick("3 Laboratorio", "3 Lab"),
        lang.pick("4 Panel", "4 Dashboard"),
        lang.pick("5 Ajustes", "5 Settings"),
    ];
    let selected = match app.screen {
        Screen::Today => 0,
        Screen::Labs => 1,
        Screen::Lab => 2,
        Screen::Dashboard => 3,
        Screen::Settings => 4,
    };
    let clock = match app.free_mode {
        true => lang.pick("modo libre", "free mode").to_string(),
        false => app.now.format("%H:%M").to_string(),
    };
    let [tabs_area, clock_area] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(20)]).areas(top);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(theme.accent())
            .divider("│"),
        tabs_area,
    );
    frame.render_widget(
        Paragraph::new(format!("perflab {clock}")).right_aligned(),
        clock_area,
    );
    match app.screen {
        Screen::Today => today::draw(frame, body, app, theme),
        Screen::Labs => labs::draw(frame, body, app, theme),
        Screen::Lab => lab::draw(frame, body, app, theme),
        Screen::Dashboard => dashboard::draw(frame, body, app, theme),
        Screen::Settings => settings::draw(frame, body, app, theme),
    }
    frame.render_widget(Paragraph::new(keys_line(app)).style(theme.dim()), keys);
    frame.render_widget(Paragraph::new(app.status.as_str()), status);
}

fn keys_line(app: &App) -> Line<'static> {
    let lang = app.lang;
    if let Some(question) = app.confirm {
        let text = match question {
            Confirm::Solution => lang.pick(
                "¿Ver la solución? Queda registrado. [s/N]",
                "Show the solution? It is recorded. [y/N]",
            ),
            Confirm::Reset => lang.pick(
                "¿Volver al estado inicial del laboratorio? (copia .bak) [s/N]",
                "Back to the lab's starting state? (.bak copy) [y/N]",
            ),
        };
        return Line::from(Span::raw(text));
    }
    let text = match app.screen {
        Screen::Today => lang.pick(
            "Tab pantallas · Enter laboratorio actual · L idioma · q salir",
            "Tab screens · Enter current lab · L language · q quit",
        ),
        Screen::Labs => lang.pick(
            "↑↓ elegir · Enter abrir · / buscar · L idioma · q salir",
            "↑↓ choose · Enter open · / search · L language · q quit",
        ),
        Screen::Settings => lang.pick(
            "↑↓ elegir · ←→ cambiar (se escribe en shop.toml y en la tienda en marcha) · q salir",
            "↑↓ choose · ←→ change (written to shop.toml and the running shop) · q quit",
        ),
        Screen::Dashboard => lang.pick(
            "d detiene la carga · 3 vuelve al laboratorio · q salir",
            "d stops the load · 3 back to the lab · q quit",
        ),
        Screen::Lab => lang.pick(
            "c medir · d carga · h pista · s solución · r reinicio · b caché · q salir",
            "c check · d load · h hint · s solution · r reset · b cache · q quit",
        ),
    };
    Line::from(Span::raw(text))
}
