//! What is missing: the first screen (in Today's place) while this machine
//! lacks PostgreSQL, `pg_trgm` or Redis — what is missing, the exact
//! commands `services::install` would run, and y/n; after a no or a failed
//! install, how to do it by hand (`perflab doctor --fix`). It only draws
//! [`Setup`]; the event loop runs the plan.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text as Lines};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Theme, title};
use crate::check::Verdict;
use crate::messages::Text;
use crate::msg;
use crate::services::install::Plan;
use crate::tui::app::{App, Setup, SetupStage};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(setup) = &app.setup else {
        return;
    };
    let text = app.text();
    let [head_area, body_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let missing = msg!(text, "tui-setup-missing", missing = setup.missing_names());
    frame.render_widget(
        Paragraph::new(missing)
            .style(theme.accent())
            .wrap(Wrap { trim: true })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(app.catalog.course.title.get(app.lang)),
            ),
        head_area,
    );
    let lines = match &setup.plan {
        Ok(plan) => plan_lines(&text, setup, plan, theme),
        Err(why) => vec![Line::styled(
            why.message(&text),
            theme.verdict(Verdict::Error),
        )],
    };
    frame.render_widget(
        Paragraph::new(Lines::from(lines))
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title(msg!(text, "tui-setup-title"))),
            ),
        body_area,
    );
}

/// The plan's commands, then the question or what happened to the answer.
fn plan_lines(text: &Text, setup: &Setup, plan: &Plan, theme: Theme) -> Vec<Line<'static>> {
    let manager = plan.manager.program();
    let mut lines = vec![Line::raw(msg!(text, "tui-setup-plan", manager = manager))];
    lines.push(Line::default());
    for step in &plan.steps {
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(step.command_line(), theme.accent()),
        ]));
    }
    lines.push(Line::default());
    match &setup.stage {
        SetupStage::Asking => {
            let mut handover = msg!(text, "tui-setup-handover", manager = manager);
            if plan
                .steps
                .iter()
                .any(|s| s.argv.first().is_some_and(|p| p == "sudo"))
            {
                handover = format!("{handover} {}", msg!(text, "tui-setup-sudo"));
            }
            lines.push(Line::raw(handover));
            lines.push(Line::default());
            lines.push(Line::styled(msg!(text, "tui-setup-ask"), theme.accent()));
        }
        SetupStage::Declined => {
            lines.push(Line::raw(msg!(text, "tui-setup-declined")));
            lines.push(Line::raw(msg!(text, "tui-setup-by-hand")));
        }
        SetupStage::Failed(why) => {
            lines.push(Line::styled(
                msg!(text, "tui-setup-failed", error = why.message(text)),
                theme.verdict(Verdict::Fail),
            ));
            lines.push(Line::raw(msg!(text, "tui-setup-by-hand")));
        }
    }
    lines
}
