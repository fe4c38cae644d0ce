//! A second Postgres pool, for the hot paths: statements that run alone, outside any
//! transaction (the storefront's uncached reads; a cart's lines read, written and quoted;
//! checkout's payment record), and checkout's transaction ([`Txn`]). It takes a
//! connection back without a round trip.
//!
//! sqlx's pool, under sea-orm's [`sea_orm::DatabaseConnection`], pings every connection it
//! takes back (a `Sync`, then it waits for `ReadyForQuery`), in a task of its own, and
//! cannot be told not to. A statement outside a transaction therefore costs Postgres two
//! wake-ups, and the server two sends and a task, where one would do: a cart line's write
//! was four statements when this pool came, so four pings. Here a connection goes back as
//! it is:
//! - a statement cut off half-way (its request was cancelled) leaves answers behind, which
//!   sqlx reads off before the connection's next statement;
//! - a connection whose statement failed other than in the database (a reset, a
//!   protocol error, the server closing it) is dropped, not returned;
//! - one idle for [`IDLE_PING`] is pinged before it is used, as the main pool does
//!   (`platform::db::connect_url`).
//!
//! It is as large as the main pool and connects as it does ([`Autocommit::beside`]), so a
//! process may hold twice `JIKGU_DB_MAX_CONNECTIONS` connections.
//!
//! [`Autocommit`] is a [`ConnectionTrait`], so functions that take one run on it unchanged.
//! Each statement commits on its own (a write too: one statement, one commit). A `BEGIN`
//! sent through it as a statement would stay open on a pooled connection; a transaction
//! is [`Autocommit::begin`]'s [`Txn`] instead, which holds its connection until it commits
//! or rolls back (rolled back when dropped, as sea-orm's are). Checkout's transaction runs
//! here, on the connections cart writes use: on a pool of its own, the checkout bench's
//! customers all queued at checkout (p99 about 150 ms against about 65 ms shared;
//! `infra/bench/README.md`, twenty-first session), and here it saves the ping's round
//! trip besides. [`Begins`] lets a function begin on either pool.
//!
//! Cart work yields to checkouts: it runs on the handle [`Autocommit::yielding`] gives,
//! whose statements and transactions hold at most [`yielding_share`] of the connections
//! at once. In one queue served in arrival order every request waited about as long:
//! under the checkout bench, some 30 ms for a connection, a checkout (the request that
//! completes a sale) as long as a cart edit, and checkout's p99 was the queue's (51-98 ms;
//! 24-28 ms with the share, the thirty-seventh session). Now a checkout waits behind
//! other checkouts and at most a few cart statements, and cart work waits in its own line
//! for the rest; its share is never zero, and its line is served in arrival order, so it
//! waits longer under load but never forever.

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult, Timeouts};
use sea_orm::sqlx::{self, Connection, PgConnection, postgres::PgConnectOptions};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, RuntimeErr, Statement, TransactionSession, TransactionTrait, Values,
};
use sea_query_sqlx::SqlxValues;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

/// A connection idle this long may have been closed by the server, a proxy or a firewall:
/// it is pinged before it is used.
pub const IDLE_PING: Duration = Duration::from_secs(30);

/// The pool; cheap to clone.
#[derive(Clone)]
pub struct Autocommit {
    pool: managed::Pool<Connector>,
    /// The connections yielding work may hold at once, shared by every handle.
    share: Arc<Semaphore>,
    /// Whether this handle's work yields ([`Autocommit::yielding`]).
    yields: bool,
}

/// Of a pool of `max` connections, how many yielding work may hold at once: all but a
/// third (never none), so that a transaction finds a connection free or queues behind a
/// few yielding statements at most. A pool of 7, the bench's on two cores, keeps 2.
pub fn yielding_share(max: usize) -> usize {
    (max - max / 3).max(1)
}

struct Connector {
    options: PgConnectOptions,
}

impl managed::Manager for Connector {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.options).await
    }

    async fn recycle(
        &self,
        conn: &mut PgConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() >= IDLE_PING {
            conn.ping().await?;
        }
        Ok(())
    }
}

impl Autocommit {
    /// A pool beside `db`'s: to the same database with the same options, as large, and
    /// waited for as long. Connections are opened when first wanted.
    ///
    /// # Panics
    /// When `db` is not a Postgres pool (Jikgu has no other).
    pub fn beside(db: &DatabaseConnection) -> Autocommit {
        let main = db.get_postgres_connection_pool();
        let options = main.options();
        let max = options.get_max_connections() as usize;
        let pool = managed::Pool::builder(Connector {
            options: main.connect_options().as_ref().clone(),
        })
        .max_size(max)
        .wait_timeout(Some(options.get_acquire_timeout()))
        .create_timeout(Some(options.get_acquire_timeout()))
        .recycle_timeout(Some(options.get_acquire_timeout()))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        // Building fails only when timeouts are set without a runtime.
        .expect("the autocommit pool has a runtime for its timeouts");
        Autocommit {
            pool,
            share: Arc::new(Semaphore::new(yielding_share(max))),
            yields: false,
        }
    }

