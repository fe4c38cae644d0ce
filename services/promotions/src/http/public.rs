//! What anyone may read: live and upcoming campaigns, a campaign's page with its prices and
//! countdown (marketers may preview any instant with `?at=`), public coupons, today's
//! first-come drops; and the customer's own: claiming a drop, registering a code, and
//! their coupon box.

use super::views::{DropOfferView, MyCouponView, PublicCouponView};
use crate::cache;
use crate::campaigns::{self, CampaignStatus};
use crate::coupons;
use crate::page::{self, CampaignPage, CampaignSummary};
use crate::stats;
use crate::wallet;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use platform::AppState;
use platform::auth::{CustomerUser, MaybeUser, Role};
use platform::client_addr::ClientAddr;
use platform::error::{ApiError, ApiResult, ErrorCode, Problem};
use platform::extract::{Json, Path, Query};
use platform::pagination::{Page, PageParams};
use platform::ratelimit::{self, Verdict, Window};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns))
        .routes(routes!(campaign_page))
        .routes(routes!(get_coupon))
        .routes(routes!(todays_drops))
        .routes(routes!(claim_drop))
        .routes(routes!(my_coupons, register_coupon))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignList {
    pub items: Vec<CampaignSummary>,
}

fn json_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Live and upcoming campaigns: live first (ending soonest first), then upcoming by start.
#[utoipa::path(get, path = "/v1/campaigns", tag = "campaigns",
    responses((status = 200, body = CampaignList)))]
async fn list_campaigns(State(state): State<AppState>) -> ApiResult<Json<CampaignList>> {
    let now = Utc::now();
    let key = cache::list_key(&state.redis, now).await;
    if let Some(k) = &key
        && let Some(hit) = cache::get(&state.redis, k).await
        && let Ok(list) = serde_json::from_slice::<CampaignList>(&hit)
    {
        let mut items: Vec<CampaignSummary> = list
            .items
            .into_iter()
            .map(|s| s.at(now))
            .filter(|s| s.state != page::CampaignState::Ended)
            .collect();
        page::sort_summaries(&mut items);
        return Ok(Json(CampaignList { items }));
    }
    let items = page::list(&state.db, now).await?;
    let list = CampaignList { items };
    if let Some(k) = &key
        && let Ok(body) = serde_json::to_vec(&list)
    {
        cache::put(&state.redis, k, &body).await;
    }
    Ok(Json(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Marketers only: the page and prices as they will be at this instant (RFC 3339 with
    /// an offset). Drafts can be previewed too.
    pub at: Option<DateTime<FixedOffset>>,
}

/// A campaign's page: sections with their products priced by the pricing engine at this
/// moment, the products its rules bring in, its time deals and a countdown (to the start
/// while upcoming, to the end while live). Cached per minute. Each view counts towards
/// the campaign's statistics.
#[utoipa::path(get, path = "/v1/campaigns/{slug}", tag = "campaigns",
    params(PageQuery),
    responses((status = 200, body = CampaignPage), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn campaign_page(
    user: MaybeUser,
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Response> {
    if let Some(at) = q.at {
        match user.0 {
            None => return Err(ApiError::new(ErrorCode::Unauthenticated)),
            Some(p) if !matches!(p.role, Role::Marketer | Role::Admin) => {
                return Err(ApiError::new(ErrorCode::Forbidden)
                    .with_detail("only marketers may preview another instant"));
            }
            Some(_) => {}
        }
        let c = campaigns::by_slug(&state.db, &slug)
            .await?
            .ok_or_else(|| ApiError::not_found("campaign"))?;
        let page = page::build(&state.db, &c, at.with_timezone(&Utc), true).await?;
        return Ok(Json(page).into_response());
    }

    let now = Utc::now();
    let local_key = cache::local_page_key(&state.redis, &slug, now).await;
    let mut key = None;
    let mut cached = cache::get_local(&state.redis, &local_key);
    if cached.is_none() {
        key = cache::page_key(&state.redis, &slug, now).await;
        if let Some(k) = &key {
            cached = cache::get(&state.redis, k).await.map(bytes::Bytes::from);
            if let Some(hit) = &cached {
                cache::put_local(&state.redis, &local_key, hit.clone());
            }
        }
    }
    let page = match cached.and_then(|b| serde_json::from_slice::<CampaignPage>(&b).ok()) {
        Some(p) => p,
        None => {
            let c = campaigns::by_slug(&state.db, &slug)
                .await?
                .filter(|c| c.status != CampaignStatus::Draft)
                .ok_or_else(|| ApiError::not_found("campaign"))?;
            let page = page::build(&state.db, &c, now, false).await?;
            // A page whose prices change within this minute (a window opens or closes) is
            // not cached, so no boundary is ever served from a page built before it.
            let minute_end =
                DateTime::<Utc>::from_timestamp((now.timestamp().div_euclid(60) + 1) * 60, 0)
                    .unwrap_or(now);
            let crosses = page
                .boundaries()
                .iter()
                .any(|b| *b > now && *b <= minute_end);
            if let Some(k) = &key
                && !crosses
                && let Ok(body) = serde_json::to_vec(&page)
            {
                cache::put(&state.redis, k, &body).await;
                cache::put_local(&state.redis, &local_key, body.into());
            }
            page
        }
    };
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let visitor = stats::visitor(user.0.as_ref(), &client.to_string(), ua);
    stats::record_view(&state.redis, page.summary.id, &visitor).await;
    let summary = page.summary.clone().at(now);
    let body = serde_json::to_vec(&CampaignPage { summary, ..page }).map_err(ApiError::internal)?;
    Ok(json_response(body))
}

const COUPON_GUESSING: Window = Window {
    limit: 30,
    period: Duration::from_secs(60),
};

/// Lookups count per client address, whichever route they were tried on; a code that
/// exists is given back, so only unknown codes use up the allowance.
fn guesser(client: IpAddr) -> String {
    format!("coupon:{client}")
}

/// A public coupon's terms. Unknown codes are counted per client address against a
/// guessing limit (429).
#[utoipa::path(get, path = "/v1/coupons/{code}", tag = "campaigns",
    responses((status = 200, body = PublicCouponView), (status = 404, body = Problem), (status = 429, body = Problem)))]
async fn get_coupon(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(code): Path<String>,
) -> ApiResult<Json<PublicCouponView>> {
    let who = guesser(client);
    if let Verdict::Limited(secs) = ratelimit::acquire(&state.redis, &who, &COUPON_GUESSING).await {
        return Err(ApiError::rate_limited(secs));
    }
    match coupons::by_code(&state.db, &code).await? {
        Some(c) => {
            ratelimit::release(&state.redis, &who).await;
            Ok(Json(c.into()))
        }
        None => Err(ApiError::not_found("coupon")),
    }
}

/// Today's daily first-come coupon drops (선착순 쿠폰): when each opens, how many are
/// left today and whether one can be claimed now.
#[utoipa::path(get, path = "/v1/coupon-drops", tag = "campaigns",
    params(PageParams), responses((status = 200, body = Page<DropOfferView>)))]
async fn todays_drops(
    State(state): State<AppState>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<DropOfferView>>> {
    let limit = page.limit();
    let now = Utc::now();
    let rows = coupons::drops_on_day(&state.db, now, page.decode::<Uuid>()?, limit + 1).await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |d| d.id,
        |d| DropOfferView::of(d, now),
    )))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Claimed {
    /// The coupon now issued to you; give its id as the coupon code at checkout.
    pub coupon_id: Uuid,
}

