//! Open-market sales (11번가, 롯데온, …): marketers upload a storefront's sales export for a
//! channel and period as CSV (date, SKU or product code, quantity, amount, refund). Rows
//! are matched to our variants by SKU through the catalog; rows that match nothing, match
//! two vendors, fall outside the period or do not read are reported back and left out.
//! Uploading the same channel and period again replaces the earlier upload; a period that
//! overlaps another upload of the channel is refused, so no sale counts twice.

use crate::error::{ReportsError, ReportsResult};
use chrono::NaiveDate;
use platform::attribution::SalesChannel;
use platform::db::pg;
use platform::ids::new_id;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait, Value};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The most rows one upload takes.
pub const MAX_ROWS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnmatchedRow {
    /// The CSV line (the header is line 1).
    pub line: u64,
    pub sku: String,
    /// `unknown_sku`, `ambiguous_sku`, `outside_period` or `invalid_row`.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UploadResult {
    pub upload_id: Uuid,
    pub channel: SalesChannel,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Whether an earlier upload of the same channel and period was replaced.
    pub replaced: bool,
    pub rows: i64,
    pub matched: i64,
    pub unmatched: Vec<UnmatchedRow>,
    pub units: i64,
    pub gross: i64,
    pub refunds: i64,
    pub net: i64,
}

/// One row as read.
#[derive(Debug, Clone)]
struct Sale {
    line: u64,
    day: NaiveDate,
    sku: String,
    units: i64,
    amount: i64,
    refund: i64,
}

/// Which column holds what, by header (English or the Korean the markets use).
fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| {
        names.iter().any(|n| {
            h.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(n)
        })
    })
}

/// Whole won or units, allowing thousands separators and "원".
fn number(s: &str) -> Option<i64> {
    let cleaned: String = s
        .trim()
        .trim_end_matches('원')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if cleaned.is_empty() {
        return Some(0);
    }
    cleaned.parse::<i64>().ok().filter(|v| *v >= 0)
}

fn day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let date = s.get(..10).unwrap_or(s).replace(['.', '/'], "-");
    NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok()
}

/// Read the CSV: the rows that read, and those that do not (as unmatched `invalid_row`).
fn read(csv_text: &str) -> ReportsResult<(Vec<Sale>, Vec<UnmatchedRow>)> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers = r
        .headers()
        .map_err(|e| ReportsError::field("body", "invalid_csv", e.to_string()))?
        .clone();
    let missing = |what: &str| {
        ReportsError::field(
            "body",
            "missing_column",
            format!("the CSV needs a {what} column"),
        )
    };
    let c_day = column(&headers, &["date", "day", "주문일", "판매일", "날짜"])
        .ok_or_else(|| missing("date"))?;
    let c_sku = column(
        &headers,
        &["sku", "product", "상품코드", "판매자상품코드", "상품"],
    )
    .ok_or_else(|| missing("sku"))?;
    let c_qty =
        column(&headers, &["quantity", "qty", "수량"]).ok_or_else(|| missing("quantity"))?;
    let c_amount = column(&headers, &["amount", "sales", "판매금액", "금액"])
        .ok_or_else(|| missing("amount"))?;
    let c_refund = column(&headers, &["refund", "refunds", "환불금액", "환불"]);
    let mut sales = Vec::new();
    let mut bad = Vec::new();
    for (i, rec) in r.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(ReportsError::field(
                "body",
                "too_many_rows",
                format!("at most {MAX_ROWS} rows per upload"),
            ));
        }
        let line = i as u64 + 2;
        let Ok(rec) = rec else {
            bad.push(UnmatchedRow {
                line,
                sku: String::new(),
                reason: "invalid_row".into(),
            });
            continue;
        };
        let get = |c: usize| rec.get(c).unwrap_or("");
        let sku = get(c_sku).trim().to_owned();
        let parsed = (|| {
            Some(Sale {
                line,
                day: day(get(c_day))?,
                sku: sku.clone(),
                units: number(get(c_qty))?,
                amount: number(get(c_amount))?,
                refund: c_refund.map_or(Some(0), |c| number(get(c)))?,
            })
        })();
        match parsed {
            Some(s) if !s.sku.is_empty() && !s.sku.contains('\0') => sales.push(s),
            _ => bad.push(UnmatchedRow {
                line,
                sku,
                reason: "invalid_row".into(),
            }),
        }
    }
    Ok((sales, bad))
}

