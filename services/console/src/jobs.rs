//! Long work started from a page (a CSV import, a settlement period close, a report
//! download) runs in a task of its own; the page polls its progress with htmx and never
//! waits on it.
//!
//! Progress lives in Redis: a hash `console:job:{kind}:{id}` kept [`TTL_SECS`] after its last change, bound to the account
//! that started it (nobody else can read it). So any console replica answers the poll,
//! whichever replica runs the work. The work itself is durable in the domain: a replica
//! that dies mid-import or mid-close leaves what it committed, and starting again
//! finishes the rest.

use platform::kv::Redis;
use platform::{ApiError, AppState};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use tokio::sync::mpsc;
use uuid::Uuid;

/// A job is forgotten this long after its last change (finished or stalled).
pub const TTL_SECS: i64 = 30 * 60;

pub struct Snapshot<T> {
    pub done: usize,
    pub total: usize,
    /// `Some` once the work has ended.
    pub outcome: Option<T>,
}

impl<T> Snapshot<T> {
    /// Whole percent done, 0 to 100.
    pub fn percent(&self) -> usize {
        (self.done * 100)
            .checked_div(self.total)
            .unwrap_or(0)
            .min(100)
    }
}

/// The jobs of one kind (`import`, `close`), each kind with its own outcome type.
pub struct Jobs<T> {
    kind: &'static str,
    outcome: PhantomData<fn() -> T>,
}

/// Without Redis no job can be started or followed: 503, try again (nothing was done).
fn redis_error(e: redis::RedisError) -> ApiError {
    ApiError::unavailable(e)
}

enum Update {
    Progress { done: usize, total: usize },
    Finish(String),
}

/// What a running job reports its progress through. Reports are written to Redis in
/// order by one task; progress that comes faster than Redis answers is coalesced to the
/// latest.
pub struct Reporter<T> {
    id: Uuid,
    tx: mpsc::UnboundedSender<Update>,
    outcome: PhantomData<fn(T)>,
}

impl<T: Serialize> Reporter<T> {
    pub fn id(&self) -> Uuid {
        self.id
    }

    pub fn progress(&self, done: usize, total: usize) {
        // The writer only stops after `finish`, which takes the reporter.
        let _ = self.tx.send(Update::Progress { done, total });
    }

    pub fn finish(self, outcome: &T) {
        match serde_json::to_string(outcome) {
            Ok(json) => {
                let _ = self.tx.send(Update::Finish(json));
            }
            Err(err) => tracing::error!(error = %err, job = %self.id, "job outcome not kept"),
        }
    }
}

impl<T> Jobs<T> {
    pub const fn new(kind: &'static str) -> Jobs<T> {
        Jobs {
            kind,
            outcome: PhantomData,
        }
    }

    fn key(&self, redis: &Redis, id: Uuid) -> String {
        redis.key(&format!("console:job:{}:{id}", self.kind))
    }

    /// A new job of `owner`'s with `total` steps known so far.
    pub async fn start(
        &self,
        state: &AppState,
        owner: Uuid,
        total: usize,
    ) -> Result<Reporter<T>, ApiError> {
        let id = Uuid::now_v7();
        let key = self.key(&state.redis, id);
        let mut conn = state.redis.conn();
        redis::pipe()
            .hset_multiple(
                &key,
                &[
                    ("owner", owner.to_string()),
                    ("done", "0".into()),
                    ("total", total.to_string()),
                ],
            )
            .ignore()
            .expire(&key, TTL_SECS)
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(redis_error)?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_updates(state.redis.clone(), key, id, total, rx));
        Ok(Reporter {
            id,
            tx,
            outcome: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Jobs<T> {
    /// The job's progress, for its owner only: another account's job, or one forgotten,
    /// is `None`.
    pub async fn get(
        &self,
        state: &AppState,
        id: Uuid,
        owner: Uuid,
    ) -> Result<Option<Snapshot<T>>, ApiError> {
        let mut conn = state.redis.conn();
        let fields: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.key(&state.redis, id))
            .arg(&["owner", "done", "total", "outcome"])
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        let [Some(o), done, total, outcome] = fields.as_slice() else {
            return Ok(None);
        };
        if *o != owner.to_string() {
            return Ok(None);
        }
        let number = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        let outcome = match outcome {
            Some(json) => Some(
                serde_json::from_str(json)
                    .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?,
            ),
            None => None,
        };
        Ok(Some(Snapshot {
            done: number(done),
            total: number(total),
            outcome,
        }))
    }
}

/// Write a job's reports to its hash in the order they were made, until it finishes.
async fn write_updates(
    redis: Redis,
    key: String,
    id: Uuid,
    mut total: usize,
    mut rx: mpsc::UnboundedReceiver<Update>,
) {
    let mut done = 0;
    while let Some(mut update) = rx.recv().await {
        while let Ok(next) = rx.try_recv() {
            update = next;
        }
        let mut fields = Vec::with_capacity(3);
        let finished = match update {
            Update::Progress { done: d, total: t } => {
                (done, total) = (d, t);
                false
            }
            Update::Finish(json) => {
                done = total.max(done);
                fields.push(("outcome", json));
                true
            }
        };
        fields.push(("done", done.to_string()));
        fields.push(("total", total.to_string()));
        let mut conn = redis.conn();
        let written = redis::pipe()
            .hset_multiple(&key, &fields)
            .ignore()
            .expire(&key, TTL_SECS)
            .ignore()
            .query_async::<()>(&mut conn)
            .await;
        if let Err(err) = written {
            tracing::warn!(error = %err, job = %id, "job progress not stored");
        }
        if finished {
            break;
        }
    }
}
