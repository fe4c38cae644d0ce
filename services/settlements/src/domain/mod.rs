//! The settlement rules as pure functions over plain data: what a vendor order owes its
//! vendor (booking), which commission rate applies (commission), and when a payable falls
//! due (calendar). Nothing here touches a database.

pub mod booking;
pub mod calendar;
pub mod commission;
pub mod kinds;

#[cfg(test)]
mod proptests;
