//! Products and variants, as their vendor manages them: draft → active → archived.

use crate::categories;
use crate::domain::html;
use crate::error::{CatalogError, CatalogResult, map_unique};
use crate::store::{category, product, variant, vendor};
use crate::topics::{self, OUTBOX};
use crate::vendors;
use chrono::Utc;
use platform::db::{find_owned, pg};
use platform::error::FieldError;
use platform::ids::new_id;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

pub use crate::domain::status::ProductStatus;
use platform::status::{StateMachine, Status};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVariant {
    /// Unique per vendor.
    pub sku: String,
    /// e.g. "1kg" or "선물세트 3호".
    pub name: String,
    /// Option values, e.g. {"중량": "1kg"}.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Won, VAT-inclusive, 1 to 100,000,000.
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub price: i64,
    /// The "was" price shown struck through: above `price`, at most 100,000,000.
    #[schema(minimum = 2, maximum = 100_000_000)]
    pub compare_at_price: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub stock: i32,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    pub title: String,
    /// HTML; stored sanitised.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub images: Vec<String>,
    pub category_id: Uuid,
    #[serde(default)]
    pub tags: Vec<String>,
    /// 원산지
    #[serde(default)]
    pub origin: String,
    /// 상품정보제공고시: field name → value.
    #[serde(default)]
    pub notice: BTreeMap<String, String>,
    #[serde(default)]
    pub withdrawal_restricted: bool,
    #[serde(default = "yes")]
    pub taxable: bool,
    #[schema(minimum = 1, maximum = 999)]
    pub max_per_order: Option<i32>,
    #[serde(default)]
    pub variants: Vec<NewVariant>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub images: Option<Vec<String>>,
    pub category_id: Option<Uuid>,
    pub tags: Option<Vec<String>>,
    pub origin: Option<String>,
    pub notice: Option<BTreeMap<String, String>>,
    pub withdrawal_restricted: Option<bool>,
    pub taxable: Option<bool>,
    #[schema(minimum = 1, maximum = 999)]
    pub max_per_order: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantUpdate {
    pub name: Option<String>,
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub price: Option<i64>,
    /// Above the price, at most 100,000,000.
    #[schema(minimum = 2, maximum = 100_000_000)]
    pub compare_at_price: Option<i64>,
    pub options: Option<BTreeMap<String, String>>,
}

fn check_title(errors: &mut Vec<FieldError>, title: &str) {
    let n = title.trim().chars().count();
    if n == 0 || n > 100 {
        errors.push(FieldError::new(
            "title",
            "invalid_length",
            "must be 1 to 100 characters",
        ));
    }
}

fn check_images(errors: &mut Vec<FieldError>, images: &[String]) {
    if images.len() > 20 {
        errors.push(FieldError::new("images", "too_many", "at most 20 images"));
    }
    for (i, url) in images.iter().enumerate() {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
            errors.push(FieldError::new(
                format!("images[{i}]"),
                "invalid_url",
                "must be an http(s) URL",
            ));
        }
    }
}

fn check_max(errors: &mut Vec<FieldError>, max: Option<i32>) {
    if max.is_some_and(|m| !(1..=999).contains(&m)) {
        errors.push(FieldError::new(
            "max_per_order",
            "out_of_range",
            "must be 1 to 999",
        ));
    }
}

pub fn check_variant(errors: &mut Vec<FieldError>, at: &str, v: &NewVariant) {
    let sku = v.sku.trim();
    if sku.is_empty() || sku.len() > 64 || sku.chars().any(char::is_whitespace) {
        errors.push(FieldError::new(
            format!("{at}sku"),
            "invalid_sku",
            "1 to 64 characters, no spaces",
        ));
    }
    if v.name.trim().is_empty() {
        errors.push(FieldError::new(
            format!("{at}name"),
            "required",
            "is required",
        ));
    }
    check_price(errors, at, v.price, v.compare_at_price);
    if !(0..=1_000_000).contains(&v.stock) {
        errors.push(FieldError::new(
            format!("{at}stock"),
            "out_of_range",
            "must be 0 to 1,000,000",
        ));
    }
}

/// The highest price (and "was" price) a variant may have, in won.
pub const MAX_PRICE: i64 = 100_000_000;

