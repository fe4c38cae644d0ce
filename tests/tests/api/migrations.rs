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

/// A deploy keeps every cart's lines: moving them into the cart's row keeps their order
/// (oldest first, not the variants' order), quantities and first-seen prices, and rolling
/// the move back gives them back as rows in that order.
#[tokio::test]
async fn carts_keep_their_lines_when_they_move_into_the_row_and_back() {
    let empty = TestDb::create_empty().await;
    let db = Database::connect(&empty.url).await.expect("connect");
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261213_000101_cart_lines_in_the_cart")
        .expect("the move is a migration");
    Migrator::up(&db, Some(before as u32))
        .await
        .expect("up to the move");
    let (older, newer) = (
        "ffffffff-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-000000000002",
    );
    let run = |sql: String| {
        let db = &db;
        async move {
            db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .expect("statement")
        }
    };
    run(format!(
        "WITH cart AS (INSERT INTO orders.carts (id, customer_id) VALUES (gen_random_uuid(), gen_random_uuid()) RETURNING id) \
         INSERT INTO orders.cart_lines (cart_id, variant_id, quantity, seen_unit_price, added_at) \
         SELECT id, '{older}'::uuid, 2, 15900, now() - interval '1 minute' FROM cart \
         UNION ALL SELECT id, '{newer}'::uuid, 1, 32000, now() FROM cart"
    ))
    .await;
    let lines = |rows: Vec<sea_orm::QueryResult>| -> Vec<(String, i32, i64)> {
        rows.iter()
            .map(|r| {
                (
                    r.try_get::<uuid::Uuid>("", "variant_id")
                        .expect("variant")
                        .to_string(),
                    r.try_get::<i32>("", "quantity").expect("quantity"),
                    r.try_get::<i64>("", "seen_unit_price").expect("price"),
                )
            })
            .collect()
    };
    let want = vec![(older.to_owned(), 2, 15900), (newer.to_owned(), 1, 32000)];

    Migrator::up(&db, Some(1)).await.expect("the move");
    let moved = run("SELECT l.variant_id, l.quantity, l.seen_unit_price FROM orders.carts c, \
                     unnest(c.lines) WITH ORDINALITY AS l(variant_id, quantity, seen_unit_price, n) ORDER BY l.n"
        .to_owned())
    .await;
    assert_eq!(lines(moved), want, "in the row");

    Migrator::down(&db, Some(1))
        .await
        .expect("the move rolled back");
    let back = run(
        "SELECT variant_id, quantity, seen_unit_price FROM orders.cart_lines ORDER BY added_at"
            .to_owned(),
    )
    .await;
    assert_eq!(lines(back), want, "rows again");
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

/// The rules that moved from table `CHECK`s to the columns' domains still refuse what
/// they refused, and still take what they took: each column's own type does. The value
/// lists take every word the code writes into those columns.
#[tokio::test]
async fn column_rules_live_in_the_column_types() {
    use platform::status::Status;
    let app = jikgu_tests::spawn_app().await;
    let db = &app.state.db;
    let column_type = |table: &'static str, column: &'static str| async move {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT format_type(atttypid, atttypmod) AS ty FROM pg_attribute \
                 WHERE attrelid = $1::regclass AND attname = $2",
                [table.into(), column.into()],
            ))
            .await
            .expect("column type")
            .expect("column exists");
        row.try_get::<String>("", "ty").expect("type name")
    };
    // Type names come from the catalog above, values from this test and the code's own
    // enums: nothing external.
    let cast = |v: &str, ty: &str| {
        Statement::from_string(DbBackend::Postgres, format!("SELECT CAST({v} AS {ty})"))
    };
    // (table, column, a value the rule takes, one it refuses)
    let rules = [
        ("catalog.variants", "price", "1", "0"),
        ("catalog.variants", "compare_at_price", "1", "0"),
        ("catalog.variants", "on_hand", "0", "-1"),
        ("catalog.variants", "reserved", "0", "-1"),
        ("orders.cart_line", "quantity", "1", "0"),
        ("orders.orders", "status", "'paid'", "'shipped'"),
        ("orders.orders", "grand_total", "0", "-1"),
        ("orders.orders", "channel", "'naver_smartstore'", "'fax'"),
        (
            "orders.orders",
            "buyer_kind",
            "'public_institution'",
            "'robot'",
        ),
        ("orders.orders", "organisation_kind", "'company'", "'club'"),
        ("orders.vendor_orders", "status", "'delivered'", "'paid'"),
        ("orders.order_lines", "quantity", "1", "0"),
        ("orders.order_lines", "final_amount", "0", "-1"),
        (
            "orders.line_attribution",
            "campaign_via",
            "'coupon'",
            "'gift'",
        ),
        ("orders.line_attribution", "vendor_discount", "0", "-1"),
        (
            "orders.quotations",
            "organisation_kind",
            "'public_institution'",
            "'club'",
        ),
        ("orders.quotation_lines", "quantity", "1", "0"),
        ("orders.org_invoices", "amount", "0", "-1"),
    ];
    for (table, column, good, bad) in rules {
        let ty = column_type(table, column).await;
        db.execute_raw(cast(good, &ty))
            .await
            .unwrap_or_else(|e| panic!("{table}.{column} ({ty}) refused {good}: {e}"));
        let refused = db
            .execute_raw(cast(bad, &ty))
            .await
            .expect_err(&format!("{table}.{column} ({ty}) took {bad}"));
        assert!(
            refused.to_string().contains("violates check constraint"),
            "{table}.{column}: {refused}"
        );
    }
    fn words<S: Status>() -> Vec<&'static str> {
        S::ALL.iter().map(|s| s.as_str()).collect()
    }
    use orders::attribution::CampaignVia;
    let written = [
        (
            "orders.orders",
            "status",
            words::<orders::states::OrderStatus>(),
        ),
        (
            "orders.vendor_orders",
            "status",
            words::<orders::states::VendorOrderStatus>(),
        ),
        (
            "orders.orders",
            "channel",
            words::<platform::attribution::SalesChannel>(),
        ),
        (
            "orders.orders",
            "buyer_kind",
            words::<platform::attribution::BuyerKind>(),
        ),
        (
            "orders.orders",
            "organisation_kind",
            words::<platform::organisations::OrganisationKind>(),
        ),
        (
            "orders.line_attribution",
            "campaign_via",
            vec![CampaignVia::Price.as_str(), CampaignVia::Coupon.as_str()],
        ),
    ];
    for (table, column, words) in written {
        let ty = column_type(table, column).await;
        for word in words {
            db.execute_raw(cast(&format!("'{word}'"), &ty))
                .await
                .unwrap_or_else(|e| panic!("{table}.{column} ({ty}) refused {word:?}: {e}"));
        }
    }
}
