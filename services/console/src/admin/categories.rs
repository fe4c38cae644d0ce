//! The category tree with each category's 상품정보제공고시 fields (what a product in it
//! must disclose before it can be sold), a form to add a category under any other, and
//! one to edit or move a category (`?edit=<id>`). Through `catalog::admin_actions`, the
//! functions behind `/v1/admin/categories`.

use crate::error::PageResult;
use crate::form::{FormErrors, Pairs, redirect_or_shown_again, refused};
use crate::guard::{AdminSession, Ctx};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::Response;
use catalog::admin_actions;
use catalog::categories::{CategoryChange, NewCategory};
use catalog::store::category;
use serde::Deserialize;
use uuid::Uuid;

/// A category in tree order, with its depth for the indent.
pub struct Node {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub depth: usize,
    /// Its own notice fields; empty means it uses its nearest ancestor's.
    pub notice_fields: Vec<String>,
    /// The path of names from the root, for the parent picker.
    pub path: String,
}

/// Depth-first order: each category right after its parent, siblings in display order
/// (the input is already in display order).
pub fn tree_order(all: &[category::Model]) -> Vec<Node> {
    fn walk(all: &[category::Model], parent: Option<Uuid>, prefix: &str, out: &mut Vec<Node>) {
        for c in all.iter().filter(|c| c.parent_id == parent) {
            let path = if prefix.is_empty() {
                c.name.clone()
            } else {
                format!("{prefix} › {}", c.name)
            };
            out.push(Node {
                id: c.id,
                name: c.name.clone(),
                slug: c.slug.clone(),
                depth: c.ancestors.len(),
                notice_fields: c.notice_fields.clone(),
                path: path.clone(),
            });
            walk(all, Some(c.id), &path, out);
        }
    }
    let mut out = Vec::with_capacity(all.len());
    walk(all, None, "", &mut out);
    out
}

/// What was typed into the form, shown again when it is refused.
#[derive(Default)]
pub struct Typed {
    pub name: String,
    pub slug: String,
    pub parent_id: String,
    pub position: String,
    pub notice_fields: String,
}

/// The edit form of one category: what it holds (or what was typed) and its errors.
pub struct Edit {
    pub id: Uuid,
    pub slug: String,
    pub typed: Typed,
    pub errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/categories.html")]
pub struct TreePage {
    chrome: Chrome,
    nodes: Vec<Node>,
    typed: Typed,
    errors: FormErrors,
    edit: Option<Edit>,
}

async fn tree_page(
    cx: &Ctx<AdminSession>,
    typed: Typed,
    errors: FormErrors,
) -> PageResult<TreePage> {
    let all = admin_actions::all_categories(&cx.state).await?;
    Ok(TreePage {
        chrome: cx.page.chrome("카테고리"),
        nodes: tree_order(&all),
        typed,
        errors,
        edit: None,
    })
}

/// The tree with the edit form of `id`, holding `typed` (or, without it, what the
/// category holds now).
async fn edit_page(
    cx: &Ctx<AdminSession>,
    id: Uuid,
    typed: Option<Typed>,
    errors: FormErrors,
) -> PageResult<TreePage> {
    let all = admin_actions::all_categories(&cx.state).await?;
    let c = all
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| platform::ApiError::not_found("category"))?;
    let typed = typed.unwrap_or_else(|| Typed {
        name: c.name.clone(),
        slug: c.slug.clone(),
        parent_id: c.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        position: c.position.to_string(),
        notice_fields: c.notice_fields.join("\n"),
    });
    Ok(TreePage {
        chrome: cx.page.chrome("카테고리"),
        edit: Some(Edit {
            id,
            slug: c.slug.clone(),
            typed,
            errors,
        }),
        nodes: tree_order(&all),
        typed: Typed::default(),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct TreeQuery {
    edit: Option<Uuid>,
}

pub async fn tree(cx: Ctx<AdminSession>, Query(q): Query<TreeQuery>) -> PageResult<TreePage> {
    match q.edit {
        Some(id) => edit_page(&cx, id, None, FormErrors::default()).await,
        None => tree_page(&cx, Typed::default(), FormErrors::default()).await,
    }
}

fn typed_of(pairs: &[(String, String)]) -> Typed {
    let v = |k| crate::form::value(pairs, k).to_owned();
    Typed {
        name: v("name"),
        slug: v("slug"),
        parent_id: v("parent_id"),
        position: v("position"),
        notice_fields: v("notice_fields"),
    }
}

/// The position and parent typed into either form; a mistake is beside its field.
fn position_and_parent(typed: &Typed, errors: &mut FormErrors) -> Option<(i32, Option<Uuid>)> {
    let position = if typed.position.trim().is_empty() {
        Some(0)
    } else {
        crate::form::number::<i32>(errors, "position", &typed.position)
    };
    // The same bounds as the JSON body's.
    if let Some(p) = position
        && !(0..=10_000).contains(&p)
    {
        errors.push(platform::error::FieldError::new(
            "position",
            "out_of_range",
            "must be 0 to 10000",
        ));
    }
    let parent_id = match typed.parent_id.trim() {
        "" => Some(None),
        raw => match raw.parse::<Uuid>() {
            Ok(id) => Some(Some(id)),
            Err(_) => {
                errors.push(platform::error::FieldError::new(
                    "parent_id",
                    "not_found",
                    "no such category",
                ));
                None
            }
        },
    };
    match (position, parent_id) {
        (Some(p), Some(parent)) if errors.is_empty() => Some((p, parent)),
        _ => None,
    }
}

/// Notice fields are typed one per line.
fn notice_lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Save the edit form: rename, reorder, move (never under itself or a subcategory: the
/// refusal stands beside the parent picker), notice fields.
pub async fn update(
    cx: Ctx<AdminSession>,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Pairs>,
) -> PageResult<Response> {
    let typed = typed_of(&pairs);
    let mut errors = FormErrors::default();
    let Some((position, parent_id)) = position_and_parent(&typed, &mut errors) else {
        return refused(edit_page(&cx, id, Some(typed), errors).await?);
    };
    let change = CategoryChange {
        name: typed.name.clone(),
        parent_id,
        position,
        notice_fields: notice_lines(&typed.notice_fields),
    };
    let r = admin_actions::update_category(&cx.state, id, change).await;
    redirect_or_shown_again(
        r,
        "/console/admin/categories?done=category_saved",
        async |errors| edit_page(&cx, id, Some(typed), errors).await,
    )
    .await
}

/// Add a category; its notice fields are typed one per line.
pub async fn create(cx: Ctx<AdminSession>, Form(pairs): Form<Pairs>) -> PageResult<Response> {
    let typed = typed_of(&pairs);
    let mut errors = FormErrors::default();
    let Some((position, parent_id)) = position_and_parent(&typed, &mut errors) else {
        return refused(tree_page(&cx, typed, errors).await?);
    };
    let new = NewCategory {
        slug: typed.slug.clone(),
        name: typed.name.clone(),
        parent_id,
        position,
        notice_fields: notice_lines(&typed.notice_fields),
    };
    let r = admin_actions::create_category(&cx.state, new).await;
    redirect_or_shown_again(
        r,
        "/console/admin/categories?done=created",
        async |errors| tree_page(&cx, typed, errors).await,
    )
    .await
}
