//! `/api/v1/session`: log in, who am I, log out, change password, acknowledge
//! the signature-accountability statement.

use actix_web::{web, HttpResponse};
use chrono::Duration;
use ebr_db::repo::{people, person_actor, sessions};
use ebr_domain::identity::{check_new_password, LOCKOUT_THRESHOLD};
use ebr_domain::second_factor::{check_code, SecondFactorSetting};
use ebr_domain::session::{check_password_changed, check_statement};
use ebr_domain::signature::{components_required, Components};
use ebr_domain::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::current::{Authenticated, StoredCredential};
use crate::auth::password;
use crate::auth::session::{cookie, new_token, removal_cookie, token_hash};
use crate::auth::signature::{statement_sha256, ACCOUNTABILITY_STATEMENT};
use crate::blocking;
use crate::error::{ApiError, Problem};
use crate::routes::views::{utc, PersonView};
use crate::state::AppState;

/// Login credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// The authenticator code, when the site asks for it at login
    /// (`signing_and_login`) and the person enrolled one.
    #[serde(default)]
    pub otp: Option<String>,
}

/// The signing status of the session's person.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningStatus {
    /// Whether this person can sign now (acknowledged, identity verified, password current).
    pub enabled: bool,
    /// `username_and_password` or `password_only` for the next signature (R16).
    pub next_signature_needs: String,
    /// The accountability statement to acknowledge (R10).
    pub accountability_statement: String,
    /// Its SHA-256, to send back when acknowledging.
    pub statement_sha256: String,
    /// When the site asks for the authenticator code: `off`, `signing` or
    /// `signing_and_login`.
    pub second_factor: String,
    /// Whether this person enrolled an authenticator.
    pub second_factor_enrolled: bool,
}

/// The session and its person.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The person.
    pub person: PersonView,
    /// The password must be changed before anything else.
    pub must_change_password: bool,
    /// Signing status.
    pub signing: SigningStatus,
    /// Absolute end of the session (UTC).
    pub expires_at: String,
    /// What the person must be told at this login: their account was
    /// locked after failed password checks and an administrator unlocked it
    /// since their last login (the login answer itself never says an
    /// account is locked, so usernames cannot be probed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_notice: Option<String>,
}

fn session_view(current: Authenticated, setting: SecondFactorSetting) -> SessionView {
    let enabled = current.person.acknowledged_signature_statement
        && current.person.identity_verified
        && !current.must_change_password;
    let needs = match components_required(current.continuous_signing) {
        Components::UsernameAndPassword => "username_and_password",
        Components::PasswordOnly => "password_only",
    };
    SessionView {
        expires_at: utc(current.session.expires_at),
        must_change_password: current.must_change_password,
        signing: SigningStatus {
            enabled,
            next_signature_needs: needs.into(),
            accountability_statement: ACCOUNTABILITY_STATEMENT.into(),
            statement_sha256: statement_sha256(),
            second_factor: setting.as_str().into(),
            second_factor_enrolled: current.person.second_factor_enrolled,
        },
        person: current.person.into(),
        security_notice: None,
    }
}

enum LoginOutcome {
    Invalid,
    LockedNow,
    Deactivated,
    CodeRefused(DomainError),
    LoggedIn(Box<Authenticated>, Option<chrono::DateTime<chrono::Utc>>),
}

