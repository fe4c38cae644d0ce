//! Buyer organisations (공공·기관 구매, schema `accounts`): a public institution or a
//! company applies with its business identity, an admin approves it, and its members buy
//! for it — a buyer asks for quotations, an approver accepts them. A member acts for an
//! organisation only through an explicit organisation context (`/v1/organisations/{org_id}/…`,
//! checked by [`member::OrgMember`]); everyone else gets a 404, so organisation A never
//! learns what B has.
//!
//! Each organisation has a credit line for paying by invoice (후불): orders take credit with
//! one conditional update ([`credit::take`]) inside the order's transaction, so concurrent
//! orders can never pass the limit; a recorded transfer gives it back.

pub mod credit;
pub mod http;
pub mod member;
pub mod service;

pub use http::router;

use crate::text_status;

text_status! {
    /// What kind of buyer an organisation is; public institutions are counted in the
    /// public-purchase disclosure (공시).
    pub enum OrganisationKind {
        PublicInstitution = "public_institution",
        Company = "company",
    }
}

text_status! {
    /// Where an organisation's application stands.
    pub enum OrganisationStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

impl crate::status::StateMachine for OrganisationStatus {
    fn can_move_to(self, to: Self) -> bool {
        matches!(
            (self, to),
            (
                OrganisationStatus::Pending,
                OrganisationStatus::Approved | OrganisationStatus::Rejected
            )
        )
    }
}

text_status! {
    /// What a member may do for the organisation: a buyer asks for quotations; an
    /// approver also accepts them (placing the order) and manages members.
    pub enum MemberRole {
        Buyer = "buyer",
        Approver = "approver",
    }
}
