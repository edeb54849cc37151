//! A fresh machine, from the TUI: what it lacks for the course (PostgreSQL,
//! its `pg_trgm` extension, Redis) and, once the student says yes, the
//! install — the same plan and runner as `perflab doctor --fix`
//! (`services::install`), with the terminal handed to the package manager
//! while the TUI steps aside. The event loop calls [`look`] before it starts
//! the services, and [`install`] between `ratatui::restore` and
//! `ratatui::init`; `ui::setup` draws the offer.

use tokio::signal::unix::Signal;

use super::app::Setup;
use crate::config::Config;
use crate::messages::Text;
use crate::msg;
use crate::services::install::{self, InstallError, Machine, Plan, StepOutcome};

/// What this machine lacks and the plan that installs it; `None` when
/// nothing is missing (or a configured URL stands in for it: installing
/// does not fix a server that is configured and down).
pub async fn look(config: &Config) -> Option<Setup> {
    let missing = install::missing(config).await;
    if missing.is_empty() {
        return None;
    }
    // Reads /etc/os-release and PATH: off the runtime's threads.
    let machine = tokio::task::spawn_blocking(Machine::detect).await.ok()?;
    let plan = match machine.plan(&missing) {
        Ok(Some(plan)) => Ok(plan),
        Ok(None) => return None,
        Err(why) => Err(why),
    };
    Some(Setup::new(missing, plan))
}

/// Runs `plan` on the terminal (the TUI has stepped aside): the package
/// manager's own output, sudo's password prompt, a line per command. On a
/// failure it says why and waits for Enter, so the student can read the
/// package manager's words before the TUI covers them.
pub async fn install(
    plan: &Plan,
    missing: &str,
    text: &Text,
    interrupt: &mut Signal,
) -> Result<(), InstallError> {
    let manager = plan.manager.program();
    println!(
        "{}",
        msg!(
            text,
            "tui-install-start",
            missing = missing,
            manager = manager
        )
    );
    let run = install::run(
        plan,
        |step| println!("\n→ {}", step.command_line()),
        |step, outcome| {
            if let StepOutcome::FailedHarmlessly(status) = outcome {
                let program = step.argv.first().map(String::as_str).unwrap_or("");
                let line = msg!(
                    text,
                    "doctor-fix-already-done",
                    status = status.as_str(),
                    program = program
                );
                println!("  {line}");
            }
        },
    );
    tokio::pin!(run);
    let result = loop {
        tokio::select! {
            result = &mut run => break result,
            // Ctrl-C reached the package manager too (one process group
            // on the terminal): it stops, and the plan with it. perflab
            // stays, to say so and to come back.
            Some(()) = interrupt.recv() => {}
        }
    };
    if let Err(why) = &result {
        println!("\n{}", why.message(text));
        println!("{}", msg!(text, "tui-install-press-enter"));
        wait_for_enter().await;
    }
    result
}

/// Blocks (off the runtime) until a line is read; stdin is ours while the
/// TUI's key stream is dropped.
async fn wait_for_enter() {
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)
    })
    .await;
}