fn check_price(errors: &mut Vec<FieldError>, at: &str, price: i64, compare_at: Option<i64>) {
    if !(1..=MAX_PRICE).contains(&price) {
        errors.push(FieldError::new(
            format!("{at}price"),
            "out_of_range",
            "must be 1 to 100,000,000 won",
        ));
    }
    // A "was" price beyond any real price would advertise a discount that never was.
    if compare_at.is_some_and(|c| c > MAX_PRICE) {
        errors.push(FieldError::new(
            format!("{at}compare_at_price"),
            "out_of_range",
            "must be at most 100,000,000 won",
        ));
    } else if compare_at.is_some_and(|c| c <= price) {
        errors.push(FieldError::new(
            format!("{at}compare_at_price"),
            "not_above_price",
            "must be above the price",
        ));
    }
}

async fn ensure_category(db: &impl ConnectionTrait, id: Uuid) -> CatalogResult<()> {
    category::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| CatalogError::field("category_id", "not_found", "no such category"))
}

fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = tags
        .into_iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty() && t.chars().count() <= 30)
        .collect();
    out.sort();
    out.dedup();
    out.truncate(20);
    out
}

/// Create a draft product with its variants. Run in a transaction: a rejected variant
/// leaves nothing behind.
#[tracing::instrument(skip_all, fields(%vendor_id))]
pub async fn create(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    p: NewProduct,
) -> CatalogResult<product::Model> {
    let mut errors = Vec::new();
    check_title(&mut errors, &p.title);
    check_images(&mut errors, &p.images);
    check_max(&mut errors, p.max_per_order);
    for (i, v) in p.variants.iter().enumerate() {
        check_variant(&mut errors, &format!("variants[{i}]."), v);
    }
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    ensure_category(db, p.category_id).await?;
    let now = Utc::now();
    let prod = product::ActiveModel {
        id: Set(new_id()),
        vendor_id: Set(vendor_id),
        category_id: Set(p.category_id),
        title: Set(p.title.trim().to_owned()),
        description_html: Set(html::sanitize(&p.description)),
        images: Set(serde_json::json!(p.images)),
        tags: Set(clean_tags(p.tags)),
        origin: Set(p.origin.trim().to_owned()),
        notice: Set(serde_json::json!(p.notice)),
        withdrawal_restricted: Set(p.withdrawal_restricted),
        taxable: Set(p.taxable),
        max_per_order: Set(p.max_per_order),
        status: Set(ProductStatus::Draft.into()),
        min_price: Set(0),
        popularity: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
    }
    .insert(db)
    .await?;
    for (i, v) in p.variants.into_iter().enumerate() {
        insert_variant(db, &prod, v, i as i32).await?;
    }
    refresh_min_price(db, prod.id).await?;
    let prod = product::Entity::find_by_id(prod.id)
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("product"))?;
    product_changed(db, topics::PRODUCT_CREATED, prod.id, vendor_id).await?;
    Ok(prod)
}

async fn insert_variant(
    db: &impl ConnectionTrait,
    prod: &product::Model,
    v: NewVariant,
    position: i32,
) -> CatalogResult<variant::Model> {
    let now = Utc::now();
    let sku = v.sku.trim().to_owned();
    variant::ActiveModel {
        id: Set(new_id()),
        product_id: Set(prod.id),
        vendor_id: Set(prod.vendor_id),
        sku: Set(sku.clone()),
        name: Set(v.name.trim().to_owned()),
        options: Set(serde_json::json!(v.options)),
        price: Set(v.price),
        compare_at_price: Set(v.compare_at_price),
        on_hand: Set(v.stock),
        reserved: Set(0),
        position: Set(position),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| {
        map_unique(e, "variants_vendor_sku_key", || {
            CatalogError::SkuTaken(sku.clone())
        })
    })
}

pub async fn refresh_min_price(db: &impl ConnectionTrait, product_id: Uuid) -> CatalogResult<()> {
    db.execute_raw(pg(
        "UPDATE catalog.products SET min_price = COALESCE( \
            (SELECT min(price) FROM catalog.variants WHERE product_id = $1), 0) WHERE id = $1",
        [product_id.into()],
    ))
    .await?;
    Ok(())
}

