//! Consumer reads: products, categories, vendor pages. Cached in Redis.

use crate::cache;
use crate::campaign_prices::LivePricesHandle;
use crate::categories::{self, CategoryNode};
use crate::storefront::{self, ListQuery, ProductDetail, ProductList, VendorPage};
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use platform::AppState;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{Path, Query};
use platform::local_cache::{Cached, IfNoneMatch};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products))
        .routes(routes!(get_product))
        .routes(routes!(list_categories))
        .routes(routes!(get_vendor))
}

/// Browse products: filter by category (with sub-categories), vendor, certification,
/// price, tag and stock; sort by newest, price or popularity; page with cursors. Products
/// in a live campaign or time deal show its price (`sale_price`) and badge (`promotion`);
/// the price filters and sorts use list prices.
#[utoipa::path(get, path = "/v1/products", tag = "storefront", params(ListQuery),
    responses((status = 200, body = ProductList), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn list_products(
    State(state): State<AppState>,
    Extension(prices): Extension<LivePricesHandle>,
    Query(q): Query<ListQuery>,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let redis = &state.redis;
    let local_key = if state.config.storefront_cache {
        cache::local_list_key(redis, &q).await
    } else {
        None
    };
    if let Some(local_key) = &local_key
        && let Some(hit) = cache::get_local_list(redis, local_key)
    {
        return Ok(hit.respond(&inm));
    }
    let key = match &local_key {
        Some(_) => cache::list_key(redis, &q).await,
        None => None,
    };
    if let (Some(key), Some(local_key)) = (&key, &local_key)
        && let Some(hit) = cache::get_list(redis, key, local_key).await
    {
        return Ok(hit.respond(&inm));
    }
    let page = storefront::priced_list(
        &state.autocommit,
        &state.db,
        prices.0.as_ref(),
        &q,
        Utc::now(),
    )
    .await?;
    // A product is 400-500 bytes of JSON.
    let body = platform::local_cache::json_body(&page.value, 512 * (page.value.items.len() + 1))
        .map_err(ApiError::internal)?;
    let answer = match (&key, &local_key) {
        (Some(key), Some(local_key)) => {
            cache::put_list(redis, key, local_key, body, page.until).await
        }
        _ => Cached::new(body, None),
    };
    Ok(answer.respond(&inm))
}

/// A product page: variants with prices and stock, the vendor, badges; in a live campaign
/// or time deal, its badge and the price the cart charges (`sale_price`, per variant).
#[utoipa::path(get, path = "/v1/products/{id}", tag = "storefront",
    responses((status = 200, body = ProductDetail), (status = 404, body = Problem)))]
async fn get_product(
    State(state): State<AppState>,
    Extension(prices): Extension<LivePricesHandle>,
    Path(id): Path<Uuid>,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let (alone, db) = (state.autocommit.clone(), state.db.clone());
    let page = cache::get_or_load_priced(&state, &cache::product_key(id), || async move {
        storefront::priced_detail(&alone, &db, prices.0.as_ref(), id, Utc::now()).await
    })
    .await
    .map_err(ApiError::from)?
    .ok_or_else(|| ApiError::not_found("product"))?;
    Ok(page.respond(&inm))
}

/// The category tree.
#[utoipa::path(get, path = "/v1/categories", tag = "storefront",
    responses((status = 200, body = Vec<CategoryNode>)))]
async fn list_categories(State(state): State<AppState>, inm: IfNoneMatch) -> ApiResult<Response> {
    let db = state.db.clone();
    let tree = cache::get_or_load(&state, cache::CATEGORIES_KEY, || async move {
        categories::tree(&db).await.map(Some)
    })
    .await
    .map_err(ApiError::from)?
    .unwrap_or_else(|| Cached::new(bytes::Bytes::from_static(b"[]"), None));
    Ok(tree.respond(&inm))
}

/// A vendor's public page, with the seller identity the law requires.
#[utoipa::path(get, path = "/v1/vendors/{id}", tag = "storefront",
    responses((status = 200, body = VendorPage), (status = 404, body = Problem)))]
async fn get_vendor(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let alone = state.autocommit.clone();
    let page = cache::get_or_load(&state, &cache::vendor_key(id), || async move {
        storefront::vendor_page(&alone, id).await
    })
    .await
    .map_err(ApiError::from)?
    .ok_or_else(|| ApiError::not_found("vendor"))?;
    Ok(page.respond(&inm))
}
