//! Bulk import of products from CSV, the way small vendors keep their lists.
//!
//! One row per variant; rows with the same `product_key` make one product. Columns:
//! `product_key,title,category,description,tags,origin,taxable,withdrawal_restricted,
//! max_per_order,images,sku,variant_name,price,compare_at_price,stock`, plus any number of
//! `notice.<field>` columns (상품정보제공고시). Lists inside a cell are `|`-separated.
//!
//! Each product is written in its own transaction: a product with any bad row is not
//! written at all, and the report names every rejected row and why; the other products
//! are created.

use crate::error::CatalogError;
use crate::products::{self, NewProduct, NewVariant};
use crate::store::category;
use platform::error::FieldError;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

pub const MAX_ROWS: usize = 5_000;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowReport {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    pub product_key: String,
    pub ok: bool,
    pub product_id: Option<Uuid>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub products_created: usize,
    pub products_rejected: usize,
    pub rows: Vec<RowReport>,
}

struct Row {
    line: usize,
    fields: BTreeMap<String, String>,
}

impl Row {
    fn get(&self, k: &str) -> &str {
        self.fields.get(k).map(String::as_str).unwrap_or("").trim()
    }
}

fn list(s: &str) -> Vec<String> {
    s.split('|')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A yes/no cell; `default` when it is empty or (reported against `field`) says neither.
fn flag(errors: &mut Vec<FieldError>, field: &str, s: &str, default: bool) -> bool {
    match s.to_ascii_lowercase().as_str() {
        "" => default,
        "true" | "yes" | "y" | "1" | "예" => true,
        "false" | "no" | "n" | "0" | "아니오" => false,
        _ => {
            errors.push(FieldError::new(field, "not_a_flag", "use true or false"));
            default
        }
    }
}

fn number<T: std::str::FromStr>(errors: &mut Vec<FieldError>, field: &str, s: &str) -> Option<T> {
    if s.is_empty() {
        return None;
    }
    // Prices are often typed with thousands separators: 15,900.
    let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '₩').collect();
    match cleaned.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "not_a_number",
                format!("{s:?} is not a number"),
            ));
            None
        }
    }
}

fn variant_of(row: &Row, errors: &mut Vec<FieldError>) -> NewVariant {
    let price = number::<i64>(errors, "price", row.get("price"));
    if price.is_none() && !errors.iter().any(|e| e.field == "price") {
        errors.push(FieldError::new("price", "required", "is required"));
    }
    NewVariant {
        sku: row.get("sku").to_owned(),
        name: row.get("variant_name").to_owned(),
        options: BTreeMap::new(),
        price: price.unwrap_or(0),
        compare_at_price: number(errors, "compare_at_price", row.get("compare_at_price")),
        stock: number(errors, "stock", row.get("stock")).unwrap_or(0),
    }
}

pub async fn import<C>(
    db: &C,
    vendor_id: Uuid,
    csv_text: &str,
) -> Result<ImportReport, CatalogError>
where
    C: ConnectionTrait + TransactionTrait,
{
    import_with_progress(db, vendor_id, csv_text, |_, _| {}).await
}

/// [`import`], telling `progress(rows_done, rows_total)` after the file is read and after
/// each product (a page shows it while a large file runs).
pub async fn import_with_progress<C>(
    db: &C,
    vendor_id: Uuid,
    csv_text: &str,
    progress: impl Fn(usize, usize),
) -> Result<ImportReport, CatalogError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(csv_text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| CatalogError::field("file", "invalid_csv", e.to_string()))?
        .clone();
    for needed in [
        "product_key",
        "title",
        "category",
        "sku",
        "variant_name",
        "price",
    ] {
        if !headers.iter().any(|h| h == needed) {
            return Err(CatalogError::field(
                "file",
                "missing_column",
                format!("the header needs a {needed} column"),
            ));
        }
    }
    // Group rows by product, keeping file order.
    let mut groups: Vec<(String, Vec<Row>)> = Vec::new();
    let mut parse_errors: Vec<RowReport> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        if i >= MAX_ROWS {
            return Err(CatalogError::field(
                "file",
                "too_many_rows",
                format!("at most {MAX_ROWS} rows"),
            ));
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                parse_errors.push(RowReport {
                    line,
                    product_key: String::new(),
                    ok: false,
                    product_id: None,
                    errors: vec![FieldError::new("row", "invalid_csv", e.to_string())],
                });
                continue;
            }
        };
        let fields: BTreeMap<String, String> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_owned(), v.to_owned()))
            .collect();
        let row = Row { line, fields };
        let key = row.get("product_key").to_owned();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((key, vec![row])),
        }
    }

    let total = parse_errors.len() + groups.iter().map(|(_, rows)| rows.len()).sum::<usize>();
    let mut done = parse_errors.len();
    progress(done, total);
    let mut report = ImportReport {
        products_created: 0,
        products_rejected: 0,
        rows: parse_errors,
    };
    for (key, rows) in groups {
        done += rows.len();
        let outcome = import_product(db, vendor_id, &key, &rows).await;
        match outcome {
            Ok(id) => {
                report.products_created += 1;
                report.rows.extend(rows.iter().map(|r| RowReport {
                    line: r.line,
                    product_key: key.clone(),
                    ok: true,
                    product_id: Some(id),
                    errors: vec![],
                }));
            }
            Err(per_row) => {
                report.products_rejected += 1;
                report
                    .rows
                    .extend(rows.iter().zip(per_row).map(|(r, errors)| RowReport {
                        line: r.line,
                        product_key: key.clone(),
                        ok: false,
                        product_id: None,
                        errors,
                    }));
            }
        }
        progress(done, total);
    }
    report.rows.sort_by_key(|r| r.line);
    Ok(report)
}

