//! A cart's lines move into the cart's own row: `orders.carts.lines`, an array of
//! `orders.cart_line` (variant, quantity, the price first seen), oldest first. The table
//! `orders.cart_lines` and the cart's `generation` go.
//!
//! A cart is read and written whole, and every write of its lines already updated its row
//! (the generation, the last use). With the lines in that row:
//! - a line write is one `UPDATE` of one row. It no longer inserts a line row with its
//!   primary-key entry and the foreign-key check of its cart, and a checkout no longer
//!   deletes them. Postgres updates the cart in place (a HOT update: no indexed column
//!   changes), so the cart's indexes see nothing. The line table's index, whose dead
//!   entries piled up between vacuums under checkout load (each checkout deletes a
//!   cart's lines, the next cart inserts new ones), is gone with it;
//! - the lines are the row's, so the row lock is the lines' lock. An `UPDATE` that waited
//!   for another writer computes the new lines from the row that writer left, and
//!   checkout's `FOR UPDATE` returns the lines as last committed. The generation existed
//!   only to detect lines read from a snapshot older than the lock; nothing needs it now.
//!
//! Each line's variant is there once: the statements that write the array replace a
//! variant's line rather than add a second (the old table's primary key said so; an array
//! has no such rule). The quantity keeps its domain (`orders.quantity`) as the composite
//! type's field. `fillfactor` leaves a fifth of each page free, so that a cart's next row
//! version, a little longer when a line is added, still fits on its page and stays a HOT
//! update.

crate::sql::sql_migration!(
    up: [
        "CREATE TYPE orders.cart_line AS (
           variant_id uuid,
           quantity orders.quantity,
           seen_unit_price bigint
         )",
        "ALTER TABLE orders.carts ADD COLUMN lines orders.cart_line[] NOT NULL DEFAULT '{}'",
        "UPDATE orders.carts c SET lines = ARRAY(
           SELECT ROW(l.variant_id, l.quantity, l.seen_unit_price)::orders.cart_line
             FROM orders.cart_lines l WHERE l.cart_id = c.id ORDER BY l.added_at, l.variant_id)
          WHERE EXISTS (SELECT 1 FROM orders.cart_lines l WHERE l.cart_id = c.id)",
        "DROP TABLE orders.cart_lines",
        "ALTER TABLE orders.carts DROP COLUMN generation",
        "ALTER TABLE orders.carts SET (fillfactor = 80)",
    ],
    down: [
        "ALTER TABLE orders.carts RESET (fillfactor)",
        "ALTER TABLE orders.carts ADD COLUMN generation bigint NOT NULL DEFAULT 0",
        // As the order domains migration left it.
        "CREATE TABLE orders.cart_lines (
            cart_id uuid NOT NULL REFERENCES orders.carts (id) ON DELETE CASCADE,
            variant_id uuid NOT NULL,
            quantity orders.quantity NOT NULL,
            seen_unit_price bigint NOT NULL,
            added_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (cart_id, variant_id)
        )",
        // The array's order becomes the lines' times, a microsecond apart.
        "INSERT INTO orders.cart_lines (cart_id, variant_id, quantity, seen_unit_price, added_at)
         SELECT c.id, l.variant_id, l.quantity, l.seen_unit_price, c.created_at + l.n * interval '1 microsecond'
           FROM orders.carts c, unnest(c.lines) WITH ORDINALITY AS l(variant_id, quantity, seen_unit_price, n)",
        "ALTER TABLE orders.carts DROP COLUMN lines",
        "DROP TYPE orders.cart_line",
    ],
);
