//! HTTP routes. Each resource has its own module; [`configure`] registers
//! every route, and [`ApiDoc`] lists every route in the OpenAPI document.

pub mod health;

use actix_web::web;
use utoipa::OpenApi;

use crate::error::Problem;

/// The OpenAPI document of every route (served at `/api/v1/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ebr — electronic batch records",
        description = "Electronic batch records for GMP manufacturing of cell therapies. Errors are application/problem+json (RFC 9457) with a stable `code`."
    ),
    paths(health::healthz, health::readyz),
    components(schemas(Problem, health::Health))
)]
pub struct ApiDoc;

/// Registers every route of the application.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
}
