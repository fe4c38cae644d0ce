use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The four kinds of account. A vendor account is bound to exactly one vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Vendor,
    Marketer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Customer, Role::Vendor, Role::Marketer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Vendor => "vendor",
            Role::Marketer => "marketer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?} (customer, vendor, marketer, admin)"))
    }
}
