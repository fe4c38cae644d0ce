//! Certifications vendors submitted (인천 품질우수제품, HACCP, …) waiting for an admin to
//! check them against the issuer's register and verify them; a verified one shows as a
//! badge on the vendor's products while it is within its dates; a rejected one (with the
//! reason the vendor sees) never does. Through
//! `catalog::admin_actions`, the functions behind `/v1/admin/certifications`.

use crate::cursor::{Cursor, PageQuery};
use crate::error::PageResult;
use crate::form::{FormErrors, Pairs, redirect_or_shown_again};
use crate::guard::{AdminSession, Ctx};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use catalog::admin_actions;
use platform::AppState;
use std::collections::HashMap;
use uuid::Uuid;

pub struct Row {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub vendor: String,
    pub kind: String,
    pub class: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: String,
    pub submitted: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/certifications.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
    /// The errors of a refused rejection, shown beside the reason of `errors_for`'s row.
    errors: FormErrors,
    errors_for: Option<Uuid>,
}

impl ListPage {
    /// Whether the refused form was the one of certification `id`.
    fn errors_here(&self, id: &Uuid) -> bool {
        self.errors_for.as_ref() == Some(id)
    }
}

/// Pending certifications, the longest waiting first.
pub async fn list(cx: Ctx<AdminSession>, Query(q): Query<PageQuery>) -> PageResult<ListPage> {
    list_page(&cx, q.cursor, FormErrors::default(), None).await
}

async fn list_page(
    cx: &Ctx<AdminSession>,
    cursor: Option<String>,
    errors: FormErrors,
    errors_for: Option<Uuid>,
) -> PageResult<ListPage> {
    let state = &cx.state;
    let at = Cursor::of(cursor)?;
    let found = admin_actions::pending_certifications(state, at.after, at.fetch()).await?;
    let (found, next) = at.split(found, |c| c.id);
    // A page names at most `limit` vendors; each is read once.
    let mut names: HashMap<Uuid, String> = HashMap::new();
    let mut rows = Vec::with_capacity(found.len());
    for c in found {
        let vendor = match names.get(&c.vendor_id) {
            Some(name) => name.clone(),
            None => {
                let v = admin_actions::vendor(state, c.vendor_id).await?;
                names.insert(c.vendor_id, v.trade_name.clone());
                v.trade_name
            }
        };
        rows.push(Row {
            id: c.id,
            vendor_id: c.vendor_id,
            vendor,
            submitted: crate::fmt::kst_minute(&c.created_at),
            issued_on: c.issued_on.to_string(),
            expires_on: c.expires_on.to_string(),
            kind: c.kind,
            class: c.class,
            number: c.number,
        });
    }
    Ok(ListPage {
        chrome: cx.page.chrome("인증 확인"),
        rows,
        next,
        errors,
        errors_for,
    })
}

/// Verify one certification; back to the list, which no longer shows it.
pub async fn verify(
    State(state): State<AppState>,
    AdminSession(admin): AdminSession,
    Path(id): Path<Uuid>,
) -> PageResult<Redirect> {
    admin_actions::verify_certification(&state, id, admin.user_id).await?;
    Ok(Redirect::to("/console/admin/certifications?done=verified"))
}

/// Reject one certification with the reason the vendor sees; an empty reason is shown
/// beside that row's field, one already decided above the list (409).
pub async fn reject(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let reason = crate::form::value(&pairs, "reason");
    let r = admin_actions::reject_certification(&cx.state, id, cx.who.0.user_id, reason).await;
    redirect_or_shown_again(
        r,
        "/console/admin/certifications?done=cert_rejected",
        async |errors| list_page(&cx, None, errors, Some(id)).await,
    )
    .await
}
