//! `perflab explain LAB|QUERY [--format human|json]`: the plan of a lab's
//! query on the shop, with the lab's starting indexes and the workspace's
//! `indexes.sql` applied exactly as `perflab check` applies them (through the
//! runner, so the same guard and the same server-default planner settings).
//! Human output is the plan tree of [`crate::explain`]; `--format json` is
//! PostgreSQL's own `EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON)`.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::check::{run_env, start_services};
use super::course::{CourseArgs, Failure, find_workspace};
use crate::check::CheckSpec;
use crate::config::Config;
use crate::explain::PlanTree;
use crate::lab::runner::{RunError, Staged};
use crate::lab::{Catalog, Lab};
use crate::messages::Text;
use crate::msg;
use crate::shop::store::explain::LabQuery;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A lab (`2.1` or `2.1-explain`) or one of the shop's queries:
    /// category_listing, search, order_items, top_products.
    pub what: String,
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// The plan as a tree, the nodes that matter marked.
    Human,
    /// PostgreSQL's JSON plan.
    Json,
}

pub async fn run(config: Config, course: &CourseArgs, args: &ExplainArgs) -> ExitCode {
    match explain(config, course, args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

/// The query a lab's `explain` check judges.
fn lab_query(lab: &Lab) -> Option<&str> {
    lab.checks.iter().find_map(|check| match check {
        CheckSpec::Explain(spec) => Some(spec.query.as_str()),
        _ => None,
    })
}

/// The lab to stage and the query to explain. A query named directly is
/// planned with the starting indexes of the lab that teaches it (if any).
fn resolve<'a>(
    catalog: &'a Catalog,
    text: &Text,
    what: &str,
) -> Result<(&'a Lab, String), Failure> {
    if let Some(lab) = catalog.find(what) {
        let query = lab_query(lab).ok_or_else(|| {
            Failure::environment(msg!(
                text,
                "explain-lab-has-no-query",
                lab = lab.id.as_str()
            ))
        })?;
        return Ok((lab, query.to_string()));
    }
    let known = serde_json::from_value::<LabQuery>(serde_json::Value::from(what)).is_ok();
    let lab = catalog
        .labs
        .iter()
        .find(|lab| lab_query(lab) == Some(what))
        .or(catalog.labs.first());
    match (known, lab) {
        (true, Some(lab)) => Ok((lab, what.to_string())),
        _ => Err(Failure::environment(msg!(
            text,
            "explain-unknown",
            what = what
        ))),
    }
}

async fn explain(config: Config, course: &CourseArgs, args: &ExplainArgs) -> Result<(), Failure> {
    let catalog = course.catalog()?;
    let text = course.text(&catalog);
    let (lab, query) = resolve(&catalog, &text, &args.what)?;
    let workspace = find_workspace(&text)?;
    let settings = workspace.shop_settings().map_err(|e| {
        Failure::environment(msg!(text, "shop-toml-fix", problem = e.render(&text)))
    })?;
    let indexes = workspace.indexes().map_err(|e| {
        Failure::environment(msg!(text, "run-indexes-unreadable", error = e.to_string()))
    })?;
    let services = start_services(&config, &text, false).await?;
    let env = run_env(&config, &services, course)?;
    let plan = match Staged::start(&env, lab, &settings, Some(&indexes)).await {
        Ok(staged) => {
            let plan = fetch_plan(&staged, &query).await;
            staged.stop().await;
            plan
        }
        Err(e) => Err(run_failure(e)),
    };
    services.shutdown().await;
    let plan = plan?;
    match args.format {
        PlanFormat::Json => {
            let json = serde_json::to_string_pretty(&plan).unwrap_or_default();
            println!("{json}");
        }
        PlanFormat::Human => {
            let tree =
                PlanTree::from_json(&plan).map_err(|e| Failure::environment(e.to_string()))?;
            println!(
                "{}",
                msg!(
                    text,
                    "explain-heading",
                    query = query.as_str(),
                    lab = lab.id.as_str()
                )
            );
            for line in tree.lines(&text) {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// The student's SQL refused is their mistake (exit 1); the rest, the environment's.
fn run_failure(error: RunError) -> Failure {
    let code = if error.is_students() { 1 } else { 2 };
    Failure {
        message: error.to_string(),
        code,
    }
}

/// `GET /explain/{query}` on the staged shop's control API.
async fn fetch_plan(staged: &Staged, query: &str) -> Result<serde_json::Value, Failure> {
    let endpoint = &staged.shops[0].endpoint;
    let url = format!("{}/explain/{query}", endpoint.control_url);
    let failed = |e: String| Failure::environment(format!("{url}: {e}"));
    let response = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&endpoint.control_token)
        .timeout(std::time::Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(failed(format!("{status}: {body}")));
    }
    response.json().await.map_err(|e| failed(e.to_string()))
}
