//! Extractors whose rejections are the app's problem+json errors, never axum's plain text.
//!
//! - malformed JSON → 400 `malformed_json`
//! - a body that is not `application/json` → 415 `unsupported_media_type`
//! - a body over the limit → 413 `payload_too_large`
//! - well-formed JSON of the wrong shape (unknown field, missing field, wrong type), and
//!   a query parameter that does not parse (a word where a number goes, a value outside
//!   its range, a filter value that names nothing) → 422 `validation_failed` naming the
//!   field or parameter
//! - a NUL character (`\u0000`, `%00`) in any text of a body, query string or path
//!   → 422 `validation_failed` naming the field (code `nul_character`): Postgres cannot
//!   store it and no real input holds one, so it is refused here, once for every text the
//!   API accepts, rather than at each field.

use crate::error::{ApiError, ErrorCode, FieldError};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON request body (and response body: it serialises like `axum::Json`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json(&bytes).map(Json)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn bytes_rejection(rej: BytesRejection) -> ApiError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge)
    } else {
        ApiError::new(ErrorCode::BadRequest).with_detail(rej.body_text())
    }
}

/// The answer to a text holding a NUL character.
pub fn nul_character(field: &str) -> ApiError {
    ApiError::field(
        field,
        "nul_character",
        "must not contain a NUL character (U+0000)",
    )
}

/// Refuse a text that holds a NUL character (for bodies read without [`Json`]).
pub fn refuse_nul(field: &str, text: &str) -> Result<(), ApiError> {
    if text.contains('\0') {
        Err(nul_character(field))
    } else {
        Ok(())
    }
}

/// Where in a JSON value a string (or a key) holds a NUL, as a field path
/// (`address.line1`, `items[2].title`).
fn nul_in(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = join_path(path, &k.replace('\0', ""));
            if k.contains('\0') {
                Some(here)
            } else {
                nul_in(v, &here)
            }
        }),
        _ => None,
    }
}

/// Parse JSON, telling syntax errors (400) from shape errors (422 with the field path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // A NUL can only arrive escaped (raw control characters are not JSON): look closer
    // only when the escape is there at all.
    if bytes.windows(6).any(|w| w == b"\\u0000")
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = nul_in(&value, "")
    {
        return Err(nul_character(&field));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ApiError::new(ErrorCode::MalformedJson).with_detail(inner.to_string())
            }
            _ => shape_error(path, &inner.to_string()),
        }
    })
}

/// Input of the wrong shape, as a 422 naming the field from serde's message and path.
fn shape_error(path: String, msg: &str) -> ApiError {
    let path = if path == "." { String::new() } else { path };
    let (field, code) = if let Some(name) = quoted_after(msg, "unknown field `") {
        // The path already ends at the unknown field.
        (if path.is_empty() { name } else { path }, "unknown_field")
    } else if let Some(name) = quoted_after(msg, "missing field `") {
        (join_path(&path, &name), "missing_field")
    } else if msg.starts_with("unknown variant") {
        (path, "unknown_value")
    } else if msg.starts_with("invalid value") {
        // What `serde::de::Error::invalid_value` says: the right type, a value out of range.
        (path, "out_of_range")
    } else {
        (path, "invalid")
    };
    // serde_json appends " at line X column Y"; the field path says it better.
    let message = msg.split(" at line ").next().unwrap_or(msg).to_string();
    ApiError::validation(vec![FieldError::new(field, code, message)])
}

fn quoted_after(msg: &str, prefix: &str) -> Option<String> {
    let rest = msg.split_once(prefix)?.1;
    Some(rest.split('`').next()?.to_string())
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Query string extractor with problem+json rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// Parse a query string; a parameter that does not parse is a 422 naming it (the document
/// lists a 422 for every operation that takes parameters, and a client fixes it the same
/// way as a bad body field).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    refuse_nul_in_query(query)?;
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        shape_error(path, &err.into_inner().to_string())
    })
}

