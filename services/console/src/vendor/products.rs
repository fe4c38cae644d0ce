//! The vendor's products: the list (cursor pages, the API's status filter), a new product
//! with its category's 상품정보제공고시 fields and first variant, the edit page (fields,
//! variants and options, stock, publish, archive). Every action calls
//! `catalog::vendor_actions`, the functions behind `/v1/vendor/products`.

use crate::cursor::{Cursor, StatusQuery};
use crate::error::PageResult;
use crate::form::{self, FormErrors, Pairs};
use crate::guard::{Ctx, VendorSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use catalog::categories::{self, CategoryNode};
use catalog::products::{NewProduct, NewVariant, ProductStatus, ProductUpdate, VariantUpdate};
use catalog::store::{product, variant};
use catalog::vendor_actions;
use platform::status::Status;
use platform::{ApiError, AppState};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

// ---------------------------------------------------------------- list

pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub min_price: i64,
    pub updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "vendor/products.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    status: String,
    next: Option<String>,
}

pub async fn list(cx: Ctx<VendorSession>, Query(q): Query<StatusQuery>) -> PageResult<ListPage> {
    let status = q.status.filter(|s| ProductStatus::parse(s).is_some());
    let at = Cursor::of(q.cursor)?;
    let found = vendor_actions::products_page(
        &cx.state,
        cx.who.vendor_id,
        status.clone(),
        at.after,
        at.fetch(),
    )
    .await?;
    let (found, next) = at.split(found, |p| p.id);
    Ok(ListPage {
        chrome: cx.page.chrome("상품"),
        rows: found
            .into_iter()
            .map(|p| Row {
                id: p.id,
                updated: crate::fmt::kst_minute(&p.updated_at),
                title: p.title,
                status: p.status,
                min_price: p.min_price,
            })
            .collect(),
        status: status.unwrap_or_default(),
        next,
    })
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "draft" => "준비 중",
        "active" => "판매 중",
        "archived" => "보관됨",
        _ => "",
    }
}

// ---------------------------------------------------------------- the form

/// A category as an option of the select, indented by depth.
pub struct CategoryOption {
    pub id: Uuid,
    pub label: String,
}

fn flatten(nodes: &[CategoryNode], depth: usize, out: &mut Vec<CategoryOption>) {
    for n in nodes {
        out.push(CategoryOption {
            id: n.id,
            label: format!("{}{}", "— ".repeat(depth), n.name),
        });
        flatten(&n.children, depth + 1, out);
    }
}

async fn category_options(state: &AppState) -> Result<Vec<CategoryOption>, ApiError> {
    let tree = categories::tree(&state.db).await?;
    let mut out = Vec::new();
    flatten(&tree, 0, &mut out);
    Ok(out)
}

/// What the product form shows: the typed text, so a refused form comes back as it was.
#[derive(Default)]
pub struct ProductForm {
    pub category_id: String,
    pub title: String,
    pub description: String,
    pub origin: String,
    pub tags: String,
    pub taxable: bool,
    pub withdrawal_restricted: bool,
    pub max_per_order: String,
    /// The category's notice fields with their values, in the category's order.
    pub notice: Vec<(String, String)>,
    pub sku: String,
    pub variant_name: String,
    pub price: String,
    pub compare_at_price: String,
    pub stock: String,
}

impl ProductForm {
    fn from_pairs(pairs: &Pairs, notice_fields: &[String]) -> ProductForm {
        let v = |k: &str| form::value(pairs, k).to_owned();
        ProductForm {
            category_id: v("category_id"),
            title: v("title"),
            description: v("description"),
            origin: v("origin"),
            tags: v("tags"),
            taxable: form::value(pairs, "taxable") == "on",
            withdrawal_restricted: form::value(pairs, "withdrawal_restricted") == "on",
            max_per_order: v("max_per_order"),
            notice: notice_fields
                .iter()
                .map(|f| (f.clone(), v(&format!("notice.{f}"))))
                .collect(),
            sku: v("variants[0].sku"),
            variant_name: v("variants[0].name"),
            price: v("variants[0].price"),
            compare_at_price: v("variants[0].compare_at_price"),
            stock: v("variants[0].stock"),
        }
    }