/// Log in with username and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest, responses(
    (status = 201, body = SessionView, description = "logged in; the `ebr_session` cookie is set"),
    (status = 401, body = Problem, content_type = "application/problem+json", description = "credentials_invalid (also for a locked account: an unknown and a locked username answer alike), account_deactivated, second_factor_required, second_factor_invalid, second_factor_reused"),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "second_factor_not_enrolled"),
))]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        username,
        password,
        otp,
    } = body.into_inner();
    let setting = state.security.second_factor;
    let token = new_token()?;
    let hash = token_hash(&token);
    let now = state.clock.now();
    let lifetime = Duration::hours(i64::from(state.security.absolute_lifetime_hours));
    let max_age = state.security.password_max_age_days;
    let outcome = blocking::db(&state.pool, move |conn| {
        let username = username.trim().to_lowercase();
        let Some(row) = people::find_by_username(conn, &username)? else {
            password::verify_dummy(&password);
            people::record_attempt(
                conn,
                people::AttemptContext::LOGIN,
                None,
                &username,
                "login",
                false,
                now,
            )?;
            return Ok(LoginOutcome::Invalid);
        };
        let person = people::state(conn, row.id)?;
        if person.locked {
            password::verify_dummy(&password);
            return Ok(LoginOutcome::Invalid);
        }
        let phc = people::credential(conn, row.id)?
            .map(|c| c.phc)
            .unwrap_or_default();
        let password_ok = password::verify(&password, &phc);
        let needs_code = password_ok && setting.at_login() && person.second_factor_enrolled;
        let mut accepted = None;
        let mut code_refusal = None;
        if needs_code {
            let code = otp.as_deref().map(str::trim).filter(|c| !c.is_empty());
            let Some(code) = code else {
                return Ok(LoginOutcome::CodeRefused(DomainError::SecondFactorRequired));
            };
            match ebr_db::repo::second_factor::active(conn, row.id)? {
                Some(active) => match check_code(&active.enrolment(), code, now) {
                    Ok(a) => accepted = Some((active.enrolment.id, a)),
                    Err(e) => code_refusal = Some(e),
                },
                None => code_refusal = Some(DomainError::SecondFactorNotEnrolled),
            }
        }
        let correct = password_ok && code_refusal.is_none();
        let unlocked = if correct {
            people::unlocked_since_last_success(conn, row.id)?
        } else {
            None
        };
        let purpose = if needs_code { "second_factor" } else { "login" };
        let attempt = people::record_attempt(
            conn,
            people::AttemptContext::LOGIN,
            Some(row.id),
            &username,
            purpose,
            correct,
            now,
        )?;
        if attempt.locked_now {
            return Ok(LoginOutcome::LockedNow);
        }
        if let Some(refusal) = code_refusal {
            return Ok(LoginOutcome::CodeRefused(refusal));
        }
        if !correct {
            return Ok(LoginOutcome::Invalid);
        }
        if let Some((factor, code)) = accepted {
            ebr_db::repo::second_factor::record_use(conn, factor, code, row.id, now)?;
        }
        if !person.active {
            return Ok(LoginOutcome::Deactivated);
        }
        let session = sessions::create(conn, row.id, &hash, now, lifetime)?;
        let person = people::state(conn, row.id)?;
        let must_change = person.password_temporary
            || person
                .password_set_at
                .is_none_or(|t| ebr_domain::identity::password_expired(t, max_age, now));
        Ok(LoginOutcome::LoggedIn(
            Box::new(Authenticated {
                session,
                person,
                continuous_signing: false,
                must_change_password: must_change,
                credential: StoredCredential(Some(phc.clone())),
            }),
            unlocked,
        ))
    })
    .await?;
    let invalid = || {
        ApiError::Unauthorized {
        code: "credentials_invalid",
        detail: format!("username or password incorrect. After {LOCKOUT_THRESHOLD} failed attempts in a row an account is locked until an administrator unlocks it; ask one if you cannot log in"),
    }
    };
    match outcome {
        LoginOutcome::Invalid => Err(invalid()),
        LoginOutcome::LockedNow => {
            state.metrics.account_locked();
            Err(invalid())
        }
        LoginOutcome::Deactivated => Err(ApiError::Domain(DomainError::SessionAccountInactive)),
        LoginOutcome::CodeRefused(e) => Err(ApiError::Domain(e)),
        LoginOutcome::LoggedIn(current, unlocked) => {
            let mut view = session_view(*current, state.security.second_factor);
            view.security_notice = unlocked.map(|at| {
                format!(
                    "Your account was locked after {LOCKOUT_THRESHOLD} failed password checks and an administrator unlocked it at {}. If those attempts were not yours, tell QA and your administrator.",
                    utc(at)
                )
            });
            Ok(HttpResponse::Created()
                .cookie(cookie(&token, &state.security))
                .json(view))
        }
    }
}

