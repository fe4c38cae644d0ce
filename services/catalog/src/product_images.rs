//! A vendor's photos of its own product: upload (checked, upright, metadata-free, one file
//! per size), list, reorder, delete. The photos, in the vendor's order, are also the
//! product's `images` (their medium size), so every storefront read that shows a
//! product's picture shows them; while a product has uploaded photos its `images` cannot
//! be set by hand.

use crate::error::{CatalogError, CatalogResult};
use crate::image_prep::{self, Prepared, Rejection, Size};
use crate::media::Media;
use crate::products::{self, ProductStatus};
use crate::store::{product, product_image};
use crate::topics::{self, OUTBOX};
use chrono::Utc;
use platform::ids::new_id;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most photos one product has (as many as `images` may hold).
pub const MAX_PER_PRODUCT: u64 = 20;

/// One served size of a photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImageFile {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// An uploaded product photo and the sizes it is served in (JPEG, EXIF removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductImage {
    pub id: Uuid,
    /// 0 is the cover.
    pub position: i32,
    /// At most 300 px on its longest side.
    pub thumb: ImageFile,
    /// At most 800 px: the size in the product's `images`.
    pub medium: ImageFile,
    /// At most 1600 px.
    pub large: ImageFile,
}

/// The new order of a product's photos: every one of its photo ids, once, cover first.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageOrder {
    pub image_ids: Vec<Uuid>,
}

/// The object-store key of one size of a photo.
pub fn key(product_id: Uuid, image_id: Uuid, size: Size) -> String {
    format!("products/{product_id}/{image_id}/{}.jpg", size.name())
}

pub fn view(m: &product_image::Model) -> ProductImage {
    let file = |size: Size| {
        let (width, height) =
            image_prep::fit(m.width.max(1) as u32, m.height.max(1) as u32, size.bound());
        ImageFile {
            url: format!("{}/{}", m.base_url, key(m.product_id, m.id, size)),
            width,
            height,
        }
    };
    ProductImage {
        id: m.id,
        position: m.position,
        thumb: file(Size::Thumb),
        medium: file(Size::Medium),
        large: file(Size::Large),
    }
}

impl From<Rejection> for CatalogError {
    fn from(r: Rejection) -> Self {
        CatalogError::Image(r)
    }
}

async fn rows(
    db: &impl ConnectionTrait,
    product_id: Uuid,
) -> CatalogResult<Vec<product_image::Model>> {
    Ok(product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .order_by_asc(product_image::Column::Position)
        .order_by_asc(product_image::Column::Id)
        .all(db)
        .await?)
}

/// The photos of any product, cover first (storefront reads check visibility themselves).
pub async fn of_product(
    db: &impl ConnectionTrait,
    product_id: Uuid,
) -> CatalogResult<Vec<ProductImage>> {
    Ok(rows(db, product_id).await?.iter().map(view).collect())
}

/// Whether `product_id` has uploaded photos (then its `images` follow them).
pub async fn has_uploads(db: &impl ConnectionTrait, product_id: Uuid) -> CatalogResult<bool> {
    Ok(product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .count(db)
        .await?
        > 0)
}

/// The vendor's product, locked for a change to its photos; another vendor's is not
/// found, an archived one cannot change.
async fn lock_owned(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    id: Uuid,
) -> CatalogResult<product::Model> {
    let p = product::Entity::find_by_id(id)
        .filter(product::Column::VendorId.eq(vendor_id))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("product"))?;
    if p.status == ProductStatus::Archived {
        return Err(CatalogError::IllegalTransition {
            action: "change images",
            state: p.status,
        });
    }
    Ok(p)
}

/// The vendor's photos of its product (404 for another vendor's).
pub async fn list(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    product_id: Uuid,
) -> CatalogResult<Vec<ProductImage>> {
    products::owned(db, vendor_id, product_id).await?;
    of_product(db, product_id).await
}

/// Number the photos 0.. in `order`, make them the product's `images`, and tell the
/// storefront's caches and the search index.
async fn renumber(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    prod: product::Model,
    order: &[product_image::Model],
) -> CatalogResult<Vec<ProductImage>> {
    let mut out = Vec::with_capacity(order.len());
    for (i, row) in order.iter().enumerate() {
        let pos = i as i32;
        let row = if row.position == pos {
            row.clone()
        } else {
            let mut am: product_image::ActiveModel = row.clone().into();
            am.position = Set(pos);
            am.update(db).await?
        };
        out.push(view(&row));
    }
    let urls: Vec<&str> = out.iter().map(|i| i.medium.url.as_str()).collect();
    let product_id = prod.id;
    let mut am: product::ActiveModel = prod.into();
    am.images = Set(serde_json::json!(urls));
    am.updated_at = Set(Utc::now());
    am.update(db).await?;
    OUTBOX
        .emit(
            db,
            topics::PRODUCT_UPDATED,
            product_id,
            serde_json::json!({ "product_id": product_id, "vendor_id": vendor_id }),
        )
        .await?;
    Ok(out)
}

