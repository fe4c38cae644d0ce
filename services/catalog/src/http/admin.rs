//! Admin review of vendors and certifications, and the category tree.

use super::views::{CertificationView, PenaltyView, VendorView};
use crate::admin_actions;
use crate::categories::{CategoryChange, CategoryNode, NewCategory};
use crate::domain::status::VendorStatus;
use crate::store::vendor;
use axum::extract::State;
use axum::http::StatusCode;
use platform::AppState;
use platform::auth::AdminUser;
use platform::error::{ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_vendors))
        .routes(routes!(get_vendor))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(suspend))
        .routes(routes!(reinstate))
        .routes(routes!(list_penalties, add_penalty))
        .routes(routes!(verify_certification))
        .routes(routes!(reject_certification))
        .routes(routes!(create_category))
        .routes(routes!(update_category))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VendorFilter {
    /// pending, approved, rejected or suspended (another word is 422)
    #[param(inline)]
    pub status: Option<VendorStatus>,
}

/// Vendors, newest first; filter by status to find applications to review.
#[utoipa::path(get, path = "/v1/admin/vendors", tag = "admin", security(("bearer" = [])),
    params(PageParams, VendorFilter), responses((status = 200, body = Page<VendorView>)))]
async fn list_vendors(
    State(state): State<AppState>,
    _a: AdminUser,
    Query(page): Query<PageParams>,
    Query(filter): Query<VendorFilter>,
) -> ApiResult<Json<Page<VendorView>>> {
    let mut q = vendor::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(vendor::Column::Status.eq(s));
    }
    let page = Page::newest_first(
        q,
        vendor::Column::Id,
        &page,
        &state.db,
        |v| v.id,
        VendorView::from,
    );
    Ok(Json(page.await?))
}

#[utoipa::path(get, path = "/v1/admin/vendors/{id}", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = VendorView), (status = 404, body = Problem)))]
async fn get_vendor(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<VendorView>> {
    Ok(Json(admin_actions::vendor(&state, id).await?.into()))
}

/// Approve an application; the applicant's account becomes this vendor's account.
#[utoipa::path(post, path = "/v1/admin/vendors/{id}/approve", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = VendorView), (status = 409, body = Problem)))]
async fn approve(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<VendorView>> {
    Ok(Json(admin_actions::approve(&state, id).await?.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
}

/// Reject an application, with the reason the applicant will see.
#[utoipa::path(post, path = "/v1/admin/vendors/{id}/reject", tag = "admin", security(("bearer" = [])),
    request_body = Reason, responses((status = 200, body = VendorView), (status = 409, body = Problem)))]
async fn reject(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
    Json(r): Json<Reason>,
) -> ApiResult<Json<VendorView>> {
    Ok(Json(
        admin_actions::reject(&state, id, &r.reason).await?.into(),
    ))
}

/// Suspend a vendor: its products leave the storefront at once.
#[utoipa::path(post, path = "/v1/admin/vendors/{id}/suspend", tag = "admin", security(("bearer" = [])),
    request_body = Reason, responses((status = 200, body = VendorView), (status = 409, body = Problem)))]
async fn suspend(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
    Json(r): Json<Reason>,
) -> ApiResult<Json<VendorView>> {
    Ok(Json(
        admin_actions::suspend(&state, id, &r.reason).await?.into(),
    ))
}

/// Reinstate a suspended vendor: its products come back.
#[utoipa::path(post, path = "/v1/admin/vendors/{id}/reinstate", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = VendorView), (status = 409, body = Problem)))]
async fn reinstate(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<VendorView>> {
    Ok(Json(admin_actions::reinstate(&state, id).await?.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPenalty {
    pub reason: String,
    /// 1 by default; origin-labelling or food-hygiene violations may count more.
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 3)]
    pub strikes: i32,
}

fn one() -> i32 {
    1
}

/// A vendor's penalty record.
#[utoipa::path(get, path = "/v1/admin/vendors/{id}/penalties", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<PenaltyView>)))]
async fn list_penalties(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<PenaltyView>>> {
    let rows = admin_actions::penalties(&state, id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Record a strike; at three strikes the vendor is suspended.
#[utoipa::path(post, path = "/v1/admin/vendors/{id}/penalties", tag = "admin", security(("bearer" = [])),
    request_body = NewPenalty, responses((status = 201, body = VendorView), (status = 404, body = Problem)))]
async fn add_penalty(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(p): Json<NewPenalty>,
) -> ApiResult<(StatusCode, Json<VendorView>)> {
    let v = admin_actions::add_penalty(&state, id, &p.reason, p.strikes, admin.user_id).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Verify a certification: its badge shows while it is within its dates.
#[utoipa::path(post, path = "/v1/admin/certifications/{id}/verify", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = CertificationView), (status = 404, body = Problem)))]
async fn verify_certification(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CertificationView>> {
    let c = admin_actions::verify_certification(&state, id, admin.user_id).await?;
    Ok(Json(c.into()))
}

/// Reject a certification, with the reason the vendor will see; it shows no badge and
/// counts as certified nowhere. One already verified or rejected is 409.
#[utoipa::path(post, path = "/v1/admin/certifications/{id}/reject", tag = "admin", security(("bearer" = [])),
    request_body = Reason,
    responses((status = 200, body = CertificationView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reject_certification(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(r): Json<Reason>,
) -> ApiResult<Json<CertificationView>> {
    let c = admin_actions::reject_certification(&state, id, admin.user_id, &r.reason).await?;
    Ok(Json(c.into()))
}

/// Add a category (optionally under a parent).
#[utoipa::path(post, path = "/v1/admin/categories", tag = "admin", security(("bearer" = [])),
    request_body = NewCategory, responses((status = 201, body = CategoryNode), (status = 422, body = Problem)))]
async fn create_category(
    State(state): State<AppState>,
    _a: AdminUser,
    Json(c): Json<NewCategory>,
) -> ApiResult<(StatusCode, Json<CategoryNode>)> {
    let m = admin_actions::create_category(&state, c).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Edit a category: name, parent (a move), position and notice fields. Moving it under
/// itself or one of its descendants is 422 `category_cycle`.
#[utoipa::path(put, path = "/v1/admin/categories/{id}", tag = "admin", security(("bearer" = [])),
    request_body = CategoryChange,
    responses((status = 200, body = CategoryNode), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_category(
    State(state): State<AppState>,
    _a: AdminUser,
    Path(id): Path<Uuid>,
    Json(c): Json<CategoryChange>,
) -> ApiResult<Json<CategoryNode>> {
    let m = admin_actions::update_category(&state, id, c).await?;
    Ok(Json(m.into()))
}