/// One of the vendor's products, or `NotFound` (another vendor's product included).
pub(crate) async fn owned(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    id: Uuid,
) -> CatalogResult<product::Model> {
    find_owned::<product::Entity>(db, vendor_id, id)
        .await?
        .ok_or(CatalogError::NotFound("product"))
}

/// One of the vendor's variants, or `NotFound` (another vendor's variant included).
pub async fn owned_variant(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    id: Uuid,
) -> CatalogResult<variant::Model> {
    find_owned::<variant::Entity>(db, vendor_id, id)
        .await?
        .ok_or(CatalogError::NotFound("variant"))
}

pub async fn update(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    id: Uuid,
    up: ProductUpdate,
) -> CatalogResult<product::Model> {
    let prod = owned(db, vendor_id, id).await?;
    if prod.status == ProductStatus::Archived {
        return Err(CatalogError::IllegalTransition {
            action: "edit",
            state: prod.status,
        });
    }
    let mut errors = Vec::new();
    if let Some(t) = &up.title {
        check_title(&mut errors, t);
    }
    if let Some(i) = &up.images {
        check_images(&mut errors, i);
    }
    check_max(&mut errors, up.max_per_order);
    // Uploaded photos own `images`: they are reordered or deleted through their routes.
    if up.images.is_some() && crate::product_images::has_uploads(db, prod.id).await? {
        errors.push(FieldError::new(
            "images",
            "uploaded_images",
            "this product's images are uploaded photos: reorder or delete those instead",
        ));
    }
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    if let Some(c) = up.category_id {
        ensure_category(db, c).await?;
    }
    let was_active = prod.status == ProductStatus::Active;
    let mut am: product::ActiveModel = prod.into();
    if let Some(v) = up.title {
        am.title = Set(v.trim().to_owned());
    }
    if let Some(v) = up.description {
        am.description_html = Set(html::sanitize(&v));
    }
    if let Some(v) = up.images {
        am.images = Set(serde_json::json!(v));
    }
    if let Some(v) = up.category_id {
        am.category_id = Set(v);
    }
    if let Some(v) = up.tags {
        am.tags = Set(clean_tags(v));
    }
    if let Some(v) = up.origin {
        am.origin = Set(v.trim().to_owned());
    }
    if let Some(v) = up.notice {
        am.notice = Set(serde_json::json!(v));
    }
    if let Some(v) = up.withdrawal_restricted {
        am.withdrawal_restricted = Set(v);
    }
    if let Some(v) = up.taxable {
        am.taxable = Set(v);
    }
    if let Some(v) = up.max_per_order {
        am.max_per_order = Set(Some(v));
    }
    am.updated_at = Set(Utc::now());
    let prod = am.update(db).await?;
    // An active product must stay publishable.
    if was_active {
        check_publishable(db, &prod).await?;
    }
    product_changed(db, topics::PRODUCT_UPDATED, prod.id, vendor_id).await?;
    Ok(prod)
}

