//! A small shop to search, built through the catalog's own Rust API in a database of its
//! own (cloned from the migrated template), with a Redis prefix of its own.

use catalog::categories::{self, NewCategory};
use catalog::certifications::{self, NewCertification};
use catalog::products::{self, NewProduct, NewVariant};
use catalog::vendors;
use chrono::NaiveDate;
use jikgu_tests::database::{TestDb, forget_redis_prefix};
use platform::AppState;
use platform::accounts::input::{Email, NewPassword};
use platform::accounts::service::{self, NewAccount};
use platform::auth::Role;
use platform::kv::Redis;
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

pub const KIMCHI: &str = "강화순무김치 2kg";
pub const CRAB: &str = "옹진 꽃게 2kg";
pub const GINSENG: &str = "강화인삼정과";
pub const RICE: &str = "강화 섬쌀 10kg";
pub const BASKET: &str = "왕골 바구니";
pub const CERT_KIND: &str = "인천 품질우수제품";

/// Ids of what the shop holds.
#[derive(Debug, Clone)]
pub struct Shop {
    pub food: Uuid,
    pub kimchi_category: Uuid,
    pub seafood: Uuid,
    pub crafts: Uuid,
    /// 강화순무농원: certified; sells the kimchi and the basket.
    pub sunmu: Uuid,
    /// 옹진수산: sells the crab.
    pub sea: Uuid,
    /// 강화인삼상회: sells the ginseng (out of stock) and the rice.
    pub insam: Uuid,
    pub kimchi: Uuid,
    pub crab: Uuid,
    pub ginseng: Uuid,
    pub rice: Uuid,
    pub basket: Uuid,
    pub draft: Uuid,
    pub archived: Uuid,
}

pub struct TestEnv {
    pub state: AppState,
    pub shop: Shop,
    prefix: String,
    // Dropped last: the database goes when the test ends.
    _db: TestDb,
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        forget_redis_prefix(self.prefix.clone());
    }
}

/// A test's own Meilisearch index, deleted when the guard drops, which happens however
/// the test ends: a failed assertion unwinds through it too. The deletion runs on a
/// thread and runtime of its own, because the test's runtime may be unwinding.
pub struct MeiliIndexGuard(pub String);

impl Drop for MeiliIndexGuard {
    fn drop(&mut self) {
        let index = std::mem::take(&mut self.0);
        let url = std::env::var("MEILISEARCH_URL").unwrap_or_default();
        let key = std::env::var("MEILISEARCH_API_KEY").ok();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(client) = meilisearch_sdk::client::Client::new(url, key) {
                    let _ = client.delete_index(&index).await;
                }
            });
        })
        .join();
    }
}

impl TestEnv {
    pub async fn new() -> TestEnv {
        let db = TestDb::create().await;
        let prefix = format!("test:{}:", Uuid::now_v7().simple());
        let cfg = jikgu_tests::test_config(&db.url, &prefix);
        let conn = platform::db::connect_url(&db.url, 10, std::time::Duration::from_secs(30))
            .await
            .expect("connect to the test database");
        let redis = Redis::connect_url(cfg.redis_url(), &prefix)
            .await
            .expect("Redis is reachable (run `bash infra/services.sh`)");
        let state = AppState::new(Arc::new(cfg), conn, redis);
        let shop = build_shop(&state).await;
        TestEnv {
            state,
            shop,
            prefix,
            _db: db,
        }
    }
}

async fn account(state: &AppState, role: Role) -> Uuid {
    let email = format!("{role}-{}@test.jikgu.kr", Uuid::now_v7().simple());
    service::create_account(
        &state.db,
        NewAccount {
            email: Email::parse(&email, "email").expect("valid email"),
            password: NewPassword::parse("correct-horse-battery".into(), "password")
                .expect("valid password"),
            display_name: format!("test {role}"),
            role,
            vendor_id: None,
        },
    )
    .await
    .expect("create account")
    .id
}

async fn category(state: &AppState, slug: &str, parent: Option<Uuid>) -> Uuid {
    let txn = state.db.begin().await.expect("begin");
    let c = categories::create(
        &txn,
        NewCategory {
            slug: slug.into(),
            name: slug.into(),
            parent_id: parent,
            position: 0,
            notice_fields: Vec::new(),
        },
    )
    .await
    .expect("create category");
    txn.commit().await.expect("commit");
    c.id
}

pub async fn vendor(state: &AppState, trade_name: &str) -> Uuid {
    let owner = account(state, Role::Customer).await;
    let v = vendors::apply(
        &state.db,
        owner,
        jikgu_tests::fixtures::application(trade_name, "23035"),
    )
    .await
    .expect("apply");
    let txn = state.db.begin().await.expect("begin");
    vendors::approve(&txn, v.id).await.expect("approve");
    txn.commit().await.expect("commit");
    v.id
}

/// Fields left out (`..NewItem::default()`) are empty: no description, no tags, no
/// popularity.
#[derive(Default)]
pub struct NewItem<'a> {
    pub vendor: Uuid,
    pub category: Uuid,
    pub title: &'a str,
    pub description: &'a str,
    pub tags: &'a [&'a str],
    /// (price, stock) per variant.
    pub variants: &'a [(i64, i32)],
    pub popularity: i64,
}

