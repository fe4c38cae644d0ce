//! Connecting to Postgres and Redis at start, with one-line errors that say how to fix
//! the problem instead of a backtrace.

use migrations::{Migrator, MigratorTrait};
use platform::AppState;
use platform::config::Config;
use platform::kv::Redis;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "cannot reach Postgres at {at} ({cause}). Start it with `bash infra/services.sh`, or set DATABASE_URL."
    )]
    Postgres { at: String, cause: String },
    #[error(
        "cannot reach Redis at {at} ({cause}). Start it with `bash infra/services.sh`, or set REDIS_URL."
    )]
    Redis { at: String, cause: String },
    #[error("migrations failed: {0}")]
    Migrate(String),
}

/// `user:password@host:port/db` → `host:port/db`: never print credentials.
pub fn redact(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.rsplit_once('@')
        .map_or(rest, |(_, host)| host)
        .to_owned()
}

pub async fn connect(config: Arc<Config>) -> Result<AppState, StartError> {
    let db = platform::db::connect(&config)
        .await
        .map_err(|e| StartError::Postgres {
            at: redact(config.database_url()),
            cause: first_line(&e.to_string()),
        })?;
    // The pool connects lazily; ping so that a wrong URL fails here, not on a request.
    db.ping().await.map_err(|e| StartError::Postgres {
        at: redact(config.database_url()),
        cause: first_line(&e.to_string()),
    })?;
    let redis = Redis::connect(&config)
        .await
        .map_err(|e| StartError::Redis {
            at: redact(config.redis_url()),
            cause: first_line(&e.to_string()),
        })?;
    Ok(AppState::new(config, db, redis))
}

pub async fn migrate(state: &AppState) -> Result<(), StartError> {
    Migrator::up(&state.db, None)
        .await
        .map_err(|e| StartError::Migrate(first_line(&e.to_string())))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(redact("postgres://u:secret@db:5432/jikgu"), "db:5432/jikgu");
        assert_eq!(redact("redis://127.0.0.1:6379"), "127.0.0.1:6379");
    }
}
