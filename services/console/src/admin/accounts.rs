//! Accounts and their roles: the list (cursor pages, the API's role filter), a form to
//! create an account of any role (vendor accounts bound to their vendor), and on each
//! row a role picker and a disable/enable button (never on the admin's own row's
//! behalf: that is refused); and the audit trail of those changes. Through `platform::accounts::{service, changes}`, the
//! functions behind `/v1/admin/accounts`.

use crate::cursor::Cursor;
use crate::error::PageResult;
use crate::form::{FormErrors, Pairs, redirect_or_shown_again, refused};
use crate::guard::{AdminSession, Ctx};
use crate::layout::{Chrome, role_label};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use platform::accounts::http::{AccountAuditView, AccountFields};
use platform::accounts::{changes, service};
use platform::auth::Role;
use platform::error::FieldError;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub const ROLES: [Role; 4] = [Role::Customer, Role::Vendor, Role::Marketer, Role::Admin];

/// An account's status in Korean: in use, or stopped.
fn status_label(status: &str) -> &'static str {
    if status == service::STATUS_ACTIVE {
        "사용 중"
    } else {
        "중지"
    }
}

/// A role's name in Korean, for the templates.
pub fn role_name(r: &Role) -> &'static str {
    role_label(*r)
}

pub struct Row {
    pub id: Uuid,
    /// The role as the API names it, for the picker.
    pub role_code: &'static str,
    pub vendor_id: String,
    pub active: bool,
    /// The signed-in admin's own account (no disable button, no demotion).
    pub own: bool,
    pub email: String,
    pub display_name: String,
    pub role: &'static str,
    pub status: &'static str,
    pub created: String,
    pub last_login: String,
}

/// What was typed into the form, shown again when it is refused (never the password).
#[derive(Default)]
pub struct Typed {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub vendor_id: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/accounts.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    role: String,
    next: Option<String>,
    typed: Typed,
    errors: FormErrors,
    /// Why a change on a row was refused, above the list.
    row_errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    role: Option<String>,
    cursor: Option<String>,
}

async fn list_page(
    cx: &Ctx<AdminSession>,
    q: ListQuery,
    typed: Typed,
    errors: FormErrors,
) -> PageResult<ListPage> {
    list_page_with(cx, q, typed, errors, FormErrors::default()).await
}

async fn list_page_with(
    cx: &Ctx<AdminSession>,
    q: ListQuery,
    typed: Typed,
    errors: FormErrors,
    row_errors: FormErrors,
) -> PageResult<ListPage> {
    let me = cx.page.user.map(|p| p.user_id);
    let role = q.role.and_then(|r| r.parse::<Role>().ok());
    let at = Cursor::of(q.cursor)?;
    let found = service::accounts_page(&cx.state.db, role, at.after, at.fetch()).await?;
    let (found, next) = at.split(found, |u| u.id);
    Ok(ListPage {
        chrome: cx.page.chrome("계정"),
        rows: found
            .into_iter()
            .map(|u| Row {
                id: u.id,
                role_code: service::role_of(&u).as_str(),
                vendor_id: u.vendor_id.map(|v| v.to_string()).unwrap_or_default(),
                active: u.status == service::STATUS_ACTIVE,
                own: Some(u.id) == me,
                role: role_label(service::role_of(&u)),
                status: status_label(&u.status),
                created: crate::fmt::kst_minute(&u.created_at),
                last_login: u
                    .last_login_at
                    .as_ref()
                    .map(crate::fmt::kst_minute)
                    .unwrap_or_default(),
                email: u.email,
                display_name: u.display_name,
            })
            .collect(),
        role: role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        next,
        typed,
        errors,
        row_errors,
    })
}

/// The first page of the list with why a change on a row was refused above it.
async fn rows_refused(cx: &Ctx<AdminSession>, row_errors: FormErrors) -> PageResult<ListPage> {
    list_page_with(
        cx,
        ListQuery::default(),
        Typed::default(),
        FormErrors::default(),
        row_errors,
    )
    .await
}

/// The role picked and the vendor id typed (none when left empty), or the errors beside
/// those fields.
fn role_and_vendor(
    errors: &mut FormErrors,
    role: &str,
    vendor_id: &str,
) -> Option<(Role, Option<Uuid>)> {
    let role = role.parse::<Role>().ok();
    if role.is_none() {
        errors.push(FieldError::new("role", "required", "choose a role"));
    }
    let vendor_id = match vendor_id.trim() {
        "" => Some(None),
        raw => raw.parse::<Uuid>().ok().map(Some),
    };
    if vendor_id.is_none() {
        errors.push(FieldError::new("vendor_id", "not_found", "not a vendor id"));
    }
    Some((role?, vendor_id?))
}

pub async fn list(cx: Ctx<AdminSession>, Query(q): Query<ListQuery>) -> PageResult<ListPage> {
    list_page(&cx, q, Typed::default(), FormErrors::default()).await
}

