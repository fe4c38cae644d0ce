//! What a member does for its organisation, under `/v1/organisations/{org_id}/…` (the
//! [`OrgMember`] context: 404 for anyone not a member): quotations, the organisation's
//! orders, its invoices and its tax invoices.

use crate::buyer::OrganisationOrderPlaced;
use crate::context::OrdersContext;
use crate::invoices::{InvoiceFilter, InvoiceScope, InvoiceView};
use crate::org_checkout::{self, OrganisationCheckoutRequest};
use crate::quotations::accept::{self, AcceptQuotation, AcceptedQuotation, Acceptor};
use crate::quotations::{QuotationRequest, QuotationView, document, store};
use crate::tax_invoices::{TaxInvoiceFilter, TaxInvoiceView};
use crate::views::{self, OrderView, Owner};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use platform::AppState;
use platform::error::{ApiError, ApiResult, Problem};
use platform::extract::{IdempotencyKey, Json, Path, Query};
use platform::organisations::member::OrgMember;
use platform::pagination::{Page, PageParams};
use platform::ratelimit::{self, Verdict};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_quotation, list_quotations))
        .routes(routes!(get_quotation))
        .routes(routes!(quotation_document))
        .routes(routes!(accept_quotation))
        .routes(routes!(withdraw_quotation))
        .routes(routes!(checkout_cart))
        .routes(routes!(list_orders))
        .routes(routes!(get_order))
        .routes(routes!(list_invoices))
        .routes(routes!(list_tax_invoices))
}

/// Ask the vendors of these lines for a quotation (any member).
#[utoipa::path(post, path = "/v1/organisations/{org_id}/quotations", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path)), request_body = QuotationRequest,
    responses((status = 201, body = QuotationView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn request_quotation(
    State(state): State<AppState>,
    member: OrgMember,
    Json(req): Json<QuotationRequest>,
) -> ApiResult<(StatusCode, Json<QuotationView>)> {
    let asker = store::Asker {
        organisation_id: member.organisation_id(),
        kind: member.organisation.kind,
        member: member.principal.user_id,
    };
    let now = Utc::now();
    let id = store::request(&state.db, asker, req, now).await?;
    let view = store::organisation_view(&state.db, asker.organisation_id, id, now).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The organisation's quotations, newest first.
#[utoipa::path(get, path = "/v1/organisations/{org_id}/quotations", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<QuotationView>), (status = 404, body = Problem)))]
async fn list_quotations(
    State(state): State<AppState>,
    member: OrgMember,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<QuotationView>>> {
    let limit = page.limit();
    let rows = store::organisation_list(
        &state.db,
        member.organisation_id(),
        page.decode::<Uuid>()?,
        limit + 1,
        Utc::now(),
    )
    .await?;
    Ok(Json(Page::from_rows(rows, limit, |q| q.id, |q| q)))
}

/// One quotation: every vendor's part and the whole.
#[utoipa::path(get, path = "/v1/organisations/{org_id}/quotations/{id}", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = QuotationView), (status = 404, body = Problem)))]
async fn get_quotation(
    State(state): State<AppState>,
    member: OrgMember,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<QuotationView>> {
    let id = ids.1;
    let view =
        store::organisation_view(&state.db, member.organisation_id(), id, Utc::now()).await?;
    Ok(Json(view))
}

#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    /// Printable HTML, shown in the browser.
    #[default]
    Html,
    /// A workbook to file or edit.
    Xlsx,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentParams {
    /// `html` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<DocumentFormat>,
}

/// The quotation as a Korean document (견적서) with the vendors' seller identities.
#[utoipa::path(get, path = "/v1/organisations/{org_id}/quotations/{id}/document", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("id" = Uuid, Path), DocumentParams),
    responses((status = 200, description = "text/html or an XLSX workbook"), (status = 404, body = Problem)))]
async fn quotation_document(
    State(state): State<AppState>,
    member: OrgMember,
    Path(ids): Path<(Uuid, Uuid)>,
    Query(params): Query<DocumentParams>,
) -> ApiResult<Response> {
    let id = ids.1;
    let view =
        store::organisation_view(&state.db, member.organisation_id(), id, Utc::now()).await?;
    let recipient = &member.organisation.name;
    Ok(match params.format.unwrap_or_default() {
        DocumentFormat::Html => {
            let mut res = document::html(&view, recipient).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        DocumentFormat::Xlsx => platform::download::attachment(
            document::xlsx(&view, recipient).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("quotation-{}.xlsx", view.number),
        ),
    })
}

/// Accept an answered quotation within its validity (approvers only): the order is placed
/// at the quoted prices, paid by card or on the organisation's credit (invoice).
#[utoipa::path(post, path = "/v1/organisations/{org_id}/quotations/{id}/accept", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("id" = Uuid, Path)), request_body = AcceptQuotation,
    responses((status = 201, body = AcceptedQuotation), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "quotation_expired, quotation_not_answered, credit_limit_exceeded, insufficient_stock")))]
async fn accept_quotation(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    member: OrgMember,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(req): Json<AcceptQuotation>,
) -> ApiResult<(StatusCode, Json<AcceptedQuotation>)> {
    let id = ids.1;
    member.require_approver()?;
    let who = Acceptor {
        organisation: &member.organisation,
        member: member.principal.user_id,
        email: None,
    };
    let accepted = accept::accept(&state.db, &ctx, who, id, req, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(accepted)))
}

