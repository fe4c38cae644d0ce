//! Holds keep money out of statements: an admin's hold on a vendor (suspended, under
//! investigation) keeps all of it, with a reason; an open return or claim on a vendor
//! order keeps that order's entries until it is decided (read from orders when a period
//! closes, so it can never go stale).

use crate::error::{SettlementsError, SettlementsResult};
use chrono::{DateTime, Utc};
use platform::db::pg;
use platform::ids::new_id;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct Hold {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub released_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHold {
    pub vendor_id: Uuid,
    pub reason: String,
}

/// Hold a vendor. A vendor has at most one open hold (409 otherwise).
pub async fn place(db: &impl ConnectionTrait, h: &NewHold, actor: Uuid) -> SettlementsResult<Hold> {
    let reason = h.reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(SettlementsError::field(
            "reason",
            "required",
            "say why, in 500 characters or fewer",
        ));
    }
    crate::policies::ensure_vendor(db, h.vendor_id).await?;
    Hold::find_by_statement(pg(
        "INSERT INTO settlements.holds (id, vendor_id, reason, created_by) VALUES ($1, $2, $3, $4) \
         RETURNING id, vendor_id, reason, created_by, created_at, released_at",
        [
            new_id().into(),
            h.vendor_id.into(),
            reason.into(),
            actor.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or(SettlementsError::Db(DbErr::RecordNotInserted))
}

pub async fn release(db: &impl ConnectionTrait, id: Uuid, actor: Uuid) -> SettlementsResult<Hold> {
    Hold::find_by_statement(pg(
        "UPDATE settlements.holds SET released_at = now(), released_by = $2 WHERE id = $1 AND released_at IS NULL \
         RETURNING id, vendor_id, reason, created_by, created_at, released_at",
        [id.into(), actor.into()],
    ))
    .one(db)
    .await?
    .ok_or(SettlementsError::NotFound("open hold"))
}

pub async fn list_open(db: &impl ConnectionTrait) -> SettlementsResult<Vec<Hold>> {
    Ok(Hold::find_by_statement(pg(
        "SELECT id, vendor_id, reason, created_by, created_at, released_at FROM settlements.holds \
         WHERE released_at IS NULL ORDER BY id",
        [],
    ))
    .all(db)
    .await?)
}

pub async fn is_held(db: &impl ConnectionTrait, vendor_id: Uuid) -> SettlementsResult<bool> {
    Ok(db
        .query_one_raw(pg(
            "SELECT 1 AS one FROM settlements.holds WHERE vendor_id = $1 AND released_at IS NULL",
            [vendor_id.into()],
        ))
        .await?
        .is_some())
}