/// Create an account; a vendor account names the vendor it works for.
pub async fn create(cx: Ctx<AdminSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let v = |k| crate::form::value(&pairs, k).to_owned();
    let typed = Typed {
        email: v("email"),
        display_name: v("display_name"),
        role: v("role"),
        vendor_id: v("vendor_id"),
    };
    let mut errors = FormErrors::default();
    let result = match role_and_vendor(&mut errors, &typed.role, &typed.vendor_id) {
        Some((role, vendor_id)) => {
            service::create_by_admin(
                &cx.state.db,
                &typed.email,
                v("password"),
                &typed.display_name,
                role,
                vendor_id,
            )
            .await
        }
        None => {
            return refused(list_page(&cx, ListQuery::default(), typed, errors).await?);
        }
    };
    redirect_or_shown_again(
        result,
        "/console/admin/accounts?done=created",
        async |errors| list_page(&cx, ListQuery::default(), typed, errors).await,
    )
    .await
}

/// Back to the list after a change on a row; a refusal (`own_account`, a vendor role
/// without a vendor) is shown above the list.
async fn changed(
    cx: &Ctx<AdminSession>,
    result: Result<platform::accounts::entity::user::Model, platform::ApiError>,
    done: &str,
) -> PageResult<Response> {
    redirect_or_shown_again(
        result,
        &format!("/console/admin/accounts?done={done}"),
        async |errors| rows_refused(cx, errors).await,
    )
    .await
}

/// Give an account another role (a vendor account keeps, or is given, its vendor).
pub async fn change_role(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let v = |k| crate::form::value(&pairs, k);
    let Some((role, vendor_id)) = role_and_vendor(&mut errors, v("role"), v("vendor_id")) else {
        return refused(rows_refused(&cx, errors).await?);
    };
    let r = changes::change_role(&cx.state, cx.who.0.user_id, id, role, vendor_id).await;
    changed(&cx, r, "role_changed").await
}

/// Stop an account: it is signed out everywhere and cannot sign in.
pub async fn disable(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    let r = changes::disable(&cx.state, cx.who.0.user_id, id).await;
    changed(&cx, r, "account_disabled").await
}

/// Let a disabled account sign in again.
pub async fn enable(cx: Ctx<AdminSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    let r = changes::enable(&cx.state, cx.who.0.user_id, id).await;
    changed(&cx, r, "account_enabled").await
}

/// One change on the audit page, as the admin reads it.
pub struct AuditRow {
    pub when: String,
    pub actor: String,
    pub account_id: Uuid,
    pub account: String,
    pub action: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/account_audit.html")]
pub struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditRow>,
    /// The account whose changes alone are shown (its id and e-mail), else all.
    account: Option<(Uuid, String)>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    account_id: Option<String>,
    cursor: Option<String>,
}

fn action_name(action: &str) -> &'static str {
    match action {
        changes::ROLE_CHANGED => "역할 변경",
        changes::DISABLED => "사용 중지",
        changes::ENABLED => "다시 사용",
        _ => "기타",
    }
}

/// The recorded fields in words: `판매자 (판매자 ID …), 중지`.
fn fields_text(f: &AccountFields) -> String {
    let mut parts = Vec::new();
    if let Some(role) = f.role {
        parts.push(match f.vendor_id {
            Some(v) => format!("{} (판매자 ID {v})", role_label(role)),
            None => role_label(role).to_owned(),
        });
    }
    if let Some(status) = &f.status {
        parts.push(status_label(status).to_owned());
    }
    parts.join(", ")
}

/// Who changed whose role or status, and when: the trail `GET /v1/admin/accounts/audit`
/// serves, newest first by cursor pages, of every account or of one.
pub async fn audit(cx: Ctx<AdminSession>, Query(q): Query<AuditQuery>) -> PageResult<AuditPage> {
    let db = &cx.state.db;
    let account = match q.account_id.as_deref().map(str::trim) {
        None | Some("") => None,
        // An id that is not one reads as no such account.
        Some(raw) => {
            let id = raw
                .parse::<Uuid>()
                .map_err(|_| platform::ApiError::not_found("account"))?;
            let u = service::find_user(db, id).await?;
            Some((u.id, u.email))
        }
    };
    let at = Cursor::of(q.cursor)?;
    let found =
        changes::audit_page(db, account.as_ref().map(|a| a.0), at.after, at.fetch()).await?;
    let (found, next) = at.split(found, |a| a.id);
    let mut ids: Vec<Uuid> = found
        .iter()
        .flat_map(|a| [a.actor_id, a.account_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let emails: HashMap<Uuid, String> = service::users_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let email = |id: &Uuid| emails.get(id).cloned().unwrap_or_else(|| id.to_string());
    Ok(AuditPage {
        chrome: cx.page.chrome("계정 변경 기록"),
        rows: found
            .into_iter()
            .map(|a| {
                let v = AccountAuditView::from(a);
                AuditRow {
                    when: crate::fmt::kst_minute(&v.created_at),
                    actor: email(&v.actor_id),
                    account_id: v.account_id,
                    account: email(&v.account_id),
                    action: action_name(&v.action),
                    before: fields_text(&v.before),
                    after: fields_text(&v.after),
                }
            })
            .collect(),
        account,
        next,
    })
}
