//! The settlements service (정산): an append-only ledger of what the shop owes each vendor,
//! commission and payout policies, statements and payouts.

pub mod domain;
