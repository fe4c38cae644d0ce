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
use chrono::{Datelike, Months, NaiveDate};
use platform::attribution::{BuyerKind, SalesChannel};
use platform::db::pg;
use platform::status::Status;
use sea_orm::{ConnectionTrait, FromQueryResult, TransactionSession, TransactionTrait, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// What a report can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Vendor,
    /// The product's own category (the leaf it is listed in, 분류) at the time of sale.
    Category,
    /// The category's top level (대분류) at the time of sale.
    TopCategory,
    Campaign,
    Channel,
    /// The vendor's district under the newest boundaries (see `district_mapping`).
    District,
    Certification,
    BuyerKind,
    Month,
}

impl Dimension {
    pub const ALL: [Dimension; 9] = [
        Dimension::Vendor,
        Dimension::Category,
        Dimension::TopCategory,
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
            Dimension::TopCategory => "top_category",
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
            Dimension::Category => "분류",
            Dimension::TopCategory => "대분류",
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
            Dimension::Category => "category_id::text",
            Dimension::TopCategory => "top_category_id::text",
            Dimension::Campaign => "campaign_id::text",
            Dimension::Channel => "channel",
            Dimension::District => "district",
            Dimension::Certification => "certified::text",
            Dimension::BuyerKind => "buyer_kind",
            Dimension::Month => "to_char(day + $4::interval, 'YYYY-MM')",
        }
    }
}

