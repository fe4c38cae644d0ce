//! The vendor's first page: what needs doing today.

use crate::error::PageResult;
use crate::guard::{Ctx, VendorSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use orders::states::VendorOrderStatus;
use orders::views::VendorOrderSummary;
use platform::ApiError;

#[derive(Template, WebTemplate)]
#[template(path = "vendor/dashboard.html")]
pub struct Dashboard {
    chrome: Chrome,
    to_ship: Vec<VendorOrderSummary>,
    to_ship_more: bool,
    due: i64,
    pending: i64,
    low_stock: Vec<(catalog::store::variant::Model, String)>,
    returns_waiting: usize,
}

/// At or under this many units available a variant counts as running out.
pub const LOW_STOCK: i32 = 5;

/// How many orders to ship the dashboard lists (the orders page has them all).
const SHOWN: u64 = 5;

pub async fn show(cx: Ctx<VendorSession>) -> PageResult<Dashboard> {
    let mut to_ship = orders::views::vendor_orders(
        &cx.state.db,
        cx.who.vendor_id,
        Some(VendorOrderStatus::Preparing.to_string()),
        None,
        SHOWN + 1,
    )
    .await
    .map_err(ApiError::from)?;
    let to_ship_more = to_ship.len() as u64 > SHOWN;
    to_ship.truncate(SHOWN as usize);
    let balance = settlements::reports::balance(&cx.state.db, cx.who.vendor_id)
        .await
        .map_err(ApiError::from)?;
    let low_stock =
        catalog::vendor_actions::low_stock(&cx.state, cx.who.vendor_id, LOW_STOCK, SHOWN)
            .await
            .map_err(ApiError::from)?;
    let returns_waiting = orders::fulfilment::returns_of(
        &cx.state.db,
        cx.who.vendor_id,
        Some(orders::states::ReturnStatus::Requested),
        None,
        SHOWN + 1,
    )
    .await
    .map_err(ApiError::from)?
    .len();
    Ok(Dashboard {
        low_stock,
        returns_waiting,
        chrome: cx.page.chrome("판매자 홈"),
        to_ship,
        to_ship_more,
        due: balance.due,
        pending: balance.pending,
    })
}
