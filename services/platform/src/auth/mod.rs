//! Who is calling: roles, tokens, passwords and the typed extractors that guard routes.

pub mod passwords;
pub mod principal;
pub mod role;
pub mod tokens;

pub use principal::{
    AdminUser, Authenticated, CustomerUser, MarketerUser, MaybeUser, Principal, VendorUser,
};
pub use role::Role;
