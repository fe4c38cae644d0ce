//! Stock per variant: `on_hand` units in the warehouse, `reserved` of them held for
//! unpaid orders. The orders service calls reserve / commit / release inside its own
//! transaction; each is one conditional UPDATE, so under any concurrency a unit is sold
//! at most once (and a CHECK constraint backs that up).

use crate::error::{CatalogError, CatalogResult};
use crate::products;
use crate::purchasable::{self, Purchasable};
use crate::store::variant;
use crate::topics;
use platform::db::pg;
use platform::ids::new_id;
use platform::outbox::{self, Schema};
use platform::quantity::Quantity;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use uuid::Uuid;

/// Units of one variant on an order line: the same [`Quantity`] the cart line and the
/// quote held. Read straight from a row with `variant_id` and `quantity` columns (an order's
/// lines, for one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct StockLine {
    pub variant_id: Uuid,
    pub quantity: Quantity,
}

/// The units of one variant that one statement moves: an order's lines of a variant
/// added up (which may pass [`Quantity::MAX`], so a plain count).
#[derive(Debug, Clone, Copy)]
struct Units {
    variant_id: Uuid,
    quantity: i32,
}

/// Lines merged per variant and sorted by id: every transaction takes row locks in the
/// same order, so concurrent checkouts cannot deadlock.
fn normalise(lines: &[StockLine]) -> Vec<Units> {
    let mut merged: std::collections::BTreeMap<Uuid, i32> = Default::default();
    for l in lines {
        *merged.entry(l.variant_id).or_default() += l.quantity.as_i32();
    }
    merged
        .into_iter()
        .map(|(variant_id, quantity)| Units {
            variant_id,
            quantity,
        })
        .collect()
}

/// What a stock event's payload says its variant's availability did: the units available
/// before and after, or `None` when the event does not carry both (a vendor setting a
/// count, or an event from before `available_before` was sent). The event's consumers
/// read it to skip the work a move cannot have caused.
pub fn availability_moved(payload: &serde_json::Value) -> Option<(i64, i64)> {
    let figure = |k: &str| payload.get(k).and_then(serde_json::Value::as_i64);
    Some((figure("available_before")?, figure("available")?))
}

/// Whether a stock event can have changed its product's `in_stock`: only when the variant
/// went from none available to some, or back. Holds and sales that leave units on the
/// shelf are nearly all stock events under checkout load.
pub fn in_stock_may_have_changed(payload: &serde_json::Value) -> bool {
    availability_moved(payload).is_none_or(|(before, after)| (before > 0) != (after > 0))
}

/// Run `update` (an UPDATE of one variant whose first parameter is the variant id) and,
/// when it hits, announce the variant's new availability in the same statement: one round
/// trip per line, not two. `moved_by` is how far availability moved, when the caller knows
/// it (`available_before` in the event): the search indexer skips events whose variant
/// stayed on the same side of zero (a product's `in_stock` cannot have changed), which
/// under checkout load is nearly all. Returns whether the update hit.
async fn moved(
    db: &impl ConnectionTrait,
    update: &str,
    mut params: Vec<Value>,
    moved_by: Option<i32>,
) -> CatalogResult<bool> {
    let (event_id, before) = (params.len() + 1, params.len() + 2);
    let event = format!(
        "SELECT ${event_id}, '{}', product_id, jsonb_build_object('variant_id', id, 'product_id', product_id, \
         'available', available, 'available_before', available - ${before}::int) FROM hit",
        topics::STOCK_CHANGED
    );
    let sql = format!(
        "WITH hit AS ({update} RETURNING id, product_id, on_hand - reserved AS available), \
         ev AS ({}) SELECT 1 FROM hit",
        outbox::insert_from(Schema::Catalog, &event)
    );
    params.extend([new_id().into(), moved_by.into()]);
    let row = db.query_one_raw(pg(sql, params)).await?;
    Ok(row.is_some())
}

/// [`moved`] for a line: `$1` its variant, `$2` its quantity.
async fn moved_line(
    db: &impl ConnectionTrait,
    update: &str,
    line: &Units,
    moved_by: Option<i32>,
) -> CatalogResult<bool> {
    moved(
        db,
        update,
        vec![line.variant_id.into(), line.quantity.into()],
        moved_by,
    )
    .await
}

