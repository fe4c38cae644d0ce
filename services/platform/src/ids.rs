//! Ids are UUIDv7: time-ordered, so that new rows land at the end of their indexes and a
//! cursor over ids follows creation order.

use uuid::Uuid;

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
