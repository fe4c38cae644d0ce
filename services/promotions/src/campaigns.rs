//! Campaigns (기획전): draft → scheduled → live → ended, with sections of ordered product
//! slots and rule-based membership.
//!
//! Which prices are served is decided by the campaign's window at the instant of the
//! quote (see [`crate::live`]), never by `status`: the status column is what the
//! storefront shows and what events announce, flipped by [`crate::scheduler`].

use crate::audit::{self, Actor};
use crate::error::{PromotionsError, PromotionsResult, map_unique};
use crate::prices;
use crate::store::campaign;
use crate::topics::{self, OUTBOX};
use chrono::{DateTime, FixedOffset, Utc};
use platform::error::FieldError;
use platform::ids::new_id;
use platform::pagination::newest_first;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

pub use crate::states::CampaignStatus;
use crate::states::check_move;

/// Which products belong to a campaign besides its hand-placed slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MembershipRule {
    /// Products of this category or any of its descendants.
    Category {
        id: Uuid,
    },
    Vendor {
        id: Uuid,
    },
    Tag {
        tag: String,
    },
    /// Products of vendors with a valid certification badge (e.g. 인천 품질우수제품).
    Certified,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub title: String,
    /// Lowercase letters, digits and dashes; the page address `/v1/campaigns/{slug}`.
    pub slug: String,
    #[serde(default)]
    pub theme: String,
    #[serde(default)]
    pub description: String,
    pub banner_pc: Option<String>,
    pub banner_mobile: Option<String>,
    /// RFC 3339 with an offset, e.g. `2027-01-20T10:00:00+09:00` (Asia/Seoul).
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub membership: Vec<MembershipRule>,
    /// The vendor's share of the discount of the campaign's prices, in basis points from 0 (the platform funds it)
    /// to 10000 (the vendor does); absent: 10000. Recorded on each order's quote at checkout.
    #[schema(minimum = 0, maximum = 10000)]
    pub vendor_share_bp: Option<i32>,
}

/// Fields to change; absent fields stay. A live campaign may change everything but its
/// start and slug; an ended one nothing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignUpdate {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub theme: Option<String>,
    pub description: Option<String>,
    pub banner_pc: Option<String>,
    pub banner_mobile: Option<String>,
    pub starts_at: Option<DateTime<FixedOffset>>,
    pub ends_at: Option<DateTime<FixedOffset>>,
    pub membership: Option<Vec<MembershipRule>>,
    /// The vendor's share of the discount of the campaign's prices, 0 to 10000 basis
    /// points. Orders already placed keep the share they were quoted with.
    #[schema(minimum = 0, maximum = 10000)]
    pub vendor_share_bp: Option<i32>,
}

fn check_title(errors: &mut Vec<FieldError>, title: &str) {
    let n = title.trim().chars().count();
    if n == 0 || n > 100 {
        errors.push(FieldError::new(
            "title",
            "invalid_length",
            "give a title of 1 to 100 characters",
        ));
    }
}

fn check_slug(errors: &mut Vec<FieldError>, slug: &str) {
    let ok = !slug.is_empty()
        && slug.len() <= 80
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !ok {
        errors.push(FieldError::new(
            "slug",
            "invalid_slug",
            "use 1 to 80 lowercase letters, digits and single dashes",
        ));
    }
}

