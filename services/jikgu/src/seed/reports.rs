//! A year of sales for the demo's 실적 report, once: a synthetic order history over the
//! last 365 days on the demo products (every channel, buyer kind, campaign and district the
//! demo shop has), the rollups rebuilt from it, and an 11번가 sales export uploaded for
//! 2026Q3 with one row that matches no product, as a marketer would.

use platform::attribution::SalesChannel;
use platform::{ApiError, AppState};

/// Order lines in the demo's history.
const DEMO_LINES: u64 = 20_000;

/// The demo's 11번가 export for 2026Q3 (SKUs of the demo catalog; the last row is a
/// product the shop does not list, reported back as unmatched).
const ELEVENST_Q3: &str = "date,sku,quantity,amount,refund
2026-07-05,GHSM-001-1,14,180600,0
2026-07-19,GHIS-001-1,6,240000,40000
2026-08-02,GDRC-001-2,9,405000,0
2026-08-23,GHSM-002-1,11,141900,12900
2026-09-10,GHSM-001-2,5,120000,0
2026-09-27,11ST-ONLY-99,3,45000,0
";

pub async fn seed(state: &AppState) -> Result<(), ApiError> {
    if orders::generator::has_history(&state.db).await? {
        return Ok(());
    }
    super::history::generate_orders(state, DEMO_LINES).await?;
    let marketer = super::ensure_account(
        state,
        super::DEMO_LOGINS[1].email,
        super::DEMO_LOGINS[1].password,
        super::DEMO_LOGINS[1].role,
        None,
    )
    .await?;
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap_or_default();
    ::reports::external::upload(
        &state.db,
        SalesChannel::Elevenst,
        day("2026-07-01"),
        day("2026-09-30"),
        ELEVENST_Q3,
        marketer.id,
    )
    .await?;
    Ok(())
}
