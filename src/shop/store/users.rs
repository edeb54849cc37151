//! Users: the login lookup and the profile behind `/users/me`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// What login needs to check a password and sign a token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub role: String,
    pub tier: String,
}

/// A user's profile, without the password hash.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Profile {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub tier: String,
    pub created_at: DateTime<Utc>,
}

pub async fn credentials_by_email(pool: &PgPool, email: &str) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as("SELECT id, password_hash, role, tier FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await
}

pub async fn profile(pool: &PgPool, id: i64) -> sqlx::Result<Option<Profile>> {
    sqlx::query_as("SELECT id, email, name, role, tier, created_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}