impl Dimension {
    /// The column [`Dimension::sql`] reads, to group by: sorting a quarter's buyers by
    /// uuid rather than by its text, or by a month's first day rather than its name,
    /// took a third off counting them.
    fn column(self) -> &'static str {
        match self {
            Dimension::Vendor => "vendor_id",
            Dimension::Category => "category_id",
            Dimension::TopCategory => "top_category_id",
            Dimension::Campaign => "campaign_id",
            Dimension::Certification => "certified",
            Dimension::Month => "date_trunc('month', day + $4::interval)",
            d => d.sql(),
        }
    }

    /// [`Dimension::sql`] over [`Dimension::column`], for a query grouped by the latter.
    fn sql_of_column(self) -> String {
        match self {
            Dimension::Month => format!("to_char({}, 'YYYY-MM')", self.column()),
            d => d.sql().to_owned(),
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
                "one or two of vendor, category, top_category, campaign, channel, district, certification, buyer_kind, month",
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
    /// Distinct buyers in this slice (the shop's own orders: open-market exports name no
    /// buyer). Unlike the measures they do not add up: a customer who bought from two
    /// vendors counts once in each vendor's row and once in the total.
    pub buyers: BuyerCounts,
    /// Net sales growth on the same period a year before, basis points (1234 = +12.34%);
    /// absent when that period sold nothing.
    pub net_growth_vs_previous_year_bp: Option<i64>,
    pub net_growth_vs_previous_period_bp: Option<i64>,
}

/// Distinct buyers in each period compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BuyerCounts {
    pub current: i64,
    pub previous_year: i64,
    pub previous_period: i64,
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

/// The rows of the groupings' rollups for the scope and days `$1..=$2` (`$3`: a vendor or
/// NULL): whole months `$5..=$6` from the monthly table, the other days from the daily
/// one, and the uploaded open-market sales.
const SOURCE: &str = "SELECT day, vendor_id, category_id, top_category_id, campaign_id, channel, district, certified, \
         buyer_kind, orders, units, gross, vendor_discount, platform_discount, refunds, refunded_units, net \
     FROM reports.monthly_sales WHERE day BETWEEN $5 AND $6 AND ($3::uuid IS NULL OR vendor_id = $3) \
     UNION ALL \
     SELECT day, vendor_id, category_id, top_category_id, campaign_id, channel, district, certified, \
         buyer_kind, orders, units, gross, vendor_discount, platform_discount, refunds, refunded_units, net \
     FROM reports.daily_sales WHERE day BETWEEN $1 AND $2 AND day NOT BETWEEN $5 AND $6 \
         AND ($3::uuid IS NULL OR vendor_id = $3) \
     UNION ALL \
     SELECT day, vendor_id, category_id, top_category_id, '00000000-0000-0000-0000-000000000000'::uuid, channel, \
         district, certified, 'consumer', 0, units, gross, 0, 0, refunds, 0, net \
     FROM reports.external_sales WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR vendor_id = $3)";

/// The same for products (parameters as [`SOURCE`]).
const PRODUCT_SOURCE: &str = "SELECT product_id, vendor_id, units, net FROM reports.monthly_products \
         WHERE day BETWEEN $5 AND $6 AND ($3::uuid IS NULL OR vendor_id = $3) \
     UNION ALL SELECT product_id, vendor_id, units, net FROM reports.daily_products \
         WHERE day BETWEEN $1 AND $2 AND day NOT BETWEEN $5 AND $6 AND ($3::uuid IS NULL OR vendor_id = $3) \
     UNION ALL SELECT product_id, vendor_id, units, net FROM reports.external_sales \
         WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR vendor_id = $3)";

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

/// The whole months of `p` (first and last day), read from the monthly tables; `None`
/// when it holds none.
fn whole_months(p: &Period) -> Option<(NaiveDate, NaiveDate)> {
    let first = if p.from.day() == 1 {
        p.from
    } else {
        crate::rollup::month_of(p.from).checked_add_months(Months::new(1))?
    };
    let after = p.to.succ_opt()?;
    let last = if after.day() == 1 {
        p.to
    } else {
        crate::rollup::month_of(p.to).pred_opt()?
    };
    (first <= last).then_some((first, last))
}

/// `$1..=$6` of [`SOURCE`]; `months`: whether whole months may come from the monthly
/// tables (not when month keys are moved by days: a month's row has no days to move).
fn params(p: &Period, scope: Scope, shift: &str, months: bool) -> Vec<Value> {
    // An empty range (from after to) when no month is read whole.
    let (m_from, m_to) = whole_months(p)
        .filter(|_| months)
        .unwrap_or((p.to + chrono::Duration::days(1), p.to));
    vec![
        p.from.into(),
        p.to.into(),
        scope.vendor().into(),
        shift.into(),
        m_from.into(),
        m_to.into(),
    ]
}

/// Whether whole months may be read from the monthly tables: not when month keys are
/// moved by days (a month's row has no days to move).
fn months_readable(by: &[Dimension], shift: &str) -> bool {
    !(by.contains(&Dimension::Month) && shift.ends_with("days") && shift != "0 days")
}

/// The grouping expressions of `by` (none: one group).
fn keys(by: &[Dimension]) -> (&'static str, &'static str) {
    let k = |i: usize| by.get(i).map_or("''::text", |d| d.sql());
    (k(0), k(1))
}

fn key_of(by: &[Dimension], k1: String, k2: String) -> Vec<String> {
    [k1, k2].into_iter().take(by.len()).collect()
}

/// The figures of `p` grouped by `by`, month keys moved by `shift`.
async fn grouped(
    db: &impl ConnectionTrait,
    p: &Period,
    scope: Scope,
    by: &[Dimension],
    shift: &str,
) -> ReportsResult<Vec<(Vec<String>, Measures)>> {
    let (k1, k2) = keys(by);
    let rows = GroupRow::find_by_statement(pg(
        format!(
            "SELECT {k1} AS k1, {k2} AS k2, {SUMS} FROM ({SOURCE}) s \
             WHERE $4::interval IS NOT NULL GROUP BY 1, 2"
        ),
        params(p, scope, shift, months_readable(by, shift)),
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let m = r.measures();
            (key_of(by, r.k1, r.k2), m)
        })
        .collect())
}

/// Who bought where in the scope and days `$1..=$2` (`$3`: a vendor or NULL), by customer
/// number: whole months `$5..=$6` from the monthly buyer arrays, the other days from the
/// daily buyer cells.
const BUYER_SOURCE: &str = "SELECT day, vendor_id, category_id, top_category_id, campaign_id, channel, district, \
         certified, buyer_kind, unnest(customers) AS customer \
     FROM reports.monthly_buyers WHERE day BETWEEN $5 AND $6 AND ($3::uuid IS NULL OR vendor_id = $3) \
     UNION ALL \
     SELECT b.day, b.vendor_id, b.category_id, b.top_category_id, b.campaign_id, b.channel, b.district, \
         b.certified, b.buyer_kind, n.number \
     FROM reports.buyer_cells b JOIN reports.customer_numbers n ON n.customer_id = b.customer_id \
     WHERE b.day BETWEEN $1 AND $2 AND b.day NOT BETWEEN $5 AND $6 AND ($3::uuid IS NULL OR b.vendor_id = $3)";

