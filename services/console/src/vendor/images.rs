//! A product's photos on the vendor's phone: upload from the camera or the gallery (the
//! same checks as `POST /v1/vendor/products/{id}/images`: type by content, size, EXIF
//! removed, resized), see them in order, move one to the front, delete one. Everything goes
//! through `catalog::product_images` with the session's vendor; another vendor's product
//! is a 404.

use crate::error::PageResult;
use crate::form::{FormErrors, shown_again};
use crate::guard::{Ctx, VendorSession};
use crate::layout::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::Path;
use axum::extract::multipart::Multipart;
use axum::response::{IntoResponse, Redirect, Response};
use catalog::media::Media;
use catalog::product_images::{self, ImageOrder, ProductImage};
use platform::ApiError;
use sea_orm::TransactionTrait;
use uuid::Uuid;

#[derive(Template, WebTemplate)]
#[template(path = "vendor/product_images.html")]
pub struct ImagesPage {
    chrome: Chrome,
    id: Uuid,
    images: Vec<ProductImage>,
    max_mb: usize,
    errors: FormErrors,
}

async fn images_page(
    cx: &Ctx<VendorSession>,
    media: &Media,
    id: Uuid,
    errors: FormErrors,
) -> PageResult<ImagesPage> {
    let p = catalog::vendor_actions::owned_product(&cx.state, cx.who.vendor_id, id).await?;
    Ok(ImagesPage {
        chrome: cx.page.chrome(&format!("{} 사진", p.title)),
        id,
        images: product_images::list(&cx.state.db, cx.who.vendor_id, id).await?,
        max_mb: media.max_upload_bytes().div_ceil(1024 * 1024),
        errors,
    })
}

pub async fn show(
    cx: Ctx<VendorSession>,
    Extension(media): Extension<Media>,
    Path(id): Path<Uuid>,
) -> PageResult<ImagesPage> {
    images_page(&cx, &media, id, FormErrors::default()).await
}

fn back(id: Uuid, done: &str) -> Response {
    Redirect::to(&format!("/console/vendor/products/{id}/images?done={done}")).into_response()
}

async fn refused(
    cx: &Ctx<VendorSession>,
    media: &Media,
    id: Uuid,
    e: ApiError,
) -> PageResult<Response> {
    shown_again(e, async |errors| images_page(cx, media, id, errors).await).await
}

pub async fn upload(
    cx: Ctx<VendorSession>,
    Extension(media): Extension<Media>,
    Path(id): Path<Uuid>,
    mut multipart: Multipart,
) -> PageResult<Response> {
    catalog::vendor_actions::owned_product(&cx.state, cx.who.vendor_id, id).await?;
    let uploaded =
        match catalog::http::product_images::read_file(&mut multipart, media.max_upload_bytes())
            .await
        {
            Ok(file) => product_images::upload(&cx.state.db, &media, cx.who.vendor_id, id, file)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        };
    match uploaded {
        Ok(_) => {
            catalog::cache::invalidate_products(&cx.state.redis, &[id]).await;
            Ok(back(id, "uploaded"))
        }
        Err(e) => refused(&cx, &media, id, e).await,
    }
}

/// Put one photo first (the cover); the others keep their order.
pub async fn make_cover(
    cx: Ctx<VendorSession>,
    Extension(media): Extension<Media>,
    Path((id, image_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    let current = product_images::list(&cx.state.db, cx.who.vendor_id, id).await?;
    let mut image_ids: Vec<Uuid> = current.iter().map(|i| i.id).collect();
    image_ids.sort_by_key(|i| *i != image_id);
    let txn = cx.state.db.begin().await?;
    match product_images::reorder(&txn, cx.who.vendor_id, id, ImageOrder { image_ids }).await {
        Ok(_) => {
            txn.commit().await?;
            catalog::cache::invalidate_products(&cx.state.redis, &[id]).await;
            Ok(back(id, "saved"))
        }
        Err(e) => refused(&cx, &media, id, e.into()).await,
    }
}

pub async fn delete(
    cx: Ctx<VendorSession>,
    Extension(media): Extension<Media>,
    Path((id, image_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    match product_images::delete(&cx.state.db, &media, cx.who.vendor_id, id, image_id).await {
        Ok(_) => {
            catalog::cache::invalidate_products(&cx.state.redis, &[id]).await;
            Ok(back(id, "deleted"))
        }
        Err(e) => refused(&cx, &media, id, e.into()).await,
    }
}
