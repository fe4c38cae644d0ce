//! End-to-end tests through the HTTP API, one binary for the whole workspace: each test
//! starts the real app on port 0 against its own database and Redis prefix.

mod auth;
mod errors;
mod health;
mod migrations;
mod openapi;
mod outbox;
mod roles;