/// Distinct buyers of `p` in each group of `by` and in all (`None`), month keys moved by
/// `shift`: exact (distinct counts do not add up, so months hold who, not how many).
async fn grouped_buyers(
    db: &(impl ConnectionTrait + TransactionTrait),
    p: &Period,
    scope: Scope,
    by: &[Dimension],
    shift: &str,
) -> ReportsResult<Vec<(Option<Vec<String>>, i64)>> {
    #[derive(FromQueryResult)]
    struct B {
        // NULL in the row of all groups.
        k1: Option<String>,
        k2: Option<String>,
        grand: i32,
        buyers: i64,
    }
    let k = |i: usize| {
        by.get(i)
            .map_or("''::text".to_owned(), |d| d.sql_of_column())
    };
    let (k1, k2) = (k(0), k(1));
    let c = |i: usize| by.get(i).map_or("''::text", |d| d.column());
    let (c1, c2) = (c(0), c(1));
    // The count sorts a period's (group, customer) pairs, ~20 MB for a quarter of the
    // benchmark's history: with the default 4 MB of sort memory it spilled to disk and
    // took a fifth longer.
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL work_mem = '32MB'")
        .await?;
    let rows = B::find_by_statement(pg(
        format!(
            "SELECT {k1} AS k1, {k2} AS k2, GROUPING({c1}, {c2}) AS grand, count(DISTINCT customer) AS buyers \
             FROM ({BUYER_SOURCE}) s WHERE $4::interval IS NOT NULL \
             GROUP BY GROUPING SETS (({c1}, {c2}), ())"
        ),
        params(p, scope, shift, months_readable(by, shift)),
    ))
    .all(&txn)
    .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let key = (r.grand == 0)
                .then(|| key_of(by, r.k1.unwrap_or_default(), r.k2.unwrap_or_default()));
            (key, r.buyers)
        })
        .collect())
}

/// The report's rows and totals, each period summed from the same grouping; the six
/// queries run at once, each on a connection of its own when `db` is a pool.
async fn rows_and_totals(
    db: &(impl ConnectionTrait + TransactionTrait),
    period: &Period,
    scope: Scope,
    by: &[Dimension],
) -> ReportsResult<(Compared, BTreeMap<Vec<String>, Compared>)> {
    let py = period.previous_year();
    let pp = period.previous_period();
    let (py_shift, pp_shift) = (py.shift_to(period), pp.shift_to(period));
    let (now, year, before, b_now, b_year, b_before) = tokio::try_join!(
        grouped(db, period, scope, by, "0 days"),
        grouped(db, &py, scope, by, &py_shift),
        grouped(db, &pp, scope, by, &pp_shift),
        grouped_buyers(db, period, scope, by, "0 days"),
        grouped_buyers(db, &py, scope, by, &py_shift),
        grouped_buyers(db, &pp, scope, by, &pp_shift),
    )?;
    let mut rows: BTreeMap<Vec<String>, Compared> = BTreeMap::new();
    let mut total = Compared::default();
    for (measures, pick) in [
        (
            now,
            (|c: &mut Compared| &mut c.current) as fn(&mut Compared) -> &mut Measures,
        ),
        (year, |c: &mut Compared| &mut c.previous_year),
        (before, |c: &mut Compared| &mut c.previous_period),
    ] {
        for (keys, m) in measures {
            pick(rows.entry(keys).or_default()).add(&m);
            pick(&mut total).add(&m);
        }
    }
    for (counts, pick) in [
        (
            b_now,
            (|b: &mut BuyerCounts| &mut b.current) as fn(&mut BuyerCounts) -> &mut i64,
        ),
        (b_year, |b: &mut BuyerCounts| &mut b.previous_year),
        (b_before, |b: &mut BuyerCounts| &mut b.previous_period),
    ] {
        for (keys, n) in counts {
            match keys {
                Some(k) if !by.is_empty() => *pick(&mut rows.entry(k).or_default().buyers) = n,
                Some(_) => {}
                None => *pick(&mut total.buyers) = n,
            }
        }
    }
    // A month grouping keeps only the reported months (a comparison's months are moved
    // onto them; those that land outside have no row to sit beside).
    if let Some(i) = by.iter().position(|d| *d == Dimension::Month) {
        let (first, last) = (
            period.from.format("%Y-%m").to_string(),
            period.to.format("%Y-%m").to_string(),
        );
        rows.retain(|k, _| k.get(i).is_some_and(|m| *m >= first && *m <= last));
        let buyers = total.buyers;
        total = Compared {
            buyers,
            ..Compared::default()
        };
        for c in rows.values() {
            total.current.add(&c.current);
            total.previous_year.add(&c.previous_year);
            total.previous_period.add(&c.previous_period);
        }
    }
    let rows = rows.into_iter().map(|(k, c)| (k, c.finish())).collect();
    Ok((total.finish(), rows))
}

