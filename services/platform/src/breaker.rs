//! A circuit breaker in front of Redis. A Redis that stops answering (not dead: silent)
//! costs every call the full response timeout, several times per request. After
//! [`THRESHOLD`] calls in a row have timed out or lost their connection, the breaker opens:
//! for [`COOL_OFF`] every call fails at once, and the callers serve from Postgres as they
//! do when Redis is down. Then one call goes through as a probe: an answer closes the
//! breaker, another failure opens it again.
//!
//! Only failures that say nothing came back count; a Redis error reply (`WRONGTYPE`,
//! `BUSYGROUP`…) is an answer and closes the breaker like any other.

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Consecutive failures that open the breaker.
pub const THRESHOLD: u32 = 3;
/// How long an open breaker refuses calls before it lets a probe through.
pub const COOL_OFF: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Breaker {
    epoch: Instant,
    failures: AtomicU32,
    /// Milliseconds since `epoch` until which calls are refused; 0 while closed.
    open_until_ms: AtomicU64,
    cool_off: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new(COOL_OFF)
    }
}

impl Breaker {
    pub fn new(cool_off: Duration) -> Self {
        Breaker {
            epoch: Instant::now(),
            failures: AtomicU32::new(0),
            open_until_ms: AtomicU64::new(0),
            cool_off,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn later_ms(&self) -> u64 {
        self.now_ms()
            .saturating_add(u64::try_from(self.cool_off.as_millis()).unwrap_or(u64::MAX))
    }

    /// Whether calls are being refused now.
    pub fn is_open(&self) -> bool {
        let until = self.open_until_ms.load(Ordering::Acquire);
        until != 0 && self.now_ms() < until
    }

    /// May a call go ahead? While open, no; once the cool-off is over, exactly one caller
    /// (the probe) may, and the others wait for another cool-off or the probe's answer.
    pub fn allow(&self) -> bool {
        let until = self.open_until_ms.load(Ordering::Acquire);
        if until == 0 {
            return true;
        }
        if self.now_ms() < until {
            return false;
        }
        self.open_until_ms
            .compare_exchange(until, self.later_ms(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Learn from a call's outcome.
    pub fn record<T>(&self, res: &RedisResult<T>) {
        match res {
            Err(e) if no_answer(e) => {
                let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
                let was_open = self.open_until_ms.load(Ordering::Acquire) != 0;
                if failures >= THRESHOLD || was_open {
                    self.open_until_ms.store(self.later_ms(), Ordering::Release);
                    if !was_open {
                        tracing::warn!(
                            failures,
                            cool_off = ?self.cool_off,
                            error = %e,
                            "Redis is not answering: serving without it for a while"
                        );
                    }
                }
            }
            _ => {
                self.failures.store(0, Ordering::Release);
                if self.open_until_ms.swap(0, Ordering::AcqRel) != 0 {
                    tracing::info!("Redis answers again: using it again");
                }
            }
        }
    }
}

/// Nothing came back: a timeout, a refused or dropped connection.
fn no_answer(e: &RedisError) -> bool {
    e.is_timeout() || e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()
}

fn refused() -> RedisError {
    RedisError::from((
        ErrorKind::Io,
        "Redis is not answering; not asked (circuit open)",
    ))
}

/// A connection whose calls go through a [`Breaker`].
#[derive(Clone)]
pub struct Guarded<C> {
    pub(crate) inner: C,
    pub(crate) breaker: Arc<Breaker>,
}

impl<C: ConnectionLike + Send> ConnectionLike for Guarded<C> {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            if !self.breaker.allow() {
                return Err(refused());
            }
            let res = self.inner.req_packed_command(cmd).await;
            self.breaker.record(&res);
            res
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            if !self.breaker.allow() {
                return Err(refused());
            }
            let res = self
                .inner
                .req_packed_commands(pipeline, offset, count)
                .await;
            self.breaker.record(&res);
            res
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout() -> RedisResult<()> {
        Err(RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out",
        )))
    }

    #[test]
    fn opens_after_consecutive_failures_and_closes_on_an_answer() {
        let b = Breaker::new(Duration::from_millis(50));
        for _ in 0..THRESHOLD - 1 {
            assert!(b.allow());
            b.record(&timeout());
        }
        assert!(!b.is_open());
        // An answer in between starts the count again.
        b.record(&Ok(()));
        for _ in 0..THRESHOLD {
            assert!(b.allow());
            b.record(&timeout());
        }
        assert!(b.is_open());
        assert!(!b.allow());
        std::thread::sleep(Duration::from_millis(60));
        // One probe, not two.
        assert!(b.allow());
        assert!(!b.allow());
        // The probe fails: open again.
        b.record(&timeout());
        assert!(b.is_open());
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.allow());
        b.record(&Ok(()));
        assert!(!b.is_open());
        assert!(b.allow() && b.allow());
        // An error reply is an answer.
        b.record::<()>(&Err(RedisError::from((ErrorKind::Client, "WRONGTYPE"))));
        assert!(!b.is_open());
    }
}
