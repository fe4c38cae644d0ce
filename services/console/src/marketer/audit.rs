//! The audit trail of marketing changes (who, when, what, the row before and after),
//! newest first in cursor pages, filtered by the kind of entity and one entity's id.

use super::{cursor_of, next_cursor};
use crate::error::PageResult;
use crate::guard::MarketerSession;
use crate::layout::{Chrome, PageCtx};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use platform::AppState;
use serde::Deserialize;
use uuid::Uuid;

pub fn entity_label(e: &str) -> &'static str {
    match e {
        "campaign" => "기획전",
        "campaign_section" => "섹션",
        "campaign_price" => "기획전 가격",
        "campaign_application" => "참여 신청",
        "time_deal" => "타임딜",
        "coupon" => "쿠폰",
        "coupon_drop" => "선착순 발급",
        "stacking_policy" => "중복 할인 정책",
        _ => "",
    }
}

pub fn role_label(r: &str) -> &'static str {
    match r {
        "marketer" => "마케터",
        "admin" => "관리자",
        "vendor" => "판매자",
        "system" => "시스템",
        _ => "",
    }
}

pub struct Row {
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Uuid,
    pub before: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/audit.html")]
pub struct AuditPage {
    chrome: Chrome,
    entities: &'static [&'static str],
    entity: String,
    entity_id: String,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<String>,
    cursor: Option<String>,
}

fn pretty(v: Option<serde_json::Value>) -> String {
    v.map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
        .unwrap_or_default()
}

pub async fn list(
    State(state): State<AppState>,
    _m: MarketerSession,
    page: PageCtx,
    Query(q): Query<AuditQuery>,
) -> PageResult<AuditPage> {
    let entity = q
        .entity
        .filter(|e| promotions::audit::ENTITIES.contains(&e.as_str()));
    // An id that is not one matches nothing rather than everything.
    let raw_id = q.entity_id.unwrap_or_default();
    let entity_id = match raw_id.trim() {
        "" => None,
        s => Some(s.parse::<Uuid>().unwrap_or(Uuid::nil())),
    };
    let (before, limit) = cursor_of(q.cursor)?;
    let mut rows =
        promotions::audit::page(&state.db, entity.as_deref(), entity_id, before, limit + 1).await?;
    let next = next_cursor(&mut rows, limit, |a| a.id);
    Ok(AuditPage {
        chrome: page.chrome("변경 기록"),
        entities: promotions::audit::ENTITIES,
        entity: entity.unwrap_or_default(),
        entity_id: raw_id.trim().to_owned(),
        rows: rows
            .into_iter()
            .map(|a| Row {
                at: crate::fmt::kst_minute(&a.at),
                actor: a.actor_id.map(|i| i.to_string()).unwrap_or_default(),
                role: role_label(&a.actor_role).to_owned(),
                action: a.action,
                entity: entity_label(&a.entity).to_owned(),
                entity_id: a.entity_id,
                before: pretty(a.before),
                after: pretty(a.after),
            })
            .collect(),
        next,
    })
}