/// Claims a customer may make a minute, whichever drop: enough for a person pressing the
/// button again at the opening second, not for a script hammering the quota's row.
const DROP_CLAIMS: Window = Window {
    limit: 10,
    period: Duration::from_secs(60),
};

/// Claim today's coupon of a daily first-come drop (선착순). 409 before the day's opening
/// time (`extra.reason = drop_not_open`) and once the day's quota is gone
/// (`drop_exhausted`); claiming again is harmless. At most 10 claims a minute per customer
/// (429 with `Retry-After`).
#[utoipa::path(post, path = "/v1/coupon-drops/{id}/claim", tag = "campaigns", security(("bearer" = [])),
    responses((status = 200, body = Claimed), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 429, body = Problem)))]
async fn claim_drop(
    c: CustomerUser,
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<Claimed>)> {
    // Counted before the claim is tried, in one step (see `platform::ratelimit`).
    let who = format!("drop-claim:{}", c.0.user_id);
    if let Verdict::Limited(secs) = ratelimit::acquire(&state.redis, &who, &DROP_CLAIMS).await {
        return Err(ApiError::rate_limited(secs));
    }
    let txn = state.db.begin().await?;
    let coupon_id = coupons::claim(&txn, id, c.0.user_id, Utc::now()).await?;
    txn.commit().await?;
    Ok((StatusCode::OK, Json(Claimed { coupon_id })))
}

/// Your coupons (쿠폰함), newest first: those issued to you, claimed from a daily drop or
/// registered by code, each with its terms, the uses left to you and whether you can use
/// it now (`reason` says why not: `expired`, `not_yet_valid`, `used_up`, `sold_out`,
/// `budget_exhausted`, `disabled`).
#[utoipa::path(get, path = "/v1/me/coupons", tag = "campaigns", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<MyCouponView>), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
async fn my_coupons(
    c: CustomerUser,
    State(state): State<AppState>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<MyCouponView>>> {
    let limit = page.limit();
    let rows = wallet::held(
        &state.db,
        c.0.user_id,
        page.decode::<Uuid>()?,
        limit + 1,
        Utc::now(),
    )
    .await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |h| h.issue_id,
        MyCouponView::from,
    )))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponCode {
    /// A public coupon code (case does not matter).
    pub code: String,
}

/// Register a public coupon code in your coupon box (쿠폰 등록); it is then listed with
/// your coupons. Registering again is harmless. Unknown codes count against the same
/// guessing limit as `GET /v1/coupons/{code}` (429).
#[utoipa::path(post, path = "/v1/me/coupons", tag = "campaigns", security(("bearer" = [])),
    request_body = CouponCode,
    responses((status = 200, body = PublicCouponView), (status = 404, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn register_coupon(
    c: CustomerUser,
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Json(body): Json<CouponCode>,
) -> ApiResult<Json<PublicCouponView>> {
    let who = guesser(client);
    if let Verdict::Limited(secs) = ratelimit::acquire(&state.redis, &who, &COUPON_GUESSING).await {
        return Err(ApiError::rate_limited(secs));
    }
    match coupons::register(&state.db, &body.code, c.0.user_id).await? {
        Some(coupon) => {
            ratelimit::release(&state.redis, &who).await;
            Ok(Json(coupon.into()))
        }
        None => Err(ApiError::not_found("coupon")),
    }
}
