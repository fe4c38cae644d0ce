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
//! here so that checkouts and cart writes wait in one queue for one set of connections:
//! on a pool of its own, the checkout bench's customers all queued at checkout (p99 about
//! 150 ms against about 65 ms shared; `infra/bench/README.md`, twenty-first session), and
//! it saves the ping's round trip besides. [`Begins`] lets a function begin on either
//! pool.

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult};
use sea_orm::sqlx::{self, Connection, PgConnection, postgres::PgConnectOptions};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, RuntimeErr, Statement, TransactionSession, TransactionTrait, Values,
};
use sea_query_sqlx::SqlxValues;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// A connection idle this long may have been closed by the server, a proxy or a firewall:
/// it is pinged before it is used.
pub const IDLE_PING: Duration = Duration::from_secs(30);

/// The pool; cheap to clone.
#[derive(Clone)]
pub struct Autocommit {
    pool: managed::Pool<Connector>,
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
        let pool = managed::Pool::builder(Connector {
            options: main.connect_options().as_ref().clone(),
        })
        .max_size(options.get_max_connections() as usize)
        .wait_timeout(Some(options.get_acquire_timeout()))
        .create_timeout(Some(options.get_acquire_timeout()))
        .recycle_timeout(Some(options.get_acquire_timeout()))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        // Building fails only when timeouts are set without a runtime.
        .expect("the autocommit pool has a runtime for its timeouts");
        Autocommit { pool }
    }

    async fn conn(&self) -> Result<Object<Connector>, DbErr> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => conn_err(e),
            PoolError::Closed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
            _ => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        })
    }

    /// Runs `run` on a pooled connection; a connection that failed outside the database
    /// is not returned.
    async fn with<T, F>(&self, run: F, to_db_err: fn(sqlx::Error) -> DbErr) -> Result<T, DbErr>
    where
        F: AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    {
        let mut conn = self.conn().await?;
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
        let mut conn = Unsure(Some(self.conn().await?));
        simple(conn.get(), "BEGIN").await.map_err(exec_err)?;
        Ok(Txn {
            conn: Mutex::new(conn.sure()),
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
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if simple(conn.get(), "ROLLBACK").await.is_ok() {
                    conn.sure();
                }
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
