//! Korean postal codes live in `platform`: carts, checkout and vendors parse them alike.

pub use platform::postal::PostalCode;