/// The `want` CTE of a statement that moves several variants' units at once: a row per
/// variant (`id`, `qty`, and the `event_id` of its stock event) from the arrays `$1` to
/// `$3` that [`want_values`] gives. The arrays sit behind sub-selects for the reason
/// [`reserve_reading`] gives.
const WANT: &str = "want AS (SELECT * FROM unnest((SELECT $1::uuid[]), (SELECT $2::int[]), (SELECT $3::uuid[])) \
     AS w(id, qty, event_id))";

/// [`WANT`]'s parameters for `units`: their variants, their quantities, a new event id each.
fn want_values(units: &[Units]) -> [Value; 3] {
    let ids: Vec<Uuid> = units.iter().map(|u| u.variant_id).collect();
    let qtys: Vec<i32> = units.iter().map(|u| u.quantity).collect();
    let events: Vec<Uuid> = units.iter().map(|_| new_id()).collect();
    [ids.into(), qtys.into(), events.into()]
}

/// The CTE body that announces the new availability of each variant the CTE `hit` moved
/// (its `id`, `product_id`, `available`, `qty` and `event_id`); `available_before` is
/// what the variant had available before, in those columns.
fn hit_events(available_before: &str) -> String {
    outbox::insert_from(
        Schema::Catalog,
        &format!(
            "SELECT event_id, '{}', product_id, jsonb_build_object('variant_id', id, 'product_id', product_id, \
             'available', available, 'available_before', {available_before}) FROM hit",
            topics::STOCK_CHANGED
        ),
    )
}

/// Hold `quantity` units of each line. Fails with `InsufficientStock` (and the caller's
/// transaction should roll back) if any line cannot be held: [`reserve_reading`] for a
/// caller that does not price from the facts it reads.
pub async fn reserve(db: &impl ConnectionTrait, lines: &[StockLine]) -> CatalogResult<()> {
    let reading = reserve_reading(db, lines).await?;
    match normalise(lines)
        .into_iter()
        .find(|u| !reading.held.contains(&u.variant_id))
    {
        Some(short) => Err(CatalogError::InsufficientStock {
            variant_id: short.variant_id,
            available: reading
                .found
                .iter()
                .find(|p| p.variant_id == short.variant_id)
                .map_or(0, |p| p.available),
        }),
        None => Ok(()),
    }
}

/// What [`reserve_reading`] found.
#[derive(Debug, Default)]
pub struct Reading {
    /// Every variant asked for that exists, sellable or not, with what was `available`
    /// before this hold.
    pub found: Vec<Purchasable>,
    /// The variants whose units were held.
    pub held: Vec<Uuid>,
}

