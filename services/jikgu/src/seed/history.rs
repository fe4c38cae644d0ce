//! A synthetic order history for the 실적 benchmark (`jikgu generate --orders N`): paid
//! orders over the last year on the listed products, through `orders::generator`; the
//! rollups are then rebuilt from it.

use chrono::{Duration, Utc};
use platform::{ApiError, AppState};
use uuid::Uuid;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("generating orders: {e}"))
}

/// Every listed product with its attribution, through the catalog's read API.
async fn products(state: &AppState) -> Result<Vec<orders::generator::GenProduct>, ApiError> {
    let mut listed = Vec::new();
    let mut after = Uuid::nil();
    loop {
        let page = ::catalog::listing::listed_after(&state.db, after, 1_000)
            .await
            .map_err(internal)?;
        listed.extend(page.products);
        match page.last {
            Some(last) if page.scanned == 1_000 => after = last,
            _ => break,
        }
    }
    let mut vendors: Vec<Uuid> = listed.iter().map(|p| p.vendor_id).collect();
    vendors.sort_unstable();
    vendors.dedup();
    let today = promotions::seoul::day(Utc::now());
    let districts = ::catalog::districts::of_vendors(&state.db, &vendors, today).await?;
    Ok(listed
        .into_iter()
        .map(|p| {
            let d = districts.get(&p.vendor_id);
            orders::generator::GenProduct {
                product_id: p.id,
                vendor_id: p.vendor_id,
                title: p.title,
                category_id: p.category_id,
                top_category_id: p.category_ids.first().copied().unwrap_or(p.category_id),
                certified: !p.certification_kinds.is_empty(),
                district: d
                    .map_or(::catalog::districts::UNKNOWN, |d| d.at_sale)
                    .into(),
                district_comparable: d
                    .map_or(::catalog::districts::UNKNOWN, |d| d.comparable)
                    .into(),
                price: p.min_price.max(1_000),
            }
        })
        .collect())
}

/// Add about `lines` order lines over the last 365 days and rebuild the rollups; the
/// orders written.
pub async fn generate_orders(state: &AppState, lines: u64) -> Result<u64, ApiError> {
    let products = products(state).await?;
    let to = Utc::now();
    let from = to - Duration::days(365);
    let campaigns: Vec<Uuid> = promotions::page::list(&state.db, from)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let customers = u32::try_from(lines / 8).unwrap_or(u32::MAX).max(10);
    let n = orders::generator::generate_history(
        &state.db, &products, &campaigns, lines, customers, from, to,
    )
    .await
    .map_err(ApiError::from)?;
    ::reports::rollup::rebuild(&state.db)
        .await
        .map_err(ApiError::from)?;
    Ok(n)
}
