//! What every handler can reach: config, the Postgres pool, Redis and the token keys.

use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::kv::Redis;
use sea_orm::DatabaseConnection;
use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub redis: Redis,
    pub tokens: TokenKeys,
}

impl AppState {
    pub fn new(config: Arc<Config>, db: DatabaseConnection, redis: Redis) -> AppState {
        let tokens = TokenKeys::new(&config);
        AppState(Arc::new(Inner {
            config,
            db,
            redis,
            tokens,
        }))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
