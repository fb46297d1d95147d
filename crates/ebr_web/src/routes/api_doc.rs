//! Completes the OpenAPI document from the one route and authorization
//! table, so it is valid OpenAPI 3.1 (every response has its required
//! `description`, every operation a unique `operationId`) and lists the
//! refusals every route shares: the session check, the role check, an
//! unreadable body and an unavailable database.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::{Method, StatusCode};
use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};
use utoipa::Modify;

use crate::auth::rules::{rule_for, Access};

/// The [`Modify`] that completes every operation's responses.
pub struct CompleteResponses;

impl Modify for CompleteResponses {
    fn modify(&self, doc: &mut OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let operations = [
                (Method::GET, item.get.as_mut()),
                (Method::POST, item.post.as_mut()),
                (Method::DELETE, item.delete.as_mut()),
            ];
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    complete(&method, path, operation);
                }
            }
        }
    }
}

/// The refusals an operation shares with every route of its access level.
fn shared_refusals(method: &Method, path: &str) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    let access = rule_for(method, path).map(|r| r.access);
    if matches!(access, Some(Access::Session | Access::Roles(_))) {
        out.push((
            401,
            "authentication_required, session_invalid, session_expired, account_deactivated, account_locked",
        ));
    }
    if matches!(access, Some(Access::Roles(_))) {
        out.push((403, "role_forbidden, password_change_required"));
    }
    if *method == Method::POST && path.ends_with("/signatures") {
        // The signature ceremony every signing route runs.
        out.push((
            401,
            "password_incorrect, account_locked, two_components_required, second_factor_required, second_factor_invalid, second_factor_reused",
        ));
        out.push((
            403,
            "role_forbidden, signer_not_session_user, password_change_required, signature_acknowledgment_required, identity_not_verified, second_factor_not_enrolled, training_not_current",
        ));
        out.push((422, "meaning_not_allowed"));
    }
    if *method != Method::GET {
        out.push((400, "invalid_json, invalid_character"));
        out.push((413, "payload_too_large"));
    }
    if path.starts_with("/api/") {
        out.push((503, "service_unavailable"));
    }
    out
}

fn problem_response(codes: &str) -> Response {
    let mut response = Response::new(format!("Refused: {codes}"));
    response.content.insert(
        "application/problem+json".into(),
        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
    );
    response
}

/// A unique, stable operation id from the method and path:
/// `post /api/v1/batches/{id}/deviations` → `post_batches_id_deviations`
/// (handler names repeat across modules, e.g. `list`).
fn operation_id(method: &Method, path: &str) -> String {
    let words: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "api" && *s != "v1")
        .map(|s| {
            if s.starts_with('{') {
                s.trim_matches(['{', '}'])
            } else {
                s
            }
        })
        .collect();
    format!("{}_{}", method.as_str().to_lowercase(), words.join("_")).replace('-', "_")
}

fn complete(method: &Method, path: &str, operation: &mut Operation) {
    operation.operation_id = Some(operation_id(method, path));
    let summary = operation
        .summary
        .clone()
        .or_else(|| operation.description.clone())
        .unwrap_or_default();
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if response.description.trim().is_empty() {
            let reason = status
                .parse::<u16>()
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Response");
            response.description = if summary.is_empty() {
                reason.to_string()
            } else {
                format!("{reason}: {}", summary.trim_end_matches('.'))
            };
        }
    }
    for (status, codes) in shared_refusals(method, path) {
        let key = status.to_string();
        match operation.responses.responses.get_mut(&key) {
            Some(RefOr::T(existing)) => {
                let missing: Vec<&str> = codes
                    .split(", ")
                    .filter(|c| !existing.description.contains(c))
                    .collect();
                if !missing.is_empty() {
                    existing.description = format!(
                        "{}; also {}",
                        existing.description.trim_end_matches('.'),
                        missing.join(", ")
                    );
                }
            }
            Some(RefOr::Ref(_)) => {}
            None => {
                operation
                    .responses
                    .responses
                    .insert(key, RefOr::T(problem_response(codes)));
            }
        }
    }
}

/// Whether the served OpenAPI document lists `code` among the responses of
/// `method path` with `status` (the route's own refusals or those every
/// route shares), as a whole word of the response's description.
pub fn documents_refusal(method: &Method, path: &str, status: u16, code: &str) -> bool {
    static RESPONSES: OnceLock<HashMap<(String, String, String), String>> = OnceLock::new();
    let responses = RESPONSES.get_or_init(|| {
        let doc = <crate::routes::ApiDoc as utoipa::OpenApi>::openapi();
        let mut out = HashMap::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                (Method::GET, item.get.as_ref()),
                (Method::POST, item.post.as_ref()),
                (Method::DELETE, item.delete.as_ref()),
            ];
            for (method, operation) in operations {
                for (status, response) in operation.iter().flat_map(|o| &o.responses.responses) {
                    if let RefOr::T(response) = response {
                        out.insert(
                            (method.to_string(), path.clone(), status.clone()),
                            response.description.clone(),
                        );
                    }
                }
            }
        }
        out
    });
    responses
        .get(&(method.to_string(), path.to_string(), status.to_string()))
        .is_some_and(|description| {
            description
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|word| word == code)
        })
}