/// The current session and its person.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", responses(
    (status = 200, body = SessionView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn whoami(state: web::Data<AppState>, current: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(session_view(current, state.security.second_factor))
}

/// Log out: ends the session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses(
    (status = 204, description = "logged out"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn logout(
    state: web::Data<AppState>,
    current: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    blocking::db(&state.pool, move |conn| {
        sessions::end(conn, &current.session, "logout", now)
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .cookie(removal_cookie(&state.security))
        .finish())
}

/// A password change by the person themselves.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current (possibly temporary) password.
    pub current_password: String,
    /// The new password: at least 12 characters, not containing the username.
    pub new_password: String,
}

/// Change your own password (required after an administrator set it, R17,
/// or when it expired, R18); every other session of yours ends (R18), this
/// one stays open.
#[utoipa::path(post, path = "/api/v1/session/password", tag = "session", request_body = PasswordChange, responses(
    (status = 200, body = SessionView),
    (status = 401, body = Problem, content_type = "application/problem+json", description = "password_incorrect"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "password_too_short, password_contains_username, password_reused"),
))]
pub async fn change_password(
    state: web::Data<AppState>,
    current: Authenticated,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    let username = current.person.person.username.clone();
    check_new_password(&username, &new_password)?;
    check_password_changed(&current_password, &new_password)?;
    let id = current.person.person.id;
    let keep = current.session.id;
    let now = state.clock.now();
    let changed = blocking::db(&state.pool, move |conn| {
        let phc = people::credential(conn, id)?
            .map(|c| c.phc)
            .unwrap_or_default();
        let correct = password::verify(&current_password, &phc);
        people::record_attempt(
            conn,
            people::AttemptContext::LOGIN,
            Some(id),
            &username,
            "login",
            correct,
            now,
        )?;
        if !correct {
            return Ok(None);
        }
        let new_phc = password::hash(&new_password).map_err(ebr_db::DbError::Integrity)?;
        people::set_password(conn, id, new_phc, false, &person_actor(id), Some(keep), now)?;
        Ok(Some(people::state(conn, id)?))
    })
    .await?;
    let Some(person) = changed else {
        return Err(ApiError::Unauthorized {
            code: "password_incorrect",
            detail: "the current password is incorrect; nothing was changed".into(),
        });
    };
    Ok(HttpResponse::Ok().json(session_view(
        Authenticated {
            person,
            must_change_password: false,
            ..current
        },
        state.security.second_factor,
    )))
}

/// Acknowledgment of the accountability statement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgment {
    /// The `statement_sha256` from `GET /api/v1/session`: proves which text was acknowledged.
    pub statement_sha256: String,
}

/// Acknowledge the signature-accountability statement (R10); signing is refused until then.
#[utoipa::path(post, path = "/api/v1/session/acknowledgment", tag = "session", request_body = Acknowledgment, responses(
    (status = 200, body = SessionView),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "statement_mismatch"),
))]
pub async fn acknowledge(
    state: web::Data<AppState>,
    current: Authenticated,
    body: web::Json<Acknowledgment>,
) -> Result<HttpResponse, ApiError> {
    let expected = statement_sha256();
    check_statement(&body.statement_sha256, &expected)?;
    let id = current.person.person.id;
    let now = state.clock.now();
    let person = blocking::db(&state.pool, move |conn| {
        if !people::state(conn, id)?.acknowledged_signature_statement {
            people::acknowledge(conn, id, &expected, now)?;
        }
        people::state(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(session_view(
        Authenticated { person, ..current },
        state.security.second_factor,
    )))
}

/// The page language a person chooses.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageChoice {
    /// `en` (English) or `zh` (Simplified Chinese).
    pub language: String,
}

/// Choose the language of your browser pages (kept per person; until the
/// first choice, the browser's language decides).
#[utoipa::path(post, path = "/api/v1/session/language", tag = "session", request_body = LanguageChoice, responses(
    (status = 204, description = "chosen"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "language_unsupported"),
))]
pub async fn choose_language(
    state: web::Data<AppState>,
    current: Authenticated,
    body: web::Json<LanguageChoice>,
) -> Result<HttpResponse, ApiError> {
    let Some(language) = crate::ui::i18n::Lang::parse(&body.language) else {
        return Err(ApiError::Invalid {
            code: "language_unsupported",
            detail: format!(
                "`{}` is not a language ebr has pages in; choose en or zh",
                body.language
            ),
            problems: vec![],
        });
    };
    let id = current.person.person.id;
    let now = state.clock.now();
    blocking::db(&state.pool, move |conn| {
        ebr_db::repo::preferences::set_language(conn, id, language.code(), now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
