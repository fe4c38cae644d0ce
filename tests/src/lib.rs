//! Test support: every test gets its own database (cloned from a migrated template), its
//! own Redis key prefix, and the real app served on port 0 with an HTTP client. Tests run
//! in parallel and never see each other's data.

pub mod browser;
pub mod console;
pub mod database;
pub mod fixtures;
pub mod http;
pub mod openapi_doc;
pub mod organisations;

use platform::AppState;
use platform::accounts::input::{Email, NewPassword};
use platform::accounts::service::{self, NewAccount};
use platform::auth::Role;
use platform::config::Config;
use platform::kv::Redis;
use std::net::SocketAddr;
use std::sync::Arc;
use uuid::Uuid;

pub use http::{Client, Reply};

/// The secret every test app of this run signs tokens with (several processes of one test
/// must agree): random per run, so no key in the source opens anything.
pub static TEST_JWT_SECRET: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(platform::config::random_secret);

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: Client,
    pub db: database::TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Where the test with `redis_prefix` stores uploaded images.
pub fn media_dir(redis_prefix: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("jikgu-media-{}", redis_prefix.replace(':', "-")))
}

/// A config pointing at this test's database and Redis prefix.
pub fn test_config(database_url: &str, redis_prefix: &str) -> Config {
    let mut cfg = Config::from_source(&[("JIKGU_JWT_SECRET", TEST_JWT_SECRET.as_str())])
        .expect("test config is valid");
    cfg.database_url = database_url.to_owned().into();
    if let Ok(url) = std::env::var("REDIS_URL") {
        cfg.redis_url = url.into();
    }
    cfg.redis_prefix = redis_prefix.to_owned();
    // Uploaded images of this test go to a directory of its own (removed with the app).
    cfg.media.storage = platform::config::MediaStorage::Local {
        dir: media_dir(redis_prefix),
    };
    cfg.db_max_connections = 10;
    // Race tests queue hundreds of requests on a few connections while other tests load
    // the machine: waiting is expected there, a 503 is not.
    cfg.db_acquire_timeout = std::time::Duration::from_secs(30);
    cfg
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(jikgu::Service::All, |_| {}).await
}

/// Start `service` on port 0 against a fresh database; `tweak` adjusts its config.
pub async fn spawn_app_with(service: jikgu::Service, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let db = database::TestDb::create().await;
    let prefix = format!("test:{}:", Uuid::now_v7().simple());
    let mut cfg = test_config(&db.url, &prefix);
    tweak(&mut cfg);
    let state = jikgu::startup::connect(Arc::new(cfg))
        .await
        .expect("test app connects to Postgres and Redis");
    serve_state(state, service, db).await
}

/// The whole shop against a fresh database with the orders settings `orders` (a payment
/// gateway pointed at a local fake, say) instead of the environment's.
pub async fn spawn_app_with_orders(orders: orders::context::OrdersContext) -> TestApp {
    let db = database::TestDb::create().await;
    let prefix = format!("test:{}:", Uuid::now_v7().simple());
    let cfg = test_config(&db.url, &prefix);
    let state = jikgu::startup::connect(Arc::new(cfg))
        .await
        .expect("test app connects to Postgres and Redis");
    let search = search::from_env(&state).await.expect("search backend");
    let media = catalog::media::Media::from_config(&state.config.media).expect("media store");
    let rt = jikgu::Runtime::with(&state, orders, search, media);
    serve(
        state,
        jikgu::Service::All,
        db,
        move |state, listener, service, shutdown| {
            jikgu::serve_with_runtime(state, listener, service, rt, shutdown)
        },
    )
    .await
}

pub async fn serve_state(
    state: AppState,
    service: jikgu::Service,
    db: database::TestDb,
) -> TestApp {
    serve(state, service, db, jikgu::serve_with_state).await
}

/// A Redis URL at a free port nobody listens on: Redis is down.
pub fn unanswered_redis_url() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    format!("redis://{addr}")
}

/// A test app whose Redis is down ([`unanswered_redis_url`]).
pub async fn spawn_app_without_redis() -> TestApp {
    spawn_app_with(jikgu::Service::All, |cfg| {
        cfg.redis_url = unanswered_redis_url().into();
    })
    .await
}

/// The `n` column of the one row `sql` (given `values`) returns on `db`: a count, a sum.
pub async fn scalar(
    db: &sea_orm::DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> i64 {
    use sea_orm::ConnectionTrait;
    db.query_one_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        sql,
        values,
    ))
    .await
    .expect("query")
    .expect("row")
    .try_get("", "n")
    .expect("n")
}

/// A second process of the same shop: same database, same Redis keys.
pub async fn replica(app: &TestApp) -> TestApp {
    let cfg = test_config(&app.db.url, app.redis().prefix());
    let state = jikgu::startup::connect(std::sync::Arc::new(cfg))
        .await
        .expect("replica connects");
    let unused = database::TestDb::create().await;
    serve_state(state, jikgu::Service::All, unused).await
}

