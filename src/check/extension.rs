//! `extension`: whether the PostgreSQL server the shop uses can create an
//! extension a lab needs (lab 2.2's `pg_trgm`). A server without it fails in
//! one line that names the package installing it on this system (Debian and
//! Fedora: `postgresql-contrib`) — never PostgreSQL's raw "could not open
//! extension control file". Needs the database URL; without it (`--target
//! URL`) the check is `NotApplicable`.

use std::time::Duration;

use serde::Deserialize;
use sqlx::Connection;

use super::verdict::next_step;
use super::{CheckError, Context, Kind, Outcome, Unit};
use crate::msg;
use crate::services::install;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionSpec {
    pub id: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Why it must pass in the lab's starting state too (see `labs validate`).
    pub guard: Option<String>,
    /// The extension (`pg_trgm`).
    pub name: String,
}

/// Whether the server lists the extension as installable.
const AVAILABLE_SQL: &str = "SELECT count(*) FROM pg_available_extensions WHERE name = $1";

impl Kind for ExtensionSpec {
    const NAME: &'static str = "extension";

    fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn guard(&self) -> Option<&str> {
        self.guard.as_deref()
    }

    fn target(&self, ctx: &Context) -> String {
        msg!(
            ctx.text,
            "check-extension-target",
            name = self.name.as_str()
        )
    }

    fn limit(&self, _: &Context) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(15))
    }

    async fn measure(&self, ctx: &Context) -> Result<Outcome, CheckError> {
        let mut conn = sqlx::PgConnection::connect(ctx.database_url()?).await?;
        let found: i64 = sqlx::query_scalar(AVAILABLE_SQL)
            .bind(&self.name)
            .fetch_one(&mut conn)
            .await?;
        let _ = conn.close().await;
        let ok = found > 0;
        let text = &ctx.text;
        let name = self.name.as_str();
        let message = if ok {
            let head = msg!(text, "check-extension-available", name = name);
            format!("{head} {}", next_step(text, true, String::new))
        } else {
            // Reads /etc/os-release: a blocking read of a small file.
            let package = tokio::task::spawn_blocking(install::contrib_package)
                .await
                .unwrap_or(install::CONTRIB_PACKAGE);
            msg!(
                text,
                "check-extension-missing",
                name = name,
                package = package
            )
        };
        Ok(Outcome::measured(ok, found as f64, Unit::Count, message))
    }
}
