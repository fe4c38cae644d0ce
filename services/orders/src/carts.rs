//! Carts: anonymous ones found by an unguessable token, customer ones by owner. Lines
//! are variants and quantities; prices always come from the catalog. Reading a cart
//! returns a fresh quote and flags lines that became unavailable or changed price.

use crate::error::{OrdersError, OrdersResult};
use crate::quoting::Kept;
use crate::quoting::{self, LineProblem, Want};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use catalog::purchasable::Purchasable;
use chrono::Utc;
use platform::db::pg;
use platform::ids::new_id;
use platform::money::Won;
use platform::postal::PostalCode;
use platform::quantity::Quantity;
use promotions::pricing::Destination;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Carts untouched this long are deleted.
pub const IDLE_DAYS: i64 = 30;

/// Whose cart.
#[derive(Debug, Clone)]
pub enum Owner {
    Customer(Uuid),
    /// The raw token the client holds (only its hash is stored).
    Token(String),
}

fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A new anonymous cart and its token.
pub async fn create_anonymous(db: &impl ConnectionTrait) -> OrdersResult<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    db.execute_raw(pg(
        "INSERT INTO orders.carts (id, token_hash) VALUES ($1, $2)",
        [new_id().into(), token_hash(&token).into()],
    ))
    .await?;
    Ok(token)
}

/// A cart as stored: its id and lines, oldest first.
#[derive(Debug, Clone)]
pub struct Cart {
    pub id: Uuid,
    pub lines: Vec<Line>,
}

#[derive(Debug, FromQueryResult)]
struct CartRow {
    cart_id: Uuid,
    variant_id: Option<Uuid>,
    quantity: Option<Quantity>,
    seen_unit_price: Option<i64>,
}

/// The lines of the cart `c` (a row with `lines`), one row each, in the cart's order
/// (`n`): the FROM-clause item every read of a cart's lines joins (checkout's claim too).
macro_rules! unnest_lines {
    () => {
        "unnest(c.lines) WITH ORDINALITY AS l(variant_id, quantity, seen_unit_price, n)"
    };
}
pub(crate) use unnest_lines;
const UNNEST_LINES: &str = unnest_lines!();

/// The cart of the CTE `cart` and its lines, a row each (one without lines for an empty
/// cart), in their order.
const CART_LINES: &str = concat!(
    "SELECT c.id AS cart_id, l.variant_id, l.quantity, l.seen_unit_price FROM cart c LEFT JOIN LATERAL ",
    unnest_lines!(),
    " ON true ORDER BY l.n"
);

/// The cart and its lines in one round trip, creating a customer's cart on first use (a
/// second round trip, once per customer). An unknown token is 404.
pub async fn open(db: &impl ConnectionTrait, owner: &Owner) -> OrdersResult<Cart> {
    let (key, value) = owner_key(owner);
    // A plain read first: the cart exists on every request but a customer's first, and
    // insert-or-read costs Postgres an insert's set-up and an arbiter-index probe each time.
    let stmt = pg(
        format!("WITH cart AS (SELECT id, lines FROM orders.carts WHERE {key} = $1) {CART_LINES}"),
        [value],
    );
    if let Some(cart) = from_rows(CartRow::find_by_statement(stmt).all(db).await?) {
        return Ok(cart);
    }
    let Owner::Customer(id) = owner else {
        return Err(OrdersError::NotFound("cart"));
    };
    // Insert-or-read in one statement, safe under concurrent first requests.
    let stmt = pg(
        format!(
            "WITH ins AS (INSERT INTO orders.carts (id, customer_id) VALUES ($1, $2) \
                 ON CONFLICT (customer_id) WHERE customer_id IS NOT NULL DO NOTHING RETURNING id, lines), \
             cart AS (SELECT id, lines FROM ins \
                 UNION ALL SELECT id, lines FROM orders.carts WHERE customer_id = $2 LIMIT 1) \
             {CART_LINES}"
        ),
        [new_id().into(), (*id).into()],
    );
    from_rows(CartRow::find_by_statement(stmt).all(db).await?).ok_or(OrdersError::NotFound("cart"))
}