/// Create one product from its rows in a transaction of its own, or report per row why
/// not (rows that were fine themselves say the product was rejected).
async fn import_product<C>(
    db: &C,
    vendor_id: Uuid,
    key: &str,
    rows: &[Row],
) -> Result<Uuid, Vec<Vec<FieldError>>>
where
    C: ConnectionTrait + TransactionTrait,
{
    let first = &rows[0];
    let mut product_errors = Vec::new();
    if key.is_empty() {
        product_errors.push(FieldError::new("product_key", "required", "is required"));
    }
    let taxable = flag(&mut product_errors, "taxable", first.get("taxable"), true);
    let restricted = flag(
        &mut product_errors,
        "withdrawal_restricted",
        first.get("withdrawal_restricted"),
        false,
    );
    let max_per_order = number(
        &mut product_errors,
        "max_per_order",
        first.get("max_per_order"),
    );
    let category_slug = first.get("category").to_lowercase();
    let category_id = match category::Entity::find()
        .filter(category::Column::Slug.eq(&category_slug))
        .one(db)
        .await
    {
        Ok(Some(c)) => Some(c.id),
        Ok(None) => {
            product_errors.push(FieldError::new(
                "category",
                "not_found",
                format!("no category {category_slug:?}"),
            ));
            None
        }
        Err(e) => {
            product_errors.push(FieldError::new("category", "lookup_failed", e.to_string()));
            None
        }
    };
    let mut per_row: Vec<Vec<FieldError>> = Vec::new();
    let mut variants = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut errs = if i == 0 {
            product_errors.clone()
        } else {
            Vec::new()
        };
        let v = variant_of(row, &mut errs);
        products::check_variant(&mut errs, "", &v);
        errs.dedup_by(|a, b| a.field == b.field && a.code == b.code);
        variants.push(v);
        per_row.push(errs);
    }
    let notice: BTreeMap<String, String> = first
        .fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("notice.")
                .map(|f| (f.to_owned(), v.trim().to_owned()))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let rejected = |mut per_row: Vec<Vec<FieldError>>| {
        for errs in per_row.iter_mut().filter(|e| e.is_empty()) {
            errs.push(FieldError::new(
                "product",
                "product_rejected",
                "another row of this product was rejected",
            ));
        }
        per_row
    };
    let Some(category_id) = category_id else {
        return Err(rejected(per_row));
    };
    if per_row.iter().any(|e| !e.is_empty()) {
        return Err(rejected(per_row));
    }
    let new = NewProduct {
        title: first.get("title").to_owned(),
        description: first.get("description").to_owned(),
        images: list(first.get("images")),
        category_id,
        tags: list(first.get("tags")),
        origin: first.get("origin").to_owned(),
        notice,
        withdrawal_restricted: restricted,
        taxable,
        max_per_order,
        variants,
    };
    let txn = db
        .begin()
        .await
        .map_err(|e| vec![vec![FieldError::new("row", "database", e.to_string())]; rows.len()])?;
    match products::create(&txn, vendor_id, new).await {
        Ok(p) => {
            txn.commit().await.map_err(|e| {
                vec![vec![FieldError::new("row", "database", e.to_string())]; rows.len()]
            })?;
            Ok(p.id)
        }
        Err(err) => {
            let _ = txn.rollback().await;
            let mut per_row = vec![Vec::new(); rows.len()];
            match err {
                CatalogError::Invalid(errors) => {
                    for e in errors {
                        // `variants[i].field` belongs to row i.
                        let idx = e
                            .field
                            .strip_prefix("variants[")
                            .and_then(|r| r.split(']').next())
                            .and_then(|n| n.parse::<usize>().ok())
                            .filter(|i| *i < rows.len())
                            .unwrap_or(0);
                        per_row[idx].push(e);
                    }
                }
                CatalogError::SkuTaken(sku) => {
                    let idx = rows.iter().position(|r| r.get("sku") == sku).unwrap_or(0);
                    per_row[idx].push(FieldError::new(
                        "sku",
                        "sku_taken",
                        format!("SKU {sku} is already used"),
                    ));
                }
                other => per_row[0].push(FieldError::new("product", "rejected", other.to_string())),
            }
            Err(rejected(per_row))
        }
    }
}
