//! Redis: one multiplexed, self-reconnecting connection per process, and the key prefix
//! that keeps each job's keys (and each test's) apart.

use crate::config::Config;
use redis::RedisError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: Arc<str>,
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
        let conn = ConnectionManager::new_with_config(client.clone(), cfg).await?;
        Ok(Redis {
            client,
            conn,
            prefix: Arc::from(prefix),
        })
    }

    /// A key under this process's prefix: `key("ratelimit:login:ip:1.2.3.4")`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A connection handle; cheap to clone, commands are pipelined over one socket.
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// A connection of its own, for blocking commands (`XREADGROUP … BLOCK`): on the shared
    /// multiplexed connection a blocked read would stall every other request behind it.
    pub async fn dedicated(&self) -> Result<redis::aio::MultiplexedConnection, RedisError> {
        self.client.get_multiplexed_async_connection().await
    }

    pub async fn ping(&self) -> Result<(), RedisError> {
        let mut c = self.conn();
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
    }
}
