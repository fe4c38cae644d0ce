//! Fixed-window counters in Redis: `INCR` plus an expiry set on the first hit. Used for
//! login failures, checkout and coupon guessing.
//!
//! When Redis is unreachable the limiter lets the request through (and logs): the shop
//! keeps selling while Redis is down, and a brute-force window of a few minutes against
//! argon2id is acceptable.

use crate::kv::Redis;
use std::time::Duration;

pub struct Window {
    pub limit: u32,
    pub period: Duration,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; retry after this many seconds.
    Limited(u64),
}

/// Is `key` already at its limit? (Does not count this attempt.)
pub async fn check(redis: &Redis, key: &str, window: &Window) -> Verdict {
    let key = redis.key(&format!("ratelimit:{key}"));
    let mut conn = redis.conn();
    let res: redis::RedisResult<(Option<u32>, i64)> = redis::pipe()
        .cmd("GET")
        .arg(&key)
        .cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await;
    match res {
        Ok((Some(count), ttl)) if count >= window.limit => Verdict::Limited(if ttl > 0 {
            ttl as u64
        } else {
            window.period.as_secs()
        }),
        Ok(_) => Verdict::Allowed,
        Err(err) => {
            tracing::warn!(error = %err, "rate limiter unavailable; allowing");
            Verdict::Allowed
        }
    }
}

/// Count one hit against `key`.
pub async fn hit(redis: &Redis, key: &str, window: &Window) {
    let key = redis.key(&format!("ratelimit:{key}"));
    let mut conn = redis.conn();
    let res: redis::RedisResult<()> = redis::pipe()
        .cmd("INCR")
        .arg(&key)
        .ignore()
        .cmd("EXPIRE")
        .arg(&key)
        .arg(window.period.as_secs().max(1))
        .arg("NX")
        .ignore()
        .query_async(&mut conn)
        .await;
    if let Err(err) = res {
        tracing::warn!(error = %err, "rate limiter unavailable; not counted");
    }
}

pub async fn reset(redis: &Redis, key: &str) {
    let key = redis.key(&format!("ratelimit:{key}"));
    let mut conn = redis.conn();
    let res: redis::RedisResult<()> = redis::cmd("DEL").arg(&key).query_async(&mut conn).await;
    if let Err(err) = res {
        tracing::warn!(error = %err, "rate limiter unavailable; not reset");
    }
}