/// New buyers and vendor orders of `p`; how many bought at all is the total of the
/// report's buyer counts.
async fn buyers(db: &impl ConnectionTrait, p: &Period, scope: Scope) -> ReportsResult<Buyers> {
    #[derive(FromQueryResult)]
    struct B {
        new_buyers: i64,
        vendor_orders: i64,
    }
    let b = B::find_by_statement(pg(
        // New buyers: those whose first day (in this scope) is in the period, a range of
        // `first_days` (a customer's first day is a day they bought on).
        "SELECT (SELECT count(*) FROM reports.first_days \
                 WHERE vendor_id = COALESCE($3::uuid, '00000000-0000-0000-0000-000000000000') \
                     AND first_day BETWEEN $1 AND $2)::int8 AS new_buyers, \
             (SELECT COALESCE(sum(orders), 0) FROM reports.buyer_days \
                 WHERE day BETWEEN $1 AND $2 AND ($3::uuid IS NULL OR vendor_id = $3))::int8 AS vendor_orders",
        [p.from.into(), p.to.into(), scope.vendor().into()],
    ))
    .one(db)
    .await?
    .unwrap_or(B {
        new_buyers: 0,
        vendor_orders: 0,
    });
    Ok(Buyers {
        new_buyers: b.new_buyers,
        vendor_orders: b.vendor_orders,
        ..Buyers::default()
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
    let mut values = params(p, scope, "0 days", true);
    values.push(limit.into());
    let rows = T::find_by_statement(pg(
        format!(
            "SELECT product_id, vendor_id, sum(units)::int8 AS units, sum(net)::int8 AS net FROM ({PRODUCT_SOURCE}) s \
             WHERE $4::interval IS NOT NULL GROUP BY 1, 2 ORDER BY net DESC, product_id LIMIT $7"
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
        .query_all_raw(pg(
            format!(
                "SELECT campaign_id FROM ({SOURCE}) s WHERE campaign_id <> '00000000-0000-0000-0000-000000000000' \
                     AND $4::interval IS NOT NULL \
                 GROUP BY campaign_id ORDER BY sum(net) DESC, campaign_id LIMIT $7"
            ),
            {
                let mut v = params(p, scope, "0 days", true);
                v.push(CAMPAIGNS_MEASURED.into());
                v
            },
        ))
        .await?;
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|r| r.try_get("", "campaign_id"))
        .collect::<Result<_, _>>()?;
    let windows = promotions::campaigns::windows(db, &ids).await?;
    let mut out: Vec<CampaignEffect> = windows
        .into_iter()
        .map(|w| {
            let during_from = crate::cells::kst_day(w.starts_at);
            let during_to = crate::cells::kst_day(w.ends_at).max(during_from);
            let len = (during_to - during_from).num_days() + 1;
            CampaignEffect {
                campaign_id: w.id,
                title: w.title,
                during_from,
                during_to,
                before_from: during_from - chrono::Duration::days(len),
                before_to: during_from - chrono::Duration::days(1),
                net_during: 0,
                net_before: 0,
                growth_bp: None,
            }
        })
        .collect();
    if out.is_empty() {
        return Ok(out);
    }
    #[derive(FromQueryResult)]
    struct E {
        id: Uuid,
        during: i64,
        before: i64,
    }
    let col = |f: fn(&CampaignEffect) -> NaiveDate| {
        Value::Array(
            sea_orm::sea_query::ArrayType::ChronoDate,
            Some(Box::new(out.iter().map(|e| f(e).into()).collect())),
        )
    };
    // Every campaign at once: the products it sold at its price or coupon during it, then
    // those products' net sales during it and as many days before.
    let sums = E::find_by_statement(pg(
        "WITH w AS (SELECT * FROM unnest($1::uuid[], $2::date[], $3::date[], $4::date[]) AS w (id, bf, df, dt)), \
              p AS (SELECT DISTINCT w.id, d.product_id FROM w JOIN reports.daily_products d \
                  ON d.campaign_id = w.id AND d.day BETWEEN w.df AND w.dt) \
         SELECT w.id, COALESCE(sum(d.net) FILTER (WHERE d.day >= w.df), 0)::int8 AS during, \
                COALESCE(sum(d.net) FILTER (WHERE d.day < w.df), 0)::int8 AS before \
         FROM w JOIN p ON p.id = w.id JOIN reports.daily_products d ON d.product_id = p.product_id \
             AND d.day BETWEEN w.bf AND w.dt AND ($5::uuid IS NULL OR d.vendor_id = $5) \
         GROUP BY w.id",
        [
            platform::db::uuid_array(&out.iter().map(|e| e.campaign_id).collect::<Vec<_>>()),
            col(|e| e.before_from),
            col(|e| e.during_from),
            col(|e| e.during_to),
            scope.vendor().into(),
        ],
    ))
    .all(db)
    .await?;
    for s in sums {
        if let Some(e) = out.iter_mut().find(|e| e.campaign_id == s.id) {
            (e.net_during, e.net_before) = (s.during, s.before);
            e.growth_bp = growth_bp(s.during, s.before);
        }
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
    for d in [Dimension::Category, Dimension::TopCategory] {
        for (id, name) in catalog::listing::category_names(db, &ids_of(d)).await? {
            out.insert((d, id.to_string()), name);
        }
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
        Dimension::Category | Dimension::TopCategory if value == Uuid::nil().to_string() => {
            "미분류".into()
        }
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
    db: &(impl ConnectionTrait + TransactionTrait),
    period: Period,
    scope: Scope,
    by: &[Dimension],
) -> ReportsResult<PerformanceReport> {
    let ((totals, grouped_rows), mut buyers, top_products, campaigns) = tokio::try_join!(
        rows_and_totals(db, &period, scope, by),
        buyers(db, &period, scope),
        top_products(db, &period, scope, 10),
        campaign_effects(db, &period, scope),
    )?;
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
    buyers.buyers = totals.buyers.current;
    buyers.returning_buyers = buyers.buyers - buyers.new_buyers;
    let c = &totals.current;
    let paid_for_goods = c.gross - c.vendor_discount - c.platform_discount;
    if buyers.vendor_orders > 0 {
        buyers.average_order_value = paid_for_goods / buyers.vendor_orders;
    }
    Ok(PerformanceReport {
        previous_year: period.previous_year(),
        previous_period: period.previous_period(),
        by: by.to_vec(),
        totals,
        rows,
        buyers,
        top_products,
        campaigns,
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
    fn only_whole_months_are_read_from_the_monthly_rollups() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        let p = |from: &str, to: &str| Period {
            from: d(from),
            to: d(to),
            quarter: None,
        };
        assert_eq!(
            whole_months(&p("2026-07-01", "2026-09-30")),
            Some((d("2026-07-01"), d("2026-09-30")))
        );
        assert_eq!(
            whole_months(&p("2026-07-02", "2026-09-29")),
            Some((d("2026-08-01"), d("2026-08-31")))
        );
        assert_eq!(whole_months(&p("2026-07-02", "2026-08-30")), None);
        assert_eq!(
            whole_months(&p("2026-02-01", "2026-02-28")),
            Some((d("2026-02-01"), d("2026-02-28")))
        );
    }

    #[test]
    fn growth_is_in_basis_points_and_absent_without_a_base() {
        assert_eq!(growth_bp(11_000, 10_000), Some(1_000));
        assert_eq!(growth_bp(5_000, 10_000), Some(-5_000));
        assert_eq!(growth_bp(5_000, 0), None);
    }
}
