//! Cursor pagination: `?limit=&cursor=` in, `next_cursor` out. A cursor is the sort key of
//! the last item seen plus its id (the tie-breaker), base64url-encoded JSON, opaque to
//! clients.
//!
//! Every list answers the same way: a `limit` outside 1..=100 is a 422 naming `limit`
//! (never clamped: a client asking for 500 and silently getting 100 would take the
//! missing `next_cursor` pages for the end), and a cursor that is not one of this list's is
//! a 422 `invalid_cursor` naming `cursor`.

use crate::error::{ApiError, ErrorCode, FieldError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

/// A page size, 1 to [`MAX_LIMIT`]: it cannot hold anything else, so a query parameter
/// outside the range is refused while the query string is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Limit(u64);

impl Limit {
    pub fn get(self) -> u64 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Limit(DEFAULT_LIMIT)
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        if (1..=MAX_LIMIT).contains(&n) {
            Ok(Limit(n))
        } else {
            Err(serde::de::Error::invalid_value(
                serde::de::Unexpected::Unsigned(n),
                &"a page size from 1 to 100",
            ))
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100 (default 20); outside that range the answer is 422.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<Limit>,
    /// The `next_cursor` of the previous page; anything else is 422 `invalid_cursor`.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or_default().get()
    }

    pub fn decode<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Build a page from `limit + 1` fetched rows: the extra row only proves there is more.
    pub fn from_rows<R, K: Serialize>(
        mut rows: Vec<R>,
        limit: u64,
        key: impl Fn(&R) -> K,
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

impl<T> Page<T> {
    /// One page of `select`, newest first by its UUIDv7 primary key `id` (so by creation),
    /// the cursor being the last id seen.
    pub async fn newest_first<E: EntityTrait>(
        select: Select<E>,
        id: E::Column,
        params: &PageParams,
        db: &impl ConnectionTrait,
        key: impl Fn(&E::Model) -> Uuid,
        map: impl FnMut(E::Model) -> T,
    ) -> Result<Page<T>, ApiError> {
        let limit = params.limit();
        let rows = newest_first(db, select, id, params.decode::<Uuid>()?, limit + 1).await?;
        Ok(Page::from_rows(rows, limit, key, map))
    }
}

/// At most `limit` rows of `select`, newest first by its UUIDv7 primary key `id`, older
/// than the row `after` (a cursor page fetches `limit + 1` to learn whether there is more).
pub async fn newest_first<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id: E::Column,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<E::Model>, DbErr> {
    select
        .order_by_desc(id)
        .apply_if(after, |q, a| q.filter(id.lt(a)))
        .limit(limit)
        .all(db)
        .await
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode_cursor<K: DeserializeOwned>(raw: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(invalid_cursor)
}

/// The answer to a cursor that is not one this list gave out.
pub fn invalid_cursor() -> ApiError {
    ApiError {
        errors: vec![FieldError::new(
            "cursor",
            "invalid_cursor",
            "is not a next_cursor of this list",
        )],
        ..ApiError::new(ErrorCode::InvalidCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let key = (1500_i64, Uuid::nil());
        let raw = encode_cursor(&key);
        assert_eq!(decode_cursor::<(i64, Uuid)>(&raw).ok(), Some(key));
        let err = decode_cursor::<(i64, Uuid)>("not-a-cursor!").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCursor);
    }

    #[test]
    fn an_extra_row_means_another_page() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |r| *r, |r| r * 10);
        assert_eq!(page.items, vec![10, 20]);
        assert_eq!(
            decode_cursor::<i32>(page.next_cursor.as_deref().unwrap_or("")).ok(),
            Some(2)
        );
        let last = Page::from_rows(vec![1, 2], 2, |r| *r, |r| r);
        assert!(last.next_cursor.is_none());
    }
}
