//! What every handler can reach: config, the Postgres pools, Redis and the token keys.

use crate::auth::tokens::TokenKeys;
use crate::autocommit::Autocommit;
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
    /// The hot paths' pool, which takes a connection back without a ping: statements that
    /// run alone (the storefront's uncached reads, a cart's reads and writes, checkout's
    /// payment record) and checkout's transaction ([`crate::autocommit`]).
    pub autocommit: Autocommit,
    pub redis: Redis,
    pub tokens: TokenKeys,
}

impl AppState {
    pub fn new(config: Arc<Config>, db: DatabaseConnection, redis: Redis) -> AppState {
        let tokens = TokenKeys::new(&config);
        let autocommit = Autocommit::beside(&db);
        AppState(Arc::new(Inner {
            config,
            db,
            autocommit,
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
