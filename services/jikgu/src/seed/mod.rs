//! Demo data. Every step is idempotent: `jikgu demo` may run again on the same database.

pub mod history;
pub mod organisations;
pub mod reports;
pub mod settlements;

use platform::accounts::entity::user;
use platform::accounts::input::{Email, NewPassword};
use platform::accounts::service::{self, NewAccount};
use platform::auth::Role;
use platform::{ApiError, AppState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The vendor the demo vendor login is bound to (the catalog seed creates it).
pub const DEMO_VENDOR_ID: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);

pub struct DemoLogin {
    pub role: Role,
    pub email: &'static str,
    pub password: &'static str,
}

pub const DEMO_LOGINS: [DemoLogin; 4] = [
    DemoLogin {
        role: Role::Admin,
        email: "admin@jikgu.kr",
        password: "jikgu-admin-demo",
    },
    DemoLogin {
        role: Role::Marketer,
        email: "marketer@jikgu.kr",
        password: "jikgu-marketer-demo",
    },
    DemoLogin {
        role: Role::Vendor,
        email: "vendor@ganghwa-sunmu.kr",
        password: "jikgu-vendor-demo",
    },
    DemoLogin {
        role: Role::Customer,
        email: "customer@example.kr",
        password: "jikgu-customer-demo",
    },
];

pub async fn seed_demo(state: &AppState) -> Result<::catalog::demo::Seeded, ApiError> {
    for login in DEMO_LOGINS.iter().filter(|l| l.role != Role::Vendor) {
        ensure_account(state, login.email, login.password, login.role, None).await?;
    }
    // The vendor login comes with the first vendor; the others get accounts of their own.
    let seeded = ::catalog::demo::seed(&state.db, DEMO_VENDOR_ID, |i, key, vendor_id| {
        let state = state.clone();
        async move {
            let vendor_login = DEMO_LOGINS.iter().find(|l| l.role == Role::Vendor);
            let (email, password) = match (i, vendor_login) {
                (0, Some(login)) => (login.email.to_owned(), login.password),
                _ => (format!("{key}@vendors.jikgu.kr"), "jikgu-vendor-demo"),
            };
            let account =
                ensure_account(&state, &email, password, Role::Vendor, Some(vendor_id)).await?;
            Ok(account.id)
        }
    })
    .await?;
    // Campaigns price the products just seeded.
    ::promotions::seed_demo(state).await?;
    // A settlement history for the demo vendor, once.
    settlements::seed(state).await?;
    // A year of sales across channels, campaigns and districts for the 실적 report, once.
    reports::seed(state).await?;
    // Buyer organisations, their quotations and invoices, once.
    organisations::seed(state).await?;
    Ok(seeded)
}

/// Create the account unless one with this email exists.
pub async fn ensure_account(
    state: &AppState,
    email: &str,
    password: &str,
    role: Role,
    vendor_id: Option<Uuid>,
) -> Result<user::Model, ApiError> {
    let email = Email::parse(email, "email").map_err(|e| ApiError::validation(vec![e]))?;
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&state.db)
        .await?
    {
        return Ok(existing);
    }
    let password = NewPassword::parse(password.to_owned(), "password")
        .map_err(|e| ApiError::validation(vec![e]))?;
    service::create_account(
        &state.db,
        NewAccount {
            display_name: format!("{role} ({})", email.as_str()),
            email,
            password,
            role,
            vendor_id,
        },
    )
    .await
}

/// A large synthetic catalog over the demo categories, owned by the demo admin.
pub async fn generate(state: &AppState, vendors: u32, products: u32) -> Result<u64, ApiError> {
    let categories = ::catalog::listing::category_ids(&state.db).await?;
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_LOGINS[0].email))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("demo admin"))?;
    Ok(
        ::catalog::generator::generate(&state.db, vendors.max(1), products, &categories, admin.id)
            .await?,
    )
}