/// A product, published unless `publish` is false.
pub async fn product(state: &AppState, item: NewItem<'_>, publish: bool) -> Uuid {
    let txn = state.db.begin().await.expect("begin");
    let p = products::create(
        &txn,
        item.vendor,
        NewProduct {
            title: item.title.into(),
            description: item.description.into(),
            images: vec!["https://img.jikgu.kr/1.jpg".into()],
            category_id: item.category,
            tags: item.tags.iter().map(|s| s.to_string()).collect(),
            origin: "국내산".into(),
            notice: BTreeMap::new(),
            withdrawal_restricted: false,
            taxable: true,
            max_per_order: None,
            variants: item
                .variants
                .iter()
                .map(|(price, stock)| NewVariant {
                    sku: format!("SKU-{}", Uuid::now_v7().simple()),
                    name: format!("{price}원"),
                    options: BTreeMap::new(),
                    price: *price,
                    compare_at_price: None,
                    stock: *stock,
                })
                .collect(),
        },
    )
    .await
    .expect("create product");
    if publish {
        products::publish(&txn, item.vendor, p.id)
            .await
            .expect("publish");
    }
    if item.popularity > 0 {
        // Units sold, as paid orders count them (`catalog::stock::commit`), without the
        // orders.
        txn.execute_raw(platform::db::pg(
            "UPDATE catalog.products SET popularity = $2 WHERE id = $1",
            [p.id.into(), item.popularity.into()],
        ))
        .await
        .expect("popularity");
    }
    txn.commit().await.expect("commit");
    // Distinct publication times, even at Meilisearch's millisecond precision.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    p.id
}

async fn build_shop(state: &AppState) -> Shop {
    let admin = account(state, Role::Admin).await;
    let food = category(state, "food", None).await;
    let kimchi_category = category(state, "kimchi", Some(food)).await;
    let seafood = category(state, "seafood", Some(food)).await;
    let crafts = category(state, "crafts", None).await;
    let sunmu = vendor(state, "강화순무농원").await;
    let sea = vendor(state, "옹진수산").await;
    let insam = vendor(state, "강화인삼상회").await;
    let today = chrono::Utc::now().date_naive();
    let cert = certifications::submit(
        &state.db,
        sunmu,
        NewCertification {
            kind: CERT_KIND.into(),
            class: "식품".into(),
            number: "제2026-001호".into(),
            issued_on: today - chrono::Duration::days(30),
            expires_on: today + chrono::Duration::days(365),
        },
    )
    .await
    .expect("submit certification");
    certifications::verify(&state.db, cert.id, admin)
        .await
        .expect("verify certification");
    // An expired certification of another vendor must not count.
    let expired = certifications::submit(
        &state.db,
        sea,
        NewCertification {
            kind: "HACCP".into(),
            class: String::new(),
            number: "H-1".into(),
            issued_on: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
            expires_on: NaiveDate::from_ymd_opt(2021, 1, 1).expect("date"),
        },
    )
    .await
    .expect("submit certification");
    certifications::verify(&state.db, expired.id, admin)
        .await
        .expect("verify certification");

    let kimchi = product(
        state,
        NewItem {
            vendor: sunmu,
            category: kimchi_category,
            title: KIMCHI,
            description: "<p>강화 순무로 담근 <b>섞박지</b></p>",
            tags: &["강화", "순무"],
            variants: &[(25_000, 10), (40_000, 5)],
            popularity: 50,
        },
        true,
    )
    .await;
    let crab = product(
        state,
        NewItem {
            vendor: sea,
            category: seafood,
            title: CRAB,
            description: "<p>연평도 앞바다에서 잡은 암꽃게</p>",
            tags: &["수산물"],
            variants: &[(45_000, 5)],
            popularity: 80,
        },
        true,
    )
    .await;
    let ginseng = product(
        state,
        NewItem {
            vendor: insam,
            category: food,
            title: GINSENG,
            description: "<p>6년근 인삼을 꿀에 조린 정과</p>",
            tags: &["선물"],
            variants: &[(32_000, 0)],
            popularity: 30,
        },
        true,
    )
    .await;
    let rice = product(
        state,
        NewItem {
            vendor: insam,
            category: food,
            title: RICE,
            description: "<p>갯벌 바람을 맞고 자란 백미</p>",
            tags: &["쌀", "백미"],
            variants: &[(52_000, 20)],
            popularity: 60,
        },
        true,
    )
    .await;
    let basket = product(
        state,
        NewItem {
            vendor: sunmu,
            category: crafts,
            title: BASKET,
            description: "<p>김치를 담아도 좋은 전통 &amp; 수제 바구니</p>",
            tags: &["공예"],
            variants: &[(8_000, 3)],
            popularity: 10,
        },
        true,
    )
    .await;
    let draft = product(
        state,
        NewItem {
            vendor: sunmu,
            category: kimchi_category,
            title: "김치 초안",
            variants: &[(10_000, 1)],
            ..NewItem::default()
        },
        false,
    )
    .await;
    let archived = product(
        state,
        NewItem {
            vendor: sunmu,
            category: kimchi_category,
            title: "단종된 강화 김치",
            variants: &[(10_000, 1)],
            ..NewItem::default()
        },
        true,
    )
    .await;
    products::archive(&state.db, sunmu, archived)
        .await
        .expect("archive");
    Shop {
        food,
        kimchi_category,
        seafood,
        crafts,
        sunmu,
        sea,
        insam,
        kimchi,
        crab,
        ginseng,
        rice,
        basket,
        draft,
        archived,
    }
}
