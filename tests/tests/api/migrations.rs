use jikgu_tests::database::TestDb;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

async fn schemas(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT schema_name FROM information_schema.schemata \
             WHERE schema_name IN ('accounts', 'catalog', 'orders', 'promotions') ORDER BY 1",
        ))
        .await
        .expect("list schemas");
    rows.iter()
        .map(|r| r.try_get::<String>("", "schema_name").expect("name"))
        .collect()
}

#[tokio::test]
async fn migrations_apply_roll_back_and_apply_again() {
    let empty = TestDb::create_empty().await;
    let db = Database::connect(&empty.url).await.expect("connect");
    Migrator::up(&db, None).await.expect("up");
    assert_eq!(
        schemas(&db).await,
        ["accounts", "catalog", "orders", "promotions"]
    );
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("pending")
            .is_empty()
    );

    Migrator::down(&db, None).await.expect("down");
    assert!(schemas(&db).await.is_empty());

    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(schemas(&db).await.len(), 4);
    db.close().await.expect("close");
}

/// The entities match the tables: a query selecting every entity column succeeds on a
/// freshly migrated database.
#[tokio::test]
async fn entities_match_the_migrated_tables() {
    use platform::accounts::entity::{refresh_token, user};
    use sea_orm::EntityTrait;
    let app = jikgu_tests::spawn_app().await;
    user::Entity::find()
        .all(&app.state.db)
        .await
        .expect("users entity matches");
    refresh_token::Entity::find()
        .all(&app.state.db)
        .await
        .expect("refresh_tokens entity matches");
    promotions::store::stacking_policy::Entity::find()
        .all(&app.state.db)
        .await
        .expect("stacking_policy entity matches");
    catalog::store::product_image::Entity::find()
        .all(&app.state.db)
        .await
        .expect("product_images entity matches");
    platform::accounts::entity::account_audit::Entity::find()
        .all(&app.state.db)
        .await
        .expect("account_audit entity matches");
    catalog::store::certification::Entity::find()
        .all(&app.state.db)
        .await
        .expect("certifications entity matches");
}