/// Upload `csv_text` as `channel`'s sales over `from..=to`, replacing an earlier upload of
/// the same channel and period; one transaction.
pub async fn upload(
    db: &DatabaseConnection,
    channel: SalesChannel,
    from: NaiveDate,
    to: NaiveDate,
    csv_text: &str,
    by: Uuid,
) -> ReportsResult<UploadResult> {
    if !channel.is_external() {
        return Err(ReportsError::field(
            "channel",
            "not_external",
            "uploads are for open-market channels; the shop's own sales are counted from its orders",
        ));
    }
    if to < from || (to - from).num_days() > crate::period::MAX_DAYS {
        return Err(ReportsError::field(
            "to",
            "invalid_period",
            "to must be on or after from, within two years",
        ));
    }
    let (sales, mut unmatched) = read(csv_text)?;
    let mut skus: Vec<String> = sales.iter().map(|s| s.sku.clone()).collect();
    skus.sort();
    skus.dedup();
    let txn = db.begin().await?;
    let mut found: HashMap<String, Vec<catalog::listing::SkuFacts>> = HashMap::new();
    for f in catalog::listing::variants_by_sku(&txn, &skus).await? {
        found.entry(f.sku.clone()).or_default().push(f);
    }
    let overlap = txn
        .query_one_raw(pg(
            "SELECT id FROM reports.external_uploads WHERE channel = $1 AND period_from <= $3 AND period_to >= $2 \
                 AND NOT (period_from = $2 AND period_to = $3) LIMIT 1",
            [channel.into(), from.into(), to.into()],
        ))
        .await?;
    if overlap.is_some() {
        return Err(ReportsError::field(
            "from",
            "overlapping_upload",
            "another upload of this channel covers part of the period: upload its exact period again to replace it",
        ));
    }
    let replaced = txn
        .execute_raw(pg(
            "DELETE FROM reports.external_uploads WHERE channel = $1 AND period_from = $2 AND period_to = $3",
            [channel.into(), from.into(), to.into()],
        ))
        .await?
        .rows_affected()
        > 0;
    let upload_id = new_id();
    let mut matched: Vec<(&Sale, &catalog::listing::SkuFacts)> = Vec::new();
    for s in &sales {
        let reason = match found.get(&s.sku).map(Vec::as_slice) {
            None | Some([]) => Some("unknown_sku"),
            Some([_, _, ..]) => Some("ambiguous_sku"),
            Some([_]) if s.day < from || s.day > to => Some("outside_period"),
            Some([f]) => {
                matched.push((s, f));
                None
            }
        };
        if let Some(reason) = reason {
            unmatched.push(UnmatchedRow {
                line: s.line,
                sku: s.sku.clone(),
                reason: reason.into(),
            });
        }
    }
    let rows = attributed(&txn, upload_id, channel, &matched).await?;
    let (mut units, mut gross, mut refunds) = (0i64, 0i64, 0i64);
    for (s, _) in &matched {
        units += s.units;
        gross += s.amount;
        refunds += s.refund;
    }
    unmatched.sort_by_key(|u| u.line);
    txn.execute_raw(pg(
        "INSERT INTO reports.external_uploads (id, channel, period_from, period_to, uploaded_by, rows_total, rows_matched, unmatched) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            upload_id.into(),
            channel.into(),
            from.into(),
            to.into(),
            by.into(),
            ((sales.len() + unmatched.iter().filter(|u| u.reason == "invalid_row").count()) as i32).into(),
            (rows.len() as i32).into(),
            serde_json::to_value(&unmatched).unwrap_or_default().into(),
        ],
    ))
    .await?;
    for chunk in rows.chunks(2_000) {
        let placeholders: Vec<String> = (0..chunk.len())
            .map(|r| {
                let cols: Vec<String> = (1..=13).map(|c| format!("${}", r * 13 + c)).collect();
                format!("({})", cols.join(", "))
            })
            .collect();
        txn.execute_raw(pg(
            format!(
                "INSERT INTO reports.external_sales (upload_id, day, channel, product_id, vendor_id, category_id, \
                     top_category_id, district, certified, units, gross, refunds, net) VALUES {}",
                placeholders.join(", ")
            ),
            chunk.iter().flatten().cloned().collect::<Vec<Value>>(),
        ))
        .await?;
    }
    txn.commit().await?;
    let matched = rows.len() as i64;
    Ok(UploadResult {
        upload_id,
        channel,
        from,
        to,
        replaced,
        rows: matched + unmatched.len() as i64,
        matched,
        unmatched,
        units,
        gross,
        refunds,
        net: gross - refunds,
    })
}

