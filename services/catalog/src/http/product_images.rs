//! A vendor's product photos (upload, list, reorder, delete) and `/media/...`, where this
//! binary serves the stored files when they are on local disk.

use crate::media::{CACHE_CONTROL, Media};
use crate::product_images::{self, ImageOrder, ProductImage};
use crate::{cache, image_prep};
use axum::Extension;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::{Bytes, BytesMut};
use platform::AppState;
use platform::auth::VendorUser;
use platform::error::{ApiError, ApiResult, ErrorCode, Problem};
use platform::extract::{Json, Path};
use sea_orm::TransactionTrait;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // The upload enforces its own, larger limit while it reads (see `read_file`).
        .routes(routes!(upload_image, list_images).layer(DefaultBodyLimit::disable()))
        .routes(routes!(reorder_images))
        .routes(routes!(delete_image))
        .route("/media/{*key}", get(serve_media))
}

/// The multipart form of an upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImageUpload {
    /// A JPEG, PNG or WebP file (the type is read from its bytes), at most 10 MB by
    /// default (`JIKGU_MEDIA_MAX_BYTES`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The bytes of the `file` part, refused as soon as more than `limit` arrive.
pub async fn read_file(multipart: &mut Multipart, limit: usize) -> ApiResult<Bytes> {
    let too_large = || {
        ApiError::from(crate::error::CatalogError::Image(
            image_prep::Rejection::TooLarge { limit },
        ))
    };
    // Other parts (a browser may add some) count towards the limit too.
    let mut read = 0usize;
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(ApiError::new(ErrorCode::BadRequest).with_detail(e.body_text())),
        };
        let is_file = field.name() == Some("file") && file.is_none();
        let mut field = field;
        let mut buf = BytesMut::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    if read > limit + 64 * 1024 || (is_file && buf.len() + chunk.len() > limit) {
                        return Err(too_large());
                    }
                    if is_file {
                        buf.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(ApiError::new(ErrorCode::BadRequest).with_detail(e.body_text()));
                }
            }
        }
        if is_file {
            file = Some(buf.freeze());
        }
    }
    file.ok_or_else(|| ApiError::field("file", "required", "attach the image as the `file` part"))
}

fn multipart_or_415(m: Result<Multipart, MultipartRejection>) -> ApiResult<Multipart> {
    m.map_err(|_| {
        ApiError::new(ErrorCode::UnsupportedMediaType)
            .with_detail("send multipart/form-data with the image in a `file` part")
    })
}

/// Upload a photo of one of your products (multipart, part `file`). It is stored upright
/// (EXIF orientation applied), without EXIF or other metadata, as JPEGs of at most 300,
/// 800 and 1600 px, and goes last; the photos become the product's `images`.
#[utoipa::path(post, path = "/v1/vendor/products/{id}/images", tag = "vendor console", security(("bearer" = [])),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ProductImage), (status = 404, body = Problem),
              (status = 413, body = Problem, description = "`image_too_large`"),
              (status = 415, body = Problem),
              (status = 422, body = Problem, description = "`image_type_unsupported`, `image_unreadable`, or `validation_failed` (too many images or pixels)")))]
async fn upload_image(
    State(state): State<AppState>,
    Extension(media): Extension<Media>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ProductImage>)> {
    // Another vendor's product is a 404 before a byte of the file is read.
    product_images::list(&state.db, v.vendor_id, id).await?;
    let mut multipart = multipart_or_415(multipart)?;
    let file = read_file(&mut multipart, media.max_upload_bytes()).await?;
    let img = product_images::upload(&state.db, &media, v.vendor_id, id, file).await?;
    cache::invalidate_products(&state.redis, &[id]).await;
    Ok((StatusCode::CREATED, Json(img)))
}

/// The photos of one of your products, cover first.
#[utoipa::path(get, path = "/v1/vendor/products/{id}/images", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProductImage>), (status = 404, body = Problem)))]
async fn list_images(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<ProductImage>>> {
    Ok(Json(
        product_images::list(&state.db, v.vendor_id, id).await?,
    ))
}

/// Put the photos in a new order (every photo id once; the first is the cover).
#[utoipa::path(put, path = "/v1/vendor/products/{id}/images/order", tag = "vendor console", security(("bearer" = [])),
    request_body = ImageOrder,
    responses((status = 200, body = Vec<ProductImage>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn reorder_images(
    State(state): State<AppState>,
    v: VendorUser,
    Path(id): Path<Uuid>,
    Json(order): Json<ImageOrder>,
) -> ApiResult<Json<Vec<ProductImage>>> {
    let txn = state.db.begin().await?;
    let images = product_images::reorder(&txn, v.vendor_id, id, order).await?;
    txn.commit().await?;
    cache::invalidate_products(&state.redis, &[id]).await;
    Ok(Json(images))
}

/// Delete a photo (and its files); returns the photos left.
#[utoipa::path(delete, path = "/v1/vendor/products/{id}/images/{image_id}", tag = "vendor console", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProductImage>), (status = 404, body = Problem)))]
async fn delete_image(
    State(state): State<AppState>,
    Extension(media): Extension<Media>,
    v: VendorUser,
    Path((id, image_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<ProductImage>>> {
    let left = product_images::delete(&state.db, &media, v.vendor_id, id, image_id).await?;
    cache::invalidate_products(&state.redis, &[id]).await;
    Ok(Json(left))
}

/// A stored file, when files are on local disk (a bucket serves its own). Keys never
/// change content, so browsers and proxies may keep them for a year.
async fn serve_media(
    Extension(media): Extension<Media>,
    axum::extract::Path(key): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    if !media.is_local() || !key.starts_with("products/") || !key.ends_with(".jpg") {
        return ApiError::not_found("file").into_response();
    }
    // The key names the content for ever, so it is its own validator.
    let etag = format!("\"{}\"", key.replace('/', "-"));
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, cache_headers(&etag)).into_response();
    }
    match media.get(&key).await {
        Ok(Some(body)) => (
            cache_headers(&etag),
            [(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"))],
            body,
        )
            .into_response(),
        Ok(None) => ApiError::not_found("file").into_response(),
        Err(e) => ApiError::unavailable(e).into_response(),
    }
}

fn cache_headers(etag: &str) -> [(header::HeaderName, HeaderValue); 3] {
    [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"media\"")),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ]
}
