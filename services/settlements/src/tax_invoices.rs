//! The monthly commission tax invoice (세금계산서) record per vendor: the shop operator
//! supplies the commission service, the vendor receives it. Supply amount = the month's
//! commission booked (net of refunds), VAT = the month's commission VAT booked (10%,
//! rounded down per vendor order, so it can be a won or two under ⌊supply / 10⌋). A
//! month is a Seoul calendar month of booking instants. Recording a month twice keeps the
//! first record (one per vendor and month); a correction after that is next month's.

use crate::error::{SettlementsError, SettlementsResult};
use crate::policies;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use platform::db::pg;
use platform::ids::new_id;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct TaxInvoice {
    pub id: Uuid,
    pub vendor_id: Uuid,
    /// The first day of the month.
    pub month: NaiveDate,
    pub supplier_name: String,
    pub supplier_business_number: String,
    pub recipient_name: String,
    pub recipient_business_number: String,
    /// `general` (일반), `simplified` (간이) or `exempt` (면세).
    pub taxpayer_kind: String,
    pub supply_amount: i64,
    pub vat: i64,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, vendor_id, month, supplier_name, supplier_business_number, recipient_name, \
    recipient_business_number, taxpayer_kind, supply_amount, vat, created_at";

/// The first day of `month`'s month, or a 422 when it is not the first.
pub fn month_start(month: NaiveDate) -> SettlementsResult<NaiveDate> {
    if month.day() != 1 {
        return Err(SettlementsError::field(
            "month",
            "invalid",
            "the first day of a month, e.g. 2026-11-01",
        ));
    }
    Ok(month)
}

/// Record the month's commission invoices for every vendor charged commission in it.
pub async fn record_month(
    db: &impl ConnectionTrait,
    month: NaiveDate,
) -> SettlementsResult<Vec<TaxInvoice>> {
    let month = month_start(month)?;
    let next = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month);
    let from = promotions::seoul::instant(month, NaiveTime::MIN);
    let to = promotions::seoul::instant(next, NaiveTime::MIN);
    let settings = policies::settings(db).await?;
    let rows = db
        .query_all_raw(pg(
            "SELECT vendor_id, (-sum(amount) FILTER (WHERE kind = 'commission'))::bigint AS supply, \
             COALESCE(-sum(amount) FILTER (WHERE kind = 'commission_vat'), 0)::bigint AS vat \
             FROM settlements.entries WHERE kind IN ('commission', 'commission_vat') \
             AND booked_at >= $1 AND booked_at < $2 GROUP BY vendor_id",
            [from.into(), to.into()],
        ))
        .await?;
    for r in rows {
        let vendor_id: Uuid = r.try_get("", "vendor_id")?;
        let supply: Option<i64> = r.try_get("", "supply")?;
        let vat: i64 = r.try_get("", "vat")?;
        let Some(supply) = supply.filter(|s| *s > 0) else {
            continue;
        };
        let Some(vendor) = catalog::listing::vendor_party(db, vendor_id).await? else {
            continue;
        };
        let kind = policies::vendor_policy(db, &settings, vendor_id)
            .await?
            .taxpayer_kind;
        db.execute_raw(pg(
            "INSERT INTO settlements.tax_invoices (id, vendor_id, month, supplier_name, supplier_business_number, \
             recipient_name, recipient_business_number, taxpayer_kind, supply_amount, vat) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (vendor_id, month) DO NOTHING",
            [
                new_id().into(),
                vendor_id.into(),
                month.into(),
                settings.operator_name.clone().into(),
                settings.operator_business_number.clone().into(),
                vendor.trade_name.into(),
                vendor.business_number.into(),
                kind.as_str().into(),
                supply.into(),
                vat.into(),
            ],
        ))
        .await?;
    }
    list(db, month).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    month: NaiveDate,
) -> SettlementsResult<Vec<TaxInvoice>> {
    Ok(TaxInvoice::find_by_statement(pg(
        format!("SELECT {COLUMNS} FROM settlements.tax_invoices WHERE month = $1 ORDER BY recipient_name, id"),
        [month.into()],
    ))
    .all(db)
    .await?)
}

/// The month's invoices as CSV with Korean headers, for the operator's e-tax-invoice tool.
pub fn csv(invoices: &[TaxInvoice]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let e = |e: csv::Error| e.to_string();
    w.write_record([
        "작성월",
        "공급자 사업자등록번호",
        "공급자 상호",
        "공급받는자 사업자등록번호",
        "공급받는자 상호",
        "공급받는자 과세유형",
        "품목",
        "공급가액",
        "세액",
        "합계금액",
    ])
    .map_err(e)?;
    for i in invoices {
        let kind = match i.taxpayer_kind.as_str() {
            "simplified" => "간이과세자",
            "exempt" => "면세사업자",
            _ => "일반과세자",
        };
        w.write_record([
            i.month.format("%Y-%m").to_string().as_str(),
            &i.supplier_business_number,
            &i.supplier_name,
            &i.recipient_business_number,
            &i.recipient_name,
            kind,
            "판매수수료",
            &i.supply_amount.to_string(),
            &i.vat.to_string(),
            &(i.supply_amount + i.vat).to_string(),
        ])
        .map_err(e)?;
    }
    w.into_inner().map_err(|e| e.to_string())
}
