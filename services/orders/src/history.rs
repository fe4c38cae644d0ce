//! Every state change writes a history row and an outbox event, in the same transaction.

use crate::error::OrdersResult;
use platform::ids::new_id;
use platform::outbox::{self, Schema};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

pub async fn record(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    vendor_order_id: Option<Uuid>,
    from: Option<&str>,
    to: &str,
    actor: &str,
    note: &str,
) -> OrdersResult<()> {
    let topic = match vendor_order_id {
        Some(_) => format!("orders.vendor_order.{to}"),
        None => format!("orders.order.{to}"),
    };
    let payload = serde_json::json!({ "order_id": order_id, "vendor_order_id": vendor_order_id, "from": from, "to": to });
    // The entry and its event in one statement: one round trip per state change.
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "WITH entry AS (INSERT INTO orders.order_history \
                 (id, order_id, vendor_order_id, from_status, to_status, actor, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)) {}",
            outbox::insert_from(Schema::Orders, "VALUES ($8, $9, $2, $10)")
        ),
        [
            new_id().into(),
            order_id.into(),
            vendor_order_id.into(),
            from.map(str::to_owned).into(),
            to.into(),
            actor.into(),
            note.into(),
            new_id().into(),
            topic.into(),
            Value::Json(Some(Box::new(payload))),
        ],
    ))
    .await?;
    Ok(())
}
