//! The sections of a campaign (기획전): titled, ordered groups of hand-placed product
//! slots, edited while the campaign has not ended.

use crate::audit::{self, Actor};
use crate::campaigns::changed;
use crate::error::{PromotionsError, PromotionsResult};
use crate::store::campaign::{get_for_update, refuse_ended};
use crate::store::{section, slot};
use chrono::Utc;
use platform::ids::new_id;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSection {
    /// e.g. 베스트, 신상품, 선물세트
    pub title: String,
    /// Display order, smallest first.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within::<_, _, 0, 10_000>"
    )]
    #[schema(minimum = 0, maximum = 10_000)]
    pub position: i32,
    /// Products in display order.
    #[serde(default)]
    pub product_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionUpdate {
    pub title: Option<String>,
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 10_000>"
    )]
    #[schema(minimum = 0, maximum = 10_000)]
    pub position: Option<i32>,
    /// Replaces the slots, in display order.
    pub product_ids: Option<Vec<Uuid>>,
}

/// A section with its product ids in slot order.
#[derive(Debug, Clone, Serialize)]
pub struct SectionWithSlots {
    pub section: section::Model,
    pub product_ids: Vec<Uuid>,
}

fn check_section_title(title: &str) -> PromotionsResult<()> {
    let n = title.trim().chars().count();
    if n == 0 || n > 50 {
        return Err(PromotionsError::field(
            "title",
            "invalid_length",
            "give a title of 1 to 50 characters",
        ));
    }
    Ok(())
}

async fn check_products_exist(db: &impl ConnectionTrait, ids: &[Uuid]) -> PromotionsResult<()> {
    if ids.len() > 200 {
        return Err(PromotionsError::field(
            "product_ids",
            "too_many",
            "at most 200 products per section",
        ));
    }
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    if unique.len() != ids.len() {
        return Err(PromotionsError::field(
            "product_ids",
            "duplicate",
            "a product appears twice",
        ));
    }
    let found = catalog::listing::existing_products(db, &unique).await?;
    if found.len() != unique.len() {
        let missing: Vec<String> = unique
            .iter()
            .filter(|id| !found.contains(id))
            .map(Uuid::to_string)
            .collect();
        return Err(PromotionsError::field(
            "product_ids",
            "unknown_product",
            format!("no such products: {}", missing.join(", ")),
        ));
    }
    Ok(())
}

async fn put_slots(
    db: &impl ConnectionTrait,
    section_id: Uuid,
    product_ids: &[Uuid],
) -> PromotionsResult<()> {
    slot::Entity::delete_many()
        .filter(slot::Column::SectionId.eq(section_id))
        .exec(db)
        .await?;
    if product_ids.is_empty() {
        return Ok(());
    }
    slot::Entity::insert_many(
        product_ids
            .iter()
            .enumerate()
            .map(|(i, p)| slot::ActiveModel {
                section_id: Set(section_id),
                product_id: Set(*p),
                position: Set(i as i32),
            }),
    )
    .exec(db)
    .await?;
    Ok(())
}

async fn slots_of(db: &impl ConnectionTrait, section_id: Uuid) -> PromotionsResult<Vec<Uuid>> {
    Ok(slot::Entity::find()
        .filter(slot::Column::SectionId.eq(section_id))
        .order_by_asc(slot::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.product_id)
        .collect())
}

