//! Every state change writes a history row and an outbox event, in the same transaction.

use crate::error::OrdersResult;
use platform::db::pg;
use platform::ids::new_id;
use platform::outbox::{self, Schema};
use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

/// One state change of an order (or of one of its vendor orders).
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub order_id: Uuid,
    pub vendor_order_id: Option<Uuid>,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub actor: &'a str,
    pub note: &'a str,
}

impl Change<'_> {
    /// The entry and its event as two CTEs (`history_entry`, `history_event`) whose
    /// parameters follow the caller's first `after`: a change written by one statement
    /// takes its history along in the same round trip.
    pub fn ctes(&self, after: usize) -> (String, Vec<Value>) {
        let topic = match self.vendor_order_id {
            Some(_) => format!("orders.vendor_order.{}", self.to),
            None => format!("orders.order.{}", self.to),
        };
        let payload = serde_json::json!({
            "order_id": self.order_id,
            "vendor_order_id": self.vendor_order_id,
            "from": self.from,
            "to": self.to,
        });
        let p = |i: usize| format!("${}", after + i);
        let sql = format!(
            "history_entry AS (INSERT INTO orders.order_history \
                 (id, order_id, vendor_order_id, from_status, to_status, actor, note) \
                 VALUES ({}, {}, {}, {}, {}, {}, {})), \
             history_event AS ({})",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            outbox::insert_from(
                Schema::Orders,
                &format!("VALUES ({}, {}, {}, {})", p(8), p(9), p(2), p(10))
            ),
        );
        let values = vec![
            new_id().into(),
            self.order_id.into(),
            self.vendor_order_id.into(),
            self.from.map(str::to_owned).into(),
            self.to.into(),
            self.actor.into(),
            self.note.into(),
            new_id().into(),
            topic.into(),
            Value::Json(Some(Box::new(payload))),
        ];
        (sql, values)
    }
}

/// Record a change on its own: one round trip.
pub async fn record(
    db: &impl ConnectionTrait,
    order_id: Uuid,
    vendor_order_id: Option<Uuid>,
    from: Option<&str>,
    to: &str,
    actor: &str,
    note: &str,
) -> OrdersResult<()> {
    let (ctes, values) = Change {
        order_id,
        vendor_order_id,
        from,
        to,
        actor,
        note,
    }
    .ctes(0);
    db.execute_raw(pg(format!("WITH {ctes} SELECT 1"), values))
        .await?;
    Ok(())
}