/// Withdraw a quotation the organisation no longer wants.
#[utoipa::path(post, path = "/v1/organisations/{org_id}/quotations/{id}/withdraw", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn withdraw_quotation(
    State(state): State<AppState>,
    member: OrgMember,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let id = ids.1;
    store::withdraw(&state.db, member.organisation_id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check out the member's own cart for the organisation (any member): the order is the
/// organisation's (its buyer kind, its members' to see), paid by card through the gateway
/// or on invoice within the credit line. `Idempotency-Key` and `expected_total` work as at
/// `/v1/checkout`, and the same per-minute limit applies.
#[utoipa::path(post, path = "/v1/organisations/{org_id}/checkout", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("Idempotency-Key" = String, Header, description = "unique per checkout attempt")),
    request_body = OrganisationCheckoutRequest,
    responses((status = 201, body = OrganisationOrderPlaced), (status = 200, body = OrganisationOrderPlaced, description = "a replay"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "quote_changed, credit_limit_exceeded, insufficient_stock, empty_cart"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn checkout_cart(
    State(state): State<AppState>,
    Extension(ctx): Extension<OrdersContext>,
    member: OrgMember,
    IdempotencyKey(key): IdempotencyKey,
    Json(req): Json<OrganisationCheckoutRequest>,
) -> ApiResult<(StatusCode, Json<OrganisationOrderPlaced>)> {
    let user = member.principal.user_id;
    if let Verdict::Limited(secs) = ratelimit::acquire_distinct(
        &state.redis,
        &format!("checkout:{user}"),
        &key,
        &super::checkout::checkouts(&state),
    )
    .await
    {
        return Err(ApiError::rate_limited(secs));
    }
    let (created, placed) =
        org_checkout::checkout(&state.db, &ctx, user, &member.organisation, &key, req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(placed)))
}

/// The organisation's orders, newest first.
#[utoipa::path(get, path = "/v1/organisations/{org_id}/orders", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<OrderView>), (status = 404, body = Problem)))]
async fn list_orders(
    State(state): State<AppState>,
    member: OrgMember,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<OrderView>>> {
    let limit = page.limit();
    let owner = Owner::Organisation(member.organisation_id());
    let rows = views::owned_orders(&state.db, owner, page.decode::<Uuid>()?, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |o| o.id, |o| o)))
}

/// One of the organisation's orders.
#[utoipa::path(get, path = "/v1/organisations/{org_id}/orders/{id}", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
async fn get_order(
    State(state): State<AppState>,
    member: OrgMember,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<OrderView>> {
    let id = ids.1;
    let owner = Owner::Organisation(member.organisation_id());
    Ok(Json(views::owned_order(&state.db, owner, id).await?))
}

/// The organisation's invoices (후불), by due date.
#[utoipa::path(get, path = "/v1/organisations/{org_id}/invoices", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), InvoiceFilter),
    responses((status = 200, body = Vec<InvoiceView>), (status = 404, body = Problem)))]
async fn list_invoices(
    State(state): State<AppState>,
    member: OrgMember,
    Query(filter): Query<InvoiceFilter>,
) -> ApiResult<Json<Vec<InvoiceView>>> {
    let scope = InvoiceScope::Organisation(member.organisation_id());
    Ok(Json(filter.list(&state.db, scope).await?))
}

/// The tax invoices asked for the organisation's orders (by default those not issued yet).
#[utoipa::path(get, path = "/v1/organisations/{org_id}/tax-invoices", tag = "organisations", security(("bearer" = [])),
    params(("org_id" = Uuid, Path), TaxInvoiceFilter),
    responses((status = 200, body = Vec<TaxInvoiceView>), (status = 404, body = Problem)))]
async fn list_tax_invoices(
    State(state): State<AppState>,
    member: OrgMember,
    Query(filter): Query<TaxInvoiceFilter>,
) -> ApiResult<Json<Vec<TaxInvoiceView>>> {
    let org = Some(member.organisation_id());
    Ok(Json(filter.list(&state.db, org, None).await?))
}
