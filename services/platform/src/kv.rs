//! Redis: one multiplexed, self-reconnecting connection per process behind a circuit
//! breaker ([`crate::breaker`]), and the key prefix that keeps each job's keys (and each
//! test's) apart. The shop runs without Redis, slower: a process starts while Redis is
//! unreachable and takes it up when it answers.

use crate::breaker::{Breaker, Guarded};
use crate::config::Config;
use crate::local_cache::{GENERATION_KEY, LocalCaches, LocalKey};
use redis::RedisError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::Arc;
use std::time::Duration;

/// How long a [`Redis::dedicated`] connection waits for an answer: a blocking command
/// must block for less (the event consumers block [`crate::events::READ_BLOCK`]).
pub const BLOCKING_RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    conn: ConnectionManager,
    breaker: Arc<Breaker>,
    prefix: Arc<str>,
    /// This process's copy of the hottest cached answers ([`crate::local_cache`]).
    local: LocalCaches,
}

impl Redis {
    pub async fn connect(config: &Config) -> Result<Redis, RedisError> {
        Self::connect_url(config.redis_url(), &config.redis_prefix).await
    }

    pub async fn connect_url(url: &str, prefix: &str) -> Result<Redis, RedisError> {
        let client = redis::Client::open(url)?;
        // Short timeouts: when Redis is down a request must fall back to Postgres quickly
        // rather than hang; the manager keeps reconnecting in the background.
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        // Lazily: an unreachable Redis is a degraded start, not a failed one.
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), cfg)?;
        let redis = Redis {
            client,
            conn,
            breaker: Arc::new(Breaker::default()),
            prefix: Arc::from(prefix),
            local: LocalCaches::default(),
        };
        if let Err(err) = redis.ping().await {
            tracing::warn!(error = %err, "Redis is unreachable: starting without it (degraded)");
        }
        Ok(redis)
    }

    /// A key under this process's prefix: `key("ratelimit:login:ip:1.2.3.4")`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The in-process cache in front of this Redis ([`crate::local_cache`]).
    pub fn local(&self) -> &LocalCaches {
        &self.local
    }

    /// The key of a local entry for `rest` (under this process's prefix, as
    /// [`Redis::key`]), in the epoch of the copies now. At most every
    /// [`crate::local_cache::MAX_AGE`] one caller first asks Redis whether any cached
    /// answer changed since, and drops the copies when one did.
    pub async fn local_key(&self, rest: &str) -> LocalKey {
        let watch = &self.local.watch;
        if watch.claim() {
            let mut conn = self.conn();
            let seen = redis::cmd("GET")
                .arg(self.key(GENERATION_KEY))
                .query_async::<Option<i64>>(&mut conn)
                .await
                .map(|g| g.unwrap_or(0))
                .ok();
            if watch.changed(seen) {
                self.local.clear();
            }
        }
        LocalKey {
            key: self.key(rest),
            epoch: watch.epoch.get(),
        }
    }

    /// Add to an invalidation's pipeline the bump that tells every process to drop its
    /// local copies ([`crate::local_cache`]).
    pub fn bump_local_generation(&self, pipe: &mut redis::Pipeline) {
        pipe.cmd("INCR").arg(self.key(GENERATION_KEY)).ignore();
    }

    /// A connection handle; cheap to clone, commands are pipelined over one socket. While
    /// Redis is not answering its calls fail at once (see [`crate::breaker`]).
    pub fn conn(&self) -> Guarded<ConnectionManager> {
        Guarded {
            inner: self.conn.clone(),
            breaker: self.breaker.clone(),
        }
    }

    /// Whether calls to Redis are being refused because it stopped answering.
    pub fn circuit_open(&self) -> bool {
        self.breaker.is_open()
    }

    /// A connection of its own, for blocking commands (`XREADGROUP … BLOCK`): on the shared
    /// multiplexed connection a blocked read would stall every other request behind it.
    /// Its answers may take up to [`BLOCKING_RESPONSE_TIMEOUT`]: the client's default
    /// (500 ms) is no longer than the consumers' block, so every idle read timed out.
    pub async fn dedicated(&self) -> Result<redis::aio::MultiplexedConnection, RedisError> {
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(BLOCKING_RESPONSE_TIMEOUT));
        self.client
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
    }

    pub async fn ping(&self) -> Result<(), RedisError> {
        let mut c = self.conn();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
    }
}