    fn from_product(p: &product::Model, notice_fields: &[String]) -> ProductForm {
        let notice_of = |f: &str| {
            p.notice
                .get(f)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        ProductForm {
            category_id: p.category_id.to_string(),
            title: p.title.clone(),
            description: p.description_html.clone(),
            origin: p.origin.clone(),
            tags: p.tags.join(", "),
            taxable: p.taxable,
            withdrawal_restricted: p.withdrawal_restricted,
            max_per_order: p.max_per_order.map(|m| m.to_string()).unwrap_or_default(),
            notice: notice_fields
                .iter()
                .map(|f| (f.clone(), notice_of(f)))
                .collect(),
            ..ProductForm::default()
        }
    }

    fn tags(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }

    fn notice_map(&self) -> BTreeMap<String, String> {
        self.notice
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.trim().to_owned()))
            .collect()
    }

    fn category(&self, errors: &mut FormErrors) -> Option<Uuid> {
        match self.category_id.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(platform::error::FieldError::new(
                    "category_id",
                    "required",
                    "choose a category",
                ));
                None
            }
        }
    }

    fn max_per_order(&self, errors: &mut FormErrors) -> Option<Option<i32>> {
        form::optional_number(errors, "max_per_order", &self.max_per_order)
    }
}

async fn notice_fields_of(state: &AppState, category: &str) -> Result<Vec<String>, ApiError> {
    match category.parse::<Uuid>() {
        Ok(id) => match categories::required_notice_fields(&state.db, id).await {
            Ok(f) => Ok(f),
            Err(catalog::error::CatalogError::NotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        },
        Err(_) => Ok(Vec::new()),
    }
}

// ---------------------------------------------------------------- new

#[derive(Template, WebTemplate)]
#[template(path = "vendor/product_new.html")]
pub struct NewPage {
    chrome: Chrome,
    categories: Vec<CategoryOption>,
    form: ProductForm,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct NewQuery {
    category_id: Option<String>,
}

pub async fn new_form(cx: Ctx<VendorSession>, Query(q): Query<NewQuery>) -> PageResult<NewPage> {
    let category_id = q.category_id.unwrap_or_default();
    let fields = notice_fields_of(&cx.state, &category_id).await?;
    Ok(NewPage {
        chrome: cx.page.chrome("새 상품"),
        categories: category_options(&cx.state).await?,
        form: ProductForm {
            category_id,
            taxable: true,
            stock: "0".into(),
            notice: fields.into_iter().map(|f| (f, String::new())).collect(),
            ..ProductForm::default()
        },
        errors: FormErrors::default(),
    })
}

pub async fn create(cx: Ctx<VendorSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let fields = notice_fields_of(&cx.state, form::value(&pairs, "category_id")).await?;
    let f = ProductForm::from_pairs(&pairs, &fields);
    let mut errors = FormErrors::default();
    let category = f.category(&mut errors);
    let max = f.max_per_order(&mut errors);
    let price = form::number::<i64>(&mut errors, "variants[0].price", &f.price);
    let compare = form::optional_number::<i64>(
        &mut errors,
        "variants[0].compare_at_price",
        &f.compare_at_price,
    );
    let stock = form::number::<i32>(&mut errors, "variants[0].stock", &f.stock);
    let checked = match (category, max, price, compare, stock, errors.is_empty()) {
        (Some(category_id), Some(max), Some(price), Some(compare), Some(stock), true) => {
            Some(NewProduct {
                title: f.title.clone(),
                description: f.description.clone(),
                images: Vec::new(),
                category_id,
                tags: f.tags(),
                origin: f.origin.clone(),
                notice: f.notice_map(),
                withdrawal_restricted: f.withdrawal_restricted,
                taxable: f.taxable,
                max_per_order: max,
                variants: vec![NewVariant {
                    sku: f.sku.clone(),
                    name: f.variant_name.clone(),
                    options: BTreeMap::new(),
                    price,
                    compare_at_price: compare,
                    stock,
                }],
            })
        }
        _ => None,
    };
    form::made_or_shown_again(
        checked,
        errors,
        async |new| vendor_actions::create_product(&cx.state, cx.who.vendor_id, new).await,
        |p| format!("/console/vendor/products/{}?done=created", p.id),
        async |errors| {
            Ok(NewPage {
                chrome: cx.page.chrome("새 상품"),
                categories: category_options(&cx.state).await?,
                form: f,
                errors,
            })
        },
    )
    .await
}

// ---------------------------------------------------------------- edit

pub struct VariantRow {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub options: String,
    pub price: i64,
    pub compare_at_price: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub available: i32,
}

impl From<variant::Model> for VariantRow {
    fn from(v: variant::Model) -> Self {
        let options = v
            .options
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        VariantRow {
            id: v.id,
            available: v.available(),
            sku: v.sku,
            name: v.name,
            options,
            price: v.price,
            compare_at_price: v
                .compare_at_price
                .map(|c| c.to_string())
                .unwrap_or_default(),
            on_hand: v.on_hand,
            reserved: v.reserved,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "vendor/product_edit.html")]
pub struct EditPage {
    chrome: Chrome,
    id: Uuid,
    status: String,
    categories: Vec<CategoryOption>,
    form: ProductForm,
    variants: Vec<VariantRow>,
    errors: FormErrors,
    /// The form the errors belong to: `product`, `new-variant` or a variant's id.
    errors_for: String,
}

async fn edit_page(
    cx: &Ctx<VendorSession>,
    id: Uuid,
    form: Option<ProductForm>,
    errors: FormErrors,
    errors_for: &str,
) -> PageResult<EditPage> {
    let p = vendor_actions::owned_product(&cx.state, cx.who.vendor_id, id).await?;
    let form = match form {
        Some(f) => f,
        None => {
            let fields = categories::required_notice_fields(&cx.state.db, p.category_id).await?;
            ProductForm::from_product(&p, &fields)
        }
    };
    let variants = catalog::products::variants_of(&cx.state.db, p.id).await?;
    Ok(EditPage {
        chrome: cx.page.chrome(&p.title),
        id: p.id,
        status: p.status,
        categories: category_options(&cx.state).await?,
        form,
        variants: variants.into_iter().map(VariantRow::from).collect(),
        errors,
        errors_for: errors_for.to_owned(),
    })
}

/// The edit page again, with the errors of the form that was refused (422, or the
/// conflict's status).
async fn refused(
    cx: &Ctx<VendorSession>,
    id: Uuid,
    form: Option<ProductForm>,
    e: ApiError,
    errors_for: &str,
) -> PageResult<Response> {
    form::shown_again(e, async |errors| {
        edit_page(cx, id, form, errors, errors_for).await
    })
    .await
}

pub async fn edit(cx: Ctx<VendorSession>, Path(id): Path<Uuid>) -> PageResult<EditPage> {
    edit_page(&cx, id, None, FormErrors::default(), "").await
}

fn back(id: Uuid, done: &str) -> Response {
    Redirect::to(&format!("/console/vendor/products/{id}?done={done}")).into_response()
}

pub async fn update(
    cx: Ctx<VendorSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let fields = notice_fields_of(&cx.state, form::value(&pairs, "category_id")).await?;
    let f = ProductForm::from_pairs(&pairs, &fields);
    let mut errors = FormErrors::default();
    let category = f.category(&mut errors);
    let max = f.max_per_order(&mut errors);
    let (Some(category_id), Some(max), true) = (category, max, errors.is_empty()) else {
        return form::refused(edit_page(&cx, id, Some(f), errors, "product").await?);
    };
    let up = ProductUpdate {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        images: None,
        category_id: Some(category_id),
        tags: Some(f.tags()),
        origin: Some(f.origin.clone()),
        notice: Some(f.notice_map()),
        withdrawal_restricted: Some(f.withdrawal_restricted),
        taxable: Some(f.taxable),
        max_per_order: max,
    };
    match vendor_actions::update_product(&cx.state, cx.who.vendor_id, id, up).await {
        Ok(_) => Ok(back(id, "saved")),
        Err(e) => refused(&cx, id, Some(f), e.into(), "product").await,
    }
}

pub async fn publish(cx: Ctx<VendorSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    match vendor_actions::publish(&cx.state, cx.who.vendor_id, id).await {
        Ok(_) => Ok(back(id, "published")),
        Err(e) => refused(&cx, id, None, e.into(), "product").await,
    }
}

pub async fn archive(cx: Ctx<VendorSession>, Path(id): Path<Uuid>) -> PageResult<Response> {
    match vendor_actions::archive(&cx.state, cx.who.vendor_id, id).await {
        Ok(_) => Ok(back(id, "archived")),
        Err(e) => refused(&cx, id, None, e.into(), "product").await,
    }
}

/// Options typed as `중량=1kg, 포장=선물` (one `name=value` per comma).
fn options(raw: &str) -> BTreeMap<String, String> {
    raw.split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let (k, v) = (k.trim(), v.trim());
            (!k.is_empty() && !v.is_empty()).then(|| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

pub async fn add_variant(
    cx: Ctx<VendorSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let mut errors = FormErrors::default();
    let price = form::number::<i64>(&mut errors, "price", form::value(&pairs, "price"));
    let compare = form::optional_number::<i64>(
        &mut errors,
        "compare_at_price",
        form::value(&pairs, "compare_at_price"),
    );
    let stock = form::number::<i32>(&mut errors, "stock", form::value(&pairs, "stock"));
    let (Some(price), Some(compare_at_price), Some(stock)) = (price, compare, stock) else {
        return form::refused(edit_page(&cx, id, None, errors, "new-variant").await?);
    };
    let nv = NewVariant {
        sku: form::value(&pairs, "sku").to_owned(),
        name: form::value(&pairs, "name").to_owned(),
        options: options(form::value(&pairs, "options")),
        price,
        compare_at_price,
        stock,
    };
    match vendor_actions::add_variant(&cx.state, cx.who.vendor_id, id, nv).await {
        Ok(_) => Ok(back(id, "saved")),
        Err(e) => refused(&cx, id, None, e.into(), "new-variant").await,
    }
}

/// The product a variant belongs to, when the vendor owns it (404 otherwise).
async fn owned_variant(
    state: &AppState,
    v: &VendorSession,
    id: Uuid,
) -> PageResult<variant::Model> {
    Ok(catalog::products::owned_variant(&state.db, v.vendor_id, id).await?)
}

pub async fn update_variant(
    cx: Ctx<VendorSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let var = owned_variant(&cx.state, &cx.who, id).await?;
    let for_form = id.to_string();
    let mut errors = FormErrors::default();
    let price = form::number::<i64>(&mut errors, "price", form::value(&pairs, "price"));
    let compare = form::optional_number::<i64>(
        &mut errors,
        "compare_at_price",
        form::value(&pairs, "compare_at_price"),
    );
    let (Some(price), Some(compare_at_price)) = (price, compare) else {
        return form::refused(edit_page(&cx, var.product_id, None, errors, &for_form).await?);
    };
    let up = VariantUpdate {
        name: Some(form::value(&pairs, "name").to_owned()),
        price: Some(price),
        compare_at_price,
        options: Some(options(form::value(&pairs, "options"))),
    };
    match vendor_actions::update_variant(&cx.state, cx.who.vendor_id, id, up).await {
        Ok(_) => Ok(back(var.product_id, "saved")),
        Err(e) => refused(&cx, var.product_id, None, e.into(), &for_form).await,
    }
}

/// Set the stock to a number, guarded by the number the page showed: when someone else
/// changed it meanwhile the page comes back with the conflict and the current stock.
pub async fn set_stock(
    cx: Ctx<VendorSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let var = owned_variant(&cx.state, &cx.who, id).await?;
    let for_form = id.to_string();
    let mut errors = FormErrors::default();
    let expected = form::number::<i32>(
        &mut errors,
        "expected_on_hand",
        form::value(&pairs, "expected_on_hand"),
    );
    let on_hand = form::number::<i32>(&mut errors, "on_hand", form::value(&pairs, "on_hand"));
    let (Some(expected), Some(on_hand)) = (expected, on_hand) else {
        return form::refused(edit_page(&cx, var.product_id, None, errors, &for_form).await?);
    };
    match vendor_actions::set_stock(&cx.state, cx.who.vendor_id, id, expected, on_hand).await {
        Ok(_) => Ok(back(var.product_id, "stock")),
        Err(e) => refused(&cx, var.product_id, None, e.into(), &for_form).await,
    }
}

pub async fn adjust_stock(
    cx: Ctx<VendorSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let var = owned_variant(&cx.state, &cx.who, id).await?;
    let for_form = id.to_string();
    let mut errors = FormErrors::default();
    let Some(delta) = form::number::<i32>(&mut errors, "delta", form::value(&pairs, "delta"))
    else {
        return form::refused(edit_page(&cx, var.product_id, None, errors, &for_form).await?);
    };
    match vendor_actions::adjust_stock(&cx.state, cx.who.vendor_id, id, delta).await {
        Ok(_) => Ok(back(var.product_id, "stock")),
        Err(e) => refused(&cx, var.product_id, None, e.into(), &for_form).await,
    }
}
