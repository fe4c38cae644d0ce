//! Long work started from a page (a CSV import, a settlement period close) runs in a
//! task of its own; the page polls its progress with htmx and never waits on it.
//!
//! Progress lives in this process, keyed by an id and bound to the account that
//! started it (nobody else can read it). With several console replicas, the console's
//! Ingress keeps a browser on one replica (cookie affinity, infra/k8s/40-ingress.yaml).
//! The work itself is durable in the domain: a replica that dies mid-import or mid-close
//! leaves what it committed, and starting again finishes the rest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Finished jobs are forgotten after this long.
const KEEP: Duration = Duration::from_secs(3600);

#[derive(Clone)]
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

struct Job<T> {
    owner: Uuid,
    started: Instant,
    snapshot: Snapshot<T>,
}

/// The jobs of one kind.
pub struct Jobs<T> {
    inner: Mutex<HashMap<Uuid, Job<T>>>,
}

impl<T: Clone + Send + 'static> Default for Jobs<T> {
    fn default() -> Self {
        Jobs {
            inner: Mutex::new(HashMap::new()),
        }
    }
}

/// What a running job reports its progress through.
pub struct Reporter<T: Clone + Send + 'static> {
    jobs: Arc<Jobs<T>>,
    id: Uuid,
}

impl<T: Clone + Send + 'static> Reporter<T> {
    pub fn id(&self) -> Uuid {
        self.id
    }

    pub fn progress(&self, done: usize, total: usize) {
        self.jobs.update(self.id, |s| {
            s.done = done;
            s.total = total;
        });
    }

    pub fn finish(&self, outcome: T) {
        self.jobs.update(self.id, |s| {
            s.done = s.total.max(s.done);
            s.outcome = Some(outcome);
        });
    }
}

impl<T: Clone + Send + 'static> Jobs<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Job<T>>> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, id: Uuid, f: impl FnOnce(&mut Snapshot<T>)) {
        if let Some(j) = self.lock().get_mut(&id) {
            f(&mut j.snapshot);
        }
    }

    /// A new job of `owner`'s with `total` steps known so far.
    pub fn start(self: &Arc<Self>, owner: Uuid, total: usize) -> Reporter<T> {
        let id = Uuid::now_v7();
        let mut map = self.lock();
        map.retain(|_, j| j.snapshot.outcome.is_none() || j.started.elapsed() < KEEP);
        map.insert(
            id,
            Job {
                owner,
                started: Instant::now(),
                snapshot: Snapshot {
                    done: 0,
                    total,
                    outcome: None,
                },
            },
        );
        Reporter {
            jobs: Arc::clone(self),
            id,
        }
    }

    /// The job's progress, for its owner only.
    pub fn get(&self, id: Uuid, owner: Uuid) -> Option<Snapshot<T>> {
        self.lock()
            .get(&id)
            .filter(|j| j.owner == owner)
            .map(|j| j.snapshot.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_its_owners_and_ends_with_the_outcome() {
        let jobs: Arc<Jobs<&'static str>> = Arc::default();
        let owner = Uuid::now_v7();
        let r = jobs.start(owner, 4);
        r.progress(1, 4);
        let s = jobs.get(r.id(), owner).expect("own job");
        assert_eq!((s.done, s.percent(), s.outcome), (1, 25, None));
        assert!(
            jobs.get(r.id(), Uuid::now_v7()).is_none(),
            "another account"
        );
        r.finish("ok");
        let s = jobs.get(r.id(), owner).expect("own job");
        assert_eq!((s.done, s.percent(), s.outcome), (4, 100, Some("ok")));
    }
}
