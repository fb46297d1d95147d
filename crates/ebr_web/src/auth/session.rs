//! Session tokens, cookies and authentication of a request's session.

use actix_web::cookie::{time, Cookie, SameSite};
use chrono::Duration;
use ebr_db::repo::sessions;
use ebr_domain::identity::password_expired;
use ebr_domain::signature::idle_lock_reached;
use sha2::{Digest, Sha256};

use crate::auth::current::{Authenticated, StoredCredential};
use crate::blocking;
use crate::config::SecuritySettings;
use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "ebr_session";

/// A new random session token (256 bits, hex).
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The SHA-256 of a token: what the database stores.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The session cookie: HttpOnly, SameSite=Strict, Secure unless configured
/// off for plain-HTTP development.
pub fn cookie(token: &str, settings: &SecuritySettings) -> Cookie<'static> {
    Cookie::build(COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .secure(settings.secure_cookie)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::hours(i64::from(
            settings.absolute_lifetime_hours,
        )))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn removal_cookie(settings: &SecuritySettings) -> Cookie<'static> {
    let mut c = cookie("", settings);
    c.make_removal();
    c
}

fn unauthorized(code: &'static str, detail: &str) -> ApiError {
    ApiError::Unauthorized {
        code,
        detail: detail.to_string(),
    }
}

/// Authenticates a session token: it must be open, within its idle timeout
/// and absolute lifetime, and its person active and not locked. Records the
/// activity and whether the continuous signing period survives (R19).
pub async fn authenticate(
    state: &AppState,
    token: Option<String>,
) -> Result<Authenticated, ApiError> {
    let Some(token) = token else {
        return Err(unauthorized(
            "authentication_required",
            "log in first: POST /api/v1/session",
        ));
    };
    let now = state.clock.now();
    let settings = state.security.clone();
    let hash = token_hash(&token);
    blocking::db(&state.pool, move |conn| {
        let Some(sessions::OpenSession { session, person, credential_phc }) = sessions::find_open_with_person(conn, &hash)? else {
            return Ok(Err(unauthorized("session_invalid", "your session has ended; log in again")));
        };
        if now >= session.expires_at {
            sessions::end(conn, &session, "absolute_timeout", now)?;
            return Ok(Err(unauthorized("session_expired", "your session reached its maximum lifetime; log in again")));
        }
        if now - session.last_seen_at > Duration::minutes(i64::from(settings.idle_timeout_minutes)) {
            sessions::end(conn, &session, "idle_timeout", now)?;
            return Ok(Err(unauthorized("session_expired", "your session timed out after inactivity; log in again")));
        }
        if !person.active {
            sessions::end(conn, &session, "deactivated", now)?;
            return Ok(Err(unauthorized("account_deactivated", "this account is deactivated")));
        }
        if person.locked {
            sessions::end(conn, &session, "locked", now)?;
            return Ok(Err(unauthorized(
                "account_locked",
                "this account is locked after repeated failed password checks; an administrator must unlock it",
            )));
        }
        let continuous = session.signing_continuous
            && !idle_lock_reached(session.last_seen_at, now, Duration::minutes(i64::from(settings.signing_idle_lock_minutes)));
        sessions::touch(conn, session.id, now, continuous)?;
        let must_change = person.password_temporary
            || person
                .password_set_at
                .is_none_or(|set_at| password_expired(set_at, settings.password_max_age_days, now));
        Ok(Ok(Authenticated {
            session,
            person,
            continuous_signing: continuous,
            must_change_password: must_change,
            credential: StoredCredential(credential_phc),
        }))
    })
    .await?
}
