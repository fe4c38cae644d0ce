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
    /// Statements that run alone, outside any transaction, on the hot paths: the
    /// storefront's uncached reads, a cart's reads and writes ([`crate::autocommit`]).
    pub autocommit: Autocommit,
    /// Checkout's transactions and payment records, on connections of their own of the
    /// same kind (taken back without a ping): a bulkhead, so that a burst of cart writes
    /// or uncached storefront reads cannot keep the money path waiting for a connection.
    pub checkouts: Autocommit,
    pub redis: Redis,
    pub tokens: TokenKeys,
}

impl AppState {
    pub fn new(config: Arc<Config>, db: DatabaseConnection, redis: Redis) -> AppState {
        let tokens = TokenKeys::new(&config);
        let autocommit = Autocommit::beside(&db);
        let checkouts = Autocommit::beside(&db);
        AppState(Arc::new(Inner {
            config,
            db,
            autocommit,
            checkouts,
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