fn check_url(errors: &mut Vec<FieldError>, field: &str, url: Option<&str>) {
    if let Some(u) = url
        && (!(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2000)
    {
        errors.push(FieldError::new(field, "invalid_url", "give an http(s) URL"));
    }
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, text: &str, max: usize) {
    if text.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
}

/// A promotion's window must end after it starts: campaigns, time deals and coupons
/// alike, so they all refuse an empty window with the same field error.
pub(crate) fn check_window(
    errors: &mut Vec<FieldError>,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
) {
    if ends <= starts {
        errors.push(FieldError::new(
            "ends_at",
            "ends_before_start",
            "the end must be after the start",
        ));
    }
}

fn check_membership(errors: &mut Vec<FieldError>, rules: &[MembershipRule]) {
    if rules.len() > 20 {
        errors.push(FieldError::new(
            "membership",
            "too_many",
            "at most 20 rules",
        ));
    }
    for (i, r) in rules.iter().enumerate() {
        if let MembershipRule::Tag { tag } = r
            && (tag.trim().is_empty() || tag.chars().count() > 50)
        {
            errors.push(FieldError::new(
                format!("membership[{i}].tag"),
                "invalid_length",
                "give a tag of 1 to 50 characters",
            ));
        }
    }
}

fn membership_json(rules: &[MembershipRule]) -> serde_json::Value {
    serde_json::to_value(rules).unwrap_or_else(|_| json!([]))
}

pub fn membership_of(c: &campaign::Model) -> Vec<MembershipRule> {
    serde_json::from_value(c.membership.clone()).unwrap_or_default()
}

fn normalise_rules(rules: Vec<MembershipRule>) -> Vec<MembershipRule> {
    rules
        .into_iter()
        .map(|r| match r {
            MembershipRule::Tag { tag } => MembershipRule::Tag {
                tag: tag.trim().to_lowercase(),
            },
            other => other,
        })
        .collect()
}

fn slug_taken(slug: &str) -> PromotionsError {
    PromotionsError::Conflict(format!("a campaign with slug `{slug}` already exists"))
}

pub use crate::sections::{
    NewSection, SectionUpdate, SectionWithSlots, add_section, delete_section, reorder_sections,
    sections, update_section,
};
pub use crate::store::campaign::{get, get_for_update};

pub async fn by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> PromotionsResult<Option<campaign::Model>> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// A new campaign, as a draft.
#[tracing::instrument(skip_all, fields(slug = %new.slug))]
pub async fn create(
    db: &impl ConnectionTrait,
    actor: Actor,
    new: NewCampaign,
) -> PromotionsResult<campaign::Model> {
    let starts = new.starts_at.with_timezone(&Utc);
    let ends = new.ends_at.with_timezone(&Utc);
    let mut errors = Vec::new();
    check_title(&mut errors, &new.title);
    check_slug(&mut errors, &new.slug);
    check_text(&mut errors, "theme", &new.theme, 100);
    check_text(&mut errors, "description", &new.description, 5000);
    check_url(&mut errors, "banner_pc", new.banner_pc.as_deref());
    check_url(&mut errors, "banner_mobile", new.banner_mobile.as_deref());
    check_window(&mut errors, starts, ends);
    check_membership(&mut errors, &new.membership);
    crate::funding::check(&mut errors, new.vendor_share_bp);
    if !errors.is_empty() {
        return Err(PromotionsError::Invalid(errors));
    }
    let now = Utc::now();
    let slug = new.slug.clone();
    let c = campaign::ActiveModel {
        id: Set(new_id()),
        title: Set(new.title.trim().to_owned()),
        slug: Set(new.slug),
        theme: Set(new.theme.trim().to_owned()),
        description: Set(new.description),
        banner_pc: Set(new.banner_pc),
        banner_mobile: Set(new.banner_mobile),
        starts_at: Set(starts),
        ends_at: Set(ends),
        status: Set(CampaignStatus::Draft.into()),
        ended_early_at: Set(None),
        membership: Set(membership_json(&normalise_rules(new.membership))),
        vendor_share_bp: Set(new
            .vendor_share_bp
            .unwrap_or(crate::funding::DEFAULT_PROMOTION_BP)),
        created_by: Set(actor.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| map_unique(e, "campaigns_slug_key", || slug_taken(&slug)))?;
    audit::log(db, actor, "campaign.create", None, Some(&c)).await?;
    Ok(c)
}

/// Change a campaign. Moving the window of a published campaign re-checks that its prices
/// contradict no other campaign's.
#[tracing::instrument(skip_all, fields(campaign_id = %id))]
pub async fn update(
    db: &impl ConnectionTrait,
    actor: Actor,
    id: Uuid,
    upd: CampaignUpdate,
    now: DateTime<Utc>,
) -> PromotionsResult<campaign::Model> {
    let before = get_for_update(db, id).await?;
    if before.status == CampaignStatus::Ended {
        return Err(PromotionsError::IllegalTransition {
            action: "change a campaign",
            state: "it has ended".into(),
        });
    }
    let live_now = before.status != CampaignStatus::Draft && before.starts_at <= now;
    let mut errors = Vec::new();
    if let Some(t) = &upd.title {
        check_title(&mut errors, t);
    }
    if let Some(s) = &upd.slug {
        check_slug(&mut errors, s);
        if live_now && *s != before.slug {
            errors.push(FieldError::new(
                "slug",
                "immutable",
                "the address of a running campaign cannot change",
            ));
        }
    }
    if let Some(t) = &upd.theme {
        check_text(&mut errors, "theme", t, 100);
    }
    if let Some(d) = &upd.description {
        check_text(&mut errors, "description", d, 5000);
    }
    check_url(&mut errors, "banner_pc", upd.banner_pc.as_deref());
    check_url(&mut errors, "banner_mobile", upd.banner_mobile.as_deref());
    let starts = upd
        .starts_at
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(before.starts_at);
    let ends = upd
        .ends_at
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(before.ends_at);
    if live_now && starts != before.starts_at {
        errors.push(FieldError::new(
            "starts_at",
            "immutable",
            "a running campaign cannot change its start",
        ));
    }
    if live_now && upd.ends_at.is_some() && ends <= now {
        errors.push(FieldError::new(
            "ends_at",
            "in_the_past",
            "to stop a running campaign now, end it early",
        ));
    }
    check_window(&mut errors, starts, ends);
    if let Some(m) = &upd.membership {
        check_membership(&mut errors, m);
    }
    crate::funding::check(&mut errors, upd.vendor_share_bp);
    if !errors.is_empty() {
        return Err(PromotionsError::Invalid(errors));
    }
    let window_moved = starts != before.starts_at || ends != before.ends_at;
    let mut am = before.clone().into_active_model();
    if let Some(t) = upd.title {
        am.title = Set(t.trim().to_owned());
    }
    let slug = upd.slug.clone().unwrap_or_else(|| before.slug.clone());
    if let Some(s) = upd.slug {
        am.slug = Set(s);
    }
    if let Some(t) = upd.theme {
        am.theme = Set(t.trim().to_owned());
    }
    if let Some(d) = upd.description {
        am.description = Set(d);
    }
    if let Some(b) = upd.banner_pc {
        am.banner_pc = Set(Some(b));
    }
    if let Some(b) = upd.banner_mobile {
        am.banner_mobile = Set(Some(b));
    }
    if let Some(m) = upd.membership {
        am.membership = Set(membership_json(&normalise_rules(m)));
    }
    if let Some(bp) = upd.vendor_share_bp {
        am.vendor_share_bp = Set(bp);
    }
    am.starts_at = Set(starts);
    am.ends_at = Set(ends);
    am.updated_at = Set(now);
    let after = am
        .update(db)
        .await
        .map_err(|e| map_unique(e, "campaigns_slug_key", || slug_taken(&slug)))?;
    if window_moved && after.status != CampaignStatus::Draft {
        prices::check_campaign(db, &after).await?;
    }
    audit::log(db, actor, "campaign.update", Some(&before), Some(&after)).await?;
    changed(db, &after).await?;
    Ok(after)
}

/// Tells the outbox that a campaign, its sections or its membership changed.
pub(crate) async fn changed(
    db: &impl ConnectionTrait,
    c: &campaign::Model,
) -> PromotionsResult<()> {
    let payload = json!({ "campaign_id": c.id, "slug": c.slug });
    OUTBOX
        .emit(db, topics::CAMPAIGN_CHANGED, c.id, payload)
        .await?;
    Ok(())
}

/// Load a campaign and lock its row, refusing `action` unless its status may move to `to`.
async fn get_for_move(
    db: &impl ConnectionTrait,
    id: Uuid,
    to: CampaignStatus,
    action: &'static str,
) -> PromotionsResult<campaign::Model> {
    let c = get_for_update(db, id).await?;
    check_move("campaign", &c.status, to, action)?;
    Ok(c)
}

/// draft → scheduled: the campaign is published and will go live at its start. Its prices
/// are checked against every other published campaign first.
#[tracing::instrument(skip_all, fields(campaign_id = %id))]
pub async fn schedule(
    db: &impl ConnectionTrait,
    actor: Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> PromotionsResult<campaign::Model> {
    let before = get_for_move(db, id, CampaignStatus::Scheduled, "schedule").await?;
    if before.ends_at <= now {
        return Err(PromotionsError::field(
            "ends_at",
            "in_the_past",
            "the campaign would already be over",
        ));
    }
    let mut am = before.clone().into_active_model();
    am.status = Set(CampaignStatus::Scheduled.into());
    am.updated_at = Set(now);
    let after = am.update(db).await?;
    prices::check_campaign(db, &after).await?;
    audit::log(db, actor, "campaign.schedule", Some(&before), Some(&after)).await?;
    OUTBOX.emit(
        db,
        topics::CAMPAIGN_SCHEDULED,
        id,
        json!({ "campaign_id": id, "slug": after.slug, "starts_at": after.starts_at, "ends_at": after.ends_at }),
    )
    .await?;
    Ok(after)
}

/// End a scheduled or live campaign now: its window closes at `now`, so its prices stop
/// at once, whatever the scheduler is doing.
#[tracing::instrument(skip_all, fields(campaign_id = %id))]
pub async fn end_early(
    db: &impl ConnectionTrait,
    actor: Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> PromotionsResult<campaign::Model> {
    let before = get_for_move(db, id, CampaignStatus::Ended, "end early").await?;
    if before.ends_at <= now {
        return Err(PromotionsError::IllegalTransition {
            action: "end early",
            state: "the campaign is already over".into(),
        });
    }
    let mut am = before.clone().into_active_model();
    am.status = Set(CampaignStatus::Ended.into());
    am.ends_at = Set(now);
    am.ended_early_at = Set(Some(now));
    am.updated_at = Set(now);
    let after = am.update(db).await?;
    audit::log(db, actor, "campaign.end_early", Some(&before), Some(&after)).await?;
    OUTBOX
        .emit(
            db,
            topics::CAMPAIGN_ENDED,
            id,
            json!({ "campaign_id": id, "slug": after.slug, "early": true }),
        )
        .await?;
    Ok(after)
}

/// A campaign's title and window, as reports name and measure it.
#[derive(Debug, Clone)]
pub struct CampaignWindow {
    pub id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    /// When it ended early, that instant.
    pub ends_at: DateTime<Utc>,
}

/// The titles and windows of the campaigns in `ids` (unknown ids are left out).
pub async fn windows(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> PromotionsResult<Vec<CampaignWindow>> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| CampaignWindow {
            id: c.id,
            title: c.title,
            starts_at: c.starts_at,
            ends_at: c.ended_early_at.unwrap_or(c.ends_at).min(c.ends_at),
        })
        .collect())
}

/// Campaigns newest first, drafts included, optionally of one status: `limit` of them
/// after the campaign `after` (a cursor page fetches `limit + 1` to learn whether there is
/// more). The marketers' list in the API and in the console.
pub async fn page(
    db: &impl ConnectionTrait,
    status: Option<String>,
    after: Option<Uuid>,
    limit: u64,
) -> PromotionsResult<Vec<campaign::Model>> {
    let mut q = campaign::Entity::find();
    if let Some(s) = status {
        q = q.filter(campaign::Column::Status.eq(s));
    }
    Ok(newest_first(db, q, campaign::Column::Id, after, limit).await?)
}
