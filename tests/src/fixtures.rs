//! Catalog fixtures: categories, approved vendors with a logged-in vendor client, and
//! products, built through the same Rust APIs the HTTP handlers use.

use crate::{Client, TestApp};
use catalog::categories::{self, NewCategory};
use catalog::products::{self, NewProduct, NewVariant};
use catalog::vendors::{self, Application};
use platform::auth::Role;
use sea_orm::TransactionTrait;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

/// A valid 사업자등록번호 for any seed.
pub fn business_number(seed: u32) -> String {
    catalog::domain::business_number::BusinessNumber::from_prefix(100_000_000 + seed % 800_000_000)
        .digits()
        .to_owned()
}

static SEED: AtomicU32 = AtomicU32::new(1);

fn next_seed() -> u32 {
    // Unique across the tests of one process; each test has its own database anyway.
    SEED.fetch_add(7919, Ordering::Relaxed) + std::process::id()
}

pub fn application(trade_name: &str, postal_code: &str) -> Application {
    serde_json::from_value(json!({
        "trade_name": trade_name,
        "representative": "김인천",
        "business_number": business_number(next_seed()),
        "mail_order_number": "제2026-인천강화-0001호",
        "postal_code": postal_code,
        "address": "인천광역시 강화군 강화읍 강화대로 1",
        "cs_phone": "032-930-0000",
        "cs_email": "cs@example.kr",
        "bank_name": "농협은행",
        "bank_account_number": "301-0000-0000-00",
        "bank_account_holder": trade_name,
        "story": "강화에서 3대째 순무를 키웁니다."
    }))
    .expect("valid application")
}

pub struct Vendor {
    pub id: Uuid,
    pub client: Client,
}

impl Vendor {
    /// Ship the vendor order (a courier and tracking number) and mark it delivered, as
    /// the vendor does; both must be accepted.
    pub async fn ship_and_deliver(&self, vendor_order: impl std::fmt::Display) {
        let shipped = self
            .client
            .post(
                &format!("/v1/vendor/orders/{vendor_order}/ship"),
                &serde_json::json!({"courier": "CJ대한통운", "tracking_number": "1"}),
            )
            .await;
        assert_eq!(shipped.status, 204, "{}", shipped.body);
        let delivered = self
            .client
            .post(
                &format!("/v1/vendor/orders/{vendor_order}/deliver"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(delivered.status, 204, "{}", delivered.body);
    }
}

impl TestApp {
    /// A certification `vendor` submitted, not yet verified.
    pub async fn submitted_certification(&self, vendor: Uuid) -> Uuid {
        catalog::certifications::submit(
            &self.state.db,
            vendor,
            catalog::certifications::NewCertification {
                kind: "인천 품질우수제품".into(),
                class: "가공식품".into(),
                number: "ICN-2026-0042".into(),
                issued_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
                expires_on: chrono::NaiveDate::from_ymd_opt(2028, 12, 31).expect("date"),
            },
        )
        .await
        .expect("submit")
        .id
    }

    /// Something owed to `vendor`: `admin`'s ledger adjustment of 12,345 won.
    pub async fn owe_vendor_12_345(&self, vendor: Uuid, admin: Uuid) {
        settlements::ledger::adjust(
            &self.state.db,
            &settlements::ledger::NewAdjustment {
                vendor_id: vendor,
                amount: 12_345,
                reason: "배송 지연 보상 환급".into(),
            },
            admin,
            "console-test",
        )
        .await
        .expect("adjust");
    }

    /// `n` more payouts, failed copies of one already made (for paging), failed for
    /// `reason`.
    pub async fn more_payouts(&self, n: usize, reason: &str) {
        use sea_orm::ConnectionTrait;
        for _ in 0..n {
            self.state
                .db
                .execute_raw(platform::db::pg(
                    "INSERT INTO settlements.payouts (id, statement_id, vendor_id, amount, status, \
                     bank_account_id, approved_by, provider, failure_reason) \
                     SELECT $1, statement_id, vendor_id, amount, 'failed', bank_account_id, \
                     approved_by, provider, $2 FROM settlements.payouts LIMIT 1",
                    [Uuid::now_v7().into(), reason.into()],
                ))
                .await
                .expect("payout");
        }
    }

    pub async fn category(&self, slug: &str, parent: Option<Uuid>, notice_fields: &[&str]) -> Uuid {
        let txn = self.state.db.begin().await.expect("begin");
        let c = categories::create(
            &txn,
            NewCategory {
                slug: slug.into(),
                name: slug.into(),
                parent_id: parent,
                position: 0,
                notice_fields: notice_fields.iter().map(|s| s.to_string()).collect(),
            },
        )
        .await
        .expect("create category");
        txn.commit().await.expect("commit");
        c.id
    }

    /// An approved vendor and a client logged in as its account.
    pub async fn vendor(&self, trade_name: &str) -> Vendor {
        let (customer, user_id) = self.account(Role::Customer, None).await;
        drop(customer);
        let v = vendors::apply(&self.state.db, user_id, application(trade_name, "23035"))
            .await
            .expect("apply");
        let txn = self.state.db.begin().await.expect("begin");
        vendors::approve(&txn, v.id).await.expect("approve");
        txn.commit().await.expect("commit");
        let token = self
            .state
            .tokens
            .issue(user_id, Role::Vendor, Some(v.id))
            .expect("token");
        Vendor {
            id: v.id,
            client: self.client.with_token(&token),
        }
    }

    /// An active product with one variant per `(sku, price, stock)`.
    pub async fn product(
        &self,
        vendor: &Vendor,
        category: Uuid,
        title: &str,
        tags: &[&str],
        variants: &[(&str, i64, i32)],
    ) -> Uuid {
        let txn = self.state.db.begin().await.expect("begin");
        let p = products::create(
            &txn,
            vendor.id,
            NewProduct {
                title: title.into(),
                description: format!("<p>{title}</p>"),
                images: vec!["https://img.jikgu.kr/1.jpg".into()],
                category_id: category,
                tags: tags.iter().map(|s| s.to_string()).collect(),
                origin: "국내산".into(),
                notice: BTreeMap::new(),
                withdrawal_restricted: false,
                taxable: true,
                max_per_order: None,
                variants: variants
                    .iter()
                    .map(|(sku, price, stock)| NewVariant {
                        sku: (*sku).into(),
                        name: (*sku).into(),
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
        products::publish(&txn, vendor.id, p.id)
            .await
            .expect("publish");
        txn.commit().await.expect("commit");
        p.id
    }
}

/// A customer client without an account row: checkout needs only the verified token, and
/// skipping argon2 keeps races of hundreds of customers fast.
pub fn token_customer(app: &TestApp) -> (Client, Uuid) {
    let id = Uuid::now_v7();
    let token = app
        .state
        .tokens
        .issue(id, Role::Customer, None)
        .expect("token");
    (app.client.with_token(&token), id)
}

pub fn address(postal_code: &str) -> serde_json::Value {
    json!({"recipient": "김인천", "phone": "010-1234-5678", "postal_code": postal_code,
           "road_address": "인천광역시 남동구 정각로 29", "detail": "101호"})
}
