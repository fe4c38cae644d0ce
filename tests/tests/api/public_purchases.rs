//! The public-purchase disclosure: per public institution, total bought, bought from
//! local SMEs, the share and the rank; public, without login; companies not counted.

use crate::quotations::{accept, answer, request, shop};
use jikgu_tests::organisations::Org;
use jikgu_tests::spawn_app;
use serde_json::json;
use uuid::Uuid;

/// Quote `lines` and accept on invoice; both vendors answer at the catalog prices.
async fn buy(org: &Org, shop: &crate::quotations::Shop, qa: i64, qb: i64) {
    let mut lines = Vec::new();
    if qa > 0 {
        lines.push(json!({"variant_id": shop.va, "quantity": qa}));
    }
    if qb > 0 {
        lines.push(json!({"variant_id": shop.vb, "quantity": qb}));
    }
    let r = request(&org.approver, org.id, json!(lines)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let q = r.json["id"].as_str().expect("present").to_owned();
    if qa > 0 {
        assert_eq!(
            answer(&shop.a, &q, shop.va, 10_000, 0, chrono::Duration::days(3))
                .await
                .status,
            200
        );
    }
    if qb > 0 {
        assert_eq!(
            answer(&shop.b, &q, shop.vb, 20_000, 0, chrono::Duration::days(3))
                .await
                .status,
            200
        );
    }
    let ok = accept(&org.approver, org.id, &q, json!({"payment": "invoice"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
}

#[tokio::test]
async fn the_disclosure_sums_shares_and_ranks_public_institutions() {
    let app = spawn_app().await;
    let shop = shop(&app, 1000).await;
    // Vendor B moved out of Incheon: its sales count in totals, not in the local share.
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE catalog.vendors SET postal_code = '06236' WHERE id = '{}'",
            shop.b.id
        ))
        .await
        .expect("present");
    let gu = app
        .organisation("public_institution", "미추홀구청", 10_000_000)
        .await;
    let gongsa = app
        .organisation("public_institution", "인천교통공사", 10_000_000)
        .await;
    let danji = app
        .organisation("public_institution", "인천시설공단", 10_000_000)
        .await;
    let company = app
        .organisation("company", "주식회사 송도", 10_000_000)
        .await;
    // 구청: 30,000 local of 30,000 → 100%.
    buy(&gu, &shop, 3, 0).await;
    // 공사: 10,000 local of 50,000 → 20%.
    buy(&gongsa, &shop, 1, 2).await;
    // 공단: 20,000 local of 100,000 → 20%, but less local than 공사? no: more (20,000 > 10,000).
    buy(&danji, &shop, 2, 4).await;
    buy(&company, &shop, 5, 0).await;

    let now = chrono::Utc::now() + chrono::Duration::hours(9);
    let (year, half) = (
        chrono::Datelike::year(&now),
        if chrono::Datelike::month(&now) <= 6 {
            1
        } else {
            2
        },
    );
    // Anonymous: no token.
    let r = app
        .client
        .get(&format!(
            "/v1/reports/public-purchases?year={year}&half={half}"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.json["institutions"].as_array().expect("present");
    assert_eq!(
        rows.len(),
        3,
        "the company is not a public institution: {}",
        r.body
    );
    let row = |id: Uuid| {
        rows.iter()
            .find(|x| x["organisation_id"] == id.to_string())
            .expect("present")
    };
    assert_eq!(row(gu.id)["total"], 30_000);
    assert_eq!(row(gu.id)["local_sme"], 30_000);
    assert_eq!(row(gu.id)["share_bp"], 10_000);
    assert_eq!(row(gu.id)["share_percent"], "100.00");
    assert_eq!(row(gu.id)["rank"], 1);
    assert_eq!(row(gu.id)["name"], "미추홀구청");
    assert_eq!(row(danji.id)["total"], 100_000);
    assert_eq!(row(danji.id)["local_sme"], 20_000);
    assert_eq!(row(danji.id)["share_bp"], 2_000);
    assert_eq!(row(danji.id)["rank"], 2);
    assert_eq!(row(gongsa.id)["total"], 50_000);
    assert_eq!(row(gongsa.id)["share_bp"], 2_000);
    assert_eq!(row(gongsa.id)["rank"], 3);

    // Another half is empty; a bad half is refused.
    let other = app
        .client
        .get(&format!(
            "/v1/reports/public-purchases?year={}&half={half}",
            year - 1
        ))
        .await;
    assert_eq!(other.json["institutions"].as_array().map(Vec::len), Some(0));
    app.client
        .get(&format!("/v1/reports/public-purchases?year={year}&half=3"))
        .await
        .assert_problem(422, "validation_failed");
}
