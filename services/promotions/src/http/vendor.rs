//! Vendors apply to campaigns with their own products, list and withdraw their own
//! applications. Another vendor's product or application is simply not found.

use super::views::ApplicationView;
use crate::applications::{self, NewApplication};
use crate::audit::Actor;
use axum::extract::State;
use axum::http::StatusCode;
use platform::AppState;
use platform::auth::VendorUser;
use platform::error::{ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use sea_orm::TransactionTrait;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(apply))
        .routes(routes!(list_own))
        .routes(routes!(withdraw))
}

/// Apply to a published campaign with one of your products and a proposed discount.
#[utoipa::path(post, path = "/v1/vendor/campaigns/{id}/applications", tag = "vendor", security(("bearer" = [])),
    request_body = NewApplication,
    responses((status = 201, body = ApplicationView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn apply(
    v: VendorUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(new): Json<NewApplication>,
) -> ApiResult<(StatusCode, Json<ApplicationView>)> {
    let txn = state.db.begin().await?;
    let a = applications::apply(&txn, Actor::user(&v.principal), v.vendor_id, id, new).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Your applications, newest first.
#[utoipa::path(get, path = "/v1/vendor/campaign-applications", tag = "vendor", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = Page<ApplicationView>)))]
async fn list_own(
    v: VendorUser,
    State(state): State<AppState>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<ApplicationView>>> {
    let limit = page.limit();
    let rows =
        applications::list_own(&state.db, v.vendor_id, page.decode::<Uuid>()?, limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |a| a.id,
        ApplicationView::from,
    )))
}

/// Withdraw one of your pending applications.
#[utoipa::path(post, path = "/v1/vendor/campaign-applications/{id}/withdraw", tag = "vendor", security(("bearer" = [])),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn withdraw(
    v: VendorUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ApplicationView>> {
    let txn = state.db.begin().await?;
    let a = applications::withdraw(&txn, Actor::user(&v.principal), v.vendor_id, id).await?;
    txn.commit().await?;
    Ok(Json(a.into()))
}