/// Sections of a campaign in display order, with their slots.
pub async fn sections(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> PromotionsResult<Vec<SectionWithSlots>> {
    let secs = section::Entity::find()
        .filter(section::Column::CampaignId.eq(campaign_id))
        .order_by_asc(section::Column::Position)
        .order_by_asc(section::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = secs.iter().map(|s| s.id).collect();
    let slots = slot::Entity::find()
        .filter(slot::Column::SectionId.is_in(ids))
        .order_by_asc(slot::Column::Position)
        .all(db)
        .await?;
    Ok(secs
        .into_iter()
        .map(|s| SectionWithSlots {
            product_ids: slots
                .iter()
                .filter(|x| x.section_id == s.id)
                .map(|x| x.product_id)
                .collect(),
            section: s,
        })
        .collect())
}

pub async fn add_section(
    db: &impl ConnectionTrait,
    actor: Actor,
    campaign_id: Uuid,
    new: NewSection,
) -> PromotionsResult<SectionWithSlots> {
    let c = get_for_update(db, campaign_id).await?;
    refuse_ended(&c, "add a section")?;
    check_section_title(&new.title)?;
    check_products_exist(db, &new.product_ids).await?;
    let s = section::ActiveModel {
        id: Set(new_id()),
        campaign_id: Set(campaign_id),
        title: Set(new.title.trim().to_owned()),
        position: Set(new.position),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    put_slots(db, s.id, &new.product_ids).await?;
    let out = SectionWithSlots {
        section: s,
        product_ids: new.product_ids,
    };
    audit::log(db, actor, "section.create", None, Some(&out)).await?;
    changed(db, &c).await?;
    Ok(out)
}

async fn section_of(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    section_id: Uuid,
) -> PromotionsResult<section::Model> {
    section::Entity::find_by_id(section_id)
        .filter(section::Column::CampaignId.eq(campaign_id))
        .one(db)
        .await?
        .ok_or(PromotionsError::NotFound("section"))
}

pub async fn update_section(
    db: &impl ConnectionTrait,
    actor: Actor,
    campaign_id: Uuid,
    section_id: Uuid,
    upd: SectionUpdate,
) -> PromotionsResult<SectionWithSlots> {
    let c = get_for_update(db, campaign_id).await?;
    refuse_ended(&c, "change a section")?;
    let s = section_of(db, campaign_id, section_id).await?;
    let before = SectionWithSlots {
        product_ids: slots_of(db, s.id).await?,
        section: s.clone(),
    };
    let mut am = s.into_active_model();
    if let Some(t) = &upd.title {
        check_section_title(t)?;
        am.title = Set(t.trim().to_owned());
    }
    if let Some(p) = upd.position {
        am.position = Set(p);
    }
    let s = am.update(db).await?;
    if let Some(ids) = &upd.product_ids {
        check_products_exist(db, ids).await?;
        put_slots(db, s.id, ids).await?;
    }
    let after = SectionWithSlots {
        product_ids: slots_of(db, s.id).await?,
        section: s,
    };
    audit::log(db, actor, "section.update", Some(&before), Some(&after)).await?;
    changed(db, &c).await?;
    Ok(after)
}

/// The new display order of a campaign's sections: `section_ids` must name each of its
/// sections exactly once (a stale or partial list from a second editor is refused rather
/// than half-applied); they take positions 0, 1, 2… in that order.
pub async fn reorder_sections(
    db: &impl ConnectionTrait,
    actor: Actor,
    campaign_id: Uuid,
    section_ids: &[Uuid],
) -> PromotionsResult<Vec<SectionWithSlots>> {
    let c = get_for_update(db, campaign_id).await?;
    refuse_ended(&c, "reorder the sections")?;
    let before = sections(db, campaign_id).await?;
    let mut have: Vec<Uuid> = before.iter().map(|s| s.section.id).collect();
    let mut given = section_ids.to_vec();
    have.sort();
    given.sort();
    if have != given {
        return Err(PromotionsError::field(
            "section_ids",
            "not_the_sections",
            "list each of the campaign's sections exactly once",
        ));
    }
    for (i, id) in section_ids.iter().enumerate() {
        section::Entity::update_many()
            .col_expr(
                section::Column::Position,
                sea_orm::sea_query::Expr::value(i as i32),
            )
            .filter(section::Column::Id.eq(*id))
            .exec(db)
            .await?;
    }
    let after = sections(db, campaign_id).await?;
    // The trail keeps the orders themselves: which section stood where, before and after.
    let order = |v: &[SectionWithSlots]| v.iter().map(|s| s.section.id).collect::<Vec<_>>();
    audit::record(
        db,
        actor,
        "section.reorder",
        "campaign",
        campaign_id,
        Some(&order(&before)),
        Some(&order(&after)),
    )
    .await?;
    changed(db, &c).await?;
    Ok(after)
}

pub async fn delete_section(
    db: &impl ConnectionTrait,
    actor: Actor,
    campaign_id: Uuid,
    section_id: Uuid,
) -> PromotionsResult<()> {
    let c = get_for_update(db, campaign_id).await?;
    refuse_ended(&c, "delete a section")?;
    let s = section_of(db, campaign_id, section_id).await?;
    let before = SectionWithSlots {
        product_ids: slots_of(db, s.id).await?,
        section: s.clone(),
    };
    section::Entity::delete_by_id(s.id).exec(db).await?;
    audit::log(db, actor, "section.delete", Some(&before), None).await?;
    changed(db, &c).await?;
    Ok(())
}
