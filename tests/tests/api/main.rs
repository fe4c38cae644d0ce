//! End-to-end tests through the HTTP API, one binary for the whole workspace: each test
//! starts the real app on port 0 against its own database and Redis prefix.

mod auth;
mod bounds;
mod cache;
mod campaign_prices;
mod checkout;
mod db_faults;
mod errors;
mod events;
mod health;
mod import;
mod lists;
mod local_cache;
mod migrations;
mod my_coupons;
mod openapi;
mod organisations;
mod outbox;
mod product_images;
mod products;
mod promotions;
mod public_purchases;
mod quotations;
mod races;
mod reports;
mod roles;
mod round_trips;
mod schema_ownership;
mod security;
mod settlements;
mod settlements_funding;
mod stacking_policy;
mod stock;
mod storefront;
mod toss;
mod vendors;
