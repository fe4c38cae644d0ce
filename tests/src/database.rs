//! A database per test, cloned from a template that holds every migration. The template
//! is built once per migration fingerprint (under an advisory lock, so parallel test
//! processes build it once) and `CREATE DATABASE … TEMPLATE` copies it in milliseconds.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;
use uuid::Uuid;

const LOCK_KEY: i64 = 0x006a_696b_6775; // "jikgu" in ASCII

/// The server to create test databases on: `TEST_DATABASE_URL`, else `DATABASE_URL`, else
/// the local default; the database part is ignored.
pub fn server_url() -> String {
    let url = std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/jikgu".into());
    match url.rsplit_once('/') {
        Some((server, _db)) if server.contains("://") && server.len() > "postgres://".len() => {
            server.to_owned()
        }
        _ => url,
    }
}

fn template_name() -> String {
    // The build script hashes the migrations' sources, but a target dir shared by two
    // checkouts may hand this binary the other one's hash (seen with git worktrees): the
    // names of the migrations this binary runs make a new migration a new template anyway.
    let mut h = DefaultHasher::new();
    env!("JIKGU_MIGRATIONS_HASH").hash(&mut h);
    for m in Migrator::migrations() {
        m.name().hash(&mut h);
    }
    format!("jikgu_tpl_{:016x}", h.finish())
}

async fn admin() -> DatabaseConnection {
    Database::connect(format!("{}/postgres", server_url()))
        .await
        .expect("Postgres is reachable (run `bash infra/services.sh`)")
}

async fn ensure_template(admin: &DatabaseConnection) -> String {
    let name = template_name();
    // A session-level lock; released explicitly, or when this connection closes.
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .await
        .expect("advisory lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await
        .expect("query pg_database")
        .is_some();
    if !exists {
        let building = format!("{name}_building");
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await;
        // UTF-8 ctype: trigram indexes must see Hangul as letters.
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE {building} TEMPLATE template0 ENCODING 'UTF8' \
                 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            ))
            .await
            .expect("create template database");
        let db = Database::connect(format!("{}/{building}", server_url()))
            .await
            .expect("connect to template");
        Migrator::up(&db, None).await.expect("migrations apply");
        db.close().await.expect("close template connection");
        admin
            .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {name}"))
            .await
            .expect("publish template");
        // Templates of earlier migration sets are dead weight: drop them (best effort; one
        // still being cloned by a concurrent run of an older checkout stays for next time).
        let stale = admin
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT datname FROM pg_database WHERE datname LIKE 'jikgu\\_tpl\\_%' AND datname <> $1",
                [name.clone().into()],
            ))
            .await
            .unwrap_or_default();
        for row in stale {
            if let Ok(old) = row.try_get::<String>("", "datname") {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{old}\""))
                    .await;
            }
        }
    }
    admin
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .await
        .expect("advisory unlock");
    name
}

/// A database that exists for one test and is dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let admin = admin().await;
        let template = ensure_template(&admin).await;
        let name = format!("jikgu_test_{}", Uuid::now_v7().simple());
        let mut attempt = 0;
        loop {
            let res = admin
                .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .await;
            match res {
                Ok(_) => break,
                // Two clones of one template at the same instant can collide; retry.
                Err(e) if attempt < 20 && e.to_string().contains("being accessed") => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => panic!("create test database: {e}"),
            }
        }
        let _ = admin.close().await;
        TestDb {
            url: format!("{}/{name}", server_url()),
            name,
        }
    }

    /// An empty database (no migrations), for the migration tests.
    pub async fn create_empty() -> TestDb {
        let admin = admin().await;
        let name = format!("jikgu_test_{}", Uuid::now_v7().simple());
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' \
                 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            ))
            .await
            .expect("create empty database");
        let _ = admin.close().await;
        TestDb {
            url: format!("{}/{name}", server_url()),
            name,
        }
    }
}

/// Run `work` to completion on a runtime of its own, from any context (including `Drop`
/// inside a test's runtime).
fn blocking<F: std::future::Future<Output = ()> + Send + 'static>(work: F) {
    let handle = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(work);
        }
    });
    let _ = handle.join();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        blocking(async move {
            if let Ok(admin) = Database::connect(format!("{}/postgres", server_url())).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
                let _ = admin.close().await;
            }
        });
    }
}

/// Delete every Redis key under a test's prefix.
pub fn forget_redis_prefix(prefix: String) {
    blocking(async move {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let Ok(client) = redis::Client::open(url) else {
            return;
        };
        let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> =
                redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
        }
    });
}
