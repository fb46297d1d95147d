//! The signature ceremony (R10, R12, R15, R16, R17, R19).
//!
//! An authenticated session never implies signing authority. Every signing
//! request re-verifies the signer's password; the first signature of a
//! continuous session period also needs the username; the signer is always the
//! session's own person; signing is disabled until the person acknowledged the
//! accountability statement and a second administrator verified their
//! identity. A wrong password stores no signature, is audited and counts
//! toward the lockout.

use ebr_db::repo::{people, person_actor, sessions};
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::signature::{check_components, SignatureMeaning};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::current::Authenticated;
use crate::auth::password;
use crate::blocking;
use crate::error::ApiError;
use crate::state::AppState;

/// The signature-accountability statement every person acknowledges (R10).
pub const ACCOUNTABILITY_STATEMENT: &str = "I understand that my electronic signature in ebr is the legally binding equivalent of my handwritten signature (21 CFR 11.100(c)), that I am accountable for every record I sign, and that I will never share my password or let anyone sign as me.";

/// SHA-256 of [`ACCOUNTABILITY_STATEMENT`].
pub fn statement_sha256() -> String {
    ebr_domain::canonical::sha256_hex(ACCOUNTABILITY_STATEMENT.as_bytes())
}

/// What a signer sends with every signature.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequest {
    /// The meaning: performed, verified, reviewed, approved, released, rejected or closed.
    #[schema(value_type = String, example = "approved")]
    pub meaning: SignatureMeaning,
    /// The signer's password (always required).
    pub password: String,
    /// The signer's username: required for the first signature of a session
    /// and after an idle lock; must be the session's own.
    #[serde(default)]
    pub username: Option<String>,
    /// An optional comment stored with the signature.
    #[serde(default)]
    pub comment: Option<String>,
}

async fn refuse(state: &AppState, who: &Authenticated, record: &str, error: ApiError) -> ApiError {
    let attempt = crate::refusals::Attempt {
        chain: SYSTEM_CHAIN.to_string(),
        actor: person_actor(who.person.person.id),
        action: "signature".into(),
        entity_type: "signature_request".into(),
        entity_id: record.to_string(),
    };
    crate::refusals::record(state, attempt, error.code(), &error.to_string()).await;
    error
}

/// Runs the ceremony for a signature on `record` (a description such as
/// `mbr_version:<id>` used in audit events). On success the caller performs
/// the signed action and stores the signature in one transaction.
pub async fn verify_signer(
    state: &AppState,
    who: &Authenticated,
    request: &SignatureRequest,
    record: &str,
) -> Result<(), ApiError> {
    let person = &who.person;
    if who.must_change_password {
        let e = ApiError::Forbidden {
            code: "password_change_required",
            detail: "change your temporary or expired password before signing".into(),
        };
        return Err(refuse(state, who, record, e).await);
    }
    if let Err(e) = check_components(
        who.continuous_signing,
        &person.person.username,
        request.username.as_deref(),
    ) {
        return Err(refuse(state, who, record, e.into()).await);
    }
    if !person.acknowledged_signature_statement {
        let e = ApiError::Forbidden {
            code: "signature_acknowledgment_required",
            detail: "acknowledge the signature-accountability statement first: POST /api/v1/session/acknowledgment".into(),
        };
        return Err(refuse(state, who, record, e).await);
    }
    if !person.identity_verified {
        let e = ApiError::Forbidden {
            code: "identity_not_verified",
            detail: "your electronic signature is not enabled yet: a second administrator must record that your identity was verified".into(),
        };
        return Err(refuse(state, who, record, e).await);
    }
    let id = person.person.id;
    let username = person.person.username.clone();
    let session_id = who.session.id;
    let password = request.password.clone();
    let now = state.clock.now();
    let outcome = blocking::db(&state.pool, move |conn| {
        let phc = people::credential(conn, id)?
            .map(|c| c.phc)
            .unwrap_or_default();
        let correct = password::verify(&password, &phc);
        let attempt = people::record_attempt(conn, Some(id), &username, "signature", correct, now)?;
        if correct {
            sessions::set_signing_continuous(conn, session_id, true)?;
        } else if attempt.locked_now {
            sessions::end_all_for(conn, id, "locked", now)?;
        }
        Ok((correct, attempt.locked_now))
    })
    .await?;
    if !outcome.0 {
        state.metrics.signature_failed();
    }
    if outcome.1 {
        state.metrics.account_locked();
    }
    match outcome {
        (true, _) => Ok(()),
        (false, true) => Err(ApiError::Unauthorized {
            code: "account_locked",
            detail: "password incorrect; the account is now locked after repeated failures and an administrator must unlock it. Nothing was signed.".into(),
        }),
        (false, false) => Err(ApiError::Unauthorized {
            code: "password_incorrect",
            detail: "password incorrect; nothing was signed".into(),
        }),
    }
}

/// What a signature is put on, for the ceremony and its audit events.
#[derive(Debug, Clone)]
pub struct SigningTarget {
    /// The kind of record (decides which meanings and roles apply).
    pub kind: ebr_domain::signing::SignedRecordKind,
    /// The audit chain of the record (`system` or `batch:<id>`).
    pub chain: String,
    /// The audited action, e.g. `step.sign` (a refusal is `step.sign.refused`).
    pub action: &'static str,
    /// The audited entity type, e.g. `batch_step`.
    pub entity_type: &'static str,
    /// The audited entity id.
    pub entity_id: String,
    /// The record as the ceremony's own audit events name it, e.g. `deviation:<id>`.
    pub record: String,
}

/// The signer and what they sign with, handed to the signed action.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The session's person (the ceremony verified it is them).
    pub id: uuid::Uuid,
    /// The name printed in the manifestation.
    pub printed_name: String,
    /// The meaning signed.
    pub meaning: SignatureMeaning,
    /// The signature's comment, `None` when empty.
    pub comment: Option<String>,
    /// The server time of the signature.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The one signature ceremony of every signing route: the meaning must apply
/// to the record and the signer hold its role (checked before a password is
/// asked for; a refusal is audited on the record's chain), then the
/// credentials are re-verified ([`verify_signer`]), then `apply` performs
/// the signed action in one transaction; a rule refusing it is audited too.
pub async fn sign<T, F>(
    state: &AppState,
    who: &Authenticated,
    request: SignatureRequest,
    target: SigningTarget,
    apply: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut ebr_db::PgConnection, Signer) -> Result<T, ebr_db::DbError> + Send + 'static,
    T: Send + 'static,
{
    let actor = person_actor(who.person.person.id);
    let allowed =
        ebr_domain::signing::check_meaning(target.kind, request.meaning, &who.person.roles)
            .map_err(ApiError::from);
    crate::routes::audited(
        state,
        &target.chain,
        &actor,
        target.action,
        target.entity_type,
        &target.entity_id,
        allowed,
    )
    .await?;
    verify_signer(state, who, &request, &target.record).await?;
    let signer = Signer {
        id: who.person.person.id,
        printed_name: who.person.person.full_name.clone(),
        meaning: request.meaning,
        comment: request.comment.clone().filter(|c| !c.trim().is_empty()),
        now: state.clock.now(),
    };
    let result = blocking::db(&state.pool, move |conn| apply(conn, signer)).await;
    crate::routes::audited(
        state,
        &target.chain,
        &actor,
        target.action,
        target.entity_type,
        &target.entity_id,
        result,
    )
    .await
}
