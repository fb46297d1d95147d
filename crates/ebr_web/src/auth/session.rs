//! Session tokens, cookies and authentication of a request's session.

use actix_web::cookie::{time, Cookie, SameSite};
use chrono::Duration;
use ebr_db::repo::sessions;
use ebr_domain::session::{check_session, AccountFacts, SessionFacts, SessionPolicy};
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
///
/// With `replica_fallback` (a read a replica serves) and the primary down,
/// the session is checked on an up-to-date replica instead, read-only: the
/// same rules, but neither the activity nor an ending is recorded.
pub async fn authenticate(
    state: &AppState,
    token: Option<String>,
    replica_fallback: bool,
) -> Result<Authenticated, ApiError> {
    let Some(token) = token else {
        return Err(unauthorized(
            "authentication_required",
            "log in first: POST /api/v1/session",
        ));
    };
    let now = state.clock.now();
    let settings = &state.security;
    let policy = SessionPolicy {
        idle_timeout: Duration::minutes(i64::from(settings.idle_timeout_minutes)),
        signing_idle_lock: Duration::minutes(i64::from(settings.signing_idle_lock_minutes)),
        password_max_age_days: settings.password_max_age_days,
    };
    let hash = token_hash(&token);
    let on_replica = |hash: String| async move {
        match state.reads.replica_pool() {
            Some(replica) => check_on(replica, hash, policy, now, false).await,
            None => Err(ApiError::Db(ebr_db::DbError::Unavailable(
                "the primary database does not answer and no replica is up to date".into(),
            ))),
        }
    };
    if replica_fallback && !state.reads.primary_up() {
        return on_replica(hash).await;
    }
    match check_on(&state.pool, hash.clone(), policy, now, true).await {
        Err(ApiError::Db(ebr_db::DbError::Unavailable(_)))
            if replica_fallback && state.reads.configured() =>
        {
            on_replica(hash).await
        }
        other => other,
    }
}

/// The session check on `pool`; `writable`: record the activity and end a
/// timed-out session (false on a replica).
async fn check_on(
    pool: &ebr_db::PgPool,
    hash: String,
    policy: SessionPolicy,
    now: chrono::DateTime<chrono::Utc>,
    writable: bool,
) -> Result<Authenticated, ApiError> {
    blocking::db(pool, move |conn| {
        let Some(sessions::OpenSession {
            session,
            person,
            credential_phc,
        }) = sessions::find_open_with_person(conn, &hash)?
        else {
            return Ok(Err(unauthorized(
                "session_invalid",
                "your session has ended; log in again",
            )));
        };
        let facts = SessionFacts {
            expires_at: session.expires_at,
            last_seen_at: session.last_seen_at,
            signing_continuous: session.signing_continuous,
        };
        let account = AccountFacts {
            active: person.active,
            locked: person.locked,
            password_temporary: person.password_temporary,
            password_set_at: person.password_set_at,
        };
        let standing = match check_session(facts, account, policy, now) {
            Ok(standing) => standing,
            Err((end, rule)) => {
                if writable {
                    sessions::end(conn, &session, end.as_str(), now)?;
                }
                return Ok(Err(ApiError::Unauthorized {
                    code: rule.rule(),
                    detail: rule.to_string(),
                }));
            }
        };
        if standing.record_activity && writable {
            sessions::touch(conn, session.id, now, standing.continuous_signing)?;
        }
        let (continuous, must_change) =
            (standing.continuous_signing, standing.must_change_password);
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
