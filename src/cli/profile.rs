//! `perflab profile [--seconds N] [--out FILE.svg] [--port PORT]`: a sampling
//! CPU profile of a running shop (`perflab serve`, or the TUI's), taken by
//! the shop itself through its control API (`POST /profile`, see
//! `shop::profile::cpu`). Writes the flamegraph SVG and prints the hottest
//! functions by self samples; a window with no sample (an idle shop) writes
//! no SVG and says what that means. The shop is found by the endpoint file it
//! published in the state directory (`shops/<port>.json`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::EXIT_ENVIRONMENT;
use crate::config::Config;
use crate::messages::{Lang, Text};
use crate::msg;
use crate::shop::profile::cpu::{self, Profile};

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// How long to sample, in seconds (1–60). Drive traffic meanwhile: an
    /// idle shop has nothing on the CPU to sample.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Where to write the flamegraph.
    #[arg(long, default_value = "flamegraph.svg")]
    pub out: PathBuf,
    /// The running shop's public port (default: the configured `shop.port`).
    #[arg(long)]
    pub port: Option<u16>,
}

pub async fn run(config: Config, args: ProfileArgs, lang: Lang) -> ExitCode {
    let text = Text::builtin(lang);
    match profile(&config, &args, &text).await {
        Ok(profile) => {
            print!("{}", render(&profile, &args.out, &text));
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("perflab: {why}");
            ExitCode::from(EXIT_ENVIRONMENT)
        }
    }
}

async fn profile(config: &Config, args: &ProfileArgs, text: &Text) -> Result<Profile, String> {
    if !(1..=cpu::MAX_SECONDS).contains(&args.seconds) {
        return Err(msg!(text, "profile-bad-seconds", max = cpu::MAX_SECONDS));
    }
    let port = args.port.unwrap_or(config.shop.port);
    let endpoint = crate::shop::read_endpoint(&config.state_dir(), port)
        .map_err(|_| msg!(text, "profile-no-shop", port = port))?;
    let url = format!("{}/profile?seconds={}", endpoint.control_url, args.seconds);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.seconds + 30))
        .build()
        .map_err(|e| e.to_string())?;
    let answer = client
        .post(&url)
        .bearer_auth(&endpoint.control_token)
        .send()
        .await
        .map_err(|e| {
            msg!(
                text,
                "profile-unreachable",
                port = port,
                error = e.to_string()
            )
        })?;
    if !answer.status().is_success() {
        let status = answer.status().as_u16();
        let body = answer.text().await.unwrap_or_default();
        return Err(msg!(text, "profile-refused", status = status, body = body));
    }
    let profile: Profile = answer.json().await.map_err(|e| e.to_string())?;
    // No sample is a finding, not a failure: the shop's CPU was idle (lab
    // 4.2's live report spends its time waiting for PostgreSQL). No SVG then.
    if profile.samples == 0 {
        return Ok(profile);
    }
    std::fs::write(&args.out, &profile.svg).map_err(|e| {
        msg!(
            text,
            "profile-write-failed",
            path = args.out.display().to_string(),
            error = e.to_string()
        )
    })?;
    Ok(profile)
}

/// The summary the terminal shows: where the SVG is, then the top frames.
fn render(profile: &Profile, out: &std::path::Path, text: &Text) -> String {
    if profile.samples == 0 {
        return msg!(text, "profile-no-samples", seconds = profile.seconds) + "\n";
    }
    let mut lines = vec![
        msg!(
            text,
            "profile-written",
            path = out.display().to_string(),
            samples = profile.samples,
            seconds = profile.seconds
        ),
        msg!(text, "profile-top-head"),
    ];
    for frame in &profile.top {
        lines.push(format!(
            "{:>5.1} %  {:>6}  {}",
            frame.share * 100.0,
            frame.samples,
            frame.function
        ));
    }
    lines.join("\n") + "\n"
}
