//! The demo Incheon shop: categories, local vendors with their certifications and
//! penalty records, and their products, from `data/demo-catalog.json`. Existing rows
//! (matched by slug and business number) are left alone, so seeding twice is harmless.

use crate::categories::{self, NewCategory};
use crate::products::{self, NewProduct, NewVariant};
use crate::store::{category, certification, penalty, vendor};
use crate::vendors;
use chrono::{NaiveDate, Utc};
use platform::ApiError;
use platform::ids::new_id;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

const DEMO_CATALOG: &str = include_str!("../data/demo-catalog.json");

#[derive(Deserialize)]
struct Demo {
    categories: Vec<Cat>,
    vendors: Vec<Vend>,
}

#[derive(Deserialize)]
struct Cat {
    slug: String,
    name: String,
    #[serde(default)]
    notice_fields: Vec<String>,
    #[serde(default)]
    children: Vec<Cat>,
}

#[derive(Deserialize)]
struct Shipping {
    base_fee: i64,
    free_threshold: Option<i64>,
}

#[derive(Deserialize)]
struct Cert {
    kind: String,
    class: String,
    number: String,
    issued_on: NaiveDate,
    expires_on: NaiveDate,
}

#[derive(Deserialize)]
struct Penalty {
    reason: String,
    severity: i32,
}

#[derive(Deserialize)]
struct Vend {
    key: String,
    trade_name: String,
    representative: String,
    business_number: String,
    mail_order_number: Option<String>,
    mail_order_exemption: Option<String>,
    postal_code: String,
    address: String,
    address_detail: String,
    cs_phone: String,
    cs_email: String,
    bank_name: String,
    bank_account_number: String,
    bank_account_holder: String,
    story: String,
    status: String,
    shipping: Shipping,
    #[serde(default)]
    certifications: Vec<Cert>,
    #[serde(default)]
    penalties: Vec<Penalty>,
    products: Vec<Prod>,
}

#[derive(Deserialize)]
struct Var {
    name: String,
    #[serde(default)]
    options: BTreeMap<String, String>,
    price: i64,
    compare_at_price: Option<i64>,
    stock: i32,
}

#[derive(Deserialize)]
struct Prod {
    sku_prefix: String,
    title: String,
    description: String,
    category: String,
    tags: Vec<String>,
    origin: String,
    taxable: bool,
    withdrawal_restricted: bool,
    max_per_order: Option<i32>,
    notice: BTreeMap<String, String>,
    status: String,
    variants: Vec<Var>,
}

pub struct Seeded {
    pub vendors: usize,
    pub products: usize,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("{e}"))
}

async fn seed_categories(
    db: &DatabaseConnection,
    cats: &[Cat],
    parent: Option<Uuid>,
) -> Result<BTreeMap<String, Uuid>, ApiError> {
    let mut ids = BTreeMap::new();
    for c in cats {
        let existing = category::Entity::find()
            .filter(category::Column::Slug.eq(&c.slug))
            .one(db)
            .await?;
        let id = match existing {
            Some(e) => e.id,
            None => {
                let txn = db.begin().await?;
                let m = categories::create(
                    &txn,
                    NewCategory {
                        slug: c.slug.clone(),
                        name: c.name.clone(),
                        parent_id: parent,
                        position: ids.len() as i32,
                        notice_fields: c.notice_fields.clone(),
                    },
                )
                .await?;
                txn.commit().await?;
                m.id
            }
        };
        ids.insert(c.slug.clone(), id);
        ids.extend(Box::pin(seed_categories(db, &c.children, Some(id))).await?);
    }
    Ok(ids)
}

