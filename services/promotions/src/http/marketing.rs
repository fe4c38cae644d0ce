//! The marketer's console (marketers and admins): campaigns, sections, campaign prices,
//! time deals, coupons and drops, decisions on vendor applications, statistics and the
//! audit trail. Every change is audited in its own transaction and retires the cached
//! campaign pages after commit.

use super::views::{
    ApplicationView, AuditView, CampaignDetail, CampaignView, CouponView, DropView, PriceView,
    SectionAdminView, StackingPolicyView, TimeDealView,
};
use crate::applications;
use crate::audit::Actor;
use crate::cache;
use crate::campaigns::{self, CampaignUpdate, NewCampaign, NewSection, SectionUpdate};
use crate::coupons::{self, NewCoupon, NewDrop};
use crate::deals::{self, NewTimeDeal};
use crate::prices::{self, CampaignPriceUpdate, NewCampaignPrice};
use crate::stacking::{self, PolicyInput};
use crate::states::{ApplicationStatus, CampaignStatus};
use crate::stats::{self, CampaignStats};
use crate::store::{audit, campaign};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, Utc};
use platform::AppState;
use platform::auth::MarketerUser;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, update_campaign))
        .routes(routes!(schedule_campaign))
        .routes(routes!(end_campaign))
        .routes(routes!(add_section))
        .routes(routes!(update_section, delete_section))
        .routes(routes!(reorder_sections))
        .routes(routes!(list_prices, add_price))
        .routes(routes!(update_price, delete_price))
        .routes(routes!(list_applications))
        .routes(routes!(approve_application))
        .routes(routes!(reject_application))
        .routes(routes!(campaign_stats))
        .routes(routes!(list_deals, create_deal))
        .routes(routes!(list_coupons, create_coupon))
        .routes(routes!(get_coupon))
        .routes(routes!(disable_coupon))
        .routes(routes!(issue_coupon))
        .routes(routes!(create_drop))
        .routes(routes!(list_audit))
        .routes(routes!(get_stacking_policy, put_stacking_policy))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignFilter {
    /// draft, scheduled, live or ended (another word is 422)
    #[param(inline)]
    pub status: Option<CampaignStatus>,
}

/// Every campaign, drafts included, newest first.
#[utoipa::path(get, path = "/v1/marketing/campaigns", tag = "marketing", security(("bearer" = [])),
    params(PageParams, CampaignFilter), responses((status = 200, body = Page<CampaignView>)))]
async fn list_campaigns(
    _m: MarketerUser,
    State(state): State<AppState>,
    Query(page): Query<PageParams>,
    Query(filter): Query<CampaignFilter>,
) -> ApiResult<Json<Page<CampaignView>>> {
    let mut q = campaign::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(campaign::Column::Status.eq(s));
    }
    let page = Page::newest_first(
        q,
        campaign::Column::Id,
        &page,
        &state.db,
        |c| c.id,
        CampaignView::from,
    );
    Ok(Json(page.await?))
}