/// The rows to store for the matched sales, each placed as things stood on its own day:
/// certified if the vendor held a verified certification valid that day; category,
/// top-level category and district as the shop recorded them at its latest sale of the
/// product by that day (today's catalog when the shop had not sold it by then).
async fn attributed(
    db: &impl ConnectionTrait,
    upload_id: Uuid,
    channel: SalesChannel,
    matched: &[(&Sale, &catalog::listing::SkuFacts)],
) -> ReportsResult<Vec<Vec<Value>>> {
    let mut product_days: Vec<(Uuid, NaiveDate)> =
        matched.iter().map(|(s, f)| (f.product_id, s.day)).collect();
    product_days.sort_unstable();
    product_days.dedup();
    let mut vendor_days: Vec<(Uuid, NaiveDate)> =
        matched.iter().map(|(s, f)| (f.vendor_id, s.day)).collect();
    vendor_days.sort_unstable();
    vendor_days.dedup();
    let certified = catalog::listing::certified_on(db, &vendor_days).await?;
    let as_of: HashMap<(Uuid, NaiveDate), orders::sales_facts::AttributedAsOf> =
        orders::sales_facts::attribution_as_of(db, &product_days)
            .await?
            .into_iter()
            .map(|a| ((a.product_id, a.day), a))
            .collect();
    Ok(matched
        .iter()
        .map(|(s, f)| {
            let then = as_of.get(&(f.product_id, s.day));
            vec![
                upload_id.into(),
                s.day.into(),
                channel.into(),
                f.product_id.into(),
                f.vendor_id.into(),
                then.map_or(f.category_id, |a| a.category_id).into(),
                then.map_or(f.top_category_id, |a| a.top_category_id).into(),
                then.map_or_else(
                    || catalog::districts::district_now(&f.postal_code, &f.address).to_owned(),
                    |a| a.district.clone(),
                )
                .into(),
                certified.contains(&(f.vendor_id, s.day)).into(),
                s.units.into(),
                s.amount.into(),
                s.refund.into(),
                (s.amount - s.refund).into(),
            ]
        })
        .collect())
}

/// An upload as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct UploadSummary {
    pub id: Uuid,
    pub channel: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub rows_total: i32,
    pub rows_matched: i32,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
}

/// Every upload, newest period first.
pub async fn list(db: &impl ConnectionTrait) -> ReportsResult<Vec<UploadSummary>> {
    Ok(UploadSummary::find_by_statement(pg(
        "SELECT id, channel, period_from, period_to, rows_total, rows_matched, uploaded_at \
         FROM reports.external_uploads ORDER BY period_from DESC, channel LIMIT 500",
        [],
    ))
    .all(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_reads_with_korean_headers_separators_and_bad_rows_set_aside() {
        let text = "주문일,상품코드,수량,판매금액,환불금액\n2026.10.03,KIM-1,2,\"24,000\",0\n2026-10-04,KIM-2,x,1000,0\n";
        let Ok((sales, bad)) = read(text) else {
            panic!("reads")
        };
        assert_eq!(sales.len(), 1);
        assert_eq!(
            (sales[0].units, sales[0].amount, sales[0].sku.as_str()),
            (2, 24_000, "KIM-1")
        );
        assert_eq!(
            bad,
            vec![UnmatchedRow {
                line: 3,
                sku: "KIM-2".into(),
                reason: "invalid_row".into()
            }]
        );
        assert!(read("a,b\n1,2\n").is_err());
    }
}
