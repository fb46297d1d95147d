//! `GET /metrics`: Prometheus text exposition.

use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// Request rates and latencies per route, signature failures, lockouts,
/// the database pool and the read replicas' state and lag (Prometheus text format). Scrape it from inside the
/// network; the proxy does not expose it (docs/ARCHITECTURE.md).
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.state();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(
            state
                .metrics
                .render(pool.connections, pool.idle_connections)
                + &crate::metrics::render_replicas(&state.reads),
        )
}
