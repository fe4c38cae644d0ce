//! Every marketing change is recorded: who, when, what, and the row before and after.
//! The record is written in the same transaction as the change, so one never exists
//! without the other.

use crate::campaigns::SectionWithSlots;
use crate::store::{application, audit, campaign, campaign_price, coupon, coupon_drop, time_deal};
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

/// A row whose changes go in the audit trail: what the trail calls its kind, and its id.
pub trait Audited: Serialize {
    const ENTITY: &'static str;
    fn audit_id(&self) -> Uuid;
}

macro_rules! audited {
    ($($ty:ty => $entity:literal, |$v:ident| $id:expr;)+) => {
        $(impl Audited for $ty {
            const ENTITY: &'static str = $entity;
            fn audit_id(&self) -> Uuid {
                let $v = self;
                $id
            }
        })+
    };
}

audited! {
    campaign::Model => "campaign", |c| c.id;
    application::Model => "campaign_application", |a| a.id;
    campaign_price::Model => "campaign_price", |p| p.id;
    coupon::Model => "coupon", |c| c.id;
    coupon_drop::Model => "coupon_drop", |d| d.id;
    time_deal::Model => "time_deal", |d| d.id;
    SectionWithSlots => "campaign_section", |s| s.section.id;
}

/// Record `action` on an audited row: `before` is absent when the action created it,
/// `after` when the action deleted it.
pub async fn log<T: Audited>(
    db: &impl ConnectionTrait,
    actor: Actor,
    action: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), DbErr> {
    let id = after.or(before).map_or(Uuid::nil(), T::audit_id);
    record(db, actor, action, T::ENTITY, id, before, after).await
}

/// The entities the trail records (as `entity`), for filters.
pub const ENTITIES: &[&str] = &[
    "campaign",
    "campaign_section",
    "campaign_price",
    "campaign_application",
    "time_deal",
    "coupon",
    "coupon_drop",
    "stacking_policy",
];

/// Which part of the trail to read; each part is optional and they all hold at once.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// One kind of entity (one of [`ENTITIES`]).
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    /// The account that made the change.
    pub actor_id: Option<Uuid>,
    /// Changes at or after this instant.
    pub from: Option<chrono::DateTime<Utc>>,
    /// Changes before this instant.
    pub to: Option<chrono::DateTime<Utc>>,
}

/// The rows of the trail `f` asks for, in no order yet (the API pages it).
pub fn select(f: &Filter) -> sea_orm::Select<audit::Entity> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut q = audit::Entity::find();
    if let Some(e) = &f.entity {
        q = q.filter(audit::Column::Entity.eq(e.as_str()));
    }
    if let Some(id) = f.entity_id {
        q = q.filter(audit::Column::EntityId.eq(id));
    }
    if let Some(id) = f.actor_id {
        q = q.filter(audit::Column::ActorId.eq(id));
    }
    if let Some(from) = f.from {
        q = q.filter(audit::Column::At.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit::Column::At.lt(to));
    }
    q
}

/// The trail, newest first: a cursor over ids (`before`: the last id of the previous
/// page), as `f` filters it; at most `limit` rows.
pub async fn page(
    db: &impl ConnectionTrait,
    f: &Filter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<audit::Model>, DbErr> {
    platform::pagination::newest_first(db, select(f), audit::Column::Id, before, limit).await
}
