//! Every marketing change is recorded: who, when, what, and the row before and after.
//! The record is written in the same transaction as the change, so one never exists
//! without the other.

use crate::store::audit;
use chrono::Utc;
use platform::auth::Principal;
use platform::ids::new_id;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use serde::Serialize;
use uuid::Uuid;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub role: &'static str,
}

impl Actor {
    /// The scheduler and other jobs.
    pub const SYSTEM: Actor = Actor {
        id: None,
        role: "system",
    };

    pub fn user(p: &Principal) -> Actor {
        Actor {
            id: Some(p.user_id),
            role: p.role.as_str(),
        }
    }

    /// The user id to store as `created_by` (the nil id for the system).
    pub fn user_id(&self) -> Uuid {
        self.id.unwrap_or(Uuid::nil())
    }
}

fn snapshot<T: Serialize>(v: Option<&T>) -> Option<serde_json::Value> {
    v.and_then(|v| serde_json::to_value(v).ok())
}

/// Record `action` on `entity` `entity_id`.
pub async fn record<B: Serialize, A: Serialize>(
    db: &impl ConnectionTrait,
    actor: Actor,
    action: &str,
    entity: &str,
    entity_id: Uuid,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), DbErr> {
    audit::ActiveModel {
        id: Set(new_id()),
        actor_id: Set(actor.id),
        actor_role: Set(actor.role.to_owned()),
        action: Set(action.to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        before: Set(snapshot(before)),
        after: Set(snapshot(after)),
        at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map(|_| ())
}
