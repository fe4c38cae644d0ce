//! Buyer organisations for the demo (issue 15), made through the same Rust APIs the HTTP
//! handlers use: two public institutions (미추홀구청 and 인천교통공사) and a company, each
//! with an approver (and the 구청 with a buyer too); quotations to the demo vendors in
//! every state; orders at quoted prices paid by card and by invoice — one invoice paid,
//! one overdue — and tax invoices asked for, one issued. Runs once: skipped when the
//! 구청's approver already belongs to an organisation.

use super::ensure_account;
use ::catalog::store::variant;
use chrono::{Duration, Utc};
use orders::checkout::Address;
use orders::context::OrdersContext;
use orders::payments::test_gateway::TestGateway;
use orders::quotations::accept::{self, AcceptQuotation, Acceptor, PaymentMethod};
use orders::quotations::{QuotationAnswer, QuotationRequest, store};
use platform::auth::Role;
use platform::business_number::BusinessNumber;
use platform::organisations::service::{self, Decision, NewOrganisation, Organisation};
use platform::organisations::{MemberRole, OrganisationKind};
use platform::{ApiError, AppState};
use sea_orm::TransactionTrait;
use std::sync::Arc;
use uuid::Uuid;

/// The demo's organisation logins (all customer accounts acting for their organisation).
pub const ORG_LOGINS: [(&str, &str, &str); 4] = [
    (
        "미추홀구청 approver",
        "approver@michuhol.go.kr",
        "jikgu-org-demo",
    ),
    ("미추홀구청 buyer", "buyer@michuhol.go.kr", "jikgu-org-demo"),
    (
        "인천교통공사 approver",
        "approver@ictr.or.kr",
        "jikgu-org-demo",
    ),
    (
        "주식회사 송도테크 approver",
        "approver@songdo-tech.kr",
        "jikgu-org-demo",
    ),
];

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("demo organisations: {e}"))
}

async fn organisation(
    state: &AppState,
    approver: Uuid,
    kind: OrganisationKind,
    name: &str,
    prefix: u32,
    credit_limit: i64,
) -> Result<Organisation, ApiError> {
    let org = service::apply(
        &state.db,
        approver,
        NewOrganisation {
            kind,
            name: name.into(),
            business_number: BusinessNumber::from_prefix(prefix),
            representative: "홍길동".into(),
            address: "인천광역시 미추홀구 독정이로 95".into(),
            tax_invoice_email: platform::accounts::input::Email::parse(
                "tax@example.go.kr",
                "email",
            )
            .map_err(|e| ApiError::validation(vec![e]))?,
        },
    )
    .await?;
    service::decide(
        &state.db,
        org.id,
        Decision::Approve {
            credit_limit,
            payment_terms_days: 30,
        },
    )
    .await
}

/// Two variants of each of the first two vendors with stock to spare.
async fn variants(state: &AppState) -> Result<Vec<(Uuid, Vec<variant::Model>)>, ApiError> {
    let mut all = ::catalog::listing::variants_with_units(&state.db, 50).await?;
    all.sort_by_key(|v| (v.vendor_id != super::DEMO_VENDOR_ID, v.vendor_id, v.id));
    let mut vendors: Vec<(Uuid, Vec<variant::Model>)> = Vec::new();
    for v in all {
        let full = vendors.len() >= 2;
        match vendors.iter_mut().find(|(id, _)| *id == v.vendor_id) {
            Some((_, vs)) if vs.len() < 2 => vs.push(v),
            Some(_) => {}
            None if !full => vendors.push((v.vendor_id, vec![v])),
            None => {}
        }
    }
    Ok(vendors)
}

struct Demo<'a> {
    state: &'a AppState,
    ctx: OrdersContext,
    vendors: Vec<(Uuid, Vec<variant::Model>)>,
}