/// Hold each line's units where the variant has them, and read what
/// [`purchasable::load`] reads of every variant asked for: one statement, one round trip
/// however many variants it holds, for what checkout did in two (read the facts to price
/// the cart, then hold).
///
/// Those of the variants that have the units in the statement's snapshot are locked
/// first, in id order (so concurrent holds cannot deadlock); each is held if it still has
/// them under the lock, and each hit announces its new availability. A variant already
/// short is not locked: a flash sale's late buyers are refused without queueing for its
/// row.
///
/// It holds before anyone has looked at the facts, so a line may be held that is not
/// sellable, over its product's limit, or part of a cart whose total changed: the caller
/// sells only when every line it prices is held and rolls its transaction back
/// otherwise. A held variant's availability is what the lock found, even when a
/// concurrent checkout committed while this one waited; a short one's is the statement's
/// snapshot, which such a checkout may have made a moment old.
///
/// The arrays sit behind sub-selects for the reason `purchasable::load` gives: in plain
/// sight, every custom plan knew the cart's size, looked cheaper than the generic plan,
/// and Postgres planned this statement again at every checkout (0.36 ms of planning for
/// 0.21 ms of execution, by `pg_stat_statements` under the checkout benchmark).
pub async fn reserve_reading(
    db: &impl ConnectionTrait,
    lines: &[StockLine],
) -> CatalogResult<Reading> {
    let units = normalise(lines);
    if units.is_empty() {
        return Ok(Reading::default());
    }
    let sql = format!(
        "WITH {WANT}, \
         locked AS MATERIALIZED (SELECT x.id, x.on_hand - x.reserved AS available \
             FROM catalog.variants x JOIN want w ON w.id = x.id \
             WHERE x.on_hand - x.reserved >= w.qty ORDER BY x.id FOR UPDATE OF x), \
         hit AS (UPDATE catalog.variants v SET reserved = v.reserved + w.qty, updated_at = now() FROM want w \
             WHERE v.id = w.id AND v.id IN (SELECT id FROM locked) AND v.on_hand - v.reserved >= w.qty \
             RETURNING v.id, v.product_id, v.on_hand - v.reserved AS available, w.qty, w.event_id), \
         ev AS ({}) \
         SELECT {}, EXISTS (SELECT 1 FROM hit WHERE hit.id = x.id) AS held \
         FROM catalog.variants x LEFT JOIN locked l ON l.id = x.id {} \
         WHERE x.id = ANY((SELECT $1)::uuid[])",
        hit_events("available + qty"),
        purchasable::columns("COALESCE(l.available, x.on_hand - x.reserved)"),
        purchasable::JOINS,
    );
    let mut reading = Reading::default();
    for row in db.query_all_raw(pg(sql, want_values(&units))).await? {
        let found = Purchasable::from_query_result(&row, "")?;
        if row.try_get::<bool>("", "held")? {
            reading.held.push(found.variant_id);
        }
        reading.found.push(found);
    }
    Ok(reading)
}

/// Turn held units into a sale: they leave `on_hand` and `reserved` together, and count
/// towards their products' popularity (the lists' popularity sort).
pub async fn commit(db: &impl ConnectionTrait, lines: &[StockLine]) -> CatalogResult<()> {
    move_held(db, lines, Held::Sold).await
}

/// Give held units back (expiry, cancellation, failed payment).
pub async fn release(db: &impl ConnectionTrait, lines: &[StockLine]) -> CatalogResult<()> {
    move_held(db, lines, Held::Released).await
}

/// Where held units go.
#[derive(Debug, Clone, Copy)]
enum Held {
    Sold,
    Released,
}

impl Held {
    fn action(self) -> &'static str {
        match self {
            Held::Sold => "commit stock",
            Held::Released => "release stock",
        }
    }

    /// The variant's new `on_hand`, of the row `v` and the wanted units `w`.
    fn on_hand(self) -> &'static str {
        match self {
            Held::Sold => "v.on_hand - w.qty",
            Held::Released => "v.on_hand",
        }
    }

    /// What the variant had available before, of the updated row's `available` and `qty`:
    /// held units were not available, so a sale leaves availability where it was.
    fn available_before(self) -> &'static str {
        match self {
            Held::Sold => "available",
            Held::Released => "available - qty",
        }
    }

    /// CTEs after `hit` that a move writes besides the variants: a sale counts its units
    /// towards each product's popularity, its products locked in id order first (as the
    /// variants are) so that two payments of the same products cannot deadlock.
    fn besides(self) -> &'static str {
        match self {
            Held::Sold => {
                ", sold AS MATERIALIZED (SELECT product_id, sum(qty)::bigint AS units FROM hit GROUP BY product_id), \
                 counted_locked AS MATERIALIZED (SELECT p.id FROM catalog.products p \
                     WHERE p.id IN (SELECT product_id FROM sold) ORDER BY p.id FOR UPDATE OF p), \
                 counted AS (UPDATE catalog.products p SET popularity = p.popularity + s.units FROM sold s \
                     WHERE p.id = s.product_id AND p.id IN (SELECT id FROM counted_locked))"
            }
            Held::Released => "",
        }
    }
}