/// The owner's cart read under its row lock, for a change computed here and written in
/// the same transaction; `None` when the owner has none.
async fn locked(txn: &impl ConnectionTrait, owner: &Owner) -> OrdersResult<Option<Cart>> {
    let (key, value) = owner_key(owner);
    let stmt = pg(
        format!(
            "WITH cart AS (SELECT id, lines FROM orders.carts WHERE {key} = $1 FOR UPDATE) {CART_LINES}"
        ),
        [value],
    );
    Ok(from_rows(CartRow::find_by_statement(stmt).all(txn).await?))
}

/// The column that finds the owner's cart, and its value.
fn owner_key(owner: &Owner) -> (&'static str, sea_orm::Value) {
    match owner {
        Owner::Customer(id) => ("customer_id", (*id).into()),
        Owner::Token(t) => ("token_hash", token_hash(t).into()),
    }
}

/// The cart in the rows of an outer join of a cart with its lines (none without a cart).
fn from_rows(rows: Vec<CartRow>) -> Option<Cart> {
    let id = rows.first().map(|r| r.cart_id)?;
    let lines = rows
        .into_iter()
        .filter_map(|r| Line::from_columns(r.variant_id, r.quantity, r.seen_unit_price))
        .collect();
    Some(Cart { id, lines })
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct Line {
    pub variant_id: Uuid,
    pub quantity: Quantity,
    pub seen_unit_price: i64,
}

impl Line {
    /// A line from the columns of an outer join of a cart with its lines: none for a cart
    /// without any.
    pub(crate) fn from_columns(
        variant_id: Option<Uuid>,
        quantity: Option<Quantity>,
        seen_unit_price: Option<i64>,
    ) -> Option<Line> {
        Some(Line {
            variant_id: variant_id?,
            quantity: quantity?,
            seen_unit_price: seen_unit_price?,
        })
    }

    /// What the line asks the pricing of.
    pub fn want(&self) -> Want {
        Want {
            variant_id: self.variant_id,
            quantity: self.quantity,
        }
    }
}

/// What a write of a cart's lines sets its `updated_at` to. A cart is deleted after
/// [`IDLE_DAYS`] unused, so the hour it was last used is precise enough: written again
/// within the hour it keeps its time, the write changes no indexed column, and Postgres
/// updates the row in place (a HOT update) instead of adding an entry to each of the
/// cart's indexes on every line written.
const TOUCHED: &str =
    "CASE WHEN updated_at < now() - interval '1 hour' THEN now() ELSE updated_at END";

/// A CTE (`no_flush_wait`, one row; the statement must read it) that commits the
/// statement's implicit transaction without waiting for its WAL to reach the disk
/// (`synchronous_commit = off` for this transaction alone; the connection's setting is
/// back at its default when it commits).
///
/// A cart is no money and no promise: a crash of Postgres may lose at most the last few
/// hundred milliseconds of line writes (three times `wal_writer_delay`), and the carts
/// are then as they were a moment earlier, consistent. Checkout prices and checks every
/// line again and commits its order with the flush. In exchange a line write skips the
/// flush's wait and its system calls; with every commit of the checkout cycle unflushed,
/// Postgres spent about a fifth less CPU per checkout on the bench machine
/// (`infra/bench/README.md`, thirty-first session).
const NO_FLUSH_WAIT: &str =
    "no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true) AS no_flush_wait)";

/// Set a line's quantity (`None` removes it) in the owner's cart, and return the cart as
/// it stands after the write with what the catalog says of every line's variant (for the
/// quote that follows). The variant must exist and be for sale. A customer's first line
/// creates the cart (one more round trip, once); an unknown token is 404.
///
/// `db` runs each statement on its own, outside a transaction: the write commits without
/// the flush wait (`NO_FLUSH_WAIT`), and inside a caller's transaction it would take the
/// wait off that transaction's commit too.
pub async fn write(
    db: &impl ConnectionTrait,
    owner: &Owner,
    variant_id: Uuid,
    quantity: Option<Quantity>,
) -> OrdersResult<(Cart, Vec<Purchasable>)> {
    if let Some(done) = write_once(db, owner, variant_id, quantity).await? {
        return Ok(done);
    }
    open(db, owner).await?;
    write_once(db, owner, variant_id, quantity)
        .await?
        .ok_or(OrdersError::NotFound("cart"))
}

/// Why the catalog's facts refuse `quantity` of a variant, if they do. The line write's
/// statement asks the same in SQL (`sellable`, `max_per_order`) and writes nothing when
/// it is refused; this names the refusal.
fn refusal(found: &[Purchasable], variant_id: Uuid, quantity: Quantity) -> Option<OrdersError> {
    let Some(p) = found
        .iter()
        .find(|p| p.variant_id == variant_id && p.sellable)
    else {
        return Some(OrdersError::NotFound("variant"));
    };
    match p.max_per_order {
        Some(max) if i64::from(quantity.get()) > i64::from(max) => {
            Some(OrdersError::QuantityLimit { variant_id, max })
        }
        _ => None,
    }
}

#[derive(Debug, FromQueryResult)]
struct Written {
    cart_id: Uuid,
    /// Whether the write was applied (a line the catalog refuses is not).
    written: bool,
    line_variant_id: Option<Uuid>,
    line_quantity: Option<Quantity>,
    line_seen_unit_price: Option<i64>,
}

/// The line write as one statement: the catalog's facts of the cart's variants and the
/// new one, and the cart's row updated with its new lines (only when the facts allow the
/// line) and its last use. `None` when the owner has no cart.
///
/// The new lines are computed from the row the `UPDATE` locks: when another write (a
/// second tab, a checkout emptying the cart) committed while this one waited for the
/// lock, Postgres computes them again from the row that write left. So the answer is
/// always the cart as this write left it; only the facts come from the statement's
/// snapshot, and a line added meanwhile has its facts read after.
async fn write_once(
    db: &impl ConnectionTrait,
    owner: &Owner,
    variant_id: Uuid,
    quantity: Option<Quantity>,
) -> OrdersResult<Option<(Cart, Vec<Purchasable>)>> {
    let (key, value) = owner_key(owner);
    let mut values = vec![value, variant_id.into()];
    let (lines, allowed) = match quantity {
        // A line already there keeps its place and the price it was first seen at; a new
        // one goes last, at the catalog's price.
        Some(q) => {
            values.push(q.into());
            (
                concat!(
                    "CASE WHEN EXISTS (SELECT 1 FROM unnest(c.lines) x WHERE x.variant_id = $2) \
                     THEN ARRAY(SELECT ROW(l.variant_id, CASE WHEN l.variant_id = $2 THEN $3 ELSE l.quantity END, \
                         l.seen_unit_price)::orders.cart_line FROM ",
                    unnest_lines!(),
                    " ORDER BY l.n) \
                     ELSE c.lines || ROW($2, $3, (SELECT price FROM facts WHERE variant_id = $2))::orders.cart_line END"
                ),
                "AND EXISTS (SELECT 1 FROM facts f WHERE f.variant_id = $2 AND f.sellable \
                     AND (f.max_per_order IS NULL OR $3 <= f.max_per_order))",
            )
        }
        None => (
            concat!(
                "ARRAY(SELECT ROW(l.variant_id, l.quantity, l.seen_unit_price)::orders.cart_line FROM ",
                unnest_lines!(),
                " WHERE l.variant_id <> $2 ORDER BY l.n)"
            ),
            "",
        ),
    };
    let sql = format!(
        "WITH cart AS (SELECT id, lines FROM orders.carts WHERE {key} = $1), \
         facts AS ({facts}), \
         written AS (UPDATE orders.carts c SET updated_at = {TOUCHED}, lines = {lines} \
             WHERE c.id = (SELECT id FROM cart) {allowed} RETURNING c.lines), \
         {NO_FLUSH_WAIT} \
         SELECT c.id AS cart_id, EXISTS (SELECT 1 FROM written) AS written, r.* \
         FROM cart c CROSS JOIN no_flush_wait LEFT JOIN ( \
             SELECT f.*, l.variant_id AS line_variant_id, l.quantity AS line_quantity, \
                 l.seen_unit_price AS line_seen_unit_price, l.n AS line_n \
             FROM facts f FULL JOIN (SELECT l.* FROM written c, {UNNEST_LINES}) l \
                 ON l.variant_id = f.variant_id) r ON true \
         ORDER BY r.line_n",
        facts = catalog::purchasable::select_of(
            "ARRAY(SELECT cl.variant_id FROM cart, unnest(cart.lines) cl) || (SELECT $2::uuid)"
        ),
    );
    let mut head = None;
    let mut lines = Vec::new();
    let mut found = Vec::new();
    for row in db.query_all_raw(pg(sql, values)).await? {
        let w = Written::from_query_result(&row, "")?;
        lines.extend(Line::from_columns(
            w.line_variant_id,
            w.line_quantity,
            w.line_seen_unit_price,
        ));
        if row.try_get::<Option<Uuid>>("", "variant_id")?.is_some() {
            found.push(Purchasable::from_query_result(&row, "")?);
        }
        head.get_or_insert(w);
    }
    // No row: the owner has no cart.
    let Some(head) = head else {
        return Ok(None);
    };
    if !head.written {
        return Err(match quantity {
            Some(q) => refusal(&found, variant_id, q).unwrap_or(OrdersError::NotFound("cart")),
            // The cart went between the statement's snapshot and its write.
            None => OrdersError::NotFound("cart"),
        });
    }
    let cart = Cart {
        id: head.cart_id,
        lines,
    };
    let found = with_facts_of(db, &cart, found).await?;
    Ok(Some((cart, found)))
}

/// `found`, and the catalog facts of any line of `cart` it lacks (one another tab added
/// after the write's snapshot was taken).
async fn with_facts_of(
    db: &impl ConnectionTrait,
    cart: &Cart,
    mut found: Vec<Purchasable>,
) -> OrdersResult<Vec<Purchasable>> {
    let missing: Vec<Uuid> = cart
        .lines
        .iter()
        .map(|l| l.variant_id)
        .filter(|v| !found.iter().any(|p| p.variant_id == *v))
        .collect();
    if !missing.is_empty() {
        found.extend(catalog::purchasable::load(db, &missing).await?);
    }
    Ok(found)
}

/// Merge an anonymous cart into a customer's: quantities are summed and capped by the
/// stock available and the per-order limit; the anonymous cart is gone afterwards.
/// Returns the merged cart and what the catalog says of its variants.
pub async fn merge(
    db: &DatabaseConnection,
    customer: Uuid,
    token: &str,
) -> OrdersResult<(Cart, Vec<Purchasable>)> {
    let txn = db.begin().await?;
    let owner = Owner::Customer(customer);
    // Created on first use, then locked with the anonymous one: a line written meanwhile
    // in another tab waits for the merge instead of being overwritten by it.
    open(&txn, &owner).await?;
    let target = locked(&txn, &owner)
        .await?
        .ok_or(OrdersError::NotFound("cart"))?;
    let source = locked(&txn, &Owner::Token(token.to_owned()))
        .await?
        .ok_or(OrdersError::NotFound("cart"))?;
    let mut merged: Vec<(Uuid, i64, i64)> = Vec::new();
    for l in target.lines.into_iter().chain(source.lines) {
        match merged.iter_mut().find(|m| m.0 == l.variant_id) {
            Some(m) => m.1 += i64::from(l.quantity.get()),
            None => merged.push((l.variant_id, i64::from(l.quantity.get()), l.seen_unit_price)),
        }
    }
    let ids: Vec<Uuid> = merged.iter().map(|m| m.0).collect();
    let catalog = catalog::purchasable::load(&txn, &ids).await?;
    let mut lines = Vec::with_capacity(merged.len());
    for (variant_id, qty, seen) in merged {
        let cap = catalog
            .iter()
            .find(|p| p.variant_id == variant_id)
            .map(|p| {
                let by_stock = p.available.max(0) as i64;
                let by_limit = p
                    .max_per_order
                    .map(i64::from)
                    .unwrap_or(i64::from(Quantity::CART_MAX));
                by_stock.min(by_limit)
            })
            .unwrap_or(qty);
        // Keep a line the shop cannot fill (at its old quantity) so the customer sees
        // it flagged rather than silently dropped; cap lines it can fill.
        let kept = if cap > 0 { qty.min(cap) } else { qty };
        let q = Quantity::clamped(kept.min(i64::from(Quantity::CART_MAX)));
        lines.push(Line {
            variant_id,
            quantity: q,
            seen_unit_price: seen,
        });
    }
    let quantities: Vec<i32> = lines.iter().map(|l| l.quantity.as_i32()).collect();
    let prices: Vec<i64> = lines.iter().map(|l| l.seen_unit_price).collect();
    txn.execute_raw(pg(
        "WITH merged AS (UPDATE orders.carts SET updated_at = now(), lines = ARRAY( \
             SELECT ROW(v, q, p)::orders.cart_line \
             FROM unnest($2::uuid[], $3::int[], $4::bigint[]) WITH ORDINALITY AS u(v, q, p, n) ORDER BY n) \
             WHERE id = $1) \
         DELETE FROM orders.carts WHERE id = $5",
        [
            target.id.into(),
            platform::db::uuid_array(&ids),
            quantities.into(),
            prices.into(),
            source.id.into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok((
        Cart {
            id: target.id,
            lines,
        },
        catalog,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CartLineView {
    pub variant_id: Uuid,
    pub product_id: Option<Uuid>,
    pub title: Option<String>,
    pub variant_name: Option<String>,
    pub quantity: Quantity,
    /// Today's catalog price.
    pub unit_price: Option<Won>,
    /// The price when the line was added.
    pub seen_unit_price: Won,
    pub price_changed: bool,
    /// Set when this line cannot be bought as it stands (it is left out of the quote).
    pub problem: Option<LineProblem>,
    pub available: Option<i32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    /// The pricing engine's quote over the lines that can be bought.
    pub quote: promotions::pricing::Quote,
    /// True when no postal code was given and a non-remote one was assumed.
    pub destination_assumed: bool,
}

/// The cart with a fresh quote.
pub async fn view(
    db: &impl ConnectionTrait,
    kept: Kept<'_>,
    cart: &Cart,
    postal_code: Option<PostalCode>,
    buyer: quoting::Buyer<'_>,
) -> OrdersResult<CartView> {
    let ids: Vec<Uuid> = cart.lines.iter().map(|l| l.variant_id).collect();
    let found = catalog::purchasable::load(db, &ids).await?;
    view_known(db, kept, cart, found, postal_code, buyer).await
}

/// [`view`] with the catalog's facts about the lines already read (`found` may hold more).
pub async fn view_known(
    db: &impl ConnectionTrait,
    kept: Kept<'_>,
    cart: &Cart,
    found: Vec<Purchasable>,
    postal_code: Option<PostalCode>,
    buyer: quoting::Buyer<'_>,
) -> OrdersResult<CartView> {
    let wants: Vec<Want> = cart.lines.iter().map(Line::want).collect();
    let assumed = postal_code.is_none();
    let dest = Destination::postal(postal_code.unwrap_or(Destination::NON_REMOTE));
    let priced = quoting::price_known(db, kept, found, &wants, &dest, Utc::now(), buyer).await?;
    let lines = cart
        .lines
        .iter()
        .map(|l| {
            let p = priced.found.iter().find(|p| p.variant_id == l.variant_id);
            let issue = priced.issues.iter().find(|i| i.variant_id == l.variant_id);
            CartLineView {
                variant_id: l.variant_id,
                product_id: p.map(|p| p.product_id),
                title: p.map(|p| p.title.clone()),
                variant_name: p.map(|p| p.variant_name.clone()),
                quantity: l.quantity,
                unit_price: p.map(|p| Won(p.price)),
                seen_unit_price: Won(l.seen_unit_price),
                price_changed: p.is_some_and(|p| p.price != l.seen_unit_price),
                problem: issue.map(|i| i.problem.clone()),
                available: p.map(|p| p.available.max(0)),
            }
        })
        .collect();
    Ok(CartView {
        lines,
        quote: priced.quote,
        destination_assumed: assumed,
    })
}

/// Delete carts idle for [`IDLE_DAYS`]; returns how many.
pub async fn expire_idle(db: &impl ConnectionTrait) -> OrdersResult<u64> {
    let res = db
        .execute_raw(pg(
            "DELETE FROM orders.carts WHERE updated_at < now() - make_interval(days => $1)",
            [(IDLE_DAYS as i32).into()],
        ))
        .await?;
    Ok(res.rows_affected())
}