    /// This pool, for work that yields to the rest: its statements and transactions
    /// together hold at most [`yielding_share`] of the connections.
    pub fn yielding(&self) -> Autocommit {
        Autocommit {
            yields: true,
            ..self.clone()
        }
    }

    /// A place in the yielding work's share (for a handle whose work yields) and a
    /// connection, both within one acquire timeout: a statement that waited for its place
    /// waits only for what is left of it for the connection, so no caller waits longer than
    /// the pool's timeout says, whichever handle it uses.
    async fn place(&self) -> Result<(Option<OwnedSemaphorePermit>, Object<Connector>), DbErr> {
        let timeouts = self.pool.timeouts();
        let started = Instant::now();
        let turn = if self.yields {
            let wait = timeouts.wait.unwrap_or(Duration::MAX);
            match tokio::time::timeout(wait, self.share.clone().acquire_owned()).await {
                Ok(Ok(permit)) => Some(permit),
                // The semaphore is never closed.
                Ok(Err(_)) => {
                    return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed));
                }
                Err(_) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            }
        } else {
            None
        };
        let left = Timeouts {
            wait: timeouts.wait.map(|w| w.saturating_sub(started.elapsed())),
            ..timeouts
        };
        let conn = self.pool.timeout_get(&left).await.map_err(|e| match e {
            PoolError::Backend(e) => conn_err(e),
            PoolError::Closed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            _ => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        })?;
        Ok((turn, conn))
    }

    /// Runs `run` on a pooled connection; a connection that failed outside the database
    /// is not returned.
    async fn with<T, F>(&self, run: F, to_db_err: fn(sqlx::Error) -> DbErr) -> Result<T, DbErr>
    where
        F: AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    {
        let (_turn, mut conn) = self.place().await?;
        match run(&mut conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                if !keeps(&e) {
                    drop(Object::take(conn));
                }
                Err(to_db_err(e))
            }
        }
    }

    /// Begin a transaction on a connection of this pool.
    pub async fn begin(&self) -> Result<Txn, DbErr> {
        let (turn, conn) = self.place().await?;
        let mut conn = Unsure(Some(conn));
        simple(conn.get(), "BEGIN").await.map_err(exec_err)?;
        Ok(Txn {
            conn: Mutex::new(conn.sure()),
            turn,
        })
    }
}

/// Whether a connection whose statement failed with `e` may serve another. A database
/// error leaves the connection as it was, unless it is the server saying it is closing the
/// connection (a FATAL before the EOF).
fn keeps(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(_)) && !crate::db::sqlx_connection_error(e)
}

/// A connection whose state is not known while a `BEGIN`, `COMMIT` or `ROLLBACK` is on its
/// way: a future cut off there (or an error) would return it to the pool inside a
/// transaction, or not knowing whether it is in one, so unless [`Unsure::sure`] is called
/// it is closed, not returned (Postgres rolls back what a closed connection left open).
struct Unsure(Option<Object<Connector>>);

impl Unsure {
    fn get(&mut self) -> &mut PgConnection {
        self.0.as_mut().expect("taken only by sure")
    }

    fn sure(mut self) -> Option<Object<Connector>> {
        self.0.take()
    }
}

impl Drop for Unsure {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(Object::take(conn));
        }
    }
}

async fn simple(conn: &mut PgConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(conn)
        .await
        .map(drop)
}

/// A transaction on an [`Autocommit`] connection, begun by [`Autocommit::begin`]. Its
/// statements run in order on its one connection; [`TransactionSession::commit`] ends it
/// and gives the connection back without a ping. Dropped open (an early return, a request
/// cut off), it is rolled back in a task of its own before the connection goes back.
pub struct Txn {
    /// `None` once it has ended, or lost its connection.
    conn: Mutex<Option<Object<Connector>>>,
    /// Its place in the yielding work's share, when it was begun on such a handle: given
    /// back with the connection.
    turn: Option<OwnedSemaphorePermit>,
}

