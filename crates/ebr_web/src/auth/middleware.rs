//! The authorization middleware, wrapped around every registered route.
//!
//! It runs after routing, so it knows the route pattern; it looks the rule up
//! in [`rules::RULES`](crate::auth::rules::RULES), fails closed when a
//! registered route has none, authenticates the session and checks roles.
//! Role refusals are audited (R7), and so is every other refusal of a
//! state-changing request that its handler did not audit itself
//! ([`crate::refusals`]).

use std::collections::HashSet;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use ebr_db::repo::person_actor;
use ebr_domain::audit::SYSTEM_CHAIN;

use crate::auth::rules::{is_page, rule_for, Access};
use crate::auth::session::{authenticate, COOKIE};
use crate::error::ApiError;
use crate::refusals::{self, is_state_changing, RefusedWith};
use crate::state::AppState;

/// Every (method, pattern) registered, so a registered route without a rule
/// is told apart from a method the route does not have (405).
#[derive(Debug, Default)]
pub struct RegisteredRoutes(pub HashSet<(String, &'static str)>);

/// The refusal: problem+json for the API; for a browser page, a redirect to
/// the login (keeping where the person was) or to the password change, or an
/// HTML page naming the rule.
fn refuse(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    let pattern = req.match_pattern().unwrap_or_default();
    if is_page(&pattern) {
        let (http, _) = req.into_parts();
        let response = crate::ui::page::refusal(&http, &error);
        return ServiceResponse::new(http, response);
    }
    req.error_response(error)
}

/// Authorizes one request against the rule of its route.
pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let pattern = req.match_pattern().unwrap_or_default();
    let method = req.method().clone();
    let Some(rule) = rule_for(&method, &pattern) else {
        let registered = req
            .app_data::<web::Data<RegisteredRoutes>>()
            .is_some_and(|r| {
                r.0.iter()
                    .any(|(m, p)| m == method.as_str() && *p == pattern)
            });
        if registered {
            return Ok(refuse(
                req,
                ApiError::Internal(anyhow::anyhow!(
                    "route {method} {pattern} has no authorization rule"
                )),
            ));
        }
        // Not a method of this route: the resource answers 405.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if rule.access == Access::Public {
        let response = next.call(req).await?.map_into_boxed_body();
        return Ok(documented(&method, &pattern, response));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(
            req,
            ApiError::Internal(anyhow::anyhow!("application state missing")),
        ));
    };
    let replica_fallback = crate::replicas::served_by_replica(&method, &pattern);
    // With the primary known to be gone (replica probe), answer 503 at once
    // rather than hold a blocking thread for the pool's timeout: those
    // threads are what the replica's reads need meanwhile.
    if !replica_fallback && state.reads.configured() && !state.reads.primary_up() {
        return Ok(refuse(
            req,
            ApiError::Db(ebr_db::DbError::Unavailable(
                "the primary database does not answer (a failover may be under way)".into(),
            )),
        ));
    }
    let token = req.cookie(COOKIE).map(|c| c.value().to_string());
    let current = match authenticate(&state, token, replica_fallback).await {
        Ok(current) => current,
        Err(e) => return Ok(refuse(req, e)),
    };
    let actor = person_actor(current.person.person.id);
    if let Access::Roles(roles) = rule.access {
        if current.must_change_password {
            let error = ApiError::Domain(ebr_domain::DomainError::PasswordChangeRequired);
            if is_state_changing(&method) {
                let attempt = route_attempt(&req, actor, &method, &pattern);
                refusals::record(&state, attempt, error.code(), &error.to_string()).await;
            }
            return Ok(refuse(req, error));
        }
        if !roles.iter().any(|r| current.person.has_role(*r)) {
            let needed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let route = format!("{method} {pattern}");
            let needed_text = needed.join(", ");
            let attempt = refusals::Attempt {
                chain: SYSTEM_CHAIN.to_string(),
                actor,
                action: "access.denied".into(),
                entity_type: "route".into(),
                entity_id: route.clone(),
            };
            refusals::record(
                &state,
                attempt,
                "role_forbidden",
                &format!("needs one of: {needed_text}"),
            )
            .await;
            return Ok(refuse(
                req,
                ApiError::Forbidden {
                    code: "role_forbidden",
                    detail: format!("{route} needs one of the roles: {needed_text}"),
                },
            ));
        }
    }
    let attempt = route_attempt(&req, actor, &method, &pattern);
    req.extensions_mut().insert(current);
    let (response, audited) = refusals::scope(next.call(req)).await;
    let response = response?;
    if !audited && is_state_changing(&method) && refusals::is_refusal(response.status().as_u16()) {
        let refused = response
            .response()
            .extensions()
            .get::<RefusedWith>()
            .cloned();
        if let Some(refused) = refused {
            refusals::record(&state, attempt, refused.rule, &refused.detail).await;
        } else {
            tracing::error!(
                route = %format!("{method} {pattern}"),
                status = response.status().as_u16(),
                "a refusal without its rule was answered; audited as `unnamed_refusal`"
            );
            refusals::record(&state, attempt, "unnamed_refusal", "refused").await;
        }
    }
    Ok(documented(
        &method,
        &pattern,
        response.map_into_boxed_body(),
    ))
}

/// The response, unless it is a refusal the OpenAPI document does not list
/// for its route while that is enforced (test servers): then a 500 naming
/// the gap.
fn documented(
    method: &actix_web::http::Method,
    pattern: &str,
    response: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    let status = response.status().as_u16();
    let gap = refusals::undocumented(
        method,
        pattern,
        status,
        response.response().extensions().get::<RefusedWith>(),
    );
    let Some(gap) = gap else {
        return response;
    };
    tracing::error!(%gap, "undocumented refusal");
    let (req, _) = response.into_parts();
    ServiceResponse::new(
        req,
        actix_web::HttpResponse::InternalServerError()
            .content_type("application/problem+json")
            .json(serde_json::json!({
                "type": "urn:ebr:problem:undocumented_refusal",
                "title": "Internal Server Error",
                "status": 500,
                "code": "undocumented_refusal",
                "detail": gap,
            })),
    )
}

/// The attempt a request makes, for auditing its refusal: on the batch's
/// chain when the route names a batch (`/…/batches/{id}/…`), otherwise on
/// the system chain; the record at stake is the request's own path.
fn route_attempt(
    req: &ServiceRequest,
    actor: String,
    method: &actix_web::http::Method,
    pattern: &str,
) -> refusals::Attempt {
    let batch = pattern
        .contains("/batches/{id}")
        .then(|| req.match_info().get("id"))
        .flatten()
        .and_then(|id| uuid::Uuid::parse_str(id).ok());
    refusals::Attempt {
        chain: batch.map_or_else(
            || SYSTEM_CHAIN.to_string(),
            ebr_db::repo::audit::batch_chain,
        ),
        actor,
        action: "request".into(),
        entity_type: "route".into(),
        entity_id: format!("{method} {}", req.path()),
    }
}
