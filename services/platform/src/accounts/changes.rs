//! What an admin changes on an existing account: its role, or whether it may sign in.
//! Each change is one transaction with its audit row (who, when, the fields before and
//! after). An admin cannot disable or demote their own account, so a shop never locks
//! itself out by a slip. The JSON API and the console both call these.

use super::entity::{account_audit, refresh_token, user};
use super::service::{STATUS_ACTIVE, STATUS_DISABLED, revoke_refresh_tokens, role_of};
use crate::auth::Role;
use crate::error::{ApiError, ErrorCode};
use crate::ids::new_id;
use crate::pagination::newest_first;
use crate::state::AppState;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select,
    Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

pub const ROLE_CHANGED: &str = "role_changed";
pub const DISABLED: &str = "disabled";
pub const ENABLED: &str = "enabled";

/// The account, locked until the change commits (two admins changing one account are
/// serialised, and each audit row's `before` is what really was).
async fn locked(db: &impl ConnectionTrait, id: Uuid) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("account"))
}

fn own_account(actor: Uuid, id: Uuid) -> Result<(), ApiError> {
    if actor == id {
        return Err(ApiError::new(ErrorCode::OwnAccount));
    }
    Ok(())
}

async fn audit(
    db: &impl ConnectionTrait,
    actor: Uuid,
    account: Uuid,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<(), ApiError> {
    account_audit::ActiveModel {
        id: Set(new_id()),
        account_id: Set(account),
        actor_id: Set(actor),
        action: Set(action.to_owned()),
        before: Set(before),
        after: Set(after),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The audit trail, optionally of one account only; the API pages it with
/// `Page::newest_first`, the console through [`audit_page`].
pub fn audit_trail(account: Option<Uuid>) -> Select<account_audit::Entity> {
    let mut q = account_audit::Entity::find();
    if let Some(a) = account {
        q = q.filter(account_audit::Column::AccountId.eq(a));
    }
    q
}

/// Up to `limit` audit rows, newest first, older than the row `before` (the cursor).
pub async fn audit_page(
    db: &impl ConnectionTrait,
    account: Option<Uuid>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<account_audit::Model>, ApiError> {
    let q = audit_trail(account);
    Ok(newest_first(db, q, account_audit::Column::Id, before, limit).await?)
}

/// Give an account another role. A vendor account must be bound to a vendor: the given
/// `vendor_id`, else the one it already has; any other role drops the binding. The new
/// role applies to admin requests at once (they re-read it) and elsewhere from the
/// account's next access token.
#[tracing::instrument(skip_all, fields(%id, %role))]
pub async fn change_role(
    state: &AppState,
    actor: Uuid,
    id: Uuid,
    role: Role,
    vendor_id: Option<Uuid>,
) -> Result<user::Model, ApiError> {
    let txn = state.db.begin().await?;
    let u = locked(&txn, id).await?;
    if role != Role::Admin {
        own_account(actor, id)?;
    }
    let vendor_id = match role {
        Role::Vendor => Some(vendor_id.or(u.vendor_id).ok_or_else(|| {
            ApiError::field(
                "vendor_id",
                "vendor_binding",
                "a vendor account needs a vendor_id",
            )
        })?),
        _ => None,
    };
    if role_of(&u) == role && u.vendor_id == vendor_id {
        return Ok(u);
    }
    let before = json!({ "role": u.role, "vendor_id": u.vendor_id });
    let after = json!({ "role": role.as_str(), "vendor_id": vendor_id });
    let mut am: user::ActiveModel = u.into();
    am.role = Set(role.as_str().to_owned());
    am.vendor_id = Set(vendor_id);
    am.updated_at = Set(Utc::now());
    let u = am.update(&txn).await?;
    audit(&txn, actor, id, ROLE_CHANGED, before, after).await?;
    txn.commit().await?;
    Ok(u)
}

/// Stop an account: it cannot sign in, every refresh token it holds is revoked (its
/// sessions end when their access token lapses; admin requests and the console check
/// the status on every request). Disabling a disabled account changes nothing.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn disable(state: &AppState, actor: Uuid, id: Uuid) -> Result<user::Model, ApiError> {
    own_account(actor, id)?;
    set_status(state, actor, id, STATUS_DISABLED, DISABLED).await
}

/// Let a disabled account sign in again (its old sessions stay revoked).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn enable(state: &AppState, actor: Uuid, id: Uuid) -> Result<user::Model, ApiError> {
    set_status(state, actor, id, STATUS_ACTIVE, ENABLED).await
}

async fn set_status(
    state: &AppState,
    actor: Uuid,
    id: Uuid,
    status: &str,
    action: &str,
) -> Result<user::Model, ApiError> {
    let txn = state.db.begin().await?;
    let u = locked(&txn, id).await?;
    if u.status == status {
        return Ok(u);
    }
    let before = json!({ "status": u.status });
    let mut am: user::ActiveModel = u.into();
    am.status = Set(status.to_owned());
    am.updated_at = Set(Utc::now());
    let u = am.update(&txn).await?;
    if status == STATUS_DISABLED {
        revoke_refresh_tokens(&txn, refresh_token::Column::UserId.eq(id)).await?;
    }
    audit(&txn, actor, id, action, before, json!({ "status": status })).await?;
    txn.commit().await?;
    Ok(u)
}

/// The caller's account as it is now, for a principal about to use admin power: the
/// token's word is not enough there, since a demotion or a disable must take that power
/// away at once rather than when the token lapses. A disabled (or deleted) account is
/// `account_disabled`, a role now outside `allowed` `forbidden`.
pub async fn recheck(
    db: &impl ConnectionTrait,
    id: Uuid,
    allowed: &[Role],
) -> Result<(), ApiError> {
    match user::Entity::find_by_id(id).one(db).await? {
        Some(u) if u.status != STATUS_ACTIVE => Err(ApiError::new(ErrorCode::AccountDisabled)),
        None => Err(ApiError::new(ErrorCode::AccountDisabled)),
        Some(u) if !allowed.contains(&role_of(&u)) => Err(ApiError::new(ErrorCode::Forbidden)),
        Some(_) => Ok(()),
    }
}
