//! Building and running the HTTP server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::routes::{self, ApiDoc};
pub use crate::state::AppState;

/// Largest accepted JSON body.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The problem for a JSON body the route cannot take: 413 when it is too
/// large, 400 otherwise (malformed, wrong shape or wrong content type).
fn json_error(e: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError;
    match e {
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge(format!(
                "the request body is larger than the {limit} bytes this server accepts; nothing was stored"
            ))
        }
        other => ApiError::BadRequest {
            code: "invalid_json",
            detail: format!("the request body is not valid JSON for this route: {other}"),
        },
    }
}

/// Starts the server on `listener` (already bound). The returned server stops
/// gracefully on SIGINT/SIGTERM, finishing in-flight requests.
pub fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let blocking_threads = (state.pool.max_size() as usize).div_ceil(workers);
    let state = web::Data::new(state);
    let openapi = ApiDoc::openapi();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(crate::ui::csrf::guard))
            .wrap(actix_web::middleware::from_fn(count_request))
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BYTES)
                    .error_handler(|e, _| json_error(e).into()),
            )
            .app_data(web::PayloadConfig::default().limit(MAX_JSON_BYTES * 2))
            .app_data(web::PathConfig::default().error_handler(|e, req| {
                ApiError::NotFound(format!("no such resource {}: {e}", req.path())).into()
            }))
            .configure(routes::configure)
            .service(
                SwaggerUi::new("/api/docs/{_:.*}").url("/api/v1/openapi.json", openapi.clone()),
            )
            .default_service(web::to(not_found))
    })
    // Blocking threads beyond the pool's connections would only wait for one
    // (argon2 has its own thread), and each idle thread keeps allocator
    // caches: bounding them bounds the server's memory (`make bench`, RSS).
    .workers(workers)
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?
    // Longer than clients keep idle connections (and than typical load
    // balancers), so a client never reuses a connection the server closed.
    .keep_alive(std::time::Duration::from_secs(75))
    .shutdown_timeout(30)
    .run();
    Ok(server)
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// Records every answered request in the metrics (by route pattern, so ids
/// in paths do not multiply the series).
async fn count_request(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        metrics.observe(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}
