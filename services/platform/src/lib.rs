//! What every Jikgu service needs: configuration, the problem+json error type, request
//! extractors, authentication and roles, Postgres and Redis, money, ids, pagination, the
//! transactional outbox, telemetry and the server bootstrap. Accounts (sign-up, login,
//! tokens) live here too, because every service authenticates the same way.

pub mod accounts;
pub mod apidoc;
pub mod attribution;
pub mod auth;
pub mod autocommit;
pub mod bounds;
pub mod breaker;
pub mod business_number;
pub mod client_addr;
pub mod config;
pub mod db;
pub mod docs;
pub mod download;
mod edge;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod ids;
pub mod kv;
pub mod lease;
pub mod local_cache;
pub mod money;
pub mod organisations;
pub mod outbox;
pub mod pagination;
pub mod postal;
pub mod quantity;
pub mod ratelimit;
pub mod server;
pub mod state;
pub mod status;
pub mod telemetry;
pub mod timestamps;

pub use error::{ApiError, ApiResult, ErrorCode};
pub use state::AppState;
