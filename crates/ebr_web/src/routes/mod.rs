//! HTTP routes. [`route_table`] is the one list of every route; [`configure`]
//! installs it with the authorization middleware around each route, and
//! [`ApiDoc`] documents every route in the OpenAPI document.

pub mod access_reviews;
pub mod api_doc;
pub mod batches;
pub mod custody;
pub mod deviations;
pub mod execution;
pub mod health;
pub mod mbrs;
pub mod metrics;
pub mod qc;
pub mod record;
pub mod registry;
pub mod release;
pub mod second_factor;
pub mod session;
pub mod training;
pub mod users;
pub mod views;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse, Route};
use utoipa::OpenApi;

use self::api_doc::CompleteResponses;
use crate::auth::middleware::{authorize, RegisteredRoutes};
use crate::error::{ApiError, Problem, ProblemItem};
use crate::state::AppState;

/// The OpenAPI document of every route (served at `/api/v1/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ebr — electronic batch records",
        description = "Electronic batch records for GMP manufacturing of cell therapies. Every route except login and health needs the `ebr_session` cookie from `POST /api/v1/session`. Errors are application/problem+json (RFC 9457) with a stable `code` naming the rule."
    ),
    paths(
        health::healthz,
        health::readyz,
        metrics::metrics,
        session::login,
        session::whoami,
        session::logout,
        session::change_password,
        session::acknowledge,
        session::choose_language,
        users::list,
        users::create,
        users::change_roles,
        users::deactivate,
        users::unlock,
        users::reset_password,
        users::verify_identity,
        users::revoke_sessions,
        access_reviews::list,
        access_reviews::generate,
        access_reviews::pdf,
        access_reviews::sign,
        second_factor::new_offer,
        second_factor::enrol,
        second_factor::request_reset,
        second_factor::confirm_reset,
        training::list_curricula,
        training::create_curriculum,
        training::list_records,
        training::my_records,
        training::record_training,
        training::sign_training,
        training::read_and_understood,
        training::revoke,
        training::qualification_matrix,
        mbrs::list,
        mbrs::get,
        mbrs::import,
        mbrs::sign,
        registry::list_lots,
        registry::register_lot,
        registry::update_lot,
        registry::list_equipment,
        registry::register_equipment,
        registry::update_equipment,
        batches::list,
        batches::issue,
        batches::get,
        batches::audit_trail,
        execution::record,
        execution::correct,
        execution::sign,
        execution::preview,
        execution::contingency_form,
        deviations::list,
        deviations::open,
        deviations::revise,
        deviations::close,
        qc::list,
        qc::record,
        qc::review,
        qc::invalidate,
        release::exceptions,
        release::gate,
        release::sign,
        release::vials,
        release::vial_lineage,
        release::record_lineage,
        release::descendants,
        record::export,
        record::pdf,
        custody::register_donor,
        custody::donors,
        custody::donor_chain,
        custody::record_determination,
        custody::sign_determination,
        custody::record_bank_decision,
        custody::bank_decisions,
        custody::sign_bank_decision,
        custody::print_labels,
        custody::labels_of,
        custody::scan_label,
        custody::destroy_label,
        custody::register_location,
        custody::locations,
        custody::box_contents,
        custody::vial_storage,
        custody::pack,
        custody::shipment_list,
        custody::shipment,
        custody::hand_over,
        custody::receive,
        custody::sign_shipment,
        custody::administer,
        custody::vial_chain,
        custody::subject_chain,
    ),
    components(schemas(Problem, ProblemItem, crate::auth::signature::SignatureRequest)),
    modifiers(&CompleteResponses)
)]
pub struct ApiDoc;

/// One registered route.
pub struct RouteEntry {
    /// Method.
    pub method: Method,
    /// Pattern, as in the authorization table.
    pub path: &'static str,
    route: Route,
}

/// A route of the table.
pub fn entry(method: Method, path: &'static str, route: Route) -> RouteEntry {
    RouteEntry {
        method,
        path,
        route,
    }
}

