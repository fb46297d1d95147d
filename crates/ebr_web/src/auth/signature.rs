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
use ebr_domain::second_factor::{check_code, check_required};
use ebr_domain::session::check_signer_ready;
use ebr_domain::signature::{check_components, Factors, SignatureMeaning};
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
    /// The current code of the signer's authenticator app (or a recovery
    /// code), when the site asks for a second factor at signing.
    #[serde(default)]
    pub otp: Option<String>,
}

/// Audits a refused signature attempt on the chain of the record it was
/// aimed at (a batch record's refusals are in the batch's own trail).
async fn refuse(
    state: &AppState,
    who: &Authenticated,
    chain: &str,
    record: &str,
    error: ApiError,
) -> ApiError {
    let attempt = crate::refusals::Attempt {
        chain: chain.to_string(),
        actor: person_actor(who.person.person.id),
        action: "signature".into(),
        entity_type: "signature_request".into(),
        entity_id: record.to_string(),
    };
    crate::refusals::record(state, attempt, error.code(), &error.to_string()).await;
    error
}

/// Checks what a signer must have before a password is asked for: a valid
/// password, the username when the continuous signing period is broken, the
/// acknowledged accountability statement and a verified identity. A refusal
/// is audited against `record` (a description such as `mbr_version:<id>`).
async fn check_signer(
    state: &AppState,
    who: &Authenticated,
    request: &SignatureRequest,
    chain: &str,
    record: &str,
) -> Result<(), ApiError> {
    let person = &who.person;
    let ready = check_signer_ready(
        who.must_change_password,
        person.acknowledged_signature_statement,
        person.identity_verified,
    )
    .and_then(|()| {
        check_components(
            who.continuous_signing,
            &person.person.username,
            request.username.as_deref(),
        )
    });
    match ready {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse(state, who, chain, record, e.into()).await),
    }
}

/// Whether the password matches the hash loaded with the session. argon2
/// runs on its own thread; no database connection is held meanwhile.
async fn password_matches(who: &Authenticated, password: &str) -> Result<bool, ApiError> {
    let phc = who.credential.0.clone().unwrap_or_default();
    let password = password.to_string();
    actix_web::web::block(move || password::verify(&password, &phc))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("password check failed: {e}")))
}

/// A wrong password: the failure is stored and audited and counts toward the
/// lockout (the person's sessions end when it locks). Nothing is signed.
async fn password_refused(
    state: &AppState,
    who: &Authenticated,
    target: &SigningTarget,
) -> ApiError {
    let id = who.person.person.id;
    let username = who.person.person.username.clone();
    let now = state.clock.now();
    let (chain, record) = (target.chain.clone(), target.record.clone());
    let locked = blocking::db(&state.pool, move |conn| {
        let context = people::AttemptContext {
            chain: &chain,
            record: Some(&record),
        };
        let attempt =
            people::record_attempt(conn, context, Some(id), &username, "signature", false, now)?;
        if attempt.locked_now {
            sessions::end_all_for(conn, id, "locked", now)?;
        }
        Ok(attempt.locked_now)
    })
    .await;
    state.metrics.signature_failed();
    match locked {
        Err(e) => e,
        Ok(true) => {
            state.metrics.account_locked();
            ApiError::Unauthorized {
                code: "account_locked",
                detail: "password incorrect; the account is now locked after repeated failures and an administrator must unlock it. Nothing was signed.".into(),
            }
        }
        Ok(false) => ApiError::Unauthorized {
            code: "password_incorrect",
            detail: "password incorrect; nothing was signed".into(),
        },
    }
}

