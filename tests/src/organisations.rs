//! Buyer-organisation fixtures: an organisation applied for through the API by its first
//! approver and approved by an admin, and more members.

use crate::fixtures::business_number;
use crate::{Client, TestApp};
use platform::auth::Role;
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

static SEED: AtomicU32 = AtomicU32::new(500_001);

pub struct Org {
    pub id: Uuid,
    /// Logged in as the organisation's first approver.
    pub approver: Client,
    pub approver_id: Uuid,
}

/// A fresh application body of `kind` with a valid business number.
pub fn application(kind: &str, name: &str) -> serde_json::Value {
    let seed = SEED.fetch_add(104_729, Ordering::Relaxed) + std::process::id();
    json!({
        "kind": kind,
        "name": name,
        "business_number": business_number(seed),
        "representative": "홍길동",
        "address": "인천광역시 남동구 정각로 29",
        "tax_invoice_email": "tax@example.go.kr",
    })
}

impl TestApp {
    /// An approved organisation of `kind` (`public_institution` or `company`).
    pub async fn organisation(&self, kind: &str, name: &str, credit_limit: i64) -> Org {
        let (approver, approver_id) = self.account(Role::Customer, None).await;
        let applied = approver
            .post("/v1/organisations", &application(kind, name))
            .await;
        assert_eq!(applied.status, 201, "{}", applied.body);
        let id: Uuid = serde_json::from_value(applied.json["id"].clone()).expect("id");
        let (admin, _) = self.account(Role::Admin, None).await;
        let approved = admin
            .post(
                &format!("/v1/admin/organisations/{id}/approve"),
                &json!({"credit_limit": credit_limit}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.body);
        Org {
            id,
            approver,
            approver_id,
        }
    }

    /// A new account made a member of `org` with `role`, logged in.
    pub async fn org_member(&self, org: &Org, role: &str) -> (Client, Uuid) {
        let (client, user_id) = self.account(Role::Customer, None).await;
        let me = client.get("/v1/me").await;
        let put = org
            .approver
            .put(
                &format!("/v1/organisations/{}/members", org.id),
                &json!({"email": me.json["email"], "role": role}),
            )
            .await;
        assert_eq!(put.status, 200, "{}", put.body);
        (client, user_id)
    }
}

impl Org {
    /// `/v1/organisations/{id}`, then `/{rest}` unless `rest` is empty.
    pub fn path(&self, rest: &str) -> String {
        match rest {
            "" => format!("/v1/organisations/{}", self.id),
            _ => format!("/v1/organisations/{}/{rest}", self.id),
        }
    }

    /// `GET` [`Org::path`] as the first approver.
    pub async fn get(&self, rest: &str) -> crate::Reply {
        self.approver.get(&self.path(rest)).await
    }

    /// `POST` [`Org::path`] as the first approver.
    pub async fn post(&self, rest: &str, body: &serde_json::Value) -> crate::Reply {
        self.approver.post(&self.path(rest), body).await
    }
}