/// Check, prepare and store a photo for the vendor's product; it goes last. The files are
/// written before the row, and removed again when the row cannot be written.
#[tracing::instrument(skip_all, fields(%vendor_id, %product_id, bytes = upload.len()))]
pub async fn upload(
    db: &DatabaseConnection,
    media: &Media,
    vendor_id: Uuid,
    product_id: Uuid,
    upload: bytes::Bytes,
) -> CatalogResult<ProductImage> {
    // Cheap refusals first: not this vendor's product, or full already.
    lock_owned(db, vendor_id, product_id).await?;
    if product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .count(db)
        .await?
        >= MAX_PER_PRODUCT
    {
        return Err(too_many());
    }
    let max = media.max_upload_bytes();
    let prepared: Prepared = tokio::task::spawn_blocking(move || image_prep::prepare(&upload, max))
        .await
        .map_err(|e| CatalogError::Storage(format!("image worker: {e}")))??;
    let id = new_id();
    for f in &prepared.files {
        if let Err(e) = media
            .put(&key(product_id, id, f.size), f.jpeg.clone(), "image/jpeg")
            .await
        {
            remove_files(media, product_id, id).await;
            return Err(CatalogError::Storage(e.to_string()));
        }
    }
    match insert(db, media, vendor_id, product_id, id, &prepared).await {
        Ok(img) => Ok(img),
        Err(e) => {
            remove_files(media, product_id, id).await;
            Err(e)
        }
    }
}

fn too_many() -> CatalogError {
    CatalogError::field(
        "file",
        "too_many",
        format!("a product has at most {MAX_PER_PRODUCT} images"),
    )
}

async fn insert(
    db: &DatabaseConnection,
    media: &Media,
    vendor_id: Uuid,
    product_id: Uuid,
    id: Uuid,
    prepared: &Prepared,
) -> CatalogResult<ProductImage> {
    let txn = db.begin().await?;
    // Locked: two uploads at once take their places one after the other.
    let prod = lock_owned(&txn, vendor_id, product_id).await?;
    let mut all = rows(&txn, product_id).await?;
    if all.len() as u64 >= MAX_PER_PRODUCT {
        return Err(too_many());
    }
    let row = product_image::ActiveModel {
        id: Set(id),
        product_id: Set(product_id),
        position: Set(all.len() as i32),
        width: Set(prepared.width as i32),
        height: Set(prepared.height as i32),
        base_url: Set(media.public_url().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    all.push(row);
    let views = renumber(&txn, vendor_id, prod, &all).await?;
    txn.commit().await?;
    views
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(CatalogError::NotFound("image"))
}

/// Put the product's photos in `order` (each of its photos exactly once).
pub async fn reorder(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    product_id: Uuid,
    order: ImageOrder,
) -> CatalogResult<Vec<ProductImage>> {
    let prod = lock_owned(db, vendor_id, product_id).await?;
    let mut all = rows(db, product_id).await?;
    let mut wanted = order.image_ids.clone();
    wanted.sort_unstable();
    wanted.dedup();
    let mut have: Vec<Uuid> = all.iter().map(|r| r.id).collect();
    have.sort_unstable();
    if wanted != have || order.image_ids.len() != all.len() {
        return Err(CatalogError::field(
            "image_ids",
            "not_a_permutation",
            "list every image of the product exactly once",
        ));
    }
    all.sort_by_key(|r| order.image_ids.iter().position(|id| *id == r.id));
    renumber(db, vendor_id, prod, &all).await
}

/// Remove a photo from the vendor's product; its files are deleted after the commit (see
/// [`remove_files`]). Returns what is left.
pub async fn delete(
    db: &DatabaseConnection,
    media: &Media,
    vendor_id: Uuid,
    product_id: Uuid,
    image_id: Uuid,
) -> CatalogResult<Vec<ProductImage>> {
    let txn = db.begin().await?;
    let prod = lock_owned(&txn, vendor_id, product_id).await?;
    let mut all = rows(&txn, product_id).await?;
    let Some(at) = all.iter().position(|r| r.id == image_id) else {
        return Err(CatalogError::NotFound("image"));
    };
    let gone = all.remove(at);
    product_image::Entity::delete_by_id(gone.id)
        .exec(&txn)
        .await?;
    let left = renumber(&txn, vendor_id, prod, &all).await?;
    txn.commit().await?;
    remove_files(media, product_id, image_id).await;
    Ok(left)
}

/// Best effort: a file left behind is unreachable (no row names it) and only costs disk;
/// the failure is logged.
async fn remove_files(media: &Media, product_id: Uuid, image_id: Uuid) {
    for size in Size::ALL {
        if let Err(e) = media.delete(&key(product_id, image_id, size)).await {
            tracing::warn!(%product_id, %image_id, error = %e, "could not delete an image file");
        }
    }
}
