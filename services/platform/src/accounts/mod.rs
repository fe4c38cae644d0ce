//! Accounts (schema `accounts`): customers sign up themselves; vendor, marketer and admin
//! accounts are created by an admin. Login hands out a short-lived access token and a
//! rotating refresh token; reusing a spent refresh token revokes its whole family.

pub mod changes;
pub mod entity;
pub mod http;
pub mod input;
pub mod service;

pub use http::router;