impl Demo<'_> {
    /// Ask for a quotation of `qty` of each vendor's first variant.
    async fn request(&self, org: &Organisation, member: Uuid, qty: u32) -> Result<Uuid, ApiError> {
        let lines: Vec<serde_json::Value> = self
            .vendors
            .iter()
            .map(|(_, vs)| serde_json::json!({"variant_id": vs[0].id, "quantity": qty}))
            .collect();
        let address: Address = serde_json::from_value(serde_json::json!({
            "recipient": "총무과 김주무관", "phone": "032-880-4000", "postal_code": "22171",
            "road_address": "인천광역시 미추홀구 독정이로 95", "detail": "구청 본관 2층 총무과"}))
        .map_err(internal)?;
        let req = QuotationRequest {
            lines: serde_json::from_value(serde_json::json!(lines)).map_err(internal)?,
            delivery_date: (Utc::now() + Duration::days(14)).date_naive(),
            address,
            notes: "납품 시 거래명세서 동봉 바랍니다.".into(),
        };
        let asker = store::Asker {
            organisation_id: org.id,
            kind: org.kind,
            member,
        };
        Ok(store::request(&self.state.db, asker, req, Utc::now()).await?)
    }

    /// Vendor `i` answers at 95% of its price, valid for `valid`.
    async fn answer(&self, q: Uuid, i: usize, valid: Duration) -> Result<(), ApiError> {
        let (vendor, vs) = &self.vendors[i];
        let a = QuotationAnswer {
            lines: serde_json::from_value(serde_json::json!([
                {"variant_id": vs[0].id, "unit_price": vs[0].price * 95 / 100}
            ]))
            .map_err(internal)?,
            shipping_fee: 3_000,
            valid_until: Utc::now() + valid,
            notes: "대량 구매 할인 5% 적용".into(),
        };
        Ok(store::answer(&self.state.db, *vendor, q, a, Utc::now()).await?)
    }

    async fn answered(&self, org: &Organisation, member: Uuid, qty: u32) -> Result<Uuid, ApiError> {
        let q = self.request(org, member, qty).await?;
        for i in 0..self.vendors.len() {
            self.answer(q, i, Duration::days(20)).await?;
        }
        Ok(q)
    }

    async fn accept(
        &self,
        org: &Organisation,
        member: Uuid,
        q: Uuid,
        payment: PaymentMethod,
        po: &str,
    ) -> Result<accept::AcceptedQuotation, ApiError> {
        let who = Acceptor {
            organisation: org,
            member,
            email: None,
        };
        let req = AcceptQuotation {
            purchase_order_number: Some(po.into()),
            payment,
            tax_invoice: true,
        };
        Ok(accept::accept(&self.state.db, &self.ctx, who, q, req, Utc::now()).await?)
    }
}