/// What publishing needs: an approved vendor, at least one variant, and every
/// 상품정보제공고시 field of the category filled.
async fn check_publishable(db: &impl ConnectionTrait, prod: &product::Model) -> CatalogResult<()> {
    let v = vendor::Entity::find_by_id(prod.vendor_id)
        .one(db)
        .await?
        .ok_or(CatalogError::NotFound("vendor"))?;
    if !vendors::is_selling(&v) {
        return Err(CatalogError::VendorNotApproved);
    }
    let mut errors = Vec::new();
    let variants = variant::Entity::find()
        .filter(variant::Column::ProductId.eq(prod.id))
        .count(db)
        .await?;
    if variants == 0 {
        errors.push(FieldError::new(
            "variants",
            "required",
            "add at least one variant",
        ));
    }
    let required = categories::required_notice_fields(db, prod.category_id).await?;
    for f in required {
        let filled = prod
            .notice
            .get(&f)
            .and_then(|v| v.as_str())
            .is_some_and(|s| !s.trim().is_empty());
        if !filled {
            errors.push(FieldError::new(
                format!("notice.{f}"),
                "required",
                "상품정보제공고시 field is required",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CatalogError::PublishIncomplete(errors))
    }
}

/// Whether `prod` must move to `to`: false when it is there already (a repeated call
/// changes nothing), an error when its state machine forbids the move.
fn must_move(
    prod: &product::Model,
    to: ProductStatus,
    action: &'static str,
) -> CatalogResult<bool> {
    if prod.status == to {
        return Ok(false);
    }
    if !ProductStatus::parse(&prod.status).is_some_and(|s| s.can_move_to(to)) {
        return Err(CatalogError::IllegalTransition {
            action,
            state: prod.status.clone(),
        });
    }
    Ok(true)
}

/// Tells the outbox that a vendor's product changed (search and the caches follow).
async fn product_changed(
    db: &impl ConnectionTrait,
    topic: &str,
    product_id: Uuid,
    vendor_id: Uuid,
) -> CatalogResult<()> {
    let payload = serde_json::json!({ "product_id": product_id, "vendor_id": vendor_id });
    OUTBOX.emit(db, topic, product_id, payload).await?;
    Ok(())
}

pub async fn publish(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    id: Uuid,
) -> CatalogResult<product::Model> {
    let prod = owned(db, vendor_id, id).await?;
    if !must_move(&prod, ProductStatus::Active, "publish")? {
        return Ok(prod);
    }
    check_publishable(db, &prod).await?;
    let mut am: product::ActiveModel = prod.into();
    am.status = Set(ProductStatus::Active.into());
    am.published_at = Set(Some(Utc::now()));
    am.updated_at = Set(Utc::now());
    let prod = am.update(db).await?;
    OUTBOX.emit(
        db,
        topics::PRODUCT_UPDATED,
        prod.id,
        serde_json::json!({ "product_id": prod.id, "vendor_id": vendor_id, "status": ProductStatus::Active }),
    )
    .await?;
    Ok(prod)
}

pub async fn archive(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    id: Uuid,
) -> CatalogResult<product::Model> {
    let prod = owned(db, vendor_id, id).await?;
    if !must_move(&prod, ProductStatus::Archived, "archive")? {
        return Ok(prod);
    }
    let mut am: product::ActiveModel = prod.into();
    am.status = Set(ProductStatus::Archived.into());
    am.updated_at = Set(Utc::now());
    let prod = am.update(db).await?;
    product_changed(db, topics::PRODUCT_ARCHIVED, prod.id, vendor_id).await?;
    Ok(prod)
}

pub async fn add_variant(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    product_id: Uuid,
    v: NewVariant,
) -> CatalogResult<variant::Model> {
    let prod = owned(db, vendor_id, product_id).await?;
    let mut errors = Vec::new();
    check_variant(&mut errors, "", &v);
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let position = variants_of(db, prod.id).await?.len() as i32;
    let var = insert_variant(db, &prod, v, position).await?;
    refresh_min_price(db, prod.id).await?;
    product_changed(db, topics::PRODUCT_UPDATED, prod.id, vendor_id).await?;
    Ok(var)
}

pub async fn update_variant(
    db: &impl ConnectionTrait,
    vendor_id: Uuid,
    variant_id: Uuid,
    up: VariantUpdate,
) -> CatalogResult<variant::Model> {
    let var = owned_variant(db, vendor_id, variant_id).await?;
    let mut errors = Vec::new();
    let price = up.price.unwrap_or(var.price);
    let compare = up.compare_at_price.or(var.compare_at_price);
    check_price(&mut errors, "", price, compare);
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let product_id = var.product_id;
    let mut am: variant::ActiveModel = var.into();
    if let Some(n) = up.name {
        am.name = Set(n.trim().to_owned());
    }
    if let Some(o) = up.options {
        am.options = Set(serde_json::json!(o));
    }
    am.price = Set(price);
    am.compare_at_price = Set(compare);
    am.updated_at = Set(Utc::now());
    let var = am.update(db).await?;
    refresh_min_price(db, product_id).await?;
    product_changed(db, topics::PRODUCT_UPDATED, product_id, vendor_id).await?;
    Ok(var)
}

pub async fn variants_of(
    db: &impl ConnectionTrait,
    product_id: Uuid,
) -> CatalogResult<Vec<variant::Model>> {
    Ok(variant::Entity::find()
        .filter(variant::Column::ProductId.eq(product_id))
        .order_by_asc(variant::Column::Position)
        .order_by_asc(variant::Column::Id)
        .all(db)
        .await?)
}
