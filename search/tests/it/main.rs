//! The search crate's integration tests: one binary.
//!
//! - `behaviour`: the same cases against every backend (Meilisearch only with
//!   `MEILISEARCH_URL`).
//! - `comparison`: a few hundred generated queries on a seeded catalog, each backend
//!   against a reference model of the shop's matching, filters and sorts.
//! - `contract`: the Meilisearch backend against a fake server that replays real
//!   Meilisearch JSON.
//! - `cache`: the Redis result cache keeps answers until a write changes the index.
//! - `indexer`: events in, documents out; retries, dead letters, lag.
//! - `http`: the routes, their problems, their OpenAPI.
//! - `memory`: the in-memory index of one process follows the writes of others.

mod behaviour;
mod cache;
mod comparison;
mod contract;
mod http;
mod indexer;
mod memory;
mod support;
