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
    /// How many line writes the cart had when these lines were read.
    pub generation: i64,
}

#[derive(Debug, FromQueryResult)]
struct CartRow {
    cart_id: Uuid,
    generation: i64,
    variant_id: Option<Uuid>,
    quantity: Option<Quantity>,
    seen_unit_price: Option<i64>,
}

/// The cart and its lines in one round trip, creating a customer's cart on first use (a
/// second round trip, once per customer). An unknown token is 404.
pub async fn open(db: &impl ConnectionTrait, owner: &Owner) -> OrdersResult<Cart> {
    const LINES: &str = "SELECT c.id AS cart_id, c.generation, l.variant_id, l.quantity, l.seen_unit_price \
         FROM cart c LEFT JOIN orders.cart_lines l ON l.cart_id = c.id ORDER BY l.added_at, l.variant_id";
    let (key, value) = owner_key(owner);
    // A plain read first: the cart exists on every request but a customer's first, and
    // insert-or-read costs Postgres an insert's set-up and an arbiter-index probe each time.
    let stmt = pg(
        format!("WITH cart AS (SELECT id, generation FROM orders.carts WHERE {key} = $1) {LINES}"),
        [value],
    );
    if let Some(cart) = from_rows(CartRow::find_by_statement(stmt).all(db).await?) {
        return Ok(cart);
    }
    let Owner::Customer(id) = owner else {
        return Err(OrdersError::NotFound("cart"));
    };
    // Insert-or-read in one statement, safe under concurrent first requests (a cart just
    // inserted has no lines for the join to miss).
    let stmt = pg(
        format!(
            "WITH ins AS (INSERT INTO orders.carts (id, customer_id) VALUES ($1, $2) \
                 ON CONFLICT (customer_id) WHERE customer_id IS NOT NULL DO NOTHING RETURNING id, generation), \
             cart AS (SELECT id, generation FROM ins \
                 UNION ALL SELECT id, generation FROM orders.carts WHERE customer_id = $2 LIMIT 1) \
             {LINES}"
        ),
        [new_id().into(), (*id).into()],
    );
    from_rows(CartRow::find_by_statement(stmt).all(db).await?).ok_or(OrdersError::NotFound("cart"))
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
    let (id, generation) = rows.first().map(|r| (r.cart_id, r.generation))?;
    let lines = rows
        .into_iter()
        .filter_map(|r| Line::from_columns(r.variant_id, r.quantity, r.seen_unit_price))
        .collect();
    Some(Cart {
        id,
        lines,
        generation,
    })
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

pub async fn lines(db: &impl ConnectionTrait, cart: Uuid) -> OrdersResult<Vec<Line>> {
    Ok(Line::find_by_statement(pg(
        "SELECT variant_id, quantity, seen_unit_price FROM orders.cart_lines WHERE cart_id = $1 ORDER BY added_at, variant_id",
        [cart.into()],
    ))
    .all(db)
    .await?)
}

/// What a write of a cart's lines sets its `updated_at` to. A cart is deleted after
/// [`IDLE_DAYS`] unused, so the hour it was last used is precise enough: written again
/// within the hour it keeps its time, the write changes no indexed column, and Postgres
/// updates the row in place (a HOT update) instead of adding an entry to each of the
/// cart's four indexes on every line written.
const TOUCHED: &str =
    "CASE WHEN updated_at < now() - interval '1 hour' THEN now() ELSE updated_at END";

/// Mark the cart used now, and its lines written.
async fn touch(db: &impl ConnectionTrait, cart: Uuid) -> OrdersResult<()> {
    db.execute_raw(pg(
        format!(
            "UPDATE orders.carts SET updated_at = {TOUCHED}, generation = generation + 1 WHERE id = $1"
        ),
        [cart.into()],
    ))
    .await?;
    Ok(())
}

/// Set a line's quantity (`None` removes it) in the owner's cart, and return the cart as
/// it stands after the write with what the catalog says of every line's variant (for the
/// quote that follows). The variant must exist and be for sale. A customer's first line
/// creates the cart (one more round trip, once); an unknown token is 404.
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
    /// The cart's generation in the statement's snapshot, which the lines are from.
    seen: i64,
    /// The generation the write left, read after any wait on the cart's lock; none when
    /// nothing was written.
    written: Option<i64>,
    line_variant_id: Option<Uuid>,
    line_quantity: Option<Quantity>,
    line_seen_unit_price: Option<i64>,
}

