//! The purchase-performance report (실적): a period's figures read from the rollups (never
//! from order lines), grouped by one or two dimensions, each row and the total beside the
//! same period a year before and the period before, with growth; buyers (new and
//! returning), average order value, top products and each campaign's effect.
//!
//! Rows are summed from the rollups in integers and the total is the sum of the rows, so
//! the rows of any grouping add up to the total to the won. Refunds count in the period
//! in which they happen, not in the period of the sale they give back.

use crate::cells::Measures;
use crate::error::{ReportsError, ReportsResult};
use crate::period::Period;
use chrono::NaiveDate;
use platform::attribution::{BuyerKind, SalesChannel};
use platform::status::Status;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// What a report can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Vendor,
    /// The top-level category (대분류).
    Category,
    Campaign,
    Channel,
    /// The vendor's district under the newest boundaries (see `district_mapping`).
    District,
    Certification,
    BuyerKind,
    Month,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Dimension::Vendor,
        Dimension::Category,
        Dimension::Campaign,
        Dimension::Channel,
        Dimension::District,
        Dimension::Certification,
        Dimension::BuyerKind,
        Dimension::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Vendor => "vendor",
            Dimension::Category => "category",
            Dimension::Campaign => "campaign",
            Dimension::Channel => "channel",
            Dimension::District => "district",
            Dimension::Certification => "certification",
            Dimension::BuyerKind => "buyer_kind",
            Dimension::Month => "month",
        }
    }

    /// The Korean column header.
    pub fn label_ko(self) -> &'static str {
        match self {
            Dimension::Vendor => "판매자",
            Dimension::Category => "대분류",
            Dimension::Campaign => "기획전",
            Dimension::Channel => "판매 채널",
            Dimension::District => "구·군",
            Dimension::Certification => "품질인증",
            Dimension::BuyerKind => "구매자 유형",
            Dimension::Month => "월",
        }
    }

    /// The rollup column (or expression; `$4` is the comparison's shift) it groups by.
    fn sql(self) -> &'static str {
        match self {
            Dimension::Vendor => "vendor_id::text",
            Dimension::Category => "top_category_id::text",
            Dimension::Campaign => "campaign_id::text",
            Dimension::Channel => "channel",
            Dimension::District => "district",
            Dimension::Certification => "certified::text",
            Dimension::BuyerKind => "buyer_kind",
            Dimension::Month => "to_char(day + $4::interval, 'YYYY-MM')",
        }
    }
}

/// `by`: one or two dimensions, comma-separated (absent: none, totals only).
pub fn parse_by(by: Option<&str>) -> ReportsResult<Vec<Dimension>> {
    let mut out = Vec::new();
    for word in by
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let d = Dimension::ALL.into_iter().find(|d| d.as_str() == word).ok_or_else(|| {
            ReportsError::field(
                "by",
                "invalid_dimension",
                "one or two of vendor, category, campaign, channel, district, certification, buyer_kind, month",
            )
        })?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > 2 {
        return Err(ReportsError::field(
            "by",
            "too_many_dimensions",
            "group by at most two dimensions",
        ));
    }
    Ok(out)
}

/// Whose figures: the whole shop, or one vendor's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Shop,
    Vendor(Uuid),
}

impl Scope {
    fn vendor(self) -> Option<Uuid> {
        match self {
            Scope::Shop => None,
            Scope::Vendor(v) => Some(v),
        }
    }
}

/// A figure beside its two comparisons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Compared {
    pub current: Measures,
    pub previous_year: Measures,
    pub previous_period: Measures,
    /// Net sales growth on the same period a year before, basis points (1234 = +12.34%);
    /// absent when that period sold nothing.
    pub net_growth_vs_previous_year_bp: Option<i64>,
    pub net_growth_vs_previous_period_bp: Option<i64>,
}

/// `(now − before) / before` in basis points, rounded toward zero.
pub fn growth_bp(now: i64, before: i64) -> Option<i64> {
    (before > 0)
        .then(|| ((i128::from(now) - i128::from(before)) * 10_000 / i128::from(before)) as i64)
}

impl Compared {
    fn finish(mut self) -> Self {
        self.net_growth_vs_previous_year_bp = growth_bp(self.current.net, self.previous_year.net);
        self.net_growth_vs_previous_period_bp =
            growth_bp(self.current.net, self.previous_period.net);
        self
    }
}

