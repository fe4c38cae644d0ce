//! Keeping the rollups: applying an order replaces what it added before with what it adds
//! now, in one transaction, so an event delivered twice, late or out of order leaves the
//! same numbers (`reports.order_contributions` holds each order's last contribution).
//! A rebuild walks every paid order through the same [`crate::cells::contribution`].

use crate::cells::{CellKey, Contribution, Measures, contribution};
use crate::error::{ReportsError, ReportsResult};
use chrono::{Datelike, NaiveDate};
use orders::sales_facts::{self, OrderSales};
use platform::db::pg;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// Rows per multi-row statement (one array parameter per column, so any number fits).
const CHUNK: usize = 2_000;

/// The tables an order's cells are summed into, each at its grain: the groupings read
/// days and months without the product; top products and campaign effects read days and
/// months by product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Daily,
    Monthly,
    DailyProducts,
    MonthlyProducts,
}

/// The measure columns of every rollup table, in [`Measures::columns`] order.
const MEASURES: [&str; 8] = [
    "orders",
    "units",
    "gross",
    "vendor_discount",
    "platform_discount",
    "refunds",
    "refunded_units",
    "net",
];

/// The dimension columns of the groupings' tables (and of `buyer_cells`).
const DIMS: [&str; 8] = [
    "vendor_id",
    "category_id",
    "top_category_id",
    "campaign_id",
    "channel",
    "district",
    "certified",
    "buyer_kind",
];

/// The first day of `day`'s month: a monthly row's day.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

impl Table {
    pub const ALL: [Table; 4] = [
        Table::Daily,
        Table::Monthly,
        Table::DailyProducts,
        Table::MonthlyProducts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Daily => "reports.daily_sales",
            Table::Monthly => "reports.monthly_sales",
            Table::DailyProducts => "reports.daily_products",
            Table::MonthlyProducts => "reports.monthly_products",
        }
    }

    fn keys(self) -> Vec<&'static str> {
        match self {
            Table::Daily | Table::Monthly => std::iter::once("day").chain(DIMS).collect(),
            Table::DailyProducts | Table::MonthlyProducts => {
                vec!["day", "product_id", "vendor_id", "campaign_id"]
            }
        }
    }

    /// The row of this table a cell sums into (the columns it lacks left at their default).
    fn project(self, k: &CellKey) -> CellKey {
        let day = match self {
            Table::Daily | Table::DailyProducts => k.day,
            Table::Monthly | Table::MonthlyProducts => month_of(k.day),
        };
        match self {
            Table::Daily | Table::Monthly => CellKey {
                day,
                product_id: Uuid::nil(),
                ..k.clone()
            },
            Table::DailyProducts | Table::MonthlyProducts => CellKey {
                day,
                product_id: k.product_id,
                vendor_id: k.vendor_id,
                campaign_id: k.campaign_id,
                ..CellKey::default()
            },
        }
    }
}