impl Txn {
    async fn with<T, F>(&self, run: F, to_db_err: fn(sqlx::Error) -> DbErr) -> Result<T, DbErr>
    where
        F: AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    {
        let mut held = self.conn.lock().await;
        let Some(conn) = held.as_mut() else {
            return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed));
        };
        match run(conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                if !keeps(&e)
                    && let Some(conn) = held.take()
                {
                    drop(Object::take(conn));
                }
                Err(to_db_err(e))
            }
        }
    }

    async fn end(mut self, sql: &'static str) -> Result<(), DbErr> {
        let Some(conn) = self.conn.get_mut().take() else {
            return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed));
        };
        let mut conn = Unsure(Some(conn));
        match simple(conn.get(), sql).await {
            Ok(()) => {
                conn.sure();
                Ok(())
            }
            // A COMMIT refused by the database (a deferred constraint) ends the
            // transaction all the same.
            Err(e) if keeps(&e) => {
                conn.sure();
                Err(exec_err(e))
            }
            Err(e) => Err(exec_err(e)),
        }
    }
}

impl Drop for Txn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.get_mut().take() else {
            return;
        };
        let mut conn = Unsure(Some(conn));
        let turn = self.turn.take();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if simple(conn.get(), "ROLLBACK").await.is_ok() {
                    conn.sure();
                }
                drop(turn);
            });
        }
    }
}

#[async_trait::async_trait]
impl TransactionSession for Txn {
    async fn commit(self) -> Result<(), DbErr> {
        self.end("COMMIT").await
    }

    async fn rollback(self) -> Result<(), DbErr> {
        self.end("ROLLBACK").await
    }
}

/// A pool a transaction can begin on: sea-orm's, or [`Autocommit`].
pub trait Begins: ConnectionTrait + Sync {
    type Txn: ConnectionTrait + TransactionSession + Send + Sync;

    fn begin_txn(&self) -> impl Future<Output = Result<Self::Txn, DbErr>> + Send;
}

impl Begins for Autocommit {
    type Txn = Txn;

    fn begin_txn(&self) -> impl Future<Output = Result<Txn, DbErr>> + Send {
        self.begin()
    }
}

impl Begins for DatabaseConnection {
    type Txn = DatabaseTransaction;

    fn begin_txn(&self) -> impl Future<Output = Result<DatabaseTransaction, DbErr>> + Send {
        TransactionTrait::begin(self)
    }
}

// sqlx's errors as sea-orm's own pool gives them, so that callers (and `platform::error`)
// judge them alike.
fn exec_err(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))
}

/// The statement's values move into the query (the statement is ours, so no copy).
fn query(sql: &str, values: Option<Values>) -> sqlx::query::Query<'_, sqlx::Postgres, SqlxValues> {
    let values = values.unwrap_or(Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(sql), SqlxValues(values))
}

async fn execute_on(c: &mut PgConnection, stmt: Statement) -> Result<ExecResult, sqlx::Error> {
    query(&stmt.sql, stmt.values)
        .execute(c)
        .await
        .map(ExecResult::from)
}

async fn execute_unprepared_on(c: &mut PgConnection, sql: &str) -> Result<ExecResult, sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(c)
        .await
        .map(ExecResult::from)
}

async fn one_on(c: &mut PgConnection, stmt: Statement) -> Result<Option<QueryResult>, sqlx::Error> {
    query(&stmt.sql, stmt.values)
        .fetch_optional(c)
        .await
        .map(|r| r.map(QueryResult::from))
}

async fn all_on(c: &mut PgConnection, stmt: Statement) -> Result<Vec<QueryResult>, sqlx::Error> {
    let rows = query(&stmt.sql, stmt.values).fetch_all(c).await?;
    Ok(rows.into_iter().map(QueryResult::from).collect())
}

/// The pool and a transaction run statements alike, each through its own `with`.
macro_rules! connection_trait {
    ($t:ty) => {
        #[async_trait::async_trait]
        impl ConnectionTrait for $t {
            fn get_database_backend(&self) -> DbBackend {
                DbBackend::Postgres
            }

            async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
                self.with(async |c| execute_on(c, stmt).await, exec_err)
                    .await
            }

            async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
                self.with(async |c| execute_unprepared_on(c, sql).await, exec_err)
                    .await
            }

            async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
                self.with(async |c| one_on(c, stmt).await, query_err).await
            }

            async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
                self.with(async |c| all_on(c, stmt).await, query_err).await
            }
        }
    };
}

connection_trait!(Autocommit);
connection_trait!(Txn);

#[cfg(test)]
mod tests {
    use super::yielding_share;

    #[test]
    fn yielding_work_leaves_a_third_of_the_pool_and_never_has_none() {
        let shares: Vec<usize> = [1, 2, 3, 7, 10].map(yielding_share).to_vec();
        assert_eq!(shares, [1, 2, 2, 5, 7]);
    }
}
