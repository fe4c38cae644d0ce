//! What a console page answers when it cannot do what was asked: a page in Korean, never a
//! problem+json body. Domain errors arrive as `platform::ApiError` (every domain crate
//! converts its error into it in one place), so the console shows the same outcome the
//! JSON API gives; forms show field errors beside their fields instead (see `form`).

use crate::layout::Chrome;
use crate::messages;
use askama::Template;
use askama_web::WebTemplate;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use platform::ApiError;

#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in: to the login page, coming back to `next` afterwards.
    SignIn {
        next: String,
    },
    /// Signed in with a role that may not see this section.
    Forbidden,
    NotFound,
    /// The CSRF token is missing or wrong.
    Csrf,
    TooLarge,
    Api(ApiError),
}

pub type PageResult<T> = Result<T, ConsoleError>;

impl From<ApiError> for ConsoleError {
    fn from(e: ApiError) -> Self {
        if e.code.status() == StatusCode::NOT_FOUND {
            ConsoleError::NotFound
        } else {
            ConsoleError::Api(e)
        }
    }
}

impl From<sea_orm::DbErr> for ConsoleError {
    #[track_caller]
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::from(e).into()
    }
}

// The domain crates' errors, through the `ApiError` each converts into, so that `?` on
// a domain result in a handler gives the same outcome as the JSON API.
impl From<catalog::error::CatalogError> for ConsoleError {
    #[track_caller]
    fn from(e: catalog::error::CatalogError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<promotions::PromotionsError> for ConsoleError {
    #[track_caller]
    fn from(e: promotions::PromotionsError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<settlements::error::SettlementsError> for ConsoleError {
    #[track_caller]
    fn from(e: settlements::error::SettlementsError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: String,
    message: String,
}

fn page(status: StatusCode, heading: &str, message: String) -> Response {
    let chrome = Chrome::bare(heading);
    let body = ErrorPage {
        chrome,
        heading: heading.to_owned(),
        message,
    };
    (status, body).into_response()
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match self {
            ConsoleError::SignIn { next } => {
                let to = format!("/console/login?next={}", encode(&next));
                // htmx follows redirects inside the swap; HX-Redirect makes it load the
                // login page as a whole.
                let mut resp = Redirect::to(&to).into_response();
                if let Ok(v) = to.parse() {
                    resp.headers_mut().insert("hx-redirect", v);
                }
                resp
            }
            ConsoleError::Forbidden => page(
                StatusCode::FORBIDDEN,
                "권한이 없습니다",
                "이 계정의 역할로는 이 화면을 열 수 없습니다.".into(),
            ),
            ConsoleError::NotFound => page(
                StatusCode::NOT_FOUND,
                "찾을 수 없습니다",
                "없는 화면이거나, 이 계정이 볼 수 없는 항목입니다.".into(),
            ),
            ConsoleError::Csrf => page(
                StatusCode::FORBIDDEN,
                "보안 확인에 실패했습니다",
                "페이지를 새로 고친 뒤 다시 시도해 주세요.".into(),
            ),
            ConsoleError::TooLarge => page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "파일이 너무 큽니다",
                "더 작은 파일로 다시 시도해 주세요.".into(),
            ),
            ConsoleError::Api(e) => {
                let status = e.code.status();
                if status.is_server_error() {
                    tracing::error!(code = e.code.code(), source = ?e.source, "console request failed");
                }
                let mut resp = page(
                    status,
                    messages::problem_title(e.code),
                    messages::problem_detail(&e),
                );
                if let Some(secs) = e.retry_after_secs
                    && let Ok(v) = secs.to_string().parse()
                {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                resp
            }
        }
    }
}

/// Percent-encode a path for a query parameter.
pub fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}