/// A NUL in a query string is always `%00` (a raw one is not a valid URI).
fn refuse_nul_in_query(query: &str) -> Result<(), ApiError> {
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name.contains("%00") || value.contains("%00") {
            return Err(nul_character(&name.replace("%00", "").replace('+', " ")));
        }
    }
    Ok(())
}

/// Path extractor: an id that does not parse names nothing that exists, so it is a 404.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Ok(params) = RawPathParams::from_request_parts(parts, state).await
            && let Some((name, _)) = params.iter().find(|(_, v)| v.contains('\0'))
        {
            return Err(nul_character(name));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|rej: PathRejection| {
                ApiError::new(ErrorCode::NotFound).with_detail(rej.body_text())
            })
    }
}

/// The `Idempotency-Key` header of a call that moves money or books an entry: 1 to 200
/// characters, else a 422 naming the header.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .filter(|k| (1..=200).contains(&k.len()))
            .map(|k| IdempotencyKey(k.to_owned()))
            .ok_or_else(|| {
                ApiError::field(
                    "Idempotency-Key",
                    "required",
                    "send an Idempotency-Key header of 1 to 200 characters",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Signup {
        email: String,
        age: u32,
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422_with_the_field() {
        let e = parse_json::<Signup>(b"{\"email\": ").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);

        let e = parse_json::<Signup>(br#"{"email":"a@b.kr","age":3,"admin":true}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(e.errors[0].field, "admin");
        assert_eq!(e.errors[0].code, "unknown_field");

        let e = parse_json::<Signup>(br#"{"email":"a@b.kr"}"#).unwrap_err();
        assert_eq!(e.errors[0].field, "age");
        assert_eq!(e.errors[0].code, "missing_field");

        let e = parse_json::<Signup>(br#"{"email":"a@b.kr","age":"x"}"#).unwrap_err();
        assert_eq!(e.errors[0].field, "age");
        assert_eq!(e.errors[0].code, "invalid");
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Filter {
        limit: Option<crate::pagination::Limit>,
        role: Option<crate::auth::Role>,
        at: Option<chrono::DateTime<chrono::Utc>>,
        flag: Option<bool>,
    }

    #[test]
    fn query_parameters_that_do_not_parse_are_422_naming_them() {
        let ok: Filter = parse_query("limit=5&role=vendor&flag=true").unwrap();
        assert_eq!(ok.limit.map(|l| l.get()), Some(5));
        for (query, field, code) in [
            ("limit=lots", "limit", "invalid"),
            ("limit=0", "limit", "out_of_range"),
            ("limit=101", "limit", "out_of_range"),
            ("limit=-1", "limit", "invalid"),
            ("role=emperor", "role", "unknown_value"),
            ("at=yesterday", "at", "invalid"),
            ("flag=maybe", "flag", "invalid"),
        ] {
            let e = parse_query::<Filter>(query).unwrap_err();
            assert_eq!(e.code, ErrorCode::Validation, "{query}");
            assert_eq!(e.errors[0].field, field, "{query}");
            assert_eq!(e.errors[0].code, code, "{query}: {}", e.errors[0].message);
        }
    }

    #[test]
    fn nul_characters_are_422_naming_the_field() {
        let e = parse_json::<Signup>(br#"{"email":"a\u0000@b.kr","age":3}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(e.errors[0].field, "email");
        assert_eq!(e.errors[0].code, "nul_character");
        let e = parse_json::<serde_json::Value>(br#"{"lines":[{"t":"ok"},{"t":"x\u0000"}]}"#)
            .unwrap_err();
        assert_eq!(e.errors[0].field, "lines[1].t");
        // An escaped backslash before `u0000` is no NUL.
        assert!(parse_json::<serde_json::Value>(br#"{"t":"\\u0000"}"#).is_ok());
        assert_eq!(
            refuse_nul_in_query("q=%00abc&limit=2").unwrap_err().errors[0].field,
            "q"
        );
        assert!(refuse_nul_in_query("q=%2500&limit=2").is_ok());
        assert!(refuse_nul("body", "a\0b").is_err());
    }
}