/// The second factor of a signature, when the site asks for one: the
/// person's enrolled authenticator and a current, unused code (or an unused
/// recovery code). The accepted code is stored at once, so it is never
/// accepted again; a wrong or replayed code counts toward the lockout like a
/// wrong password. Every refusal is audited on the record's chain.
async fn second_factor(
    state: &AppState,
    who: &Authenticated,
    otp: Option<&str>,
    target: &SigningTarget,
) -> Result<Factors, ApiError> {
    let setting = state.security.second_factor;
    if !setting.at_signing() {
        return Ok(Factors::Password);
    }
    let id = who.person.person.id;
    let username = who.person.person.username.clone();
    let otp = otp
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let now = state.clock.now();
    let (chain, record) = (target.chain.clone(), target.record.clone());
    let outcome = blocking::db(&state.pool, move |conn| {
        let active = ebr_db::repo::second_factor::active(conn, id)?;
        if let Err(e) = check_required(setting, active.is_some(), otp.is_some()) {
            return Ok(Err((e, false)));
        }
        let (Some(active), Some(code)) = (active, otp) else {
            return Ok(Err((ebr_domain::DomainError::SecondFactorRequired, false)));
        };
        match check_code(&active.enrolment(), &code, now) {
            Ok(accepted) => {
                ebr_db::repo::second_factor::record_use(
                    conn,
                    active.enrolment.id,
                    accepted,
                    id,
                    now,
                )?;
                Ok(Ok(()))
            }
            Err(e) => {
                let context = people::AttemptContext {
                    chain: &chain,
                    record: Some(&record),
                };
                let attempt = people::record_attempt(
                    conn,
                    context,
                    Some(id),
                    &username,
                    "second_factor",
                    false,
                    now,
                )?;
                if attempt.locked_now {
                    sessions::end_all_for(conn, id, "locked", now)?;
                }
                Ok(Err((e, attempt.locked_now)))
            }
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(Factors::PasswordAndTotp),
        Err((_, true)) => {
            state.metrics.account_locked();
            Err(ApiError::Unauthorized {
                code: "account_locked",
                detail: "authenticator code incorrect; the account is now locked after repeated failures and an administrator must unlock it. Nothing was signed.".into(),
            })
        }
        Err((e, false)) => Err(refuse(state, who, &target.chain, &target.record, e.into()).await),
    }
}

/// Stores a successful password check (it ends the run of failures) and
/// keeps the continuous signing period open (password-only signing next).
fn password_accepted(
    conn: &mut ebr_db::PgConnection,
    who: &Verified,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ebr_db::DbError> {
    people::record_attempt(
        conn,
        people::AttemptContext {
            chain: &who.chain,
            record: Some(&who.record),
        },
        Some(who.person),
        &who.username,
        "signature",
        true,
        now,
    )?;
    if !who.continuous {
        sessions::set_signing_continuous(conn, who.session, true)?;
    }
    Ok(())
}

/// Whose password was just verified, for storing the successful check.
struct Verified {
    person: uuid::Uuid,
    username: String,
    session: uuid::Uuid,
    continuous: bool,
    chain: String,
    record: String,
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
    /// The training the signer needs for this signature (R9), checked on
    /// the connection of the signed action, just before it (a refusal
    /// leaves its exception and stores the successful password check);
    /// `None` for records outside a batch.
    pub training: Option<TrainingGate>,
}

impl SigningTarget {
    /// A record outside any batch (an MBR version, a training record, an
    /// access review…): on the system chain, with no training gate; the
    /// ceremony names it `<record_prefix>:<entity_id>`.
    pub fn on_system_chain(
        kind: ebr_domain::signing::SignedRecordKind,
        action: &'static str,
        entity_type: &'static str,
        record_prefix: &str,
        entity_id: String,
    ) -> SigningTarget {
        SigningTarget {
            kind,
            chain: ebr_domain::audit::SYSTEM_CHAIN.to_string(),
            action,
            entity_type,
            record: format!("{record_prefix}:{entity_id}"),
            entity_id,
            training: None,
        }
    }
}

/// A training gate on a batch: the activity the signature is, and its step.
#[derive(Debug, Clone)]
pub struct TrainingGate {
    /// The batch.
    pub batch_id: uuid::Uuid,
    /// What signing means here (performing, verifying, reviewing…).
    pub activity: ebr_domain::training::Activity,
    /// The step, for step signatures (its skills apply).
    pub step_key: Option<String>,
}

/// What the ceremony hands to the signed action: the meaning and who
/// signs (verified as the session's person, with the factors checked and
/// the server time).
#[derive(Debug, Clone)]
pub struct Signer {
    /// The meaning signed.
    pub meaning: SignatureMeaning,
    /// Who signs.
    pub signatory: ebr_domain::signature::Signatory,
}

/// The one signature ceremony of every signing route: the meaning must apply
/// to the record and the signer hold its role (checked before a password is
/// asked for; a refusal is audited on the record's chain), then the
/// credentials are re-verified against the hash loaded with the session
/// (argon2 holds no database connection), then `apply` performs the signed
/// action in one transaction with the stored successful check; a rule
/// refusing it is audited too.
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
    check_signer(state, who, &request, &target.chain, &target.record).await?;
    if !password_matches(who, &request.password).await? {
        return Err(password_refused(state, who, &target).await);
    }
    let factors = second_factor(state, who, request.otp.as_deref(), &target).await?;
    let now = state.clock.now();
    let signer = Signer {
        meaning: request.meaning,
        signatory: ebr_domain::signature::Signatory {
            id: who.person.person.id,
            printed_name: who.person.person.full_name.clone(),
            factors,
            comment: request.comment.clone().filter(|c| !c.trim().is_empty()),
            at: now,
        },
    };
    let verified = Verified {
        person: who.person.person.id,
        username: who.person.person.username.clone(),
        session: who.session.id,
        continuous: who.continuous_signing,
        chain: target.chain.clone(),
        record: target.record.clone(),
    };
    // The successful check and the signed action commit together; when a
    // rule refuses the action, the check is still stored on its own.
    let gate = target.training.clone();
    let roles = who.person.roles.clone();
    let result = blocking::db(&state.pool, move |conn| {
        if let Some(g) = &gate {
            let trained = ebr_db::repo::training::gate(
                conn,
                g.batch_id,
                verified.person,
                &roles,
                g.activity,
                g.step_key.as_deref(),
                now,
            )?;
            if let Err(rule) = trained {
                password_accepted(conn, &verified, now)?;
                return Err(ebr_db::DbError::Domain(rule));
            }
        }
        let done = ebr_db::tx::atomic(conn, |conn| {
            password_accepted(conn, &verified, now)?;
            apply(conn, signer)
        });
        if matches!(
            done,
            Err(ebr_db::DbError::Domain(_) | ebr_db::DbError::NotFound(_))
        ) {
            password_accepted(conn, &verified, now)?;
        }
        done
    })
    .await;
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