/// One value of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupKey {
    pub dimension: Dimension,
    /// What it is stored as (a vendor or campaign id, a channel word, `true`/`false`, `2026-10`).
    pub value: String,
    /// How the report names it, in Korean.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub keys: Vec<GroupKey>,
    #[serde(flatten)]
    pub figures: Compared,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Buyers {
    /// Distinct buyers who paid for an order in the period.
    pub buyers: i64,
    /// Of them, those whose first order ever (in this scope) was in the period.
    pub new_buyers: i64,
    pub returning_buyers: i64,
    /// Orders paid in the period, counted once per vendor they bought from.
    pub vendor_orders: i64,
    /// What customers paid for goods (gross − discounts) per vendor order, rounded down.
    pub average_order_value: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TopProduct {
    pub product_id: Uuid,
    pub title: String,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub units: i64,
    pub net: i64,
}

/// A campaign's sales during it against as many days just before it, over the products
/// it sold at its price or coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CampaignEffect {
    pub campaign_id: Uuid,
    pub title: String,
    pub during_from: NaiveDate,
    pub during_to: NaiveDate,
    pub before_from: NaiveDate,
    pub before_to: NaiveDate,
    pub net_during: i64,
    pub net_before: i64,
    pub growth_bp: Option<i64>,
}

/// A row of the old→new district mapping.
pub type DistrictSuccession = catalog::districts::Succession;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PerformanceReport {
    pub period: Period,
    pub previous_year: Period,
    pub previous_period: Period,
    pub by: Vec<Dimension>,
    pub totals: Compared,
    /// Empty without `by`; their figures add up to `totals`.
    pub rows: Vec<ReportRow>,
    pub buyers: Buyers,
    pub top_products: Vec<TopProduct>,
    pub campaigns: Vec<CampaignEffect>,
    /// How districts before Incheon's 2026-07-01 reorganisation are read under the new
    /// ones in every period (a sale is placed by its vendor's postal code).
    pub district_mapping: Vec<DistrictSuccession>,
    /// What the figures mean, in Korean, for the printed page and the exports.
    pub notes: Vec<String>,
}

pub const NOTES: [&str; 4] = [
    "환불은 환불이 발생한 기간에 집계합니다 (판매 기간이 아니라).",
    "순매출 = 정가 매출 − 판매자 부담 할인 − 플랫폼 부담 할인 − 환불. 배송비는 제외합니다.",
    "구·군은 2026-07-01 인천 행정구역 개편 이후 기준입니다 (중구·동구 → 제물포구·영종구, 서구 일부 → 검단구).",
    "외부 채널(오픈마켓) 매출은 업로드된 판매 내역이며 주문 수·할인은 포함하지 않습니다.",
];

/// Every rollup row of the scope and days `$1..=$2` (`$3`: a vendor or NULL), the
/// shop's own sales and the uploaded open-market ones alike.
const SOURCE: &str = "SELECT day, product_id, vendor_id, top_category_id, campaign_id, channel, district, certified, \
         buyer_kind, orders, units, gross, vendor_discount, platform_discount, refunds, refunded_units, net \
     FROM reports.daily_sales WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR vendor_id = $3) \
     UNION ALL \
     SELECT day, product_id, vendor_id, top_category_id, '00000000-0000-0000-0000-000000000000'::uuid, channel, \
         district, certified, 'consumer', 0, units, gross, 0, 0, refunds, 0, net \
     FROM reports.external_sales WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR vendor_id = $3)";

const SUMS: &str = "sum(orders)::int8 AS orders, sum(units)::int8 AS units, sum(gross)::int8 AS gross, \
     sum(vendor_discount)::int8 AS vendor_discount, sum(platform_discount)::int8 AS platform_discount, \
     sum(refunds)::int8 AS refunds, sum(refunded_units)::int8 AS refunded_units, sum(net)::int8 AS net";

#[derive(Debug, FromQueryResult)]
struct GroupRow {
    k1: String,
    k2: String,
    orders: i64,
    units: i64,
    gross: i64,
    vendor_discount: i64,
    platform_discount: i64,
    refunds: i64,
    refunded_units: i64,
    net: i64,
}

impl GroupRow {
    fn measures(&self) -> Measures {
        Measures {
            orders: self.orders,
            units: self.units,
            gross: self.gross,
            vendor_discount: self.vendor_discount,
            platform_discount: self.platform_discount,
            refunds: self.refunds,
            refunded_units: self.refunded_units,
            net: self.net,
        }
    }
}

