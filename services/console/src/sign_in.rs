//! Signing in and out. The login form goes through the same `accounts::service::login`
//! as `POST /v1/auth/login`: the same password check, the same rate limit per account
//! and per client address, the same refusal of disabled accounts.

use crate::cookies;
use crate::error::{ConsoleError, PageResult};
use crate::form::FormErrors;
use crate::layout::{Chrome, PageCtx, home_of};
use crate::session::{self, CurrentUser, SESSION_COOKIE};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use platform::AppState;
use platform::accounts::input::Email;
use platform::accounts::service;
use platform::client_addr::ClientAddr;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    email: String,
    next: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only a console path: a login link must not send the browser anywhere else.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.contains("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

/// `/console`: the signed-in role's first page, or the login form.
pub async fn home(CurrentUser(user): CurrentUser) -> PageResult<Response> {
    let Some(p) = user else {
        return Ok(Redirect::to("/console/login").into_response());
    };
    match home_of(p.role) {
        Some(href) => Ok(Redirect::to(href).into_response()),
        None => Err(ConsoleError::Forbidden),
    }
}

pub async fn login_form(page: PageCtx, Query(q): Query<Next>) -> Response {
    if let Some(p) = page.user
        && let Some(href) = home_of(p.role)
    {
        return Redirect::to(href).into_response();
    }
    LoginPage {
        chrome: page.chrome("로그인"),
        email: String::new(),
        next: safe_next(q.next.as_deref()),
        errors: FormErrors::default(),
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    page: PageCtx,
    req: Request,
) -> PageResult<Response> {
    let secure = cookies::secure(&state, &req);
    let axum::Form(f) = axum::Form::<LoginForm>::from_request(req, &())
        .await
        .map_err(|_| ConsoleError::Api(platform::ApiError::new(platform::ErrorCode::BadRequest)))?;
    let next = safe_next(f.next.as_deref());
    let again = |errors: FormErrors, status: StatusCode| {
        let body = LoginPage {
            chrome: page.chrome("로그인"),
            email: f.email.clone(),
            next: next.clone(),
            errors,
        };
        Ok((status, body).into_response())
    };
    let email = match Email::parse(&f.email, "email") {
        Ok(e) => e,
        Err(fe) => {
            let mut errors = FormErrors::default();
            errors.push(fe);
            return again(errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    match service::login(&state, &email, f.password.clone(), client).await {
        Ok(s) => {
            let to = match home_of(service::role_of(&s.user)) {
                // A customer account has no console.
                None => return Err(ConsoleError::Forbidden),
                Some(home) if next == "/console" => home.to_owned(),
                Some(_) => next.clone(),
            };
            let mut resp = Redirect::to(&to).into_response();
            let cookie = cookies::build(SESSION_COOKIE, session::cookie_value(&s), secure);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Err(e) => {
            let status = e.code.status();
            let retry = e.retry_after_secs;
            let mut resp = again(FormErrors::from_api(e)?, status)?;
            if let Some(secs) = retry
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(resp)
        }
    }
}

pub async fn logout(State(state): State<AppState>, req: Request) -> PageResult<Response> {
    if let Some(refresh) = session::refresh_token_of(req.headers()) {
        service::logout(&state, &refresh).await?;
    }
    let mut resp = Redirect::to("/console/login?done=signed_out").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookies::removal(SESSION_COOKIE)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

use axum::extract::FromRequest;
