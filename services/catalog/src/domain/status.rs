//! The state machines of the catalog: a product's listing and a vendor's standing.
//! Stored as text, as the migrations' `CHECK`s name them; the moves each allows are
//! written once, in its `can_move_to`.
//!
//! ```text
//! product: draft ─▶ active ─▶ archived
//!            └────────────────▶ archived
//! vendor:  pending ─▶ approved ◀─▶ suspended
//!            └─▶ rejected ─▶ approved (a rejected application approved after all)
//! ```

use platform::status::StateMachine;
use platform::text_status;

text_status! {
    /// Whether a product is listed.
    pub enum ProductStatus {
        Draft = "draft",
        Active = "active",
        Archived = "archived",
    }
}

impl StateMachine for ProductStatus {
    fn can_move_to(self, to: Self) -> bool {
        use ProductStatus::*;
        matches!((self, to), (Draft, Active) | (Draft | Active, Archived))
    }
}

text_status! {
    /// Where a vendor stands with the shop.
    pub enum VendorStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Suspended = "suspended",
    }
}

impl StateMachine for VendorStatus {
    fn can_move_to(self, to: Self) -> bool {
        use VendorStatus::*;
        matches!(
            (self, to),
            (Pending, Approved | Rejected)
                | (Rejected, Approved)
                | (Approved, Suspended)
                | (Suspended, Approved)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::status::pairs_that_differ;

    #[test]
    fn product_moves() {
        use ProductStatus::*;
        let allowed = [(Draft, Active), (Draft, Archived), (Active, Archived)];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }

    #[test]
    fn vendor_moves() {
        use VendorStatus::*;
        let allowed = [
            (Pending, Approved),
            (Pending, Rejected),
            (Rejected, Approved),
            (Approved, Suspended),
            (Suspended, Approved),
        ];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }
}
