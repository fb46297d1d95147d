//! The second factor (TOTP, RFC 6238): a person enrols their authenticator
//! app (`/api/v1/session/second-factor`), and a lost factor is reset by two
//! administrators (`/api/v1/users/{id}/second-factor/…`).

use actix_web::{web, HttpResponse};
use ebr_db::repo::{people, person_actor, second_factor as repo};
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::second_factor::{
    check_code, otpauth_url, recovery_hash, secret_to_base32, Enrolment, RECOVERY_CODES,
};
use ebr_domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::auth::password;
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::audited;
use crate::routes::views::PersonView;
use crate::state::AppState;

/// The issuer name authenticator apps show next to the account.
const ISSUER: &str = "ebr";

/// A new secret to enrol, not stored until confirmed with a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentOffer {
    /// The shared secret (base32, 160 bits), for typing into an app.
    pub secret_base32: String,
    /// The `otpauth://` URL the QR code encodes.
    pub otpauth_url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// 20 random bytes from the operating system.
fn random_secret() -> Result<[u8; 20], ApiError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(bytes)
}

/// An enrolment offer for `username`: a fresh secret, its URL and QR code.
pub fn offer(username: &str) -> Result<EnrolmentOffer, ApiError> {
    let secret_base32 = secret_to_base32(&random_secret()?);
    let otpauth_url = otpauth_url(&secret_base32, username, ISSUER);
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .build();
    Ok(EnrolmentOffer {
        secret_base32,
        otpauth_url,
        qr_svg,
    })
}

/// A fresh secret to enrol (with its QR code); nothing is stored until
/// `POST /api/v1/session/second-factor` confirms it with a current code.
#[utoipa::path(get, path = "/api/v1/session/second-factor/offer", tag = "session", responses((status = 200, body = EnrolmentOffer)))]
pub async fn new_offer(who: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(offer(&who.person.person.username)?))
}

/// An enrolment: the offered secret, a code the app shows for it, and the
/// person's password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The secret from the offer.
    pub secret_base32: String,
    /// The 6-digit code the authenticator app shows now.
    pub code: String,
    /// Your password.
    pub password: String,
}

/// The recovery codes of a new enrolment, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolled {
    /// Single-use codes that stand in for the app when it is lost; only
    /// their SHA-256 is stored.
    pub recovery_codes: Vec<String>,
}

/// Ten recovery codes of 12 base32 characters, as `xxxx-xxxx-xxxx`.
fn recovery_codes() -> Result<Vec<String>, ApiError> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw = secret_to_base32(&random_secret()?).to_lowercase();
        let chars: Vec<char> = raw.chars().take(12).collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        codes.push(groups.join("-"));
    }
    Ok(codes)
}

/// Enrol your authenticator app: the password and a current code of the
/// offered secret prove both factors; your other sessions end (R18). A
/// wrong password or code counts toward the lockout.
#[utoipa::path(post, path = "/api/v1/session/second-factor", tag = "session", request_body = EnrolRequest, responses(
    (status = 201, body = Enrolled),
    (status = 401, body = Problem, content_type = "application/problem+json", description = "password_incorrect, second_factor_invalid"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "second_factor_already_enrolled"),
))]
pub async fn enrol(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<EnrolRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let id = who.person.person.id;
    let username = who.person.person.username.clone();
    let keep = who.session.id;
    let now = state.clock.now();
    let codes = recovery_codes()?;
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    let actor = person_actor(id);
    let result = blocking::db(&state.pool, move |conn| {
        let phc = people::credential(conn, id)?
            .map(|c| c.phc)
            .unwrap_or_default();
        let password_ok = password::verify(&body.password, &phc);
        let code_ok = password_ok
            && check_code(
                &Enrolment {
                    secret_base32: &body.secret_base32,
                    recovery_sha256: &[],
                    used_steps: &[],
                },
                &body.code,
                now,
            )
            .is_ok();
        let purpose = if password_ok {
            "second_factor"
        } else {
            "login"
        };
        people::record_attempt(
            conn,
            people::AttemptContext::LOGIN,
            Some(id),
            &username,
            purpose,
            code_ok,
            now,
        )?;
        if !password_ok {
            return Ok(Err(ApiError::Unauthorized {
                code: "password_incorrect",
                detail: "the password is incorrect; nothing was enrolled".into(),
            }));
        }
        if !code_ok {
            return Ok(Err(ApiError::Domain(DomainError::SecondFactorInvalid)));
        }
        repo::enrol(conn, id, &body.secret_base32, hashes, Some(keep), now)?;
        Ok(Ok(()))
    })
    .await
    .and_then(|r| r);
    audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "second_factor.enrol",
        "person",
        &id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(Enrolled {
        recovery_codes: codes,
    }))
}

/// Why a lost factor is reset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// Why (e.g. "phone lost, identity checked in person").
    pub reason: String,
}

/// A reset request waiting for a second administrator.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetRequested {
    /// The request to confirm.
    pub request_id: Uuid,
}

/// Ask for a person's lost second factor to be reset; a second
/// administrator confirms it.
#[utoipa::path(post, path = "/api/v1/users/{id}/second-factor/reset-requests", tag = "users", request_body = ResetRequest,
    params(("id" = Uuid, Path, description = "person id")),
    responses(
        (status = 201, body = ResetRequested),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required"),
    ))]
pub async fn request_reset(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let admin_id = admin.person.person.id;
    let now = state.clock.now();
    let reason = body.into_inner().reason;
    let result = blocking::db(&state.pool, move |conn| {
        repo::request_reset(conn, id, admin_id, &reason, now)
    })
    .await;
    let row = audited(
        &state,
        SYSTEM_CHAIN,
        &person_actor(admin_id),
        "second_factor.reset_request",
        "person",
        &id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(ResetRequested { request_id: row.id }))
}

/// The request a second administrator confirms.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmation {
    /// The reset request.
    pub request_id: Uuid,
}

/// Confirm a reset request as a second administrator: the factor is reset
/// and every session of the person ends (R18).
#[utoipa::path(post, path = "/api/v1/users/{id}/second-factor/resets", tag = "users", request_body = ResetConfirmation,
    params(("id" = Uuid, Path, description = "person id")),
    responses(
        (status = 200, body = PersonView),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "factor_reset_needs_second_admin"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "not_found"),
    ))]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<ResetConfirmation>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let admin_id = admin.person.person.id;
    let now = state.clock.now();
    let request = body.into_inner().request_id;
    let result = blocking::db(&state.pool, move |conn| {
        repo::confirm_reset(conn, id, request, admin_id, now)?;
        people::state(conn, id)
    })
    .await;
    let person = audited(
        &state,
        SYSTEM_CHAIN,
        &person_actor(admin_id),
        "second_factor.reset",
        "person",
        &id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}
