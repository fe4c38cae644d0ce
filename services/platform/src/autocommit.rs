//! A second Postgres pool, for statements that run alone, outside any transaction: the
//! storefront's uncached reads, and the cart and checkout statements that stand alone
//! (a cart's lines read, written and quoted; checkout's payment record). It takes a
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
//! Each statement commits on its own (a write too: one statement, one commit). It has no
//! transactions: a `BEGIN` sent through it would stay open on a pooled connection, so a
//! write of several statements goes through the main pool's `begin`.

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult};
use sea_orm::sqlx::{self, Connection, PgConnection, postgres::PgConnectOptions};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use std::sync::Arc;
use std::time::Duration;

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
                // A database error leaves the connection as it was, unless it is the
                // server saying it is closing the connection (a FATAL before the EOF).
                if crate::db::sqlx_connection_error(&e) || !matches!(e, sqlx::Error::Database(_)) {
                    drop(Object::take(conn));
                }
                Err(to_db_err(e))
            }
        }
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

#[async_trait::async_trait]
impl ConnectionTrait for Autocommit {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.with(
            async |c| {
                query(&stmt.sql, stmt.values)
                    .execute(c)
                    .await
                    .map(ExecResult::from)
            },
            exec_err,
        )
        .await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.with(
            async |c| {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(c)
                    .await
                    .map(ExecResult::from)
            },
            exec_err,
        )
        .await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.with(
            async |c| {
                query(&stmt.sql, stmt.values)
                    .fetch_optional(c)
                    .await
                    .map(|r| r.map(QueryResult::from))
            },
            query_err,
        )
        .await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.with(
            async |c| {
                let rows = query(&stmt.sql, stmt.values).fetch_all(c).await?;
                Ok(rows.into_iter().map(QueryResult::from).collect())
            },
            query_err,
        )
        .await
    }
}