/// Move every line's held units in one statement, all or none: the variants that hold
/// them are locked in id order (so concurrent moves cannot deadlock), and only when every
/// one does are they updated, each announcing its availability. Refuses, naming the
/// first variant in id order that does not hold its line's units.
async fn move_held(
    db: &impl ConnectionTrait,
    lines: &[StockLine],
    held: Held,
) -> CatalogResult<()> {
    let units = normalise(lines);
    if units.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "WITH {WANT}, \
         locked AS MATERIALIZED (SELECT x.id FROM catalog.variants x JOIN want w ON w.id = x.id \
             WHERE x.reserved >= w.qty ORDER BY x.id FOR UPDATE OF x), \
         every AS MATERIALIZED (SELECT (SELECT count(*) FROM locked) = (SELECT count(*) FROM want) AS held), \
         hit AS (UPDATE catalog.variants v SET on_hand = {}, reserved = v.reserved - w.qty, updated_at = now() \
             FROM want w WHERE v.id = w.id AND (SELECT held FROM every) \
             RETURNING v.id, v.product_id, v.on_hand - v.reserved AS available, w.qty, w.event_id), \
         ev AS ({}){} \
         SELECT id FROM locked",
        held.on_hand(),
        hit_events(held.available_before()),
        held.besides(),
    );
    #[derive(FromQueryResult)]
    struct Locked {
        id: Uuid,
    }
    let locked: Vec<Uuid> = Locked::find_by_statement(pg(sql, want_values(&units)))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    match units.iter().find(|u| !locked.contains(&u.variant_id)) {
        Some(short) => Err(CatalogError::IllegalTransition {
            action: held.action(),
            state: format!(
                "variant {} does not hold {} units",
                short.variant_id, short.quantity
            ),
        }),
        None => Ok(()),
    }
}

/// Return sold units to the shelf (an accepted return).
pub async fn restock(db: &impl ConnectionTrait, lines: &[StockLine]) -> CatalogResult<()> {
    for line in normalise(lines) {
        moved_line(
            db,
            "UPDATE catalog.variants SET on_hand = on_hand + $2, updated_at = now() WHERE id = $1",
            &line,
            Some(line.quantity),
        )
        .await?;
    }
    Ok(())
}

/// A vendor sets `on_hand` to `new`, provided it still is `expected` (what they saw):
/// two people editing one stock sheet cannot overwrite each other.
pub async fn set_on_hand(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    variant_id: Uuid,
    expected: i32,
    new: i32,
) -> CatalogResult<variant::Model> {
    let var = products::owned_variant(db, vendor_id, variant_id).await?;
    if !(0..=1_000_000).contains(&new) {
        return Err(CatalogError::field(
            "on_hand",
            "out_of_range",
            "must be 0 to 1,000,000",
        ));
    }
    if new < var.reserved {
        return Err(CatalogError::field(
            "on_hand",
            "below_reserved",
            format!("{} units are held for orders", var.reserved),
        ));
    }
    let hit = moved(
        db,
        "UPDATE catalog.variants SET on_hand = $3, updated_at = now() \
         WHERE id = $1 AND on_hand = $2 AND reserved <= $3",
        vec![variant_id.into(), expected.into(), new.into()],
        None,
    )
    .await?;
    if !hit {
        let actual = reload(db, variant_id).await?.on_hand;
        return Err(CatalogError::StockMismatch { expected, actual });
    }
    reload(db, variant_id).await
}

/// A vendor adds (or removes, with a negative delta) units, e.g. a delivery arrived.
pub async fn adjust(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    variant_id: Uuid,
    delta: i32,
) -> CatalogResult<variant::Model> {
    products::owned_variant(db, vendor_id, variant_id).await?;
    let hit = moved(
        db,
        "UPDATE catalog.variants SET on_hand = on_hand + $2, updated_at = now() \
         WHERE id = $1 AND on_hand + $2 >= reserved AND on_hand + $2 <= 1000000",
        vec![variant_id.into(), delta.into()],
        Some(delta),
    )
    .await?;
    if !hit {
        return Err(CatalogError::field(
            "delta",
            "out_of_range",
            "stock would drop below the units held for orders",
        ));
    }
    reload(db, variant_id).await
}

async fn reload(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<variant::Model> {
    use sea_orm::EntityTrait;
    variant::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("variant"))
}