/// Create a campaign (a draft). Times are RFC 3339 with an offset and come back in
/// Asia/Seoul; the end must be after the start.
#[utoipa::path(post, path = "/v1/marketing/campaigns", tag = "marketing", security(("bearer" = [])),
    request_body = NewCampaign,
    responses((status = 201, body = CampaignView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_campaign(
    m: MarketerUser,
    State(state): State<AppState>,
    Json(new): Json<NewCampaign>,
) -> ApiResult<(StatusCode, Json<CampaignView>)> {
    let txn = state.db.begin().await?;
    let c = campaigns::create(&txn, Actor::user(&m.0), new).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// A campaign with its sections and prices.
#[utoipa::path(get, path = "/v1/marketing/campaigns/{id}", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = CampaignDetail), (status = 404, body = Problem)))]
async fn get_campaign(
    _m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CampaignDetail>> {
    let c = campaigns::get(&state.db, id).await?;
    let sections = campaigns::sections(&state.db, id).await?;
    let prices = prices::of_campaign(&state.db, id).await?;
    Ok(Json(CampaignDetail {
        campaign: c.into(),
        sections: sections.into_iter().map(Into::into).collect(),
        prices: prices.into_iter().map(Into::into).collect(),
    }))
}

/// Change a campaign. A running campaign keeps its start and slug; an ended one cannot
/// change. Moving the window re-checks its prices against other campaigns (409).
#[utoipa::path(patch, path = "/v1/marketing/campaigns/{id}", tag = "marketing", security(("bearer" = [])),
    request_body = CampaignUpdate,
    responses((status = 200, body = CampaignView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_campaign(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(upd): Json<CampaignUpdate>,
) -> ApiResult<Json<CampaignView>> {
    let txn = state.db.begin().await?;
    let c = campaigns::update(&txn, Actor::user(&m.0), id, upd, Utc::now()).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(c.into()))
}

/// Publish a draft: draft → scheduled. It goes live at its start (the scheduler flips the
/// status; prices follow the window to the instant).
#[utoipa::path(post, path = "/v1/marketing/campaigns/{id}/schedule", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = CampaignView), (status = 409, body = Problem)))]
async fn schedule_campaign(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CampaignView>> {
    let txn = state.db.begin().await?;
    let c = campaigns::schedule(&txn, Actor::user(&m.0), id, Utc::now()).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(c.into()))
}

/// End a scheduled or live campaign now; its prices stop at once.
#[utoipa::path(post, path = "/v1/marketing/campaigns/{id}/end", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = CampaignView), (status = 409, body = Problem)))]
async fn end_campaign(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CampaignView>> {
    let txn = state.db.begin().await?;
    let c = campaigns::end_early(&txn, Actor::user(&m.0), id, Utc::now()).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(c.into()))
}

/// Add a section (e.g. 베스트, 신상품, 선물세트) with its products in display order.
#[utoipa::path(post, path = "/v1/marketing/campaigns/{id}/sections", tag = "marketing", security(("bearer" = [])),
    request_body = NewSection,
    responses((status = 201, body = SectionAdminView), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the campaign has ended"), (status = 422, body = Problem)))]
async fn add_section(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(new): Json<NewSection>,
) -> ApiResult<(StatusCode, Json<SectionAdminView>)> {
    let txn = state.db.begin().await?;
    let s = campaigns::add_section(&txn, Actor::user(&m.0), id, new).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// Rename, move or refill a section (`product_ids` replaces its slots).
#[utoipa::path(patch, path = "/v1/marketing/campaigns/{id}/sections/{section_id}", tag = "marketing", security(("bearer" = [])),
    request_body = SectionUpdate,
    responses((status = 200, body = SectionAdminView), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the campaign has ended"), (status = 422, body = Problem)))]
async fn update_section(
    m: MarketerUser,
    State(state): State<AppState>,
    Path((id, section_id)): Path<(Uuid, Uuid)>,
    Json(upd): Json<SectionUpdate>,
) -> ApiResult<Json<SectionAdminView>> {
    let txn = state.db.begin().await?;
    let s = campaigns::update_section(&txn, Actor::user(&m.0), id, section_id, upd).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(s.into()))
}

#[utoipa::path(delete, path = "/v1/marketing/campaigns/{id}/sections/{section_id}", tag = "marketing", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the campaign has ended")))]
async fn delete_section(
    m: MarketerUser,
    State(state): State<AppState>,
    Path((id, section_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let txn = state.db.begin().await?;
    campaigns::delete_section(&txn, Actor::user(&m.0), id, section_id).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionOrder {
    /// Every section of the campaign, each once, in the new display order.
    pub section_ids: Vec<Uuid>,
}

/// Put the campaign's sections in a new order. A list that is not exactly the campaign's
/// sections is refused (422 `section_ids`), so a stale page cannot drop one.
#[utoipa::path(put, path = "/v1/marketing/campaigns/{id}/section-order", tag = "marketing", security(("bearer" = [])),
    request_body = SectionOrder,
    responses((status = 200, body = Vec<SectionAdminView>), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the campaign has ended"), (status = 422, body = Problem)))]
async fn reorder_sections(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(order): Json<SectionOrder>,
) -> ApiResult<Json<Vec<SectionAdminView>>> {
    let txn = state.db.begin().await?;
    let s = campaigns::reorder_sections(&txn, Actor::user(&m.0), id, &order.section_ids).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(s.into_iter().map(Into::into).collect()))
}

/// The campaign's prices.
#[utoipa::path(get, path = "/v1/marketing/campaigns/{id}/prices", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = Vec<PriceView>), (status = 404, body = Problem)))]
async fn list_prices(
    _m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<PriceView>>> {
    campaigns::get(&state.db, id).await?;
    let rows = prices::of_campaign(&state.db, id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Add a campaign price on a product (all variants) or one variant: percent (rounded down
/// to the won), amount off or a fixed price, never below `floor`. A price that could be
/// live together with another price for the same variant — in this campaign or in a
/// published campaign with an overlapping window — is refused with 409
/// (`extra.reason = price_contradiction`).
#[utoipa::path(post, path = "/v1/marketing/campaigns/{id}/prices", tag = "marketing", security(("bearer" = [])),
    request_body = NewCampaignPrice,
    responses((status = 201, body = PriceView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_price(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(new): Json<NewCampaignPrice>,
) -> ApiResult<(StatusCode, Json<PriceView>)> {
    let txn = state.db.begin().await?;
    let p = prices::add(&txn, Actor::user(&m.0), id, new, None).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// Change a price's kind, value or floor (its product and variant stay).
#[utoipa::path(patch, path = "/v1/marketing/campaigns/{id}/prices/{price_id}", tag = "marketing", security(("bearer" = [])),
    request_body = CampaignPriceUpdate,
    responses((status = 200, body = PriceView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_price(
    m: MarketerUser,
    State(state): State<AppState>,
    Path((id, price_id)): Path<(Uuid, Uuid)>,
    Json(upd): Json<CampaignPriceUpdate>,
) -> ApiResult<Json<PriceView>> {
    let txn = state.db.begin().await?;
    let p = prices::update(&txn, Actor::user(&m.0), id, price_id, upd).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(p.into()))
}

#[utoipa::path(delete, path = "/v1/marketing/campaigns/{id}/prices/{price_id}", tag = "marketing", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_price(
    m: MarketerUser,
    State(state): State<AppState>,
    Path((id, price_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let txn = state.db.begin().await?;
    prices::remove(&txn, Actor::user(&m.0), id, price_id).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationFilter {
    /// pending, approved, rejected or withdrawn (another word is 422)
    #[param(inline)]
    pub status: Option<ApplicationStatus>,
}

/// Vendors' applications to a campaign, oldest first (the longest waiting on top).
#[utoipa::path(get, path = "/v1/marketing/campaigns/{id}/applications", tag = "marketing", security(("bearer" = [])),
    params(PageParams, ApplicationFilter), responses((status = 200, body = Page<ApplicationView>), (status = 404, body = Problem)))]
async fn list_applications(
    _m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
    Query(filter): Query<ApplicationFilter>,
) -> ApiResult<Json<Page<ApplicationView>>> {
    // A bad cursor is the caller's mistake whatever the campaign: 422 before 404.
    let after = page.decode::<Uuid>()?;
    campaigns::get(&state.db, id).await?;
    let limit = page.limit();
    let rows = applications::of_campaign(
        &state.db,
        id,
        filter.status.map(|s| s.as_str()),
        after,
        limit + 1,
    )
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |a| a.id, Into::into)))
}

/// Approve a pending application: its discount becomes a campaign price on the product
/// (409 if it would contradict another price).
#[utoipa::path(post, path = "/v1/marketing/campaign-applications/{id}/approve", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve_application(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ApplicationView>> {
    let txn = state.db.begin().await?;
    let a = applications::approve(&txn, Actor::user(&m.0), id).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(a.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
}

/// Reject a pending application, with the reason the vendor will see.
#[utoipa::path(post, path = "/v1/marketing/campaign-applications/{id}/reject", tag = "marketing", security(("bearer" = [])),
    request_body = Reason,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reject_application(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(r): Json<Reason>,
) -> ApiResult<Json<ApplicationView>> {
    let txn = state.db.begin().await?;
    let a = applications::reject(&txn, Actor::user(&m.0), id, r.reason).await?;
    txn.commit().await?;
    Ok(Json(a.into()))
}

/// Page views, unique visitors (HyperLogLog), orders, units, revenue and conversion of a
/// campaign, from counters kept up by events — no order is scanned.
#[utoipa::path(get, path = "/v1/marketing/campaigns/{id}/stats", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = CampaignStats), (status = 404, body = Problem)))]
async fn campaign_stats(
    _m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CampaignStats>> {
    campaigns::get(&state.db, id).await?;
    Ok(Json(stats::read(&state, id).await?))
}

/// Time deals, newest first.
#[utoipa::path(get, path = "/v1/marketing/time-deals", tag = "marketing", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = Page<TimeDealView>)))]
async fn list_deals(
    _m: MarketerUser,
    State(state): State<AppState>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<TimeDealView>>> {
    let limit = page.limit();
    let rows = deals::page(&state.db, page.decode::<Uuid>()?, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |d| d.id, Into::into)))
}

/// Create a time deal: a deal price on one variant for a number of units in a window.
#[utoipa::path(post, path = "/v1/marketing/time-deals", tag = "marketing", security(("bearer" = [])),
    request_body = NewTimeDeal,
    responses((status = 201, body = TimeDealView), (status = 422, body = Problem)))]
async fn create_deal(
    m: MarketerUser,
    State(state): State<AppState>,
    Json(new): Json<NewTimeDeal>,
) -> ApiResult<(StatusCode, Json<TimeDealView>)> {
    let txn = state.db.begin().await?;
    let d = deals::create(&txn, Actor::user(&m.0), new).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Coupons, newest first, with their counters.
#[utoipa::path(get, path = "/v1/marketing/coupons", tag = "marketing", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = Page<CouponView>)))]
async fn list_coupons(
    _m: MarketerUser,
    State(state): State<AppState>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<CouponView>>> {
    let limit = page.limit();
    let rows = coupons::list(&state.db, page.decode::<Uuid>()?, limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |c| c.id,
        CouponView::from,
    )))
}

/// Create a coupon: a public code, or none for a coupon only issued to customers.
#[utoipa::path(post, path = "/v1/marketing/coupons", tag = "marketing", security(("bearer" = [])),
    request_body = NewCoupon,
    responses((status = 201, body = CouponView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_coupon(
    m: MarketerUser,
    State(state): State<AppState>,
    Json(new): Json<NewCoupon>,
) -> ApiResult<(StatusCode, Json<CouponView>)> {
    let txn = state.db.begin().await?;
    let c = coupons::create(&txn, Actor::user(&m.0), new).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(get, path = "/v1/marketing/coupons/{id}", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = CouponView), (status = 404, body = Problem)))]
async fn get_coupon(
    _m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CouponView>> {
    Ok(Json(coupons::get(&state.db, id).await?.into()))
}

/// Stop a coupon; redemptions already made stay.
#[utoipa::path(post, path = "/v1/marketing/coupons/{id}/disable", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = CouponView), (status = 404, body = Problem)))]
async fn disable_coupon(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CouponView>> {
    let txn = state.db.begin().await?;
    let c = coupons::disable(&txn, Actor::user(&m.0), id).await?;
    txn.commit().await?;
    Ok(Json(c.into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    pub customer_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Issued {
    /// Customers who did not hold the coupon yet.
    pub issued: u64,
}

/// Issue a coupon to customers (those who hold it already are skipped).
#[utoipa::path(post, path = "/v1/marketing/coupons/{id}/issues", tag = "marketing", security(("bearer" = [])),
    request_body = IssueRequest,
    responses((status = 200, body = Issued), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn issue_coupon(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(req): Json<IssueRequest>,
) -> ApiResult<Json<Issued>> {
    let txn = state.db.begin().await?;
    let issued = coupons::issue(&txn, Actor::user(&m.0), id, &req.customer_ids).await?;
    txn.commit().await?;
    Ok(Json(Issued { issued }))
}

/// Open a daily first-come drop of a coupon: `daily_quota` claims per Seoul day, opening
/// at `opens_at` (Seoul time).
#[utoipa::path(post, path = "/v1/marketing/coupons/{id}/drops", tag = "marketing", security(("bearer" = [])),
    request_body = NewDrop,
    responses((status = 201, body = DropView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_drop(
    m: MarketerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Json(new): Json<NewDrop>,
) -> ApiResult<(StatusCode, Json<DropView>)> {
    let txn = state.db.begin().await?;
    let d = coupons::create_drop(&txn, Actor::user(&m.0), id, new).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only the changes of this campaign, section, price, deal, coupon or application.
    pub entity_id: Option<Uuid>,
    /// Only this kind of entity: campaign, campaign_section, campaign_price,
    /// campaign_application, time_deal, coupon, coupon_drop or stacking_policy (another
    /// word is 422).
    pub entity: Option<String>,
    /// Only the changes this account made.
    pub actor_id: Option<Uuid>,
    /// Only changes at or after this instant (RFC 3339).
    pub from: Option<DateTime<FixedOffset>>,
    /// Only changes before this instant (RFC 3339).
    pub to: Option<DateTime<FixedOffset>>,
}

/// The audit trail of marketing changes (who, when, what, before and after), newest first.
#[utoipa::path(get, path = "/v1/marketing/audit", tag = "marketing", security(("bearer" = [])),
    params(PageParams, AuditFilter), responses((status = 200, body = Page<AuditView>)))]
async fn list_audit(
    _m: MarketerUser,
    State(state): State<AppState>,
    Query(page): Query<PageParams>,
    Query(filter): Query<AuditFilter>,
) -> ApiResult<Json<Page<AuditView>>> {
    if let Some(e) = &filter.entity
        && !crate::audit::ENTITIES.contains(&e.as_str())
    {
        return Err(ApiError::field(
            "entity",
            "unknown_entity",
            "not a kind of marketing entity",
        ));
    }
    let q = crate::audit::select(&crate::audit::Filter {
        entity: filter.entity,
        entity_id: filter.entity_id,
        actor_id: filter.actor_id,
        from: filter.from.map(|t| t.to_utc()),
        to: filter.to.map(|t| t.to_utc()),
    });
    let page = Page::newest_first(
        q,
        audit::Column::Id,
        &page,
        &state.db,
        |a| a.id,
        AuditView::from,
    );
    Ok(Json(page.await?))
}

/// The stacking policy every quote is made with: how many order and shipping coupons an
/// order may combine, whether they combine with each other and reach lines that have a
/// campaign price or time deal, and whether a time deal beats a cheaper campaign price.
#[utoipa::path(get, path = "/v1/marketing/stacking-policy", tag = "marketing", security(("bearer" = [])),
    responses((status = 200, body = StackingPolicyView)))]
async fn get_stacking_policy(
    _m: MarketerUser,
    State(state): State<AppState>,
) -> ApiResult<Json<StackingPolicyView>> {
    let row = stacking::row(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("stacking policy"))?;
    Ok(Json(row.into()))
}

/// Replace the stacking policy (every field is required). Carts and checkout use it from
/// the next quote on; the change is audited and retires the cached campaign pages.
#[utoipa::path(put, path = "/v1/marketing/stacking-policy", tag = "marketing", security(("bearer" = [])),
    request_body = PolicyInput,
    responses((status = 200, body = StackingPolicyView), (status = 422, body = Problem)))]
async fn put_stacking_policy(
    m: MarketerUser,
    State(state): State<AppState>,
    Json(input): Json<PolicyInput>,
) -> ApiResult<Json<StackingPolicyView>> {
    let txn = state.db.begin().await?;
    let row = stacking::replace(&txn, Actor::user(&m.0), input).await?;
    txn.commit().await?;
    cache::invalidate(&state.redis).await;
    Ok(Json(row.into()))
}