pub async fn seed(state: &AppState) -> Result<(), ApiError> {
    let mut users = Vec::new();
    for (_, email, password) in ORG_LOGINS {
        users.push(
            ensure_account(state, email, password, Role::Customer, None)
                .await?
                .id,
        );
    }
    if !service::of_member(&state.db, users[0]).await?.is_empty() {
        return Ok(());
    }
    let gu = organisation(
        state,
        users[0],
        OrganisationKind::PublicInstitution,
        "인천광역시 미추홀구청",
        131_830_001,
        5_000_000,
    )
    .await?;
    let email = platform::accounts::input::Email::parse(ORG_LOGINS[1].1, "email")
        .map_err(|e| ApiError::validation(vec![e]))?;
    service::put_member(&state.db, gu.id, &email, MemberRole::Buyer).await?;
    let gongsa = organisation(
        state,
        users[2],
        OrganisationKind::PublicInstitution,
        "인천교통공사",
        121_820_002,
        3_000_000,
    )
    .await?;
    let company = organisation(
        state,
        users[3],
        OrganisationKind::Company,
        "주식회사 송도테크",
        131_860_003,
        1_000_000,
    )
    .await?;
    let vendors = variants(state).await?;
    if vendors.len() < 2 {
        return Ok(());
    }
    let demo = Demo {
        state,
        ctx: OrdersContext::with_gateway(Arc::new(TestGateway)),
        vendors,
    };
    let (approver, buyer) = (users[0], users[1]);

    // 구청: one of every state.
    demo.request(&gu, buyer, 20).await?; // requested
    let partial = demo.request(&gu, buyer, 30).await?;
    demo.answer(partial, 0, Duration::days(20)).await?; // partially answered
    demo.answered(&gu, buyer, 40).await?; // answered, waiting for the approver
    let withdrawn = demo.request(&gu, buyer, 5).await?;
    store::withdraw(&state.db, gu.id, withdrawn).await?;
    let declined = demo.request(&gu, buyer, 500).await?;
    for (vendor, _) in &demo.vendors {
        store::decline(
            &state.db,
            *vendor,
            declined,
            serde_json::from_value(serde_json::json!({"notes": "재고 부족으로 견적 불가"}))
                .map_err(internal)?,
        )
        .await?;
    }
    let expired = demo.request(&gu, buyer, 10).await?;
    for i in 0..demo.vendors.len() {
        demo.answer(expired, i, Duration::milliseconds(1500))
            .await?;
    }
    // Accepted on invoice, paid: the vendors record the transfers.
    let paid_q = demo.answered(&gu, buyer, 10).await?;
    let paid = demo
        .accept(
            &gu,
            approver,
            paid_q,
            PaymentMethod::Invoice,
            "미추홀-2026-0101",
        )
        .await?;
    let order = orders::views::owned_order(
        &state.db,
        orders::views::Owner::Organisation(gu.id),
        paid.order_id,
    )
    .await?;
    for vo in &order.vendor_orders {
        orders::invoices::record_transfer(&state.db, vo.id, Some(vo.vendor_id), approver).await?;
    }
    // Its first tax invoice is issued.
    if let Some(vo) = order.vendor_orders.first() {
        orders::tax_invoices::issue(
            &state.db,
            vo.vendor_id,
            vo.id,
            serde_json::from_value(
                serde_json::json!({"approval_number": "20261120-41000000-00000001"}),
            )
            .map_err(internal)?,
        )
        .await?;
    }
    // Accepted on invoice six weeks ago and still unpaid: overdue.
    let late_q = demo.answered(&gu, buyer, 8).await?;
    let late = demo
        .accept(
            &gu,
            approver,
            late_q,
            PaymentMethod::Invoice,
            "미추홀-2026-0102",
        )
        .await?;
    let txn = state.db.begin().await?;
    orders::demo_history::backdate_invoices(&txn, late.order_id, 42).await?;
    txn.commit().await?;

    // 공사: an invoice order due later, and a card order paid through the gateway.
    let q = demo.answered(&gongsa, users[2], 15).await?;
    demo.accept(&gongsa, users[2], q, PaymentMethod::Invoice, "ICTR-PO-7781")
        .await?;
    let q = demo.answered(&gongsa, users[2], 6).await?;
    let card = demo
        .accept(&gongsa, users[2], q, PaymentMethod::Card, "ICTR-PO-7782")
        .await?;
    let txn = state.db.begin().await?;
    orders::lifecycle::mark_paid(&txn, card.order_id, card.grand_total, "demo").await?;
    txn.commit().await?;

    // The company buys too (not counted in the public disclosure).
    let q = demo.answered(&company, users[3], 12).await?;
    demo.accept(&company, users[3], q, PaymentMethod::Invoice, "ST-2026-11")
        .await?;

    // The validity of the expired quotation has passed by now: trying to accept it marks it.
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    match demo
        .accept(
            &gu,
            approver,
            expired,
            PaymentMethod::Invoice,
            "미추홀-2026-0103",
        )
        .await
    {
        Err(e) if e.code == platform::ErrorCode::QuotationExpired => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Err(internal("an expired quotation was accepted")),
    }
}