async fn serve<F, Fut>(
    state: AppState,
    service: jikgu::Service,
    db: database::TestDb,
    run: F,
) -> TestApp
where
    F: FnOnce(
        AppState,
        tokio::net::TcpListener,
        jikgu::Service,
        std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    ) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(
        state.clone(),
        listener,
        service,
        Box::pin(async move {
            let _ = rx.await;
        }),
    ));
    TestApp {
        addr,
        client: Client::new(format!("http://{addr}")),
        state,
        db,
        stop: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    /// The app's pool, counting every statement sent through the handle it returns (a
    /// connection of its own: the server's requests are not counted).
    pub fn counting_statements(
        &self,
    ) -> (
        sea_orm::DatabaseConnection,
        Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let mut db = self.state.db.clone();
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = n.clone();
        db.set_metric_callback(move |_| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        (db, n)
    }

    /// A test app whose services run elsewhere (processes of their own): fixtures go
    /// through `state`, which runs no server and no worker, and `client` talks to `addr`,
    /// the process that serves `/v1/auth` (the catalog). Dropping it forgets the Redis
    /// prefix and drops the database, so stop the processes first.
    pub fn detached(state: AppState, db: database::TestDb, addr: SocketAddr) -> TestApp {
        TestApp {
            addr,
            client: Client::new(format!("http://{addr}")),
            state,
            db,
            stop: None,
            server: None,
        }
    }

    pub fn redis(&self) -> &Redis {
        &self.state.redis
    }

    /// The event streams of this test's Redis prefix: one per topic published or
    /// followed so far.
    pub async fn event_streams(&self) -> Vec<String> {
        redis::cmd("KEYS")
            .arg(platform::outbox::stream_key(self.redis(), "*"))
            .query_async(&mut self.redis().conn())
            .await
            .unwrap_or_default()
    }

    /// The `n` column of the one row `sql` (given `values`) returns ([`scalar`]).
    pub async fn scalar(&self, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
        scalar(&self.state.db, sql, values).await
    }

    /// The events of `topic` published so far, oldest first, once everything committed is
    /// out: each one's aggregate and payload, as its stream carries them. (The relay
    /// deletes what it published from the outbox: the stream is where an event is read.)
    pub async fn published(&self, topic: &str) -> Vec<(Uuid, serde_json::Value)> {
        self.settle().await;
        let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(platform::outbox::stream_key(self.redis(), topic))
            .arg("-")
            .arg("+")
            .query_async(&mut self.redis().conn())
            .await
            .expect("xrange");
        entries
            .ids
            .iter()
            .map(|e| {
                let aggregate: String = e.get("aggregate_id").expect("aggregate_id");
                let payload: String = e.get("payload").expect("payload");
                (
                    aggregate.parse().expect("aggregate uuid"),
                    serde_json::from_str(&payload).expect("payload json"),
                )
            })
            .collect()
    }

    /// Create an account directly (as an admin would) and return a client logged in as it.
    pub async fn account(&self, role: Role, vendor_id: Option<Uuid>) -> (Client, Uuid) {
        let email = format!("{}-{}@test.jikgu.kr", role, Uuid::now_v7().simple());
        let password = "correct-horse-battery";
        let u = service::create_account(
            &self.state.db,
            NewAccount {
                email: Email::parse(&email, "email").expect("valid email"),
                password: NewPassword::parse(password.into(), "password").expect("valid"),
                display_name: format!("test {role}"),
                role,
                vendor_id,
            },
        )
        .await
        .expect("create account");
        let reply = self
            .client
            .post(
                "/v1/auth/login",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(reply.status, 200, "login failed: {}", reply.body);
        let token = reply.json["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
        (self.client.with_token(&token), u.id)
    }

    /// Wait until every committed event is published and every consumer group has handled
    /// it, so that a test observes a settled system (e.g. before warming a cache).
    pub async fn settle(&self) {
        use sea_orm::ConnectionTrait;
        for _ in 0..100 {
            let mut unpublished = 0i64;
            for schema in platform::outbox::Schema::ALL {
                let row = self
                    .state
                    .db
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        format!(
                            "SELECT count(*) AS n FROM {}.outbox WHERE published_at IS NULL",
                            schema.as_str()
                        ),
                    ))
                    .await
                    .expect("count outbox");
                unpublished += row
                    .map(|r| r.try_get::<i64>("", "n").unwrap_or(0))
                    .unwrap_or(0);
            }
            let mut conn = self.redis().conn();
            let mut busy = false;
            for stream in self.event_streams().await {
                let info: redis::RedisResult<redis::streams::StreamInfoGroupsReply> =
                    redis::AsyncCommands::xinfo_groups(&mut conn, &stream).await;
                busy |= info.is_ok_and(|info| {
                    info.groups
                        .iter()
                        .any(|g| g.lag.unwrap_or(0) > 0 || g.pending > 0)
                });
            }
            if unpublished == 0 && !busy {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("events did not settle within 5 s");
    }

    /// Stop the server, waiting for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            h.abort();
        }
        if let platform::config::MediaStorage::Local { dir } = &self.state.config.media.storage
            && dir.starts_with(std::env::temp_dir())
        {
            let _ = std::fs::remove_dir_all(dir);
        }
        database::forget_redis_prefix(self.state.redis.prefix().to_owned());
    }
}
