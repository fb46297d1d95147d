//! Refusal auditing, in one place that no state-changing route can bypass.
//!
//! A refused attempt stores nothing but the attempt: an audit event
//! `<action>.refused` naming the rule. Handlers that know the record at
//! stake (a batch's chain, a deviation, a step) record it themselves through
//! [`record`] (via `routes::audited` or the signature ceremony); the
//! authorization middleware runs every request inside [`scope`] and, when a
//! state-changing request was refused (403, 409 or 422) and nothing recorded
//! it, records it on the batch's chain when the route names a batch and on
//! the system chain otherwise. A failed audit write is logged, never
//! silently dropped.

use std::cell::Cell;
use std::future::Future;

use actix_web::http::Method;
use ebr_db::repo::audit;

use crate::blocking;
use crate::state::AppState;

tokio::task_local! {
    /// Whether the request being served has already audited its refusal.
    static RECORDED: Cell<bool>;
}

/// The rule and message of a refusal, attached to the error response so the
/// middleware can audit a refusal it did not see being made.
#[derive(Debug, Clone)]
pub struct RefusedWith {
    /// The stable rule code.
    pub rule: &'static str,
    /// The message the person saw.
    pub detail: String,
}

/// Whether a response status is a rule's refusal (forbidden actor, state
/// conflict, refused input), as opposed to a malformed request or a fault.
pub fn is_refusal(status: u16) -> bool {
    matches!(status, 403 | 409 | 422)
}

/// Whether a request with this method can change anything.
pub fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Runs `work` (the rest of the request) and reports whether a refusal was
/// audited while it ran.
pub async fn scope<F: Future>(work: F) -> (F::Output, bool) {
    RECORDED
        .scope(Cell::new(false), async {
            let out = work.await;
            (out, RECORDED.with(Cell::get))
        })
        .await
}

/// What a refused attempt was, for its audit event.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The audit chain (`system` or `batch:<id>`).
    pub chain: String,
    /// Who attempted it (`person:<id>`, or `anonymous`).
    pub actor: String,
    /// The action attempted, e.g. `deviation.close` (stored as `….refused`).
    pub action: String,
    /// The kind of record at stake.
    pub entity_type: String,
    /// The record at stake.
    pub entity_id: String,
}

/// Audits a refused attempt in its own transaction (the refused change was
/// rolled back) and marks the request as audited. A failure to write the
/// event is logged with everything it would have said.
pub async fn record(state: &AppState, attempt: Attempt, rule: &str, detail: &str) {
    let _ = RECORDED.try_with(|r| r.set(true));
    let now = state.clock.now();
    let (rule, detail) = (rule.to_string(), detail.to_string());
    let logged = attempt.clone();
    let logged_rule = rule.clone();
    let written = blocking::db(&state.pool, move |conn| {
        audit::record_refusal(
            conn,
            &attempt.chain,
            &attempt.actor,
            &attempt.action,
            &attempt.entity_type,
            &attempt.entity_id,
            &rule,
            &detail,
            now,
        )
    })
    .await;
    if let Err(error) = written {
        tracing::error!(
            ?error,
            chain = %logged.chain,
            actor = %logged.actor,
            action = %logged.action,
            entity = %logged.entity_id,
            rule = %logged_rule,
            "the audit event of a refused attempt could not be written"
        );
    }
}

/// Set by the test servers: a refusal whose code the OpenAPI document does
/// not list for its route and status is answered as a 500 naming the gap,
/// so every refusal any test provokes is proven documented.
static ENFORCE_DOCUMENTED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Makes undocumented refusals fail loudly in this process (tests only).
pub fn enforce_documented_refusals() {
    ENFORCE_DOCUMENTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// When enforcing, the refusal code of an API response that the OpenAPI
/// document does not list for `method pattern` and its status: the gap, in
/// words. Not-found and method-not-allowed answers are exempt.
pub fn undocumented(
    method: &Method,
    pattern: &str,
    status: u16,
    refused: Option<&RefusedWith>,
) -> Option<String> {
    if !ENFORCE_DOCUMENTED.load(std::sync::atomic::Ordering::Relaxed)
        || !pattern.starts_with("/api/")
        || !(400..500).contains(&status)
        || matches!(status, 404 | 405)
    {
        return None;
    }
    let code = refused.map_or("(no code)", |r| r.rule);
    (!crate::routes::api_doc::documents_refusal(method, pattern, status, code)).then(|| {
        format!("{method} {pattern} answered {status} `{code}`, which its OpenAPI responses do not list")
    })
}