/// A key column's value, with its array type as sea-query and Postgres name it.
type KeyColumn = (Value, sea_orm::sea_query::ArrayType, &'static str);

/// A row to add: its key columns and its measures.
type Row = (Vec<KeyColumn>, Vec<i64>);

/// A key column's value and Postgres array type.
fn column(k: &CellKey, name: &str) -> KeyColumn {
    use sea_orm::sea_query::ArrayType as T;
    match name {
        "day" => (k.day.into(), T::ChronoDate, "date"),
        "product_id" => (k.product_id.into(), T::Uuid, "uuid"),
        "vendor_id" => (k.vendor_id.into(), T::Uuid, "uuid"),
        "category_id" => (k.category_id.into(), T::Uuid, "uuid"),
        "top_category_id" => (k.top_category_id.into(), T::Uuid, "uuid"),
        "campaign_id" => (k.campaign_id.into(), T::Uuid, "uuid"),
        "channel" => (k.channel.clone().into(), T::String, "text"),
        "district" => (k.district.clone().into(), T::String, "text"),
        "certified" => (k.certified.into(), T::Bool, "bool"),
        _ => (k.buyer_kind.clone().into(), T::String, "text"),
    }
}

/// Add `rows` to `table` (keys named `keys`, then `measures`): one statement per chunk,
/// rows left all zero removed after, so a replaced contribution leaves no trace a
/// rebuild would not.
async fn upsert(
    db: &impl ConnectionTrait,
    table: &str,
    keys: &[&str],
    measures: &[&str],
    rows: &[Row],
) -> ReportsResult<()> {
    use sea_orm::sea_query::ArrayType as T;
    let names: Vec<&str> = keys.iter().chain(measures).copied().collect();
    let update: Vec<String> = measures
        .iter()
        .map(|m| format!("{m} = s.{m} + excluded.{m}"))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(chunk.len()); names.len()];
        let mut types: Vec<(T, &str)> = vec![(T::BigInt, "int8"); names.len()];
        for (key, m) in chunk {
            for (i, (v, ty, name)) in key.iter().enumerate() {
                cols[i].push(v.clone());
                types[i] = (ty.clone(), name);
            }
            for (j, n) in m.iter().enumerate() {
                cols[keys.len() + j].push((*n).into());
            }
        }
        let mut params = Vec::with_capacity(names.len());
        let mut casts = Vec::with_capacity(names.len());
        for (i, (col, (ty, name))) in cols.into_iter().zip(types).enumerate() {
            params.push(Value::Array(ty, Some(Box::new(col))));
            casts.push(format!("${}::{name}[]", i + 1));
        }
        db.execute_raw(pg(
            format!(
                "INSERT INTO {table} AS s ({cols}) SELECT * FROM unnest({casts}) \
                 ON CONFLICT ({keys}) DO UPDATE SET {update}",
                cols = names.join(", "),
                casts = casts.join(", "),
                keys = keys.join(", "),
                update = update.join(", "),
            ),
            params,
        ))
        .await?;
    }
    // A statement cannot change a row twice, so the rows left at zero go in a second one.
    if rows.iter().any(|(_, m)| m.iter().any(|n| *n < 0)) {
        let mut days: Vec<NaiveDate> = rows
            .iter()
            .filter_map(|(k, _)| match k.first() {
                Some((Value::ChronoDate(Some(d)), _, _)) => Some(*d),
                _ => None,
            })
            .collect();
        days.sort_unstable();
        days.dedup();
        let zero: Vec<String> = measures.iter().map(|m| format!("{m} = 0")).collect();
        db.execute_raw(pg(
            format!(
                "DELETE FROM {table} WHERE day = ANY($1) AND {}",
                zero.join(" AND ")
            ),
            [days.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Add `delta` (cells at the finest grain) to every rollup table.
async fn add_cells(db: &impl ConnectionTrait, delta: &[(CellKey, Measures)]) -> ReportsResult<()> {
    for table in Table::ALL {
        let mut summed: BTreeMap<CellKey, Measures> = BTreeMap::new();
        for (k, m) in delta {
            summed.entry(table.project(k)).or_default().add(m);
        }
        let keys = table.keys();
        let rows: Vec<_> = summed
            .into_iter()
            .filter(|(_, m)| !m.is_zero())
            .map(|(k, m)| {
                (
                    keys.iter().map(|c| column(&k, c)).collect::<Vec<_>>(),
                    m.columns().to_vec(),
                )
            })
            .collect();
        upsert(db, table.name(), &keys, &MEASURES, &rows).await?;
    }
    Ok(())
}

/// The cells (without the product) an order's buyer bought in: where they count as a
/// buyer. Refunds make no buyers.
fn buyer_cells(c: &Contribution) -> BTreeSet<CellKey> {
    c.cells
        .iter()
        .filter(|(_, m)| m.orders > 0)
        .map(|(k, _)| Table::Daily.project(k))
        .collect()
}

/// Add `delta` orders to each (customer, cell) of `reports.buyer_cells`.
async fn add_buyer_cells(
    db: &impl ConnectionTrait,
    delta: &BTreeMap<(Uuid, CellKey), i64>,
) -> ReportsResult<()> {
    use sea_orm::sea_query::ArrayType as T;
    let keys: Vec<&str> = ["day", "customer_id"].into_iter().chain(DIMS).collect();
    let rows: Vec<_> = delta
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|((customer, k), n)| {
            let mut key = vec![column(k, "day"), ((*customer).into(), T::Uuid, "uuid")];
            key.extend(DIMS.iter().map(|c| column(k, c)));
            (key, vec![*n])
        })
        .collect();
    upsert(db, "reports.buyer_cells", &keys, &["orders"], &rows).await
}

/// The customer's number (the small integer `monthly_buyers` holds), created if new. The
/// row stays locked until the transaction ends, so two orders of one customer applied at
/// once take turns over the customer's buyer rows (each sees what the other left).
async fn lock_customer(db: &impl ConnectionTrait, customer: Uuid) -> ReportsResult<i32> {
    let row = db
        .query_one_raw(pg(
            "INSERT INTO reports.customer_numbers (customer_id) VALUES ($1) \
             ON CONFLICT (customer_id) DO UPDATE SET customer_id = excluded.customer_id RETURNING number",
            [customer.into()],
        ))
        .await?
        .ok_or_else(|| ReportsError::Render("customer number".into()))?;
    Ok(row.try_get("", "number")?)
}

/// The (month, cell) keys `keys` as `$1..=$9` arrays of an `unnest` named `k`.
fn month_cell_arrays(keys: &BTreeSet<CellKey>) -> Vec<Value> {
    let mut cols: Vec<Vec<Value>> = vec![Vec::with_capacity(keys.len()); 1 + DIMS.len()];
    let mut types = Vec::with_capacity(cols.len());
    for k in keys {
        types.clear();
        for (i, name) in std::iter::once("day").chain(DIMS).enumerate() {
            let (v, ty, _) = column(k, name);
            cols[i].push(v);
            types.push(ty);
        }
    }
    cols.into_iter()
        .zip(types)
        .map(|(col, ty)| Value::Array(ty, Some(Box::new(col))))
        .collect()
}

/// Bring `customer`'s membership of the `monthly_buyers` rows of `cells` (daily buyer
/// cells whose orders changed) in line with `buyer_cells`: in a month's cell while they
/// still bought in it on some day of that month, out of it otherwise.
async fn refresh_monthly_buyers(
    db: &impl ConnectionTrait,
    customer: Uuid,
    number: i32,
    cells: impl Iterator<Item = &CellKey>,
) -> ReportsResult<()> {
    let keys: BTreeSet<CellKey> = cells
        .map(|k| CellKey {
            day: month_of(k.day),
            ..k.clone()
        })
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    const KEYS: &str = "unnest($1::date[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], \
         $7::text[], $8::bool[], $9::text[]) AS k (day, vendor_id, category_id, top_category_id, campaign_id, \
         channel, district, certified, buyer_kind)";
    const SAME_CELL: &str = "b.vendor_id = k.vendor_id AND b.category_id = k.category_id \
         AND b.top_category_id = k.top_category_id AND b.campaign_id = k.campaign_id AND b.channel = k.channel \
         AND b.district = k.district AND b.certified = k.certified AND b.buyer_kind = k.buyer_kind";
    let bought = format!(
        "EXISTS (SELECT 1 FROM reports.buyer_cells b WHERE b.customer_id = $10 AND b.day >= k.day \
             AND b.day < (k.day + interval '1 month')::date AND b.orders > 0 AND {SAME_CELL})"
    );
    let mut params = month_cell_arrays(&keys);
    params.push(customer.into());
    params.push(number.into());
    let dims = DIMS.join(", ");
    let statements = [
        format!(
            "INSERT INTO reports.monthly_buyers AS m (day, {dims}, customers) \
             SELECT k.*, ARRAY[$11::int] FROM {KEYS} WHERE {bought} \
             ON CONFLICT (day, {dims}) DO UPDATE SET customers = m.customers || $11::int \
                 WHERE NOT $11::int = ANY (m.customers)"
        ),
        format!(
            "UPDATE reports.monthly_buyers m SET customers = array_remove(m.customers, $11::int) FROM {KEYS} \
             WHERE m.day = k.day AND {same} AND $11::int = ANY (m.customers) AND NOT {bought}",
            same = SAME_CELL.replace("b.", "m."),
        ),
        // A row nobody is left in goes (as a rebuild would not make it).
        format!(
            "DELETE FROM reports.monthly_buyers m USING {KEYS} WHERE m.day = k.day AND {same} \
                 AND cardinality(m.customers) = 0",
            same = SAME_CELL.replace("b.", "m."),
        ),
    ];
    for (sql, n) in statements.into_iter().zip([11, 11, 9]) {
        db.execute_raw(pg(sql, params[..n].to_vec())).await?;
    }
    Ok(())
}

/// `new − old` per (customer, buyer cell).
fn buyer_cell_difference(
    customer: Uuid,
    old: &Contribution,
    new: &Contribution,
    into: &mut BTreeMap<(Uuid, CellKey), i64>,
) {
    for k in buyer_cells(new) {
        *into.entry((customer, k)).or_default() += 1;
    }
    for k in buyer_cells(old) {
        *into.entry((customer, k)).or_default() -= 1;
    }
}

/// Add `delta` orders to each (customer, day, vendor); rows left at zero are removed.
async fn add_buyer_days(
    db: &impl ConnectionTrait,
    delta: &[((Uuid, NaiveDate, Uuid), i64)],
) -> ReportsResult<()> {
    use sea_orm::sea_query::ArrayType as T;
    for chunk in delta.chunks(CHUNK) {
        let arr = |ty: T, v: Vec<Value>| Value::Array(ty, Some(Box::new(v)));
        let params = vec![
            arr(
                T::Uuid,
                chunk.iter().map(|((c, _, _), _)| (*c).into()).collect(),
            ),
            arr(
                T::ChronoDate,
                chunk.iter().map(|((_, d, _), _)| (*d).into()).collect(),
            ),
            arr(
                T::Uuid,
                chunk.iter().map(|((_, _, v), _)| (*v).into()).collect(),
            ),
            arr(T::BigInt, chunk.iter().map(|(_, n)| (*n).into()).collect()),
        ];
        db.execute_raw(pg(
            "INSERT INTO reports.buyer_days AS b (customer_id, day, vendor_id, orders) \
                 SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::int8[]) \
             ON CONFLICT (customer_id, day, vendor_id) DO UPDATE SET orders = b.orders + excluded.orders",
            params,
        ))
        .await?;
    }
    let mut customers: Vec<Uuid> = delta
        .iter()
        .filter(|(_, n)| *n < 0)
        .map(|((c, _, _), _)| *c)
        .collect();
    customers.dedup();
    if !customers.is_empty() {
        db.execute_raw(pg(
            "DELETE FROM reports.buyer_days WHERE customer_id = ANY($1) AND orders = 0",
            [platform::db::uuid_array(&customers)],
        ))
        .await?;
    }
    Ok(())
}

/// Each customer's first day of buying, from any vendor (the nil vendor) and from each:
/// what tells a new buyer from a returning one without reading their whole history.
/// Everyone's, for a rebuild (which emptied the table first).
const FIRST_DAYS: &str = "INSERT INTO reports.first_days (customer_id, vendor_id, first_day) \
     SELECT customer_id, COALESCE(vendor_id, '00000000-0000-0000-0000-000000000000'), min(day) \
     FROM reports.buyer_days GROUP BY GROUPING SETS ((customer_id, vendor_id), (customer_id))";

/// A customer's (`$1`) first days from the vendors `$2` (the nil vendor `$3` among them:
/// from any vendor) worked out again from their buying days, each the first of its days
/// (the buying days' key walks a customer's days in order and stops at it; as `min` the
/// plan read every day of the customer): a row whose vendor has no day left goes, a row
/// that did not move is not written.
const FIRST_DAYS_OF: &str = "WITH firsts AS ( \
         SELECT k.vendor_id, (SELECT b.day FROM reports.buyer_days b \
             WHERE b.customer_id = $1 AND (b.vendor_id = k.vendor_id OR k.vendor_id = $3) \
             ORDER BY b.day LIMIT 1) AS first_day \
         FROM unnest($2::uuid[]) AS k (vendor_id)), \
     gone AS (DELETE FROM reports.first_days f USING firsts k \
         WHERE f.customer_id = $1 AND f.vendor_id = k.vendor_id AND k.first_day IS NULL) \
     INSERT INTO reports.first_days AS f (customer_id, vendor_id, first_day) \
         SELECT $1, vendor_id, first_day FROM firsts WHERE first_day IS NOT NULL \
     ON CONFLICT (customer_id, vendor_id) DO UPDATE SET first_day = excluded.first_day \
         WHERE f.first_day <> excluded.first_day";

/// Work `customer`'s first days out again after their buying days with `vendors` changed:
/// those vendors' and the one from any vendor. The customer's other first days cannot
/// have moved: rewriting them all would cost every sale a delete and an insert per vendor
/// the customer ever bought from.
async fn refresh_first_days_of(
    db: &impl ConnectionTrait,
    customer: Uuid,
    vendors: impl Iterator<Item = Uuid>,
) -> ReportsResult<()> {
    let mut vendors: Vec<Uuid> = vendors.chain([Uuid::nil()]).collect();
    vendors.sort();
    vendors.dedup();
    db.execute_raw(pg(
        FIRST_DAYS_OF,
        [
            customer.into(),
            platform::db::uuid_array(&vendors),
            Uuid::nil().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// `new − old`, cell by cell, without the cells that did not change.
fn difference(old: &Contribution, new: &Contribution) -> Vec<(CellKey, Measures)> {
    let mut delta: HashMap<&CellKey, Measures> = HashMap::new();
    for (k, m) in &new.cells {
        delta.entry(k).or_default().add(m);
    }
    for (k, m) in &old.cells {
        delta.entry(k).or_default().add(&m.negated());
    }
    let mut out: Vec<(CellKey, Measures)> = delta
        .into_iter()
        .filter(|(_, m)| !m.is_zero())
        .map(|(k, m)| (k.clone(), m))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn buyer_difference(
    customer: Uuid,
    old: &Contribution,
    new: &Contribution,
) -> Vec<((Uuid, NaiveDate, Uuid), i64)> {
    let mut delta: HashMap<(Uuid, NaiveDate, Uuid), i64> = HashMap::new();
    for (d, v) in &new.buyer_days {
        *delta.entry((customer, *d, *v)).or_default() += 1;
    }
    for (d, v) in &old.buyer_days {
        *delta.entry((customer, *d, *v)).or_default() -= 1;
    }
    let mut out: Vec<_> = delta.into_iter().filter(|(_, n)| *n != 0).collect();
    out.sort();
    out
}

/// Bring order `order_id`'s share of the rollups up to date; returns whether anything
/// changed. Idempotent: applying the same order again changes nothing.
#[tracing::instrument(skip_all, fields(%order_id))]
pub async fn apply_order(db: &DatabaseConnection, order_id: Uuid) -> ReportsResult<bool> {
    let txn = db.begin().await?;
    let sales = sales_facts::of_orders(&txn, &[order_id]).await?;
    let Some(o) = sales.into_iter().next() else {
        return Ok(false);
    };
    let new = contribution(&o);
    // The order's row, created if new, locked: two consumers applying the same order take
    // turns, and a rebuild (which locks the table) waits for neither. An order never paid
    // contributes nothing and gets no row: the consumer hears of every abandoned
    // checkout's expiry, and a row for each would stay for good. (Such an order cannot
    // contribute later: canceled and expired are final.)
    if new != Contribution::default() {
        txn.execute_raw(pg(
            "INSERT INTO reports.order_contributions (order_id, customer_id, cells) VALUES ($1, $2, $3) \
             ON CONFLICT (order_id) DO NOTHING",
            [
                order_id.into(),
                o.customer_id.into(),
                serde_json::to_value(Contribution::default())
                    .unwrap_or_default()
                    .into(),
            ],
        ))
        .await?;
    }
    let row = txn
        .query_one_raw(pg(
            "SELECT cells FROM reports.order_contributions WHERE order_id = $1 FOR UPDATE",
            [order_id.into()],
        ))
        .await?;
    let old: Contribution = match row {
        Some(r) => {
            let cells: serde_json::Value = r.try_get("", "cells")?;
            serde_json::from_value(cells)
                .map_err(|e| ReportsError::Render(format!("stored contribution: {e}")))?
        }
        None => Contribution::default(),
    };
    if new == old {
        txn.commit().await?;
        return Ok(false);
    }
    add_cells(&txn, &difference(&old, &new)).await?;
    let days = buyer_difference(o.customer_id, &old, &new);
    let mut cells = BTreeMap::new();
    buyer_cell_difference(o.customer_id, &old, &new, &mut cells);
    cells.retain(|_, n| *n != 0);
    if !days.is_empty() || !cells.is_empty() {
        let number = lock_customer(&txn, o.customer_id).await?;
        add_buyer_days(&txn, &days).await?;
        if !days.is_empty() {
            refresh_first_days_of(&txn, o.customer_id, days.iter().map(|((_, _, v), _)| *v))
                .await?;
        }
        add_buyer_cells(&txn, &cells).await?;
        refresh_monthly_buyers(&txn, o.customer_id, number, cells.keys().map(|(_, k)| k)).await?;
    }
    txn.execute_raw(pg(
        "UPDATE reports.order_contributions SET cells = $2, applied_at = now() WHERE order_id = $1",
        [
            order_id.into(),
            serde_json::to_value(&new).unwrap_or_default().into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Orders read per round trip of a rebuild.
const REBUILD_PAGE: u64 = 2_000;

/// Throw the rollups away and build them again from every paid order, in one
/// transaction (the live consumer waits on the table lock meanwhile). Returns how many
/// orders were read.
pub async fn rebuild(db: &DatabaseConnection) -> ReportsResult<u64> {
    let txn = db.begin().await?;
    txn.execute_unprepared(
        "LOCK TABLE reports.order_contributions IN EXCLUSIVE MODE; \
         TRUNCATE reports.daily_sales, reports.monthly_sales, reports.daily_products, \
             reports.monthly_products, reports.buyer_cells, reports.buyer_days, reports.first_days, \
             reports.monthly_buyers, reports.order_contributions",
    )
    .await?;
    let mut cells: HashMap<CellKey, Measures> = HashMap::new();
    let mut buyers: HashMap<(Uuid, NaiveDate, Uuid), i64> = HashMap::new();
    let mut buyer_cells: BTreeMap<(Uuid, CellKey), i64> = BTreeMap::new();
    let empty = Contribution::default();
    let mut after = None;
    let mut n = 0u64;
    loop {
        let ids = sales_facts::paid_order_ids(&txn, after, REBUILD_PAGE).await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        after = Some(last);
        let sales: Vec<OrderSales> = sales_facts::of_orders(&txn, &ids).await?;
        let mut stored: Vec<(Uuid, Uuid, serde_json::Value)> = Vec::with_capacity(sales.len());
        for o in &sales {
            let c = contribution(o);
            for (k, m) in &c.cells {
                cells.entry(k.clone()).or_default().add(m);
            }
            for (d, v) in &c.buyer_days {
                *buyers.entry((o.customer_id, *d, *v)).or_default() += 1;
            }
            buyer_cell_difference(o.customer_id, &empty, &c, &mut buyer_cells);
            stored.push((
                o.order_id,
                o.customer_id,
                serde_json::to_value(&c).unwrap_or_default(),
            ));
        }
        n += sales.len() as u64;
        store_contributions(&txn, &stored).await?;
    }
    let mut cells: Vec<(CellKey, Measures)> =
        cells.into_iter().filter(|(_, m)| !m.is_zero()).collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    add_cells(&txn, &cells).await?;
    let mut buyers: Vec<_> = buyers.into_iter().filter(|(_, n)| *n != 0).collect();
    buyers.sort();
    add_buyer_days(&txn, &buyers).await?;
    add_buyer_cells(&txn, &buyer_cells).await?;
    txn.execute_unprepared(FIRST_DAYS).await?;
    // Customers keep their numbers across rebuilds; those new to the rollups get one.
    txn.execute_unprepared(
        "INSERT INTO reports.customer_numbers (customer_id) \
             SELECT DISTINCT customer_id FROM reports.buyer_days ORDER BY 1 ON CONFLICT (customer_id) DO NOTHING; \
         INSERT INTO reports.monthly_buyers \
             SELECT date_trunc('month', b.day)::date, b.vendor_id, b.category_id, b.top_category_id, b.campaign_id, \
                 b.channel, b.district, b.certified, b.buyer_kind, array_agg(DISTINCT n.number ORDER BY n.number) \
             FROM reports.buyer_cells b JOIN reports.customer_numbers n ON n.customer_id = b.customer_id \
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
    )
    .await?;
    txn.commit().await?;
    // The tables were just filled anew: give the planner their statistics now rather
    // than whenever autovacuum comes round (a quarter's report planned on none was 5×
    // slower).
    db.execute_unprepared(
        "ANALYZE reports.daily_sales, reports.monthly_sales, reports.daily_products, reports.monthly_products, \
             reports.buyer_cells, reports.buyer_days, reports.first_days, reports.order_contributions, \
             reports.customer_numbers, reports.monthly_buyers",
    )
    .await?;
    Ok(n)
}

async fn store_contributions(
    db: &impl ConnectionTrait,
    rows: &[(Uuid, Uuid, serde_json::Value)],
) -> ReportsResult<()> {
    use sea_orm::sea_query::ArrayType as T;
    for chunk in rows.chunks(CHUNK) {
        let arr = |ty: T, v: Vec<Value>| Value::Array(ty, Some(Box::new(v)));
        db.execute_raw(pg(
            "INSERT INTO reports.order_contributions (order_id, customer_id, cells) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[])",
            [
                arr(T::Uuid, chunk.iter().map(|r| r.0.into()).collect()),
                arr(T::Uuid, chunk.iter().map(|r| r.1.into()).collect()),
                arr(T::Json, chunk.iter().map(|r| r.2.clone().into()).collect()),
            ],
        ))
        .await?;
    }
    Ok(())
}
