//! One page of a console list by cursor. Every list (vendor, marketer and admin) reads
//! one row more than it shows, to know whether a next page follows, and hands out the
//! last shown row's id as the next page's cursor, in the API's cursor encoding.

use platform::ApiError;
use platform::pagination::{PageParams, encode_cursor};
use serde::Deserialize;
use uuid::Uuid;

/// The page a list was asked for: after which id, and how many rows it shows.
pub struct Cursor {
    pub after: Option<Uuid>,
    pub limit: u64,
}

impl Cursor {
    /// The page a `?cursor=` asks for (none or empty: the first); a cursor that is not
    /// one of ours is the API's `invalid_cursor` problem.
    pub fn of(raw: Option<String>) -> Result<Cursor, ApiError> {
        let params = PageParams {
            limit: None,
            cursor: raw.filter(|c| !c.is_empty()),
        };
        Ok(Cursor {
            after: params.decode::<Uuid>()?,
            limit: params.limit(),
        })
    }

    /// How many rows to read: one more than a page shows tells whether another follows.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// The rows to show and the cursor of the next page, if any.
    pub fn split<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next = more
            .then(|| rows.last().map(|r| encode_cursor(&id(r))))
            .flatten();
        (rows, next)
    }
}

/// The query string of a list: `?cursor=` (empty or none: the first page).
#[derive(Deserialize)]
pub struct PageQuery {
    pub cursor: Option<String>,
}

/// The query string of a list filtered by status: `?status=…&cursor=…`.
#[derive(Deserialize)]
pub struct StatusQuery {
    pub status: Option<String>,
    pub cursor: Option<String>,
}
