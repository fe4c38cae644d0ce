//! The relay deletes the rows it published instead of marking them (`platform::outbox`):
//! every row left in an outbox is one to publish, so the index of unpublished rows is
//! only a second copy of the primary key that every event paid an entry in, and the
//! rows marked before are gone with it. `published_at` stays until no process of an
//! earlier release (which marks, and reads only unmarked rows) can still run beside the
//! new ones; a later migration drops it.

crate::sql::sql_migration!(
    up: [
        "DROP INDEX accounts.outbox_unpublished",
        "DROP INDEX catalog.outbox_unpublished",
        "DROP INDEX orders.outbox_unpublished",
        "DROP INDEX promotions.outbox_unpublished",
        "DELETE FROM accounts.outbox WHERE published_at IS NOT NULL",
        "DELETE FROM catalog.outbox WHERE published_at IS NOT NULL",
        "DELETE FROM orders.outbox WHERE published_at IS NOT NULL",
        "DELETE FROM promotions.outbox WHERE published_at IS NOT NULL",
    ],
    down: [
        "CREATE INDEX outbox_unpublished ON accounts.outbox (id) WHERE published_at IS NULL",
        "CREATE INDEX outbox_unpublished ON catalog.outbox (id) WHERE published_at IS NULL",
        "CREATE INDEX outbox_unpublished ON orders.outbox (id) WHERE published_at IS NULL",
        "CREATE INDEX outbox_unpublished ON promotions.outbox (id) WHERE published_at IS NULL",
    ],
);