/// Seed the demo catalog. `owner(i, key, vendor_id)` gives the id of the account that
/// runs the `i`-th demo vendor (its `key` names it in the demo data), creating it when
/// needed; the first vendor gets the id `first_vendor_id`, the others ids derived from
/// their business numbers.
pub async fn seed<F, Fut>(
    db: &DatabaseConnection,
    first_vendor_id: Uuid,
    mut owner: F,
) -> Result<Seeded, ApiError>
where
    F: FnMut(usize, String, Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<Uuid, ApiError>>,
{
    let demo: Demo = serde_json::from_str(DEMO_CATALOG).map_err(internal)?;
    let cats = seed_categories(db, &demo.categories, None).await?;
    let mut seeded = Seeded {
        vendors: 0,
        products: 0,
    };
    for (i, v) in demo.vendors.iter().enumerate() {
        if vendor::Entity::find()
            .filter(vendor::Column::BusinessNumber.eq(&v.business_number))
            .one(db)
            .await?
            .is_some()
        {
            continue;
        }
        // The first vendor is the one the demo vendor login runs.
        // Ids are derived from the business number so that a re-run after a failure
        // finds the account already bound to the same vendor.
        let vendor_id = if i == 0 {
            first_vendor_id
        } else {
            let bn: u128 = v.business_number.parse().map_err(internal)?;
            Uuid::from_u128(first_vendor_id.as_u128() & !0xffff_ffff_ffff_u128 | bn)
        };
        let owner_id = owner(i, v.key.clone(), vendor_id).await?;
        let txn = db.begin().await?;
        let now = Utc::now();
        // Inserted approved so its products can be published; the real status is set
        // at the end (a suspended vendor's products exist but do not show).
        vendor::ActiveModel {
            id: Set(vendor_id),
            owner_user_id: Set(owner_id),
            trade_name: Set(v.trade_name.clone()),
            representative: Set(v.representative.clone()),
            business_number: Set(v.business_number.clone()),
            mail_order_number: Set(v.mail_order_number.clone()),
            mail_order_exemption: Set(v.mail_order_exemption.clone()),
            postal_code: Set(v.postal_code.clone()),
            address: Set(v.address.clone()),
            address_detail: Set(v.address_detail.clone()),
            cs_phone: Set(v.cs_phone.clone()),
            cs_email: Set(v.cs_email.clone()),
            bank_name: Set(v.bank_name.clone()),
            bank_account_number: Set(v.bank_account_number.clone()),
            bank_account_holder: Set(v.bank_account_holder.clone()),
            story: Set(v.story.clone()),
            status: Set(vendors::VendorStatus::Approved.into()),
            status_reason: Set(None),
            shipping_base_fee: Set(v.shipping.base_fee),
            shipping_free_threshold: Set(v.shipping.free_threshold),
            created_at: Set(now),
            updated_at: Set(now),
            approved_at: Set(Some(now)),
        }
        .insert(&txn)
        .await?;
        for c in &v.certifications {
            certification::ActiveModel {
                id: Set(new_id()),
                vendor_id: Set(vendor_id),
                kind: Set(c.kind.clone()),
                class: Set(c.class.clone()),
                number: Set(c.number.clone()),
                issued_on: Set(c.issued_on),
                expires_on: Set(c.expires_on),
                verified_at: Set(Some(now)),
                verified_by: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        for p in &v.products {
            let category_id = *cats
                .get(&p.category)
                .ok_or_else(|| internal(format!("unknown category {}", p.category)))?;
            let created = products::create(
                &txn,
                vendor_id,
                NewProduct {
                    title: p.title.clone(),
                    description: p.description.clone(),
                    images: vec![format!(
                        "https://img.jikgu.kr/demo/{}.jpg",
                        p.sku_prefix.to_lowercase()
                    )],
                    category_id,
                    tags: p.tags.clone(),
                    origin: p.origin.clone(),
                    notice: p.notice.clone(),
                    withdrawal_restricted: p.withdrawal_restricted,
                    taxable: p.taxable,
                    max_per_order: p.max_per_order,
                    variants: p
                        .variants
                        .iter()
                        .enumerate()
                        .map(|(j, var)| NewVariant {
                            sku: format!("{}-{}", p.sku_prefix, j + 1),
                            name: var.name.clone(),
                            options: var.options.clone(),
                            price: var.price,
                            compare_at_price: var.compare_at_price,
                            stock: var.stock,
                        })
                        .collect(),
                },
            )
            .await?;
            if p.status == "active" {
                products::publish(&txn, vendor_id, created.id).await?;
            }
            seeded.products += 1;
        }
        for pen in &v.penalties {
            penalty::ActiveModel {
                id: Set(new_id()),
                vendor_id: Set(vendor_id),
                reason: Set(pen.reason.clone()),
                strikes: Set(pen.severity.max(1)),
                created_by: Set(owner_id),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        if v.status != vendors::VendorStatus::Approved {
            let mut am: vendor::ActiveModel = vendor::Entity::find_by_id(vendor_id)
                .one(&txn)
                .await?
                .ok_or_else(|| internal("vendor vanished"))?
                .into();
            am.status = Set(v.status.clone());
            am.approved_at = Set(None);
            am.status_reason = Set(v.penalties.first().map(|p| p.reason.clone()));
            am.update(&txn).await?;
        }
        txn.commit().await?;
        seeded.vendors += 1;
    }
    Ok(seeded)
}
