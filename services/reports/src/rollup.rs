//! Keeping the rollups: applying an order replaces what it added before with what it adds
//! now, in one transaction, so an event delivered twice, late or out of order leaves the
//! same numbers (`reports.order_contributions` holds each order's last contribution).
//! A rebuild walks every paid order through the same [`crate::cells::contribution`].

use crate::cells::{CellKey, Contribution, Measures, contribution};
use crate::error::{ReportsError, ReportsResult};
use chrono::NaiveDate;
use orders::sales_facts::{self, OrderSales};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows per multi-row statement (10 columns each stays far below Postgres's limit of
/// 65,535 parameters).
const CHUNK: usize = 2_000;

/// Add `delta` to the rollups, cell by cell: one statement per chunk. Cells left all zero
/// are removed, so a replaced contribution leaves no trace a rebuild would not.
async fn add_cells(db: &impl ConnectionTrait, delta: &[(CellKey, Measures)]) -> ReportsResult<()> {
    for chunk in delta.chunks(CHUNK) {
        let mut cols: [Vec<Value>; 18] = Default::default();
        for (k, m) in chunk {
            cols[0].push(k.day.into());
            cols[1].push(k.product_id.into());
            cols[2].push(k.vendor_id.into());
            cols[3].push(k.category_id.into());
            cols[4].push(k.top_category_id.into());
            cols[5].push(k.campaign_id.into());
            cols[6].push(k.channel.clone().into());
            cols[7].push(k.district.clone().into());
            cols[8].push(k.certified.into());
            cols[9].push(k.buyer_kind.clone().into());
            cols[10].push(m.orders.into());
            cols[11].push(m.units.into());
            cols[12].push(m.gross.into());
            cols[13].push(m.vendor_discount.into());
            cols[14].push(m.platform_discount.into());
            cols[15].push(m.refunds.into());
            cols[16].push(m.refunded_units.into());
            cols[17].push(m.net.into());
        }
        use sea_orm::sea_query::ArrayType as T;
        let types = [
            (T::ChronoDate, "date"),
            (T::Uuid, "uuid"),
            (T::Uuid, "uuid"),
            (T::Uuid, "uuid"),
            (T::Uuid, "uuid"),
            (T::Uuid, "uuid"),
            (T::String, "text"),
            (T::String, "text"),
            (T::Bool, "bool"),
            (T::String, "text"),
        ];
        let mut params: Vec<Value> = Vec::with_capacity(18);
        let mut casts: Vec<String> = Vec::with_capacity(18);
        for (i, col) in cols.into_iter().enumerate() {
            let (ty, name) = types.get(i).cloned().unwrap_or((T::BigInt, "int8"));
            params.push(Value::Array(ty, Some(Box::new(col))));
            casts.push(format!("${}::{name}[]", i + 1));
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "WITH d AS (SELECT * FROM unnest({}) AS d (day, product_id, vendor_id, category_id, top_category_id, \
                     campaign_id, channel, district, certified, buyer_kind, orders, units, gross, vendor_discount, \
                     platform_discount, refunds, refunded_units, net)) \
                 INSERT INTO reports.daily_sales AS s SELECT * FROM d \
                     ON CONFLICT (day, product_id, vendor_id, category_id, top_category_id, campaign_id, channel, \
                         district, certified, buyer_kind) \
                     DO UPDATE SET orders = s.orders + excluded.orders, units = s.units + excluded.units, \
                         gross = s.gross + excluded.gross, vendor_discount = s.vendor_discount + excluded.vendor_discount, \
                         platform_discount = s.platform_discount + excluded.platform_discount, \
                         refunds = s.refunds + excluded.refunds, refunded_units = s.refunded_units + excluded.refunded_units, \
                         net = s.net + excluded.net",
                casts.join(", ")
            ),
            params,
        ))
        .await?;
    }
    // A statement cannot change a row twice, so the cells left at zero go in a second one.
    let mut days: Vec<NaiveDate> = delta.iter().map(|(k, _)| k.day).collect();
    days.dedup();
    if delta
        .iter()
        .any(|(_, m)| m.orders < 0 || m.net < 0 || m.gross < 0 || m.units < 0)
    {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM reports.daily_sales WHERE day = ANY($1) AND orders = 0 AND units = 0 AND gross = 0 \
                 AND vendor_discount = 0 AND platform_discount = 0 AND refunds = 0 AND refunded_units = 0 AND net = 0",
            [days.into()],
        ))
        .await?;
    }
    Ok(())
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
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
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
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM reports.buyer_days WHERE customer_id = ANY($1) AND orders = 0",
            [platform::db::uuid_array(&customers)],
        ))
        .await?;
    }
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
    // The order's row, created if new, locked: two consumers applying the same order take
    // turns, and a rebuild (which locks the table) waits for neither.
    let sales = sales_facts::of_orders(&txn, &[order_id]).await?;
    let Some(o) = sales.into_iter().next() else {
        return Ok(false);
    };
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
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
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
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
    let new = contribution(&o);
    if new == old {
        txn.commit().await?;
        return Ok(false);
    }
    add_cells(&txn, &difference(&old, &new)).await?;
    add_buyer_days(&txn, &buyer_difference(o.customer_id, &old, &new)).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
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
         TRUNCATE reports.daily_sales, reports.buyer_days, reports.order_contributions",
    )
    .await?;
    let mut cells: HashMap<CellKey, Measures> = HashMap::new();
    let mut buyers: HashMap<(Uuid, NaiveDate, Uuid), i64> = HashMap::new();
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
    txn.commit().await?;
    // The tables were just filled anew: give the planner their statistics now rather
    // than whenever autovacuum comes round (a quarter's report planned on none was 5×
    // slower).
    db.execute_unprepared(
        "ANALYZE reports.daily_sales, reports.buyer_days, reports.order_contributions",
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
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
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