fn params(p: &Period, scope: Scope) -> Vec<Value> {
    vec![p.from.into(), p.to.into(), scope.vendor().into()]
}

/// The figures of `p` grouped by `by` (none: one group), month keys moved by `shift`.
async fn grouped(
    db: &impl ConnectionTrait,
    p: &Period,
    scope: Scope,
    by: &[Dimension],
    shift: &str,
) -> ReportsResult<Vec<(Vec<String>, Measures)>> {
    let k = |i: usize| by.get(i).map_or("''::text", |d| d.sql());
    let sql = format!(
        "SELECT {} AS k1, {} AS k2, {SUMS} FROM ({SOURCE}) s \
         WHERE $4::interval IS NOT NULL GROUP BY 1, 2",
        k(0),
        k(1)
    );
    let mut values = params(p, scope);
    values.push(shift.into());
    let rows = GroupRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let keys = [r.k1.clone(), r.k2.clone()]
                .into_iter()
                .take(by.len())
                .collect();
            (keys, r.measures())
        })
        .collect())
}

/// The report's rows and totals, each period summed from the same grouping.
async fn rows_and_totals(
    db: &impl ConnectionTrait,
    period: &Period,
    scope: Scope,
    by: &[Dimension],
) -> ReportsResult<(Compared, BTreeMap<Vec<String>, Compared>)> {
    let py = period.previous_year();
    let pp = period.previous_period();
    let now = grouped(db, period, scope, by, "0 days").await?;
    let year = grouped(db, &py, scope, by, &py.shift_to(period)).await?;
    let before = grouped(db, &pp, scope, by, &pp.shift_to(period)).await?;
    let mut rows: BTreeMap<Vec<String>, Compared> = BTreeMap::new();
    let mut total = Compared::default();
    for (keys, m) in now {
        rows.entry(keys).or_default().current.add(&m);
        total.current.add(&m);
    }
    for (keys, m) in year {
        rows.entry(keys).or_default().previous_year.add(&m);
        total.previous_year.add(&m);
    }
    for (keys, m) in before {
        rows.entry(keys).or_default().previous_period.add(&m);
        total.previous_period.add(&m);
    }
    // A month grouping keeps only the reported months (a comparison's months are moved
    // onto them; those that land outside have no row to sit beside).
    if let Some(i) = by.iter().position(|d| *d == Dimension::Month) {
        let (first, last) = (
            period.from.format("%Y-%m").to_string(),
            period.to.format("%Y-%m").to_string(),
        );
        rows.retain(|k, _| k.get(i).is_some_and(|m| *m >= first && *m <= last));
        total = Compared::default();
        for c in rows.values() {
            total.current.add(&c.current);
            total.previous_year.add(&c.previous_year);
            total.previous_period.add(&c.previous_period);
        }
    }
    let rows = rows.into_iter().map(|(k, c)| (k, c.finish())).collect();
    Ok((total.finish(), rows))
}

async fn buyers(
    db: &impl ConnectionTrait,
    p: &Period,
    scope: Scope,
    paid_for_goods: i64,
) -> ReportsResult<Buyers> {
    #[derive(FromQueryResult)]
    struct B {
        buyers: i64,
        new_buyers: i64,
        vendor_orders: i64,
    }
    let b = B::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        // New buyers: those with no earlier day, found by the primary key (customer, day)
        // rather than by reading each buyer's whole history.
        "WITH p AS (SELECT customer_id, sum(orders) AS orders FROM reports.buyer_days \
                 WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR vendor_id = $3) GROUP BY customer_id) \
         SELECT (SELECT count(*) FROM p)::int8 AS buyers, \
                (SELECT count(*) FROM p WHERE NOT EXISTS (SELECT 1 FROM reports.buyer_days b \
                    WHERE b.customer_id = p.customer_id AND b.day < $1 \
                      AND ($3::uuid IS NULL OR b.vendor_id = $3)))::int8 AS new_buyers, \
                (SELECT COALESCE(sum(orders), 0) FROM p)::int8 AS vendor_orders",
        params(p, scope),
    ))
    .one(db)
    .await?
    .unwrap_or(B {
        buyers: 0,
        new_buyers: 0,
        vendor_orders: 0,
    });
    Ok(Buyers {
        buyers: b.buyers,
        new_buyers: b.new_buyers,
        returning_buyers: b.buyers - b.new_buyers,
        vendor_orders: b.vendor_orders,
        average_order_value: if b.vendor_orders > 0 {
            paid_for_goods / b.vendor_orders
        } else {
            0
        },
    })
}