/// Every route of the application, in one list.
pub fn route_table() -> Vec<RouteEntry> {
    vec![
        entry(Method::GET, "/healthz", web::get().to(health::healthz)),
        entry(Method::GET, "/readyz", web::get().to(health::readyz)),
        entry(Method::GET, "/metrics", web::get().to(metrics::metrics)),
        entry(
            Method::POST,
            "/api/v1/session",
            web::post().to(session::login),
        ),
        entry(
            Method::GET,
            "/api/v1/session",
            web::get().to(session::whoami),
        ),
        entry(
            Method::DELETE,
            "/api/v1/session",
            web::delete().to(session::logout),
        ),
        entry(
            Method::POST,
            "/api/v1/session/password",
            web::post().to(session::change_password),
        ),
        entry(
            Method::POST,
            "/api/v1/session/acknowledgment",
            web::post().to(session::acknowledge),
        ),
        entry(
            Method::POST,
            "/api/v1/session/language",
            web::post().to(session::choose_language),
        ),
        entry(Method::GET, "/api/v1/users", web::get().to(users::list)),
        entry(Method::POST, "/api/v1/users", web::post().to(users::create)),
        entry(
            Method::POST,
            "/api/v1/users/{id}/roles",
            web::post().to(users::change_roles),
        ),
        entry(
            Method::POST,
            "/api/v1/users/{id}/deactivate",
            web::post().to(users::deactivate),
        ),
        entry(
            Method::POST,
            "/api/v1/users/{id}/unlock",
            web::post().to(users::unlock),
        ),
        entry(
            Method::POST,
            "/api/v1/users/{id}/password",
            web::post().to(users::reset_password),
        ),
        entry(
            Method::POST,
            "/api/v1/users/{id}/identity-verification",
            web::post().to(users::verify_identity),
        ),
        entry(
            Method::DELETE,
            "/api/v1/users/{id}/sessions",
            web::delete().to(users::revoke_sessions),
        ),
        entry(
            Method::GET,
            "/api/v1/access-reviews",
            web::get().to(access_reviews::list),
        ),
        entry(
            Method::POST,
            "/api/v1/access-reviews",
            web::post().to(access_reviews::generate),
        ),
        entry(
            Method::GET,
            "/api/v1/access-reviews/{id}/pdf",
            web::get().to(access_reviews::pdf),
        ),
        entry(
            Method::POST,
            "/api/v1/access-reviews/{id}/signatures",
            web::post().to(access_reviews::sign),
        ),
        entry(
            Method::GET,
            "/api/v1/session/second-factor/offer",
            web::get().to(second_factor::new_offer),
        ),
        entry(
            Method::POST,
            "/api/v1/session/second-factor",
            web::post().to(second_factor::enrol),
        ),
        entry(
            Method::POST,
            "/api/v1/users/{id}/second-factor/reset-requests",
            web::post().to(second_factor::request_reset),
        ),
        entry(
            Method::POST,
            "/api/v1/users/{id}/second-factor/resets",
            web::post().to(second_factor::confirm_reset),
        ),
        entry(
            Method::GET,
            "/api/v1/curricula",
            web::get().to(training::list_curricula),
        ),
        entry(
            Method::POST,
            "/api/v1/curricula",
            web::post().to(training::create_curriculum),
        ),
        entry(
            Method::POST,
            "/api/v1/curricula/{id}/versions/{version}/signatures",
            web::post().to(training::read_and_understood),
        ),
        entry(
            Method::GET,
            "/api/v1/training-records",
            web::get().to(training::list_records),
        ),
        entry(
            Method::GET,
            "/api/v1/session/training",
            web::get().to(training::my_records),
        ),
        entry(
            Method::POST,
            "/api/v1/training-records",
            web::post().to(training::record_training),
        ),
        entry(
            Method::POST,
            "/api/v1/training-records/revocations",
            web::post().to(training::revoke),
        ),
        entry(
            Method::POST,
            "/api/v1/training-records/{id}/signatures",
            web::post().to(training::sign_training),
        ),
        entry(
            Method::GET,
            "/api/v1/training/matrix",
            web::get().to(training::qualification_matrix),
        ),
        entry(Method::GET, "/api/v1/mbrs", web::get().to(mbrs::list)),
        entry(Method::POST, "/api/v1/mbrs", web::post().to(mbrs::import)),
        entry(Method::GET, "/api/v1/mbrs/{id}", web::get().to(mbrs::get)),
        entry(
            Method::POST,
            "/api/v1/mbrs/{id}/signatures",
            web::post().to(mbrs::sign),
        ),
        entry(
            Method::GET,
            "/api/v1/materials",
            web::get().to(registry::list_lots),
        ),
        entry(
            Method::POST,
            "/api/v1/materials",
            web::post().to(registry::register_lot),
        ),
        entry(
            Method::POST,
            "/api/v1/materials/{id}/status",
            web::post().to(registry::update_lot),
        ),
        entry(
            Method::GET,
            "/api/v1/equipment",
            web::get().to(registry::list_equipment),
        ),
        entry(
            Method::POST,
            "/api/v1/equipment",
            web::post().to(registry::register_equipment),
        ),
        entry(
            Method::POST,
            "/api/v1/equipment/{id}/status",
            web::post().to(registry::update_equipment),
        ),
        entry(Method::GET, "/api/v1/batches", web::get().to(batches::list)),
        entry(
            Method::POST,
            "/api/v1/batches",
            web::post().to(batches::issue),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}",
            web::get().to(batches::get),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/audit-trail",
            web::get().to(batches::audit_trail),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/steps/{step}/entries",
            web::post().to(execution::record),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/entries/{entry}/corrections",
            web::post().to(execution::correct),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/steps/{step}/signatures",
            web::post().to(execution::sign),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/steps/{step}/preview",
            web::post().to(execution::preview),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/deviations",
            web::get().to(deviations::list),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/deviations",
            web::post().to(deviations::open),
        ),
        entry(
            Method::POST,
            "/api/v1/deviations/{id}/revisions",
            web::post().to(deviations::revise),
        ),
        entry(
            Method::POST,
            "/api/v1/deviations/{id}/signatures",
            web::post().to(deviations::close),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/qc-results",
            web::get().to(qc::list),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/qc-results",
            web::post().to(qc::record),
        ),
        entry(
            Method::POST,
            "/api/v1/qc-results/{id}/signatures",
            web::post().to(qc::review),
        ),
        entry(
            Method::POST,
            "/api/v1/qc-results/{id}/invalidations",
            web::post().to(qc::invalidate),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/exceptions",
            web::get().to(release::exceptions),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/release-gate",
            web::get().to(release::gate),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/signatures",
            web::post().to(release::sign),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/contingency-forms",
            web::post().to(execution::contingency_form),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/vials",
            web::get().to(release::vials),
        ),
        entry(
            Method::GET,
            "/api/v1/vials/{serial}/lineage",
            web::get().to(release::vial_lineage),
        ),
        entry(
            Method::POST,
            "/api/v1/materials/{id}/lineage",
            web::post().to(release::record_lineage),
        ),
        entry(
            Method::GET,
            "/api/v1/materials/{id}/descendants",
            web::get().to(release::descendants),
        ),
        entry(
            Method::POST,
            "/api/v1/donors",
            web::post().to(custody::register_donor),
        ),
        entry(
            Method::GET,
            "/api/v1/donors",
            web::get().to(custody::donors),
        ),
        entry(
            Method::GET,
            "/api/v1/donors/{id}/chain",
            web::get().to(custody::donor_chain),
        ),
        entry(
            Method::POST,
            "/api/v1/donors/{id}/eligibility",
            web::post().to(custody::record_determination),
        ),
        entry(
            Method::POST,
            "/api/v1/donor-eligibility/{id}/signatures",
            web::post().to(custody::sign_determination),
        ),
        entry(
            Method::POST,
            "/api/v1/cell-bank-releases",
            web::post().to(custody::record_bank_decision),
        ),
        entry(
            Method::GET,
            "/api/v1/cell-bank-releases",
            web::get().to(custody::bank_decisions),
        ),
        entry(
            Method::POST,
            "/api/v1/cell-bank-releases/{id}/signatures",
            web::post().to(custody::sign_bank_decision),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/labels",
            web::post().to(custody::print_labels),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/labels",
            web::get().to(custody::labels_of),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/labels/scans",
            web::post().to(custody::scan_label),
        ),
        entry(
            Method::POST,
            "/api/v1/batches/{id}/labels/{number}/destructions",
            web::post().to(custody::destroy_label),
        ),
        entry(
            Method::POST,
            "/api/v1/storage/locations",
            web::post().to(custody::register_location),
        ),
        entry(
            Method::GET,
            "/api/v1/storage/locations",
            web::get().to(custody::locations),
        ),
        entry(
            Method::GET,
            "/api/v1/storage/boxes/{code}",
            web::get().to(custody::box_contents),
        ),
        entry(
            Method::POST,
            "/api/v1/vials/{serial}/storage",
            web::post().to(custody::vial_storage),
        ),
        entry(
            Method::POST,
            "/api/v1/shipments",
            web::post().to(custody::pack),
        ),
        entry(
            Method::GET,
            "/api/v1/shipments",
            web::get().to(custody::shipment_list),
        ),
        entry(
            Method::GET,
            "/api/v1/shipments/{id}",
            web::get().to(custody::shipment),
        ),
        entry(
            Method::POST,
            "/api/v1/shipments/{id}/handover",
            web::post().to(custody::hand_over),
        ),
        entry(
            Method::POST,
            "/api/v1/shipments/{id}/receipt",
            web::post().to(custody::receive),
        ),
        entry(
            Method::POST,
            "/api/v1/shipments/{id}/signatures",
            web::post().to(custody::sign_shipment),
        ),
        entry(
            Method::POST,
            "/api/v1/vials/{serial}/administrations",
            web::post().to(custody::administer),
        ),
        entry(
            Method::GET,
            "/api/v1/vials/{serial}/chain",
            web::get().to(custody::vial_chain),
        ),
        entry(
            Method::GET,
            "/api/v1/subjects/{id}/chain",
            web::get().to(custody::subject_chain),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/record.json",
            web::get().to(record::export),
        ),
        entry(
            Method::GET,
            "/api/v1/batches/{id}/record.pdf",
            web::get().to(record::pdf),
        ),
    ]
    .into_iter()
    .chain(crate::ui::routes::page_table())
    .collect()
}

