//! Fixed-window counters in Redis: login attempts, coupon guessing, checkouts and drop
//! claims.
//!
//! An attempt is counted *before* it is tried, in one atomic step (`INCR`, and the
//! window's expiry on the first hit, in one script), and refused when the count is over
//! the limit. Checking first and counting after the attempt let any number of concurrent
//! attempts through while the first were still being tried. An attempt that turns out not
//! to count (a right password, a coupon code that exists) is given back with [`release`].
//!
//! When Redis is unreachable the limiter lets the request through (and logs): the shop
//! keeps selling while Redis is down, and a brute-force window of a few minutes against
//! argon2id is acceptable.

use crate::kv::Redis;
use redis::{Script, ScriptInvocation};
use std::sync::LazyLock;
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

/// Count, set the window on the first hit (or on a key that somehow lost it), and return
/// the count with the milliseconds the window has left.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
",
    )
});

/// Count a distinct attempt: one already counted in this window (a retry under the same
/// `Idempotency-Key`) is let through without counting again; a new one is recorded only
/// while the window has room. Returns the count (0 for a retry) and the window's ms left.
static ACQUIRE_DISTINCT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 1 then return {0, 0} end
local n = redis.call('SCARD', KEYS[1]) + 1
local ttl = redis.call('PTTL', KEYS[1])
if n > tonumber(ARGV[3]) then return {n, ttl} end
redis.call('SADD', KEYS[1], ARGV[2])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
",
    )
});

/// Give one back, never below zero and never creating a key (which would have no expiry).
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
",
    )
});

fn full_key(redis: &Redis, key: &str) -> String {
    redis.key(&format!("ratelimit:{key}"))
}

fn period_ms(window: &Window) -> u64 {
    u64::try_from(window.period.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Count this attempt against `key` and say whether it may go ahead: at most
/// `window.limit` attempts per window are allowed, however many arrive at once.
pub async fn acquire(redis: &Redis, key: &str, window: &Window) -> Verdict {
    let key = full_key(redis, key);
    let mut script = ACQUIRE.key(&key);
    script.arg(period_ms(window));
    verdict(redis, script, window).await
}

/// Count the attempt named `attempt` against `key`, once per window however often it is
/// retried: at most `window.limit` distinct attempts per window go ahead, however many
/// arrive at once, and a retry of one that went ahead is never refused.
pub async fn acquire_distinct(redis: &Redis, key: &str, attempt: &str, window: &Window) -> Verdict {
    let key = full_key(redis, key);
    let mut script = ACQUIRE_DISTINCT.key(&key);
    script.arg(period_ms(window)).arg(attempt).arg(window.limit);
    verdict(redis, script, window).await
}

/// Runs a script by its hash (`EVALSHA`, loading it once when Redis does not know it), so
/// that a checkout does not send the script's text and Redis does not hash it again.
async fn verdict(redis: &Redis, script: ScriptInvocation<'_>, window: &Window) -> Verdict {
    let mut conn = redis.conn();
    let res: redis::RedisResult<(u64, i64)> = script.invoke_async(&mut conn).await;
    let period_ms = period_ms(window);
    match res {
        Ok((count, _)) if count <= u64::from(window.limit) => Verdict::Allowed,
        Ok((_, ttl_ms)) => {
            let ms = u64::try_from(ttl_ms).unwrap_or(period_ms);
            Verdict::Limited(ms.div_ceil(1000).max(1))
        }
        Err(err) => {
            tracing::warn!(error = %err, "rate limiter unavailable; allowing");
            Verdict::Allowed
        }
    }
}

/// Give back an attempt counted by [`acquire`] that turned out not to count.
pub async fn release(redis: &Redis, key: &str) {
    let key = full_key(redis, key);
    let mut conn = redis.conn();
    let res: redis::RedisResult<i64> = RELEASE.key(&key).invoke_async(&mut conn).await;
    if let Err(err) = res {
        tracing::warn!(error = %err, "rate limiter unavailable; not released");
    }
}

pub async fn reset(redis: &Redis, key: &str) {
    let key = full_key(redis, key);
    let mut conn = redis.conn();
    let res: redis::RedisResult<()> = redis::cmd("DEL").arg(&key).query_async(&mut conn).await;
    if let Err(err) = res {
        tracing::warn!(error = %err, "rate limiter unavailable; not reset");
    }
}
