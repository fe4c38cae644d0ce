//! The counter behind order and quotation numbers (`orders.numbers`).
//!
//! A number was the day and eight random hex digits. Two orders drawing the same digits
//! on the same day break the numbers' unique index, and the second checkout failed with
//! a 409: at 16,000 orders a day that is about a 3% chance a day (the load harness drew
//! one). The digits are now a fixed permutation of this counter, which never repeats, so
//! numbers still look unordered and never collide (`orders::checkout::order_number`).

crate::sql::sql_migration!(
    up: ["CREATE SEQUENCE orders.numbers AS bigint"],
    down: ["DROP SEQUENCE orders.numbers"],
);
