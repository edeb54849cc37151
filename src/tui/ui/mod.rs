//! Drawing: one function per screen, each reading the [`App`] and writing
//! into a frame — no state of its own, no I/O, so every screen is tested
//! with ratatui's `TestBackend` at 80×24 and 120×40. Colours follow the
//! verdict and disappear under `NO_COLOR`. Every word comes from the
//! message catalogue (`labs/messages/*/tui*.ftl`, `settings.ftl`) in the
//! student's language; the code keeps only numbers, keys and names.

mod dashboard;
mod fold;
mod lab;
mod labs;
mod settings;
mod setup;
mod today;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use super::app::{App, Confirm, Screen, SetupStage};
use crate::check::Verdict;
use crate::messages::Text;
use crate::msg;

/// Styles, colourless when `NO_COLOR` is set (https://no-color.org).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
    /// Everything grey: the panels of a shop that died or went silent.
    grey: bool,
}

impl Theme {
    /// With or without colour.
    pub fn new(color: bool) -> Self {
        Self { color, grey: false }
    }

    pub fn from_env() -> Self {
        Self::new(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
    }

    /// Whether it draws colours (`NO_COLOR` unset).
    pub fn colour(self) -> bool {
        self.color
    }

    /// The same theme with every colour grey (stale numbers must not look
    /// like a verdict).
    pub fn greyed(self) -> Self {
        Self { grey: true, ..self }
    }

    fn fg(self, color: Color) -> Style {
        match (self.color, self.grey) {
            (true, false) => Style::default().fg(color),
            (true, true) => Style::default().fg(Color::DarkGray),
            (false, _) => Style::default(),
        }
    }

    /// A panel's border and text: grey when stale.
    pub fn frame(self) -> Style {
        match self.grey {
            true => self.fg(Color::DarkGray),
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
            Verdict::Fail if self.grey => self.fg(Color::Red),
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
        match self.grey {
            true => self.fg(Color::Cyan),
            false => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        }
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

/// A panel's title: the catalogue's words with a space either side (Fluent
/// trims a message's outer spaces).
pub(crate) fn title(words: String) -> String {
    format!(" {words} ")
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
    let text = app.text();
    let titles = [
        format!("1 {}", msg!(text, "tui-tab-today")),
        format!("2 {}", msg!(text, "tui-tab-labs")),
        format!("3 {}", msg!(text, "tui-tab-lab")),
        format!("4 {}", msg!(text, "tui-tab-dashboard")),
        format!("5 {}", msg!(text, "tui-tab-settings")),
    ];
    let selected = match app.screen {
        Screen::Today => 0,
        Screen::Labs => 1,
        Screen::Lab => 2,
        Screen::Dashboard => 3,
        Screen::Settings => 4,
    };
    let clock = match app.free_mode {
        true => msg!(text, "tui-free-mode"),
        false => app.now.format("%H:%M").to_string(),
    };
    let clock = format!("perflab {clock}");
    // As wide as the clock, so the tabs keep the rest of the line.
    let clock_width = u16::try_from(Line::raw(clock.as_str()).width()).unwrap_or(u16::MAX);
    let [tabs_area, clock_area] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(clock_width)]).areas(top);
    frame.render_widget(
        Tabs::new(titles)
            .select(selected)
            .highlight_style(theme.accent())
            .divider("│"),
        tabs_area,
    );
    frame.render_widget(Paragraph::new(clock).right_aligned(), clock_area);
    match app.screen {
        Screen::Today if app.setup.is_some() => setup::draw(frame, body, app, theme),
        Screen::Today => today::draw(frame, body, app, theme),
        Screen::Labs => labs::draw(frame, body, app, theme),
        Screen::Lab => lab::draw(frame, body, app, theme),
        Screen::Dashboard => dashboard::draw(frame, body, app, theme),
        Screen::Settings => settings::draw(frame, body, app, theme),
    }
    frame.render_widget(
        Paragraph::new(keys_line(app, &text)).style(theme.dim()),
        keys,
    );
    frame.render_widget(Paragraph::new(app.status.as_str()), status);
}

fn keys_line(app: &App, text: &Text) -> Line<'static> {
    if let Some(question) = app.confirm {
        let words = match question {
            Confirm::Solution => msg!(text, "tui-confirm-solution"),
            Confirm::Reset => msg!(text, "tui-confirm-reset"),
        };
        return Line::from(Span::raw(words));
    }
    let words = match app.screen {
        Screen::Today => match &app.setup {
            None => msg!(text, "tui-keys-today"),
            Some(setup) => match (&setup.plan, &setup.stage) {
                (Err(_), _) => msg!(text, "tui-setup-keys-none"),
                (Ok(_), SetupStage::Asking) => msg!(text, "tui-setup-keys-ask"),
                (Ok(_), _) => msg!(text, "tui-setup-keys-again"),
            },
        },
        // The search box takes every letter (q included) as text.
        Screen::Labs if app.searching => msg!(text, "tui-keys-search"),
        Screen::Labs => msg!(text, "tui-keys-labs"),
        Screen::Settings => msg!(text, "tui-keys-settings"),
        // Only the keys that work now: `d` stops a running load, starts a
        // stopped one again, and does nothing without one.
        Screen::Dashboard => match &app.dashboard {
            Some(dash) if dash.running => msg!(text, "tui-keys-dashboard"),
            Some(_) => msg!(text, "tui-keys-dashboard-stopped"),
            None => msg!(text, "tui-keys-dashboard-none"),
        },
        // While checks run, `c` does nothing: it is not offered.
        Screen::Lab if matches!(app.checks, super::app::Checks::Running) => {
            msg!(text, "tui-keys-lab-running")
        }
        Screen::Lab => msg!(text, "tui-keys-lab"),
    };
    Line::from(Span::raw(words))
}