async fn top_products(
    db: &impl ConnectionTrait,
    p: &Period,
    scope: Scope,
    limit: i64,
) -> ReportsResult<Vec<TopProduct>> {
    #[derive(FromQueryResult)]
    struct T {
        product_id: Uuid,
        vendor_id: Uuid,
        units: i64,
        net: i64,
    }
    let mut values = params(p, scope);
    values.push(limit.into());
    let rows = T::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "SELECT product_id, vendor_id, sum(units)::int8 AS units, sum(net)::int8 AS net FROM ({SOURCE}) s \
             GROUP BY 1, 2 ORDER BY net DESC, product_id LIMIT $4"
        ),
        values,
    ))
    .all(db)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.product_id).collect();
    let vendors: Vec<Uuid> = rows.iter().map(|r| r.vendor_id).collect();
    let titles = catalog::listing::product_titles(db, &ids).await?;
    let names = catalog::listing::vendor_names(db, &vendors).await?;
    Ok(rows
        .into_iter()
        .map(|r| TopProduct {
            title: titles.get(&r.product_id).cloned().unwrap_or_default(),
            vendor_name: names.get(&r.vendor_id).cloned().unwrap_or_default(),
            product_id: r.product_id,
            vendor_id: r.vendor_id,
            units: r.units,
            net: r.net,
        })
        .collect())
}

/// Campaigns (at most this many, by net sales in the period) measured for their effect.
const CAMPAIGNS_MEASURED: i64 = 10;

async fn campaign_effects(
    db: &impl ConnectionTrait,
    p: &Period,
    scope: Scope,
) -> ReportsResult<Vec<CampaignEffect>> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT campaign_id FROM reports.daily_sales WHERE day BETWEEN $1 AND $2 \
                 AND ($3::uuid IS NULL OR vendor_id = $3) AND campaign_id <> '00000000-0000-0000-0000-000000000000' \
             GROUP BY campaign_id ORDER BY sum(net) DESC, campaign_id LIMIT $4",
            [p.from.into(), p.to.into(), scope.vendor().into(), CAMPAIGNS_MEASURED.into()],
        ))
        .await?;
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|r| r.try_get("", "campaign_id"))
        .collect::<Result<_, _>>()?;
    let windows = promotions::campaigns::windows(db, &ids).await?;
    let mut out = Vec::new();
    for w in windows {
        let during_from = crate::cells::kst_day(w.starts_at);
        let during_to = crate::cells::kst_day(w.ends_at).max(during_from);
        let len = (during_to - during_from).num_days() + 1;
        let before_to = during_from - chrono::Duration::days(1);
        let before_from = during_from - chrono::Duration::days(len);
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT COALESCE(sum(net) FILTER (WHERE day >= $3), 0)::int8 AS during, \
                        COALESCE(sum(net) FILTER (WHERE day < $3), 0)::int8 AS before \
                 FROM reports.daily_sales WHERE day BETWEEN $2 AND $4 AND ($5::uuid IS NULL OR vendor_id = $5) \
                   AND product_id IN (SELECT DISTINCT product_id FROM reports.daily_sales \
                       WHERE campaign_id = $1 AND day BETWEEN $3 AND $4)",
                [
                    w.id.into(),
                    before_from.into(),
                    during_from.into(),
                    during_to.into(),
                    scope.vendor().into(),
                ],
            ))
            .await?;
        let (during, before): (i64, i64) = match row {
            Some(r) => (r.try_get("", "during")?, r.try_get("", "before")?),
            None => (0, 0),
        };
        out.push(CampaignEffect {
            campaign_id: w.id,
            title: w.title,
            during_from,
            during_to,
            before_from,
            before_to,
            net_during: during,
            net_before: before,
            growth_bp: growth_bp(during, before),
        });
    }
    out.sort_by(|a, b| {
        b.net_during
            .cmp(&a.net_during)
            .then(a.campaign_id.cmp(&b.campaign_id))
    });
    Ok(out)
}

