//! The audit trail of marketing changes, newest first in cursor pages: who (by name and
//! email, not id), when, what, and the fields that changed as a table (field, before,
//! after). Filtered by the kind of entity, one entity's id, the actor (email or id) and
//! a range of Korean dates, the same filters as `GET /v1/marketing/audit`.

use super::parse_day;
use crate::cursor::Cursor;
use crate::error::PageResult;
use crate::form::FormErrors;
use crate::guard::{Ctx, MarketerSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use chrono::{NaiveDate, NaiveTime};
use platform::accounts::input::Email;
use platform::accounts::service;
use platform::error::FieldError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
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

/// One field of a change: its name and its value before and after (empty when absent).
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

pub struct Row {
    pub at: String,
    /// The actor's name and email; the id when the account is gone; empty for the system.
    pub actor: String,
    pub actor_email: String,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Uuid,
    pub changes: Vec<Change>,
}

#[derive(Template, WebTemplate)]
#[template(path = "marketer/audit.html")]
pub struct AuditPage {
    chrome: Chrome,
    entities: &'static [&'static str],
    entity: String,
    entity_id: String,
    actor: String,
    from: String,
    to: String,
    errors: FormErrors,
    rows: Vec<Row>,
    next: Option<String>,
}

impl AuditPage {
    /// The filters as a query string, for the next page's link.
    fn filters(&self) -> String {
        serde_urlencoded::to_string([
            ("entity", &self.entity),
            ("entity_id", &self.entity_id),
            ("actor", &self.actor),
            ("from", &self.from),
            ("to", &self.to),
        ])
        .unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    entity: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

/// A value as a person reads it: text without quotes, nothing for null, JSON otherwise.
fn readable(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "예".into(),
        Some(Value::Bool(false)) => "아니오".into(),
        Some(other) => other.to_string(),
    }
}

/// The fields whose value differs between `before` and `after` (every field of a
/// creation or a deletion), in name order; null and absent are the same.
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let fields = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
    let (b, a) = (fields(before), fields(after));
    let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let value =
        |m: &serde_json::Map<String, Value>, n: &str| m.get(n).filter(|v| !v.is_null()).cloned();
    names
        .into_iter()
        .filter(|n| value(&b, n) != value(&a, n))
        .map(|n| Change {
            field: n.clone(),
            before: readable(b.get(n)),
            after: readable(a.get(n)),
        })
        .collect()
}

/// A Korean date typed into a filter (none when left empty); a mistake is beside its
/// field.
fn date(errors: &mut FormErrors, field: &str, raw: &str) -> Option<NaiveDate> {
    if raw.trim().is_empty() {
        return None;
    }
    parse_day(field, raw).map_err(|e| errors.push(e)).ok()
}

pub async fn list(cx: Ctx<MarketerSession>, Query(q): Query<AuditQuery>) -> PageResult<AuditPage> {
    let db = &cx.state.db;
    let mut errors = FormErrors::default();
    let entity = q
        .entity
        .filter(|e| promotions::audit::ENTITIES.contains(&e.as_str()));
    // An id that is not one matches nothing rather than everything.
    let raw_id = q.entity_id.unwrap_or_default().trim().to_owned();
    let entity_id = (!raw_id.is_empty()).then(|| raw_id.parse::<Uuid>().unwrap_or(Uuid::nil()));
    let actor = q.actor.unwrap_or_default().trim().to_owned();
    // The actor is named by id or by e-mail; a name that is neither matches nothing.
    let actor_id = match actor.as_str() {
        "" => None,
        raw => match raw.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                let found = match Email::parse(raw, "actor") {
                    Ok(email) => service::find_by_email(db, &email).await?,
                    Err(_) => None,
                };
                if found.is_none() {
                    errors.push(FieldError::new("actor", "not_found", "no such account"));
                }
                Some(found.map_or(Uuid::nil(), |u| u.id))
            }
        },
    };
    let from_raw = q.from.unwrap_or_default();
    let to_raw = q.to.unwrap_or_default();
    let from = date(&mut errors, "from", &from_raw);
    let to = date(&mut errors, "to", &to_raw);
    let filter = promotions::audit::Filter {
        entity: entity.clone(),
        entity_id,
        actor_id,
        // Korean calendar days, both ends included.
        from: from.map(|d| promotions::seoul::instant(d, NaiveTime::MIN)),
        to: to
            .and_then(|d| d.succ_opt())
            .map(|d| promotions::seoul::instant(d, NaiveTime::MIN)),
    };
    let at = Cursor::of(q.cursor)?;
    let rows = if errors.is_empty() {
        promotions::audit::page(db, &filter, at.after, at.fetch()).await?
    } else {
        Vec::new()
    };
    let (rows, next) = at.split(rows, |a| a.id);
    let ids: Vec<Uuid> = rows
        .iter()
        .filter_map(|a| a.actor_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let who: HashMap<Uuid, (String, String)> = service::users_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.display_name, u.email)))
        .collect();
    Ok(AuditPage {
        chrome: cx.page.chrome("변경 기록"),
        entities: promotions::audit::ENTITIES,
        entity: entity.unwrap_or_default(),
        entity_id: raw_id,
        actor,
        from: from_raw.trim().to_owned(),
        to: to_raw.trim().to_owned(),
        errors,
        rows: rows
            .into_iter()
            .map(|a| {
                let (actor, actor_email) = match a.actor_id {
                    None => (String::new(), String::new()),
                    Some(id) => who
                        .get(&id)
                        .cloned()
                        .unwrap_or((id.to_string(), String::new())),
                };
                Row {
                    at: crate::fmt::kst_minute(&a.at),
                    actor,
                    actor_email,
                    role: role_label(&a.actor_role).to_owned(),
                    changes: changes(a.before.as_ref(), a.after.as_ref()),
                    action: a.action,
                    entity: entity_label(&a.entity).to_owned(),
                    entity_id: a.entity_id,
                }
            })
            .collect(),
        next,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_listed_readably() {
        let b = json!({"name": "설 기획전", "status": "draft", "discount": 10, "note": null});
        let a = json!({"name": "설 기획전", "status": "live", "discount": 15, "live": true});
        let c = super::changes(Some(&b), Some(&a));
        let rows: Vec<(&str, &str, &str)> = c
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("discount", "10", "15"),
                ("live", "", "예"),
                ("status", "draft", "live"),
            ]
        );
        assert_eq!(super::changes(None, Some(&json!({"x": "y"})))[0].after, "y");
        assert!(super::changes(None, None).is_empty());
    }
}