/// The line write as one statement: the cart and its lines, the catalog's facts of their
/// variants and the new one, the write (only when the facts allow it) and the cart's
/// last use and generation bump. One round trip and one commit where reading the cart,
/// reading the facts and writing took three. `None` when the owner has no cart.
///
/// The lines come from the statement's snapshot, taken before the bump waits for the
/// cart's lock. When the bump finds the generation the snapshot saw plus one, nobody
/// wrote the lines in between and the write is applied to the lines in hand; otherwise
/// (another tab's write, or a checkout of this cart that committed meanwhile and ordered
/// lines the snapshot still shows) they are read again.
async fn write_once(
    db: &impl ConnectionTrait,
    owner: &Owner,
    variant_id: Uuid,
    quantity: Option<Quantity>,
) -> OrdersResult<Option<(Cart, Vec<Purchasable>)>> {
    let (key, value) = owner_key(owner);
    let mut values = vec![value, variant_id.into()];
    let (line, written_when) = match quantity {
        // A line already there keeps its place and the price it was first seen at.
        Some(q) => {
            values.push(q.into());
            (
                "INSERT INTO orders.cart_lines (cart_id, variant_id, quantity, seen_unit_price) \
                 SELECT c.id, f.variant_id, $3, f.price FROM cart c JOIN facts f ON f.variant_id = $2 \
                 WHERE f.sellable AND (f.max_per_order IS NULL OR $3 <= f.max_per_order) \
                 ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = EXCLUDED.quantity RETURNING 1",
                "AND EXISTS (SELECT 1 FROM line)",
            )
        }
        None => (
            "DELETE FROM orders.cart_lines WHERE cart_id = (SELECT id FROM cart) AND variant_id = $2 RETURNING 1",
            "",
        ),
    };
    let sql = format!(
        "WITH cart AS (SELECT id, generation FROM orders.carts WHERE {key} = $1), \
         lines AS (SELECT variant_id, quantity, seen_unit_price, added_at FROM orders.cart_lines \
             WHERE cart_id = (SELECT id FROM cart)), \
         facts AS ({facts}), \
         line AS ({line}), \
         touched AS (UPDATE orders.carts SET updated_at = {TOUCHED}, generation = generation + 1 \
             WHERE id = (SELECT id FROM cart) {written_when} RETURNING generation) \
         SELECT c.id AS cart_id, c.generation AS seen, (SELECT generation FROM touched) AS written, r.* \
         FROM cart c LEFT JOIN ( \
             SELECT f.*, l.variant_id AS line_variant_id, l.quantity AS line_quantity, \
                 l.seen_unit_price AS line_seen_unit_price, l.added_at AS line_added_at \
             FROM facts f FULL JOIN lines l ON l.variant_id = f.variant_id) r ON true \
         ORDER BY r.line_added_at, r.line_variant_id",
        facts = catalog::purchasable::select_of(
            "ARRAY(SELECT variant_id FROM lines) || (SELECT $2::uuid)"
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
    let mut cart = Cart {
        id: head.cart_id,
        lines,
        generation: head.seen,
    };
    if let Some(q) = quantity
        && head.written.is_none()
    {
        return Err(refusal(&found, variant_id, q).unwrap_or(OrdersError::NotFound("cart")));
    }
    if head.written != Some(head.seen + 1) {
        let found = reread(db, &mut cart, head.written, found).await?;
        return Ok(Some((cart, found)));
    }
    cart.generation += 1;
    match quantity {
        None => cart.lines.retain(|l| l.variant_id != variant_id),
        Some(quantity) => match cart.lines.iter_mut().find(|l| l.variant_id == variant_id) {
            Some(line) => line.quantity = quantity,
            // The price the write stored: the catalog's, from the facts it wrote with.
            None => {
                let seen_unit_price = found
                    .iter()
                    .find(|p| p.variant_id == variant_id)
                    .map_or(0, |p| p.price);
                cart.lines.push(Line {
                    variant_id,
                    quantity,
                    seen_unit_price,
                });
            }
        },
    }
    Ok(Some((cart, found)))
}

/// The cart's lines as committed now (after a write that left the cart at `generation`),
/// and the catalog facts of any line `found` lacks (one added meanwhile, say in another
/// tab).
async fn reread(
    db: &impl ConnectionTrait,
    cart: &mut Cart,
    generation: Option<i64>,
    mut found: Vec<Purchasable>,
) -> OrdersResult<Vec<Purchasable>> {
    cart.lines = lines(db, cart.id).await?;
    cart.generation = generation.unwrap_or(cart.generation);
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
    let target = open(&txn, &Owner::Customer(customer)).await?;
    let source = open(&txn, &Owner::Token(token.to_owned())).await?;
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
        txn.execute_raw(pg(
            "INSERT INTO orders.cart_lines (cart_id, variant_id, quantity, seen_unit_price) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = EXCLUDED.quantity",
            [target.id.into(), variant_id.into(), q.into(), seen.into()],
        ))
        .await?;
        lines.push(Line {
            variant_id,
            quantity: q,
            seen_unit_price: seen,
        });
    }
    txn.execute_raw(pg(
        "DELETE FROM orders.carts WHERE id = $1",
        [source.id.into()],
    ))
    .await?;
    touch(&txn, target.id).await?;
    txn.commit().await?;
    Ok((
        Cart {
            id: target.id,
            lines,
            generation: target.generation + 1,
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
