//! The four state machines of an order: the order itself, each vendor's part of it, its
//! payment and a return. Each is stored as text, in the words the migrations allow (the
//! order's and the vendor order's in the domains `orders.order_status` and
//! `orders.vendor_order_status`, the others in `CHECK`s); the moves each allows are written
//! once, in its `can_move_to`.
//!
//! ```text
//! order:        pending_payment ──▶ paid ──▶ completed
//!                   │    │            └──▶ canceled (customer, before shipping; refunded)
//!                   │    └──▶ expired ─┐
//!                   └──▶ canceled ─────┴──▶ paid (a late payment that could hold the stock again)
//! vendor order: awaiting_payment ─▶ preparing ─▶ shipped ─▶ delivered ─▶ confirmed
//!                      └──▶ canceled ◀──┘  (and canceled ─▶ preparing with a late payment)
//! payment:      open | failed | canceled ─▶ succeeded, or ─▶ refunding ─▶ refunded
//!               open | failed ─▶ failed, canceled
//!               open ─▶ waiting_for_deposit (a virtual account) ─▶ succeeded | failed | canceled
//!               (paid after the hold lapsed) ─▶ canceling ─▶ canceled
//! return:       requested ─▶ accepted | rejected
//! ```

use platform::status::StateMachine;
use platform::text_status;

text_status! {
    /// Where an order stands.
    pub enum OrderStatus {
        PendingPayment = "pending_payment",
        Paid = "paid",
        Canceled = "canceled",
        Expired = "expired",
        Completed = "completed",
    }
}

impl StateMachine for OrderStatus {
    fn can_move_to(self, to: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (PendingPayment, Paid | Canceled | Expired)
                | (Paid, Canceled | Completed)
                | (Canceled | Expired, Paid)
        )
    }
}

impl OrderStatus {
    /// The order is over: no stock is held for it any more.
    pub fn is_closed(self) -> bool {
        matches!(self, OrderStatus::Canceled | OrderStatus::Expired)
    }
}

text_status! {
    /// Where one vendor's part of an order stands.
    pub enum VendorOrderStatus {
        AwaitingPayment = "awaiting_payment",
        Preparing = "preparing",
        Shipped = "shipped",
        Delivered = "delivered",
        Confirmed = "confirmed",
        Canceled = "canceled",
    }
}

impl StateMachine for VendorOrderStatus {
    fn can_move_to(self, to: Self) -> bool {
        use VendorOrderStatus::*;
        matches!(
            (self, to),
            (AwaitingPayment, Preparing | Canceled)
                | (Preparing, Shipped | Canceled)
                | (Shipped, Delivered)
                | (Delivered, Confirmed)
                | (Canceled, Preparing)
        )
    }
}

text_status! {
    /// What the shop knows of an order's payment (`orders.payments.status`).
    pub enum PaymentState {
        Open = "open",
        Succeeded = "succeeded",
        /// Paid after the order's stock was gone: the money is on its way back.
        Refunding = "refunding",
        Refunded = "refunded",
        Failed = "failed",
        Canceled = "canceled",
        /// A virtual account (가상계좌) was issued: the shopper has yet to deposit.
        WaitingForDeposit = "waiting_for_deposit",
        /// Completed after the order's hold lapsed: being cancelled at the gateway.
        Canceling = "canceling",
    }
}

impl StateMachine for PaymentState {
    fn can_move_to(self, to: Self) -> bool {
        use PaymentState::*;
        matches!(
            (self, to),
            (
                Open | Failed | Canceled | WaitingForDeposit,
                Succeeded | Refunding
            ) | (Open | WaitingForDeposit, Failed)
                | (Open | Failed | WaitingForDeposit, Canceled)
                | (Open, WaitingForDeposit)
                | (Open | Failed | Canceled | WaitingForDeposit, Canceling)
                | (Canceling, Canceled)
                | (Refunding, Refunded)
        )
    }
}

text_status! {
    /// Where a return request stands.
    pub enum ReturnStatus {
        Requested = "requested",
        Accepted = "accepted",
        Rejected = "rejected",
    }
}

impl StateMachine for ReturnStatus {
    fn can_move_to(self, to: Self) -> bool {
        use ReturnStatus::*;
        matches!((self, to), (Requested, Accepted | Rejected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::status::pairs_that_differ;

    #[test]
    fn order_moves() {
        use OrderStatus::*;
        let allowed = [
            (PendingPayment, Paid),
            (PendingPayment, Canceled),
            (PendingPayment, Expired),
            (Paid, Canceled),
            (Paid, Completed),
            (Canceled, Paid),
            (Expired, Paid),
        ];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }

    #[test]
    fn vendor_order_moves() {
        use VendorOrderStatus::*;
        let allowed = [
            (AwaitingPayment, Preparing),
            (AwaitingPayment, Canceled),
            (Preparing, Shipped),
            (Preparing, Canceled),
            (Shipped, Delivered),
            (Delivered, Confirmed),
            (Canceled, Preparing),
        ];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }

    #[test]
    fn payment_moves() {
        use PaymentState::*;
        let allowed = [
            (Open, Succeeded),
            (Open, Refunding),
            (Open, Failed),
            (Open, Canceled),
            (Failed, Succeeded),
            (Failed, Refunding),
            (Failed, Canceled),
            (Canceled, Succeeded),
            (Canceled, Refunding),
            (Refunding, Refunded),
            (Open, WaitingForDeposit),
            (WaitingForDeposit, Succeeded),
            (WaitingForDeposit, Refunding),
            (WaitingForDeposit, Failed),
            (WaitingForDeposit, Canceled),
            (Open, Canceling),
            (Failed, Canceling),
            (Canceled, Canceling),
            (WaitingForDeposit, Canceling),
            (Canceling, Canceled),
        ];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }

    #[test]
    fn return_moves() {
        use ReturnStatus::*;
        let allowed = [(Requested, Accepted), (Requested, Rejected)];
        assert_eq!(pairs_that_differ(&allowed), Vec::<String>::new());
    }
}
