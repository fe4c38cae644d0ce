//! What every page's frame needs (`templates/base.html`): the title, the CSRF token for
//! its forms and htmx requests, who is signed in, the role's navigation with the current
//! section marked, and a one-line notice after a successful action.
//!
//! Navigation lives here per role so that each section module only adds its entries.

use crate::csrf::CsrfToken;
use crate::session::CurrentUser;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use platform::auth::{Principal, Role};
use std::convert::Infallible;

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct Flash {
    /// `ok`, `warn` or `error` (a CSS class).
    pub kind: &'static str,
    pub text: &'static str,
}

pub struct Chrome {
    pub title: String,
    pub csrf: String,
    /// The signed-in account's role in Korean; `None` on the login and error pages.
    pub who: Option<&'static str>,
    pub nav: Vec<NavLink>,
    pub flash: Option<Flash>,
    pub css: &'static str,
    pub htmx: &'static str,
}

impl Chrome {
    /// The frame of a page shown to nobody in particular (errors).
    pub fn bare(title: &str) -> Chrome {
        Chrome {
            title: title.to_owned(),
            csrf: String::new(),
            who: None,
            nav: Vec::new(),
            flash: None,
            css: &crate::assets::CONSOLE_CSS.href,
            htmx: &crate::assets::HTMX_JS.href,
        }
    }
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Vendor => "판매자",
        Role::Marketer => "마케터",
        Role::Admin => "관리자",
        Role::Customer => "고객",
    }
}

/// The sections of each role's console, in menu order: (path, label).
pub fn nav_of(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Vendor => crate::vendor::NAV,
        Role::Marketer => crate::marketer::NAV,
        Role::Admin => crate::admin::NAV,
        Role::Customer => &[],
    }
}

/// The first page of a role's console.
pub fn home_of(role: Role) -> Option<&'static str> {
    nav_of(role).first().map(|(href, _)| *href)
}

/// The notice a redirect after a successful action asked for (`?done=key`): only these
/// fixed texts are ever shown, never text from the URL.
fn notice(done: &str) -> Option<Flash> {
    let text = match done {
        "created" => "만들었습니다.",
        "saved" => "저장했습니다.",
        "published" => "판매를 시작했습니다.",
        "archived" => "보관했습니다. 이 상품은 더 이상 팔리지 않습니다.",
        "stock" => "재고를 바꿨습니다.",
        "shipped" => "발송 처리했습니다.",
        "delivered" => "배송 완료로 바꿨습니다.",
        "accepted" => "반품을 승인했습니다. 환불이 진행됩니다.",
        "applied" => "참여 신청을 보냈습니다.",
        "submitted" => "제출했습니다. 관리자가 확인합니다.",
        "signed_out" => "로그아웃했습니다.",
        "scheduled" => "공개를 예약했습니다. 시작 시각에 진행됩니다.",
        "ended" => "기획전을 종료했습니다.",
        "approved" => "입점을 승인했습니다.",
        "rejected" => "입점 신청을 반려했습니다.",
        "uploaded" => "사진을 올렸습니다.",
        "deleted" => "삭제했습니다.",
        "app_approved" => "참여 신청을 승인했습니다. 기획전 가격이 생겼습니다.",
        "app_rejected" => "참여 신청을 반려했습니다.",
        "disabled" => "쿠폰 사용을 중지했습니다.",
        "issued" => "쿠폰을 발급했습니다.",
        "suspended" => "판매를 정지했습니다. 상품이 판매 화면에서 내려갔습니다.",
        "reinstated" => "정지를 풀었습니다. 상품이 다시 보입니다.",
        "penalty" => "벌점을 기록했습니다.",
        "verified" => "인증을 확인했습니다.",
        "org_approved" => "기관을 승인했습니다.",
        "org_rejected" => "기관 신청을 반려했습니다.",
        "payout_scheduled" => "지급을 승인했습니다.",
        "payout_paid" => "입금을 확인했습니다.",
        "payout_failed" => "지급 실패로 기록했습니다. 정산서가 다시 지급 대기로 돌아갑니다.",
        "held" => "지급을 보류했습니다.",
        "released" => "보류를 해제했습니다.",
        "cert_rejected" => "인증을 반려했습니다. 판매자에게 사유가 보입니다.",
        "category_saved" => "카테고리를 고쳤습니다.",
        "role_changed" => "역할을 바꿨습니다.",
        "account_disabled" => "계정 사용을 중지했습니다. 로그인한 곳에서 모두 로그아웃됩니다.",
        "account_enabled" => "계정을 다시 쓸 수 있게 했습니다.",
        "nothing_to_send" => {
            return Some(Flash {
                kind: "warn",
                text: "지급 예정인 건이 없습니다.",
            });
        }
        _ => return None,
    };
    Some(Flash { kind: "ok", text })
}

/// The URI the browser asked for (inside a nested router `parts.uri` has lost its prefix).
pub fn original_uri(parts: &Parts) -> axum::http::Uri {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone())
}

/// The request's side of the frame; a handler turns it into a [`Chrome`] with its title.
pub struct PageCtx {
    pub csrf: String,
    pub user: Option<Principal>,
    pub path: String,
    pub done: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        let CsrfToken(csrf) = CsrfToken::from_request_parts(parts, state).await?;
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        let uri = original_uri(parts);
        let done = uri.query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "done")
                .map(|(_, v)| v)
        });
        Ok(PageCtx {
            csrf,
            user,
            path: uri.path().to_owned(),
            done,
        })
    }
}

impl PageCtx {
    pub fn chrome(&self, title: &str) -> Chrome {
        let nav = self
            .user
            .map(|u| {
                let links = nav_of(u.role);
                // The longest matching prefix is the current section (the dashboard's
                // path is a prefix of every other).
                let current = links
                    .iter()
                    .filter(|(href, _)| {
                        self.path == *href || self.path.starts_with(&format!("{href}/"))
                    })
                    .max_by_key(|(href, _)| href.len())
                    .map(|(href, _)| *href);
                links
                    .iter()
                    .map(|(href, label)| NavLink {
                        href,
                        label,
                        current: Some(*href) == current,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let flash = self.done.as_deref().and_then(notice);
        Chrome {
            title: title.to_owned(),
            csrf: self.csrf.clone(),
            who: self.user.map(|u| role_label(u.role)),
            nav,
            flash,
            css: &crate::assets::CONSOLE_CSS.href,
            htmx: &crate::assets::HTMX_JS.href,
        }
    }
}