/// Korean names for the stored values of the dimensions in `rows`.
async fn labels(
    db: &impl ConnectionTrait,
    by: &[Dimension],
    keys: &[&Vec<String>],
) -> ReportsResult<HashMap<(Dimension, String), String>> {
    let ids_of = |d: Dimension| -> Vec<Uuid> {
        let Some(i) = by.iter().position(|x| *x == d) else {
            return Vec::new();
        };
        keys.iter().filter_map(|k| k.get(i)?.parse().ok()).collect()
    };
    let mut out = HashMap::new();
    for (id, name) in catalog::listing::vendor_names(db, &ids_of(Dimension::Vendor)).await? {
        out.insert((Dimension::Vendor, id.to_string()), name);
    }
    for (id, name) in catalog::listing::category_names(db, &ids_of(Dimension::Category)).await? {
        out.insert((Dimension::Category, id.to_string()), name);
    }
    for w in promotions::campaigns::windows(db, &ids_of(Dimension::Campaign)).await? {
        out.insert((Dimension::Campaign, w.id.to_string()), w.title);
    }
    Ok(out)
}

/// The Korean label of a stored value.
pub fn label_of(d: Dimension, value: &str, named: &HashMap<(Dimension, String), String>) -> String {
    if let Some(name) = named.get(&(d, value.to_owned())) {
        return name.clone();
    }
    match d {
        Dimension::Campaign if value == Uuid::nil().to_string() => "기획전 외".into(),
        Dimension::Category if value == Uuid::nil().to_string() => "미분류".into(),
        Dimension::Channel => {
            SalesChannel::parse(value).map_or(value.into(), |c| c.label_ko().into())
        }
        Dimension::BuyerKind => {
            BuyerKind::parse(value).map_or(value.into(), |b| b.label_ko().into())
        }
        Dimension::Certification => if value == "true" {
            "인증"
        } else {
            "미인증"
        }
        .into(),
        _ => value.into(),
    }
}

/// The report of `period` for `scope`, grouped by `by`.
#[tracing::instrument(skip_all, fields(from = %period.from, to = %period.to))]
pub async fn report(
    db: &impl ConnectionTrait,
    period: Period,
    scope: Scope,
    by: &[Dimension],
) -> ReportsResult<PerformanceReport> {
    let (totals, grouped_rows) = rows_and_totals(db, &period, scope, by).await?;
    let named = labels(db, by, &grouped_rows.keys().collect::<Vec<_>>()).await?;
    let mut rows: Vec<ReportRow> = if by.is_empty() {
        Vec::new()
    } else {
        grouped_rows
            .into_iter()
            .map(|(k, figures)| ReportRow {
                keys: by
                    .iter()
                    .zip(k)
                    .map(|(d, value)| GroupKey {
                        dimension: *d,
                        label: label_of(*d, &value, &named),
                        value,
                    })
                    .collect(),
                figures,
            })
            .collect()
    };
    if !by.contains(&Dimension::Month) {
        rows.sort_by_key(|r| std::cmp::Reverse(r.figures.current.net));
    }
    let c = &totals.current;
    let paid_for_goods = c.gross - c.vendor_discount - c.platform_discount;
    Ok(PerformanceReport {
        previous_year: period.previous_year(),
        previous_period: period.previous_period(),
        by: by.to_vec(),
        totals,
        rows,
        buyers: buyers(db, &period, scope, paid_for_goods).await?,
        top_products: top_products(db, &period, scope, 10).await?,
        campaigns: campaign_effects(db, &period, scope).await?,
        district_mapping: catalog::districts::successions().to_vec(),
        notes: NOTES.iter().map(|s| (*s).to_owned()).collect(),
        period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_takes_one_or_two_known_dimensions() {
        assert_eq!(
            parse_by(Some("vendor, month")).ok(),
            Some(vec![Dimension::Vendor, Dimension::Month])
        );
        assert_eq!(parse_by(None).ok(), Some(vec![]));
        assert!(parse_by(Some("vendor,channel,month")).is_err());
        assert!(parse_by(Some("colour")).is_err());
    }

    #[test]
    fn growth_is_in_basis_points_and_absent_without_a_base() {
        assert_eq!(growth_bp(11_000, 10_000), Some(1_000));
        assert_eq!(growth_bp(5_000, 10_000), Some(-5_000));
        assert_eq!(growth_bp(5_000, 0), None);
    }
}
