//! The category tree, managed by admins.

use crate::error::{CatalogError, CatalogResult, map_unique};
use crate::store::category;
use crate::topics::{self, OUTBOX};
use chrono::Utc;
use platform::ids::new_id;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub slug: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    /// Display order among its siblings, smallest first.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within::<_, _, 0, 10_000>"
    )]
    #[schema(minimum = 0, maximum = 10_000)]
    pub position: i32,
    /// 상품정보제공고시 fields required to publish a product here (inherited by children
    /// when empty).
    #[serde(default)]
    pub notice_fields: Vec<String>,
}

pub async fn create(db: &impl ConnectionTrait, c: NewCategory) -> CatalogResult<category::Model> {
    let slug = c.slug.trim().to_lowercase();
    if slug.is_empty()
        || !slug
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
    {
        return Err(CatalogError::field(
            "slug",
            "invalid_slug",
            "use a-z, 0-9 and -",
        ));
    }
    if c.name.trim().is_empty() {
        return Err(CatalogError::field("name", "required", "is required"));
    }
    let ancestors = match c.parent_id {
        None => Vec::new(),
        Some(pid) => {
            let parent = category::Entity::find_by_id(pid)
                .one(db)
                .await?
                .ok_or_else(|| CatalogError::field("parent_id", "not_found", "no such category"))?;
            let mut a = parent.ancestors.clone();
            a.push(parent.id);
            a
        }
    };
    let m = category::ActiveModel {
        id: Set(new_id()),
        parent_id: Set(c.parent_id),
        ancestors: Set(ancestors),
        slug: Set(slug),
        name: Set(c.name.trim().to_owned()),
        position: Set(c.position),
        notice_fields: Set(c.notice_fields),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| {
        map_unique(e, "categories_slug_key", || {
            CatalogError::field("slug", "slug_taken", "another category has this slug")
        })
    })?;
    changed(db, m).await
}

/// Announce `m` as changed (the storefront's category caches follow the event), in the
/// caller's transaction.
async fn changed(db: &impl ConnectionTrait, m: category::Model) -> CatalogResult<category::Model> {
    let payload = serde_json::json!({ "category_id": m.id });
    OUTBOX
        .emit(db, topics::CATEGORY_CHANGED, m.id, payload)
        .await?;
    Ok(m)
}

/// A category's editable fields, all at once (its slug stays: it is in storefront URLs).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    pub name: String,
    /// The new parent (none: a top-level category); never the category itself or one
    /// of its descendants (422 `category_cycle`).
    pub parent_id: Option<Uuid>,
    /// Display order among its siblings, smallest first.
    #[serde(deserialize_with = "platform::bounds::within::<_, _, 0, 10_000>")]
    #[schema(minimum = 0, maximum = 10_000)]
    pub position: i32,
    /// 상품정보제공고시 fields required to publish a product here (inherited by children
    /// when empty).
    #[serde(default)]
    pub notice_fields: Vec<String>,
}

/// Rename, reorder, move or re-define a category's notice fields. A move rewrites the
/// ancestor path of the category and of every category under it, in the caller's
/// transaction; the row is locked first so two concurrent moves cannot build a cycle
/// between them.
pub async fn update(
    db: &impl ConnectionTrait,
    id: Uuid,
    c: CategoryChange,
) -> CatalogResult<category::Model> {
    let current = category::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("category"))?;
    let name = c.name.trim();
    if name.is_empty() {
        return Err(CatalogError::field("name", "required", "is required"));
    }
    let ancestors = match c.parent_id {
        None => Vec::new(),
        Some(pid) => {
            let parent = category::Entity::find_by_id(pid)
                .lock_shared()
                .one(db)
                .await?
                .ok_or_else(|| CatalogError::field("parent_id", "not_found", "no such category"))?;
            if parent.id == id || parent.ancestors.contains(&id) {
                return Err(CatalogError::CategoryCycle);
            }
            let mut a = parent.ancestors;
            a.push(parent.id);
            a
        }
    };
    if ancestors != current.ancestors {
        // Each descendant keeps its path below this category and takes the new path
        // above it (`ancestors[k:]` starts at this category's own id).
        db.execute_raw(platform::db::pg(
            "UPDATE catalog.categories \
             SET ancestors = $1::uuid[] || ancestors[array_position(ancestors, $2):] \
             WHERE $2 = ANY(ancestors)",
            [ancestors.clone().into(), id.into()],
        ))
        .await?;
    }
    let mut am: category::ActiveModel = current.into();
    am.name = Set(name.to_owned());
    am.parent_id = Set(c.parent_id);
    am.ancestors = Set(ancestors);
    am.position = Set(c.position);
    am.notice_fields = Set(c
        .notice_fields
        .into_iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect());
    let m = am.update(db).await?;
    changed(db, m).await
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategoryNode {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

pub async fn tree(db: &impl ConnectionTrait) -> CatalogResult<Vec<CategoryNode>> {
    let all = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?;
    fn build(all: &[category::Model], parent: Option<Uuid>) -> Vec<CategoryNode> {
        all.iter()
            .filter(|c| c.parent_id == parent)
            .map(|c| CategoryNode {
                id: c.id,
                slug: c.slug.clone(),
                name: c.name.clone(),
                children: build(all, Some(c.id)),
            })
            .collect()
    }
    Ok(build(&all, None))
}

/// The notice fields a product in `category_id` must fill: the nearest ones defined on
/// the category or its ancestors.
pub async fn required_notice_fields(
    db: &impl ConnectionTrait,
    category_id: Uuid,
) -> CatalogResult<Vec<String>> {
    let c = category::Entity::find_by_id(category_id)
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("category"))?;
    if !c.notice_fields.is_empty() {
        return Ok(c.notice_fields);
    }
    for ancestor in c.ancestors.iter().rev() {
        if let Some(a) = category::Entity::find_by_id(*ancestor).one(db).await?
            && !a.notice_fields.is_empty()
        {
            return Ok(a.notice_fields);
        }
    }
    Ok(Vec::new())
}
