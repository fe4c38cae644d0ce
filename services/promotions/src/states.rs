//! The state machines of promotions: a campaign's life and a vendor's application to one.
//! Stored as text, as the migrations' `CHECK`s name them; the moves each allows are
//! written once, in its `can_move_to`.
//!
//! ```text
//! campaign:    draft ─▶ scheduled ─▶ live ─▶ ended
//!                           └───────────────▶ ended (ended early, or over before it began)
//! application: pending ─▶ approved | rejected | withdrawn
//! ```

use crate::error::{PromotionsError, PromotionsResult};
use platform::status::StateMachine;
use platform::text_status;

/// Refuses to move a `what` ("campaign", "application") stored in `status` to `to` unless
/// its machine allows that move; `action` names the refused action in the error.
pub fn check_move<S: StateMachine>(
    what: &str,
    status: &str,
    to: S,
    action: &'static str,
) -> PromotionsResult<()> {
    if S::parse(status).is_some_and(|s| s.can_move_to(to)) {
        Ok(())
    } else {
        Err(PromotionsError::IllegalTransition {
            action,
            state: format!("the {what} is {status}"),
        })
    }
}

text_status! {
    /// Where a campaign (기획전) stands.
    pub enum CampaignStatus {
        Draft = "draft",
        Scheduled = "scheduled",
        Live = "live",
        Ended = "ended",
    }
}

impl StateMachine for CampaignStatus {
    fn can_move_to(self, to: Self) -> bool {
        use CampaignStatus::*;
        matches!(
            (self, to),
            (Draft, Scheduled) | (Scheduled, Live | Ended) | (Live, Ended)
        )
    }
}

text_status! {
    /// Where a vendor's application to a campaign stands.
    pub enum ApplicationStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

impl StateMachine for ApplicationStatus {
    fn can_move_to(self, to: Self) -> bool {
        use ApplicationStatus::*;
        matches!((self, to), (Pending, Approved | Rejected | Withdrawn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::status::pairs_that_differ;

    #[test]
    fn campaign_moves() {
        use CampaignStatus::*;
        let allowed = [
            (Draft, Scheduled),
            (Scheduled, Live),
            (Scheduled, Ended),
            (Live, Ended),
        ];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }

    #[test]
    fn application_moves() {
        use ApplicationStatus::*;
        let allowed = [
            (Pending, Approved),
            (Pending, Rejected),
            (Pending, Withdrawn),
        ];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }
}
