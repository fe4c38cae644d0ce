//! The vendor console: a vendor's own profile, products, variants, stock and
//! certifications. Everything is scoped to the caller's vendor; another vendor's rows
//! answer 404.

use super::views::{CertificationView, ConsoleProduct, StockView, VendorView, console_product};
use crate::certifications::{self, NewCertification};
use crate::domain::status::ProductStatus;
use crate::import::{self, ImportReport};
use crate::products::{self, NewProduct, NewVariant, ProductUpdate, VariantUpdate};
use crate::store::product;
use crate::storefront::VariantView;
use crate::vendor_actions;
use crate::vendors::{self, Application, ProfileUpdate};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use platform::AppState;
use platform::auth::{Authenticated, VendorUser};
use platform::error::{ApiError, ApiResult, ErrorCode, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(apply))
        .routes(routes!(get_profile, update_profile))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product))
        .routes(routes!(publish_product))
        .routes(routes!(archive_product))
        .routes(routes!(add_variant))
        .routes(routes!(update_variant))
        .routes(routes!(set_stock))
        .routes(routes!(adjust_stock))
        .routes(routes!(import_products))
        .routes(routes!(list_certifications, submit_certification))
}

async fn product_view(state: &AppState, p: product::Model) -> ApiResult<ConsoleProduct> {
    let variants = products::variants_of(&state.db, p.id).await?;
    Ok(console_product(p, variants))
}