/// The (method, pattern) of every registered route.
pub fn registered() -> Vec<(Method, &'static str)> {
    route_table()
        .into_iter()
        .map(|e| (e.method, e.path))
        .collect()
}

/// Installs every route of [`route_table`], each wrapped in the authorization
/// middleware.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut registered = RegisteredRoutes::default();
    let mut by_path: Vec<(&'static str, Vec<Route>)> = Vec::new();
    for e in route_table() {
        registered.0.insert((e.method.to_string(), e.path));
        match by_path.iter_mut().find(|(p, _)| *p == e.path) {
            Some((_, routes)) => routes.push(e.route),
            None => by_path.push((e.path, vec![e.route])),
        }
    }
    cfg.app_data(web::Data::new(registered));
    for (path, routes) in by_path {
        let resource = routes
            .into_iter()
            .fold(web::resource(path), |res, route| res.route(route))
            .default_service(web::to(method_not_allowed));
        cfg.service(resource.wrap(from_fn(authorize)));
    }
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        req.method(),
        req.path()
    )))
}

/// Passes `result` through; when a rule refused it (a 403, 409 or 422), the
/// attempt is written to the audit trail first, on `chain` and naming the
/// record at stake: a refusal stores nothing but the attempt. (Refusals a
/// handler does not pass through here are still audited, less precisely, by
/// the authorization middleware: see [`crate::refusals`].)
pub async fn audited<T>(
    state: &AppState,
    chain: &str,
    actor: &str,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    use actix_web::ResponseError;
    if let Err(e) = &result {
        if crate::refusals::is_refusal(e.status_code().as_u16()) {
            let attempt = crate::refusals::Attempt {
                chain: chain.to_string(),
                actor: actor.to_string(),
                action: action.to_string(),
                entity_type: entity_type.to_string(),
                entity_id: entity_id.to_string(),
            };
            crate::refusals::record(state, attempt, e.code(), &e.to_string()).await;
        }
    }
    result
}
