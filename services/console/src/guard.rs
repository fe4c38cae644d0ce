//! Who may open which section. A page handler takes one of these extractors; without a
//! session the browser goes to the login page (and comes back), with the wrong role it
//! gets a 403 page. A vendor session is bound to its one vendor: every vendor page reads
//! and writes through `vendor_id` and nothing else.

use crate::error::ConsoleError;
use crate::layout::PageCtx;
use crate::session::CurrentUser;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use platform::AppState;
use platform::auth::{Principal, Role};
use uuid::Uuid;

fn signed_in(parts: &Parts) -> Result<Principal, ConsoleError> {
    match parts.extensions.get::<CurrentUser>() {
        Some(CurrentUser(Some(p))) => Ok(*p),
        _ => {
            // Come back to the page after signing in; a form post cannot be replayed, so
            // its page's section is the next best place.
            let next = if parts.method == Method::GET {
                crate::layout::original_uri(parts)
                    .path_and_query()
                    .map_or("/console".to_owned(), |p| p.as_str().to_owned())
            } else {
                "/console".to_owned()
            };
            Err(ConsoleError::SignIn { next })
        }
    }
}

fn with_role(parts: &Parts, allowed: &[Role]) -> Result<Principal, ConsoleError> {
    let p = signed_in(parts)?;
    if allowed.contains(&p.role) {
        Ok(p)
    } else {
        Err(ConsoleError::Forbidden)
    }
}

/// A vendor account with the vendor it is bound to.
#[derive(Debug, Clone, Copy)]
pub struct VendorSession {
    pub principal: Principal,
    pub vendor_id: Uuid,
}

impl<S: Send + Sync> FromRequestParts<S> for VendorSession {
    type Rejection = ConsoleError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ConsoleError> {
        let principal = with_role(parts, &[Role::Vendor])?;
        let vendor_id = principal.vendor_id.ok_or(ConsoleError::Forbidden)?;
        Ok(VendorSession {
            principal,
            vendor_id,
        })
    }
}

/// A marketer, or an admin (who may do everything a marketer does), as in the API.
#[derive(Debug, Clone, Copy)]
pub struct MarketerSession(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for MarketerSession {
    type Rejection = ConsoleError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ConsoleError> {
        with_role(parts, &[Role::Marketer, Role::Admin]).map(MarketerSession)
    }
}

/// An admin.
#[derive(Debug, Clone, Copy)]
pub struct AdminSession(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for AdminSession {
    type Rejection = ConsoleError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ConsoleError> {
        with_role(parts, &[Role::Admin]).map(AdminSession)
    }
}

/// What nearly every page handler takes: the app, the account the section's guard `G`
/// let in (checked first, as when the guard stood alone) and the page's frame. Path,
/// query and form are still taken apart, after it.
pub struct Ctx<G> {
    pub state: AppState,
    pub who: G,
    pub page: PageCtx,
}

impl<G> FromRequestParts<AppState> for Ctx<G>
where
    G: FromRequestParts<AppState, Rejection = ConsoleError> + Send,
{
    type Rejection = ConsoleError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let who = G::from_request_parts(parts, state).await?;
        let Ok(page) = PageCtx::from_request_parts(parts, state).await;
        Ok(Ctx {
            state: state.clone(),
            who,
            page,
        })
    }
}