/// Apply to sell: any signed-in account. The business must be in Incheon.
#[utoipa::path(post, path = "/v1/vendor-applications", tag = "vendor console", security(("bearer" = [])),
    request_body = Application,
    responses((status = 201, body = VendorView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn apply(
    State(state): State<AppState>,
    Authenticated(p): Authenticated,
    Json(app): Json<Application>,
) -> ApiResult<(StatusCode, Json<VendorView>)> {
    let v = vendors::apply(&state.db, p.user_id, app).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// The caller's vendor profile.
#[utoipa::path(get, path = "/v1/vendor/profile", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = VendorView), (status = 403, body = Problem)))]
async fn get_profile(State(state): State<AppState>, v: VendorUser) -> ApiResult<Json<VendorView>> {
    Ok(Json(
        vendor_actions::own_vendor(&state, v.vendor_id)
            .await?
            .into(),
    ))
}

/// Update story, customer-service contacts and the shipping policy.
#[utoipa::path(patch, path = "/v1/vendor/profile", tag = "vendor console", security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses((status = 200, body = VendorView), (status = 422, body = Problem)))]
async fn update_profile(
    State(state): State<AppState>,
    v: VendorUser,
    Json(up): Json<ProfileUpdate>,
) -> ApiResult<Json<VendorView>> {
    let updated = vendor_actions::update_profile(&state, v.vendor_id, up).await?;
    Ok(Json(updated.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsoleFilter {
    /// draft, active or archived (another word is 422)
    #[param(inline)]
    pub status: Option<ProductStatus>,
}

/// The caller's products, every status, newest first.
#[utoipa::path(get, path = "/v1/vendor/products", tag = "vendor console", security(("bearer" = [])),
    params(PageParams, ConsoleFilter),
    responses((status = 200, body = Page<ConsoleProduct>)))]
async fn list_products(
    State(state): State<AppState>,
    v: VendorUser,
    Query(page): Query<PageParams>,
    Query(filter): Query<ConsoleFilter>,
) -> ApiResult<Json<Page<ConsoleProduct>>> {
    let limit = page.limit();
    let rows = vendor_actions::products_page(
        &state,
        v.vendor_id,
        filter.status.map(|s| s.as_str().to_owned()),
        page.decode::<Uuid>()?,
        limit + 1,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |p| p.id, |p| p);
    let mut items = Vec::with_capacity(page.items.len());
    for p in page.items {
        items.push(product_view(&state, p).await?);
    }
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Create a draft product with its variants.
#[utoipa::path(post, path = "/v1/vendor/products", tag = "vendor console", security(("bearer" = [])),
    request_body = NewProduct,
    responses((status = 201, body = ConsoleProduct), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_product(
    State(state): State<AppState>,
    v: VendorUser,
    Json(p): Json<NewProduct>,
) -> ApiResult<(StatusCode, Json<ConsoleProduct>)> {
    let created = vendor_actions::create_product(&state, v.vendor_id, p).await?;
    Ok((
        StatusCode::CREATED,
        Json(product_view(&state, created).await?),
    ))
}

/// One of the caller's products.
#[utoipa::path(get, path = "/v1/vendor/products/{id}", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = ConsoleProduct), (status = 404, body = Problem)))]
async fn get_product(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ConsoleProduct>> {
    let p = vendor_actions::owned_product(&state, v.vendor_id, id).await?;
    Ok(Json(product_view(&state, p).await?))
}

/// Edit a product; an active product must stay publishable.
#[utoipa::path(patch, path = "/v1/vendor/products/{id}", tag = "vendor console", security(("bearer" = [])),
    request_body = ProductUpdate,
    responses((status = 200, body = ConsoleProduct), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_product(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(up): Json<ProductUpdate>,
) -> ApiResult<Json<ConsoleProduct>> {
    let p = vendor_actions::update_product(&state, v.vendor_id, id, up).await?;
    Ok(Json(product_view(&state, p).await?))
}

/// Publish a draft: the vendor must be approved and the 상품정보제공고시 complete.
#[utoipa::path(post, path = "/v1/vendor/products/{id}/publish", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = ConsoleProduct), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn publish_product(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ConsoleProduct>> {
    let p = vendor_actions::publish(&state, v.vendor_id, id).await?;
    Ok(Json(product_view(&state, p).await?))
}

/// Archive: the product leaves the storefront for good.
#[utoipa::path(post, path = "/v1/vendor/products/{id}/archive", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = ConsoleProduct), (status = 404, body = Problem)))]
async fn archive_product(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ConsoleProduct>> {
    let p = vendor_actions::archive(&state, v.vendor_id, id).await?;
    Ok(Json(product_view(&state, p).await?))
}

/// Add a variant (option) to a product.
#[utoipa::path(post, path = "/v1/vendor/products/{id}/variants", tag = "vendor console", security(("bearer" = [])),
    request_body = NewVariant,
    responses((status = 201, body = VariantView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_variant(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(nv): Json<NewVariant>,
) -> ApiResult<(StatusCode, Json<VariantView>)> {
    let var = vendor_actions::add_variant(&state, v.vendor_id, id, nv).await?;
    Ok((
        StatusCode::CREATED,
        Json(crate::storefront::variant_view(var)),
    ))
}

/// Change a variant's name, options or price.
#[utoipa::path(patch, path = "/v1/vendor/variants/{id}", tag = "vendor console", security(("bearer" = [])),
    request_body = VariantUpdate,
    responses((status = 200, body = VariantView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_variant(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(up): Json<VariantUpdate>,
) -> ApiResult<Json<VariantView>> {
    let var = vendor_actions::update_variant(&state, v.vendor_id, id, up).await?;
    Ok(Json(crate::storefront::variant_view(var)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStock {
    /// What you last saw; 409 `stock_mismatch` when it changed meanwhile.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub expected_on_hand: i32,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub on_hand: i32,
}

/// Set a variant's stock, guarded by the value you last saw.
#[utoipa::path(put, path = "/v1/vendor/variants/{id}/stock", tag = "vendor console", security(("bearer" = [])),
    request_body = SetStock,
    responses((status = 200, body = StockView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn set_stock(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(req): Json<SetStock>,
) -> ApiResult<Json<StockView>> {
    let var = vendor_actions::set_stock(&state, v.vendor_id, id, req.expected_on_hand, req.on_hand)
        .await?;
    Ok(Json(var.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustStock {
    /// Units to add (negative to remove); stock stays within 0 to 1,000,000.
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub delta: i32,
}

/// Add or remove units, e.g. when a delivery arrives.
#[utoipa::path(post, path = "/v1/vendor/variants/{id}/stock-adjustments", tag = "vendor console", security(("bearer" = [])),
    request_body = AdjustStock,
    responses((status = 200, body = StockView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn adjust_stock(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(req): Json<AdjustStock>,
) -> ApiResult<Json<StockView>> {
    let var = vendor_actions::adjust_stock(&state, v.vendor_id, id, req.delta).await?;
    Ok(Json(var.into()))
}

/// Import products from CSV (`Content-Type: text/csv`). Returns a per-row report; a
/// product with a bad row is not written at all.
#[utoipa::path(post, path = "/v1/vendor/products/import", tag = "vendor console", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn import_products(
    State(state): State<AppState>,
    v: VendorUser,
    headers: HeaderMap,
    body: String,
) -> ApiResult<Json<ImportReport>> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/csv"));
    if !is_csv {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType)
            .with_detail("send Content-Type: text/csv"));
    }
    platform::extract::refuse_nul("body", &body)?;
    let report = import::import(&state.db, v.vendor_id, &body).await?;
    Ok(Json(report))
}

/// The caller's certifications.
#[utoipa::path(get, path = "/v1/vendor/certifications", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = Vec<CertificationView>)))]
async fn list_certifications(
    State(state): State<AppState>,
    v: VendorUser,
) -> ApiResult<Json<Vec<CertificationView>>> {
    let certs = certifications::of_vendor(&state.db, v.vendor_id).await?;
    Ok(Json(certs.into_iter().map(Into::into).collect()))
}

/// Submit a certification for an admin to verify.
#[utoipa::path(post, path = "/v1/vendor/certifications", tag = "vendor console", security(("bearer" = [])),
    request_body = NewCertification,
    responses((status = 201, body = CertificationView), (status = 422, body = Problem)))]
async fn submit_certification(
    State(state): State<AppState>,
    v: VendorUser,
    Json(c): Json<NewCertification>,
) -> ApiResult<(StatusCode, Json<CertificationView>)> {
    let c = certifications::submit(&state.db, v.vendor_id, c).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}
