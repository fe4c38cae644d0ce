//! The organisation context: a route under `/v1/organisations/{org_id}/…` that takes
//! [`OrgMember`] runs only for a member of that organisation, once it is approved. Anyone
//! else — another organisation's member, an unknown id — gets the same 404, so ids of
//! other organisations reveal nothing.

use super::service::{self, Organisation};
use super::{MemberRole, OrganisationStatus};
use crate::auth::{Authenticated, Principal};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::{FromRef, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use uuid::Uuid;

/// A member acting for an approved organisation.
#[derive(Debug, Clone)]
pub struct OrgMember {
    pub principal: Principal,
    pub organisation: Organisation,
    pub role: MemberRole,
}

impl OrgMember {
    pub fn organisation_id(&self) -> Uuid {
        self.organisation.id
    }

    /// Only approvers accept quotations and manage members.
    pub fn require_approver(&self) -> Result<(), ApiError> {
        if self.role == MemberRole::Approver {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::NotApprover))
        }
    }
}

/// The `org_id` of the matched path.
pub async fn path_org_id<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<Uuid, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::not_found("organisation"))?;
    params
        .iter()
        .find(|(k, _)| *k == "org_id")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| ApiError::not_found("organisation"))
}

impl<S> FromRequestParts<S> for OrgMember
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Authenticated(principal) = Authenticated::from_request_parts(parts, state).await?;
        let org_id = path_org_id(parts, state).await?;
        let app = AppState::from_ref(state);
        let (organisation, role) = service::membership(&app.db, org_id, principal.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("organisation"))?;
        if organisation.status != OrganisationStatus::Approved {
            return Err(ApiError::new(ErrorCode::OrganisationNotApproved));
        }
        Ok(OrgMember {
            principal,
            organisation,
            role,
        })
    }
}
