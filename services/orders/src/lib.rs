//! The orders service. Its routes are filled in by its own issue; until then it serves the
//! operational endpoints that every service has.

use platform::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The API routes of this service, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
