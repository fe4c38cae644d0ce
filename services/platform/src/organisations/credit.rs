//! The credit line for paying by invoice (후불), changed only inside the caller's
//! transaction (the order's, the recorded transfer's).

use crate::db::pg;
use crate::error::{ApiError, ErrorCode};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Take `amount` of the organisation's credit, or refuse with `credit_limit_exceeded`.
///
/// One conditional update: concurrent orders queue on the organisation's row and each
/// sees the usage the one before it committed, so together they can never pass the limit.
pub async fn take(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    amount: i64,
) -> Result<(), ApiError> {
    if amount < 0 {
        return Err(ApiError::internal(anyhow::anyhow!(
            "negative credit {amount}"
        )));
    }
    let res = db
        .execute_raw(pg(
            "UPDATE accounts.organisations SET credit_used = credit_used + $2 \
             WHERE id = $1 AND status = 'approved' AND credit_used + $2 <= credit_limit",
            [organisation.into(), amount.into()],
        ))
        .await?;
    if res.rows_affected() == 1 {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::CreditLimitExceeded))
    }
}

/// Give `amount` back (a transfer arrived, an order on credit was cancelled).
pub async fn give_back(
    db: &impl ConnectionTrait,
    organisation: Uuid,
    amount: i64,
) -> Result<(), ApiError> {
    db.execute_raw(pg(
        "UPDATE accounts.organisations SET credit_used = GREATEST(credit_used - $2, 0) WHERE id = $1",
        [organisation.into(), amount.into()],
    ))
    .await?;
    Ok(())
}
