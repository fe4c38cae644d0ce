//! `GET /v1/search` and `GET /v1/search/suggest`.

use crate::backend::SearchBackend;
use crate::error::SearchError;
use crate::query::{DEFAULT_LIMIT, Facet, Filters, SearchQuery, SearchResults, Sort, Suggestion};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use platform::AppState;
use platform::error::{ApiError, ApiResult, FieldError, Problem};
use platform::extract::{Json, Query};
use platform::money::Won;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The backend the handlers search, as a request extension (see [`router`]).
#[derive(Clone)]
pub struct SearchHandle(pub Arc<dyn SearchBackend>);

/// Handlers take the handle from the request extensions (where
/// `axum::Extension(SearchHandle(..))` puts it). Written out rather than using
/// `Extension<SearchHandle>` so that a router mounted without the layer answers with a
/// problem+json 503 instead of axum's plain-text 500.
impl<S: Send + Sync> FromRequestParts<S> for SearchHandle {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SearchHandle>()
            .cloned()
            .ok_or_else(|| {
                ApiError::from(SearchError::Config(
                    "no SearchHandle extension: the search router was mounted without its layer"
                        .into(),
                ))
            })
    }
}

/// The search routes.
///
/// They need the backend as a request extension; mount them with
///
/// ```no_run
/// # use platform::AppState;
/// # use utoipa_axum::router::OpenApiRouter;
/// # async fn wire(state: AppState, api: OpenApiRouter<AppState>) -> Result<(), search::SearchError> {
/// let backend = search::from_env(&state).await?;
/// let app = platform::server::app(state, api.merge(search::http::router()), "Jikgu API")
///     .layer(axum::Extension(search::http::SearchHandle(backend.clone())));
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
///
/// Without the layer every search answers 503 `unavailable`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(suggest))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words to find in titles, tags and descriptions; parts of words match too
    /// ("김치" finds "강화순무김치").
    pub q: Option<String>,
    /// A category; its sub-categories are included.
    pub category: Option<Uuid>,
    pub vendor: Option<Uuid>,
    /// `true`: only vendors with a valid certification badge; `false`: only those without.
    pub certified: Option<bool>,
    /// Won, inclusive.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000_000>"
    )]
    #[param(minimum = 0, maximum = 100_000_000)]
    pub min_price: Option<i64>,
    /// Won, inclusive.
    #[serde(
        default,
        deserialize_with = "platform::bounds::within_opt::<_, _, 0, 100_000_000>"
    )]
    #[param(minimum = 0, maximum = 100_000_000)]
    pub max_price: Option<i64>,
    /// A campaign (기획전).
    pub campaign: Option<Uuid>,
    pub in_stock: Option<bool>,
    /// `relevance` (default), `newest`, `price_asc`, `price_desc` or `popular`.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Facets to count, comma-separated: `category,vendor,certification,price` (default
    /// all; empty for none).
    pub facets: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl SearchParams {
    /// The backend query, every input problem reported at once.
    pub fn into_query(self) -> Result<SearchQuery, SearchError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let facets = match self.facets.as_deref() {
            None => Facet::ALL.to_vec(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .filter_map(|s| {
                    let f = Facet::parse(s);
                    if f.is_none() {
                        errors.push(FieldError::new(
                            "facets",
                            "unknown_facet",
                            format!(
                                "unknown facet {s:?}; use category, vendor, certification or price"
                            ),
                        ));
                    }
                    f
                })
                .collect(),
        };
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(l) => usize::try_from(l).unwrap_or(usize::MAX),
        };
        let mut query = SearchQuery {
            text: self.q,
            filters: Filters {
                category: self.category,
                vendor: self.vendor,
                certified: self.certified,
                min_price: self.min_price.map(Won),
                max_price: self.max_price.map(Won),
                campaign: self.campaign,
                in_stock: self.in_stock,
            },
            facets,
            sort: self.sort.unwrap_or_default(),
            limit,
            offset: 0,
        };
        if let Some(c) = self.cursor.as_deref() {
            query = query.with_cursor(c)?;
        }
        match query.normalized() {
            Ok(q) if errors.is_empty() => Ok(q),
            Ok(_) => Err(SearchError::Invalid(errors)),
            Err(SearchError::Invalid(more)) => {
                errors.extend(more);
                Err(SearchError::Invalid(errors))
            }
            Err(other) => Err(other),
        }
    }
}

/// Awaits one backend call and records how long it took, whatever it answered.
async fn timed<T>(
    backend: &dyn SearchBackend,
    what: &'static str,
    call: impl Future<Output = T>,
) -> T {
    let started = Instant::now();
    let answer = call.await;
    metrics::histogram!("search_request_seconds", "backend" => backend.name(), "op" => what)
        .record(started.elapsed().as_secs_f64());
    answer
}

/// Search the products consumers can buy: words in titles, tags and descriptions (parts
/// of Korean words match), filters, sorts and facet counts (categories, vendors,
/// certifications, price ranges). Matches are marked with `<em>` in
/// `highlighted_title` and `snippet`, which are otherwise escaped HTML.
#[utoipa::path(get, path = "/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 400, body = Problem),
              (status = 422, body = Problem), (status = 503, body = Problem)))]
async fn search(
    handle: SearchHandle,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let query = params.into_query()?;
    let results = timed(handle.0.as_ref(), "search", handle.0.search(&query)).await?;
    Ok(Json(results))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestParams {
    /// What the shopper has typed so far.
    pub q: Option<String>,
    /// 1 to 20 (default 10).
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SuggestResponse {
    pub suggestions: Vec<Suggestion>,
}

/// Product titles for a search box as the shopper types: titles containing the text,
/// those starting with it first.
#[utoipa::path(get, path = "/v1/search/suggest", tag = "search", params(SuggestParams),
    responses((status = 200, body = SuggestResponse), (status = 400, body = Problem),
              (status = 422, body = Problem), (status = 503, body = Problem)))]
async fn suggest(
    handle: SearchHandle,
    Query(params): Query<SuggestParams>,
) -> ApiResult<Json<SuggestResponse>> {
    let q = params.q.unwrap_or_default();
    let mut errors = Vec::new();
    if q.trim().is_empty() {
        errors.push(FieldError::new("q", "required", "is required"));
    }
    let limit = params.limit.unwrap_or(10);
    if !(1..=crate::backend::MAX_SUGGESTIONS as u64).contains(&limit) {
        errors.push(FieldError::new(
            "limit",
            "out_of_range",
            format!("must be 1 to {}", crate::backend::MAX_SUGGESTIONS),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let suggest = handle.0.suggest(&q, limit as usize);
    let suggestions = timed(handle.0.as_ref(), "suggest", suggest).await?;
    Ok(Json(SuggestResponse { suggestions }))
}
