//! Orders to ship (courier and tracking number, one by one or several at once),
//! deliveries, and returns to accept. Every action calls `orders::fulfilment`, the
//! functions behind `/v1/vendor/orders`.

use crate::cursor::{Cursor, StatusQuery};
use crate::error::{ConsoleError, PageResult};
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, VendorSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use orders::context::OrdersContext;
use orders::fulfilment::{self, ReturnSummary};
use orders::states::{ReturnStatus, VendorOrderStatus};
use orders::views::VendorOrderSummary;
use platform::ApiError;
use platform::status::Status;
use uuid::Uuid;

/// Couriers offered first (any name may be typed).
pub const COURIERS: &[&str] = &[
    "CJ대한통운",
    "우체국택배",
    "한진택배",
    "롯데택배",
    "로젠택배",
];

pub fn status_label(s: &str) -> &'static str {
    match s {
        "preparing" => "발송 준비",
        "shipped" => "배송 중",
        "delivered" => "배송 완료",
        "confirmed" => "구매 확정",
        "canceled" => "취소",
        "requested" => "답변 대기",
        "accepted" => "승인",
        "rejected" => "거절",
        _ => "",
    }
}

pub fn reason_label(s: &str) -> &'static str {
    match s {
        "change_of_mind" => "단순 변심",
        "defective" => "상품 불량",
        "wrong_item" => "오배송",
        _ => "",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "vendor/orders.html")]
pub struct OrdersPage {
    chrome: Chrome,
    rows: Vec<VendorOrderSummary>,
    status: String,
    next: Option<String>,
    errors: FormErrors,
    couriers: &'static [&'static str],
}

async fn orders_page(
    cx: &Ctx<VendorSession>,
    q: StatusQuery,
    errors: FormErrors,
) -> PageResult<OrdersPage> {
    // The page opens on what needs doing: orders to ship.
    let status = match q.status.as_deref() {
        None => Some(VendorOrderStatus::Preparing),
        Some("") | Some("all") => None,
        Some(s) => VendorOrderStatus::parse(s),
    };
    let at = Cursor::of(q.cursor)?;
    let rows = orders::views::vendor_orders(
        &cx.state.db,
        cx.who.vendor_id,
        status.map(|s| s.to_string()),
        at.after,
        at.fetch(),
    )
    .await
    .map_err(ApiError::from)?;
    let (rows, next) = at.split(rows, |r| r.id);
    Ok(OrdersPage {
        chrome: cx.page.chrome("주문·배송"),
        rows,
        status: status.map_or_else(|| "all".to_owned(), |s| s.to_string()),
        next,
        errors,
        couriers: COURIERS,
    })
}

pub async fn list(cx: Ctx<VendorSession>, Query(q): Query<StatusQuery>) -> PageResult<OrdersPage> {
    orders_page(&cx, q, FormErrors::default()).await
}

/// Ship the orders picked on the page: the one whose own button was pressed (`one`), or
/// every checked one (`ship`). Each needs its courier and tracking number; the ones that
/// are refused come back with the reason beside their row, the others are shipped.
pub async fn ship(cx: Ctx<VendorSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let picked: Vec<&str> = match form::value(&pairs, "one") {
        "" => form::values(&pairs, "ship").collect(),
        one => vec![one],
    };
    let mut errors = FormErrors::default();
    if picked.is_empty() {
        errors.push(platform::error::FieldError::new(
            "ship",
            "required",
            "pick the orders to ship",
        ));
    }
    for raw in picked {
        let Ok(id) = raw.parse::<Uuid>() else {
            return Err(ConsoleError::NotFound);
        };
        let courier = form::value(&pairs, &format!("courier.{id}"));
        let tracking = form::value(&pairs, &format!("tracking.{id}"));
        if let Err(e) = fulfilment::ship(&cx.state, cx.who.vendor_id, id, courier, tracking).await {
            let this = FormErrors::from_api(e)?;
            let message = this
                .fields
                .first()
                .map(|(_, m)| m.clone())
                .or(this.summary)
                .unwrap_or_default();
            errors.fields.push((format!("tracking.{id}"), message));
            errors.summary =
                Some("발송 처리하지 못한 주문이 있습니다. 표시된 줄을 확인해 주세요.".into());
        }
    }
    if errors.is_empty() {
        return Ok(Redirect::to("/console/vendor/orders?done=shipped").into_response());
    }
    let q = StatusQuery {
        status: Some("preparing".into()),
        cursor: None,
    };
    form::refused(orders_page(&cx, q, errors).await?)
}

pub async fn deliver(cx: Ctx<VendorSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    let r = fulfilment::deliver(&cx.state, cx.who.vendor_id, id).await;
    let q = StatusQuery {
        status: Some("shipped".into()),
        cursor: None,
    };
    form::redirect_or_shown_again(
        r,
        "/console/vendor/orders?status=shipped&done=delivered",
        async |errors| orders_page(&cx, q, errors).await,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "vendor/returns.html")]
pub struct ReturnsPage {
    chrome: Chrome,
    rows: Vec<ReturnSummary>,
    status: String,
    next: Option<String>,
    errors: FormErrors,
}

async fn returns_page(
    cx: &Ctx<VendorSession>,
    q: StatusQuery,
    errors: FormErrors,
) -> PageResult<ReturnsPage> {
    let status = match q.status.as_deref() {
        None => Some(ReturnStatus::Requested),
        Some("") | Some("all") => None,
        Some(s) => ReturnStatus::parse(s),
    };
    let at = Cursor::of(q.cursor)?;
    let rows = fulfilment::returns_of(&cx.state.db, cx.who.vendor_id, status, at.after, at.fetch())
        .await
        .map_err(ApiError::from)?;
    let (rows, next) = at.split(rows, |r| r.id);
    Ok(ReturnsPage {
        chrome: cx.page.chrome("반품"),
        rows,
        status: status.map_or_else(|| "all".to_owned(), |s| s.to_string()),
        next,
        errors,
    })
}

pub async fn returns(
    cx: Ctx<VendorSession>,
    Query(q): Query<StatusQuery>,
) -> PageResult<ReturnsPage> {
    returns_page(&cx, q, FormErrors::default()).await
}

pub async fn accept_return(
    cx: Ctx<VendorSession>,
    Extension(ctx): Extension<OrdersContext>,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let r = fulfilment::accept_return(&cx.state, &ctx, cx.who.vendor_id, id).await;
    let q = StatusQuery {
        status: None,
        cursor: None,
    };
    form::redirect_or_shown_again(r, "/console/vendor/returns?done=accepted", async |errors| {
        returns_page(&cx, q, errors).await
    })
    .await
}
