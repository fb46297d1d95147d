//! `/api/v1/users`: people, roles and account administration (admins).

use actix_web::{web, HttpResponse};
use ebr_db::repo::{people, person_actor};
use ebr_domain::identity::{check_new_password, Role};
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
use ebr_domain::audit::SYSTEM_CHAIN;

/// Every person.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<PersonView>)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let everyone = blocking::db(&state.pool, people::list).await?;
    Ok(HttpResponse::Ok().json(
        everyone
            .into_iter()
            .map(PersonView::from)
            .collect::<Vec<_>>(),
    ))
}

/// A person to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Username: 3-32 of a-z 0-9 . _ -, not generic, never used before.
    pub username: String,
    /// Full printed name.
    pub full_name: String,
    /// Roles (an admin holds no GMP role).
    #[schema(value_type = Vec<String>, example = json!(["operator"]))]
    pub roles: Vec<Role>,
    /// A temporary password the person must change at first login.
    pub temporary_password: String,
}

/// Create a person with a temporary password (R14, R17, R30, R31).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser, responses(
    (status = 201, body = PersonView),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "username_taken"),
    (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid_username, generic_account_forbidden, full_name_required, no_roles, unknown_role, admin_cannot_hold_gmp_role, password_too_short, password_contains_username"),
))]
pub async fn create(
    state: web::Data<AppState>,
    admin: Authenticated,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let actor = person_actor(admin.person.person.id);
    let now = state.clock.now();
    let username = body.username.trim().to_lowercase();
    let result = async {
        check_new_password(&username, &body.temporary_password)?;
        let (name, roles, pw) = (
            username.clone(),
            body.roles.clone(),
            body.temporary_password.clone(),
        );
        let full_name = body.full_name.clone();
        let actor = actor.clone();
        blocking::db(&state.pool, move |conn| {
            let phc = password::hash(&pw).map_err(ebr_db::DbError::Integrity)?;
            people::create(
                conn,
                people::NewPerson {
                    username: &name,
                    full_name: &full_name,
                    roles: &roles,
                    phc,
                    temporary: true,
                },
                &actor,
                now,
            )
        })
        .await
    }
    .await;
    let person = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "person.create",
        "username",
        &username,
        result,
    )
    .await?;
    Ok(HttpResponse::Created().json(PersonView::from(person)))
}

/// Roles to grant and revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoles {
    /// Roles to grant.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub grant: Vec<Role>,
    /// Roles to revoke.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub revoke: Vec<Role>,
}

/// Grant and revoke roles; each change is audited with the granting admin (R25, R31).
#[utoipa::path(post, path = "/api/v1/users/{id}/roles", tag = "users", request_body = ChangeRoles,
    params(("id" = Uuid, Path, description = "person id")),
    responses((status = 200, body = PersonView), (status = 409, body = Problem, content_type = "application/problem+json", description = "deactivated_account_frozen"), (status = 422, body = Problem, content_type = "application/problem+json", description = "admin_cannot_hold_gmp_role, no_roles, unknown_role")))]
pub async fn change_roles(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<ChangeRoles>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = person_actor(admin.person.person.id);
    let now = state.clock.now();
    let ChangeRoles { grant, revoke } = body.into_inner();
    let a = actor.clone();
    let result = blocking::db(&state.pool, move |conn| {
        people::change_roles(conn, id, &grant, &revoke, &a, now)
    })
    .await;
    let person = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "role.change",
        "person",
        &id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}

/// A reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deactivation {
    /// Why the account is deactivated.
    pub reason: String,
}

/// Deactivate an account for good (never deleted; the username stays reserved, R4, R14).
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users", request_body = Deactivation,
    params(("id" = Uuid, Path, description = "person id")),
    responses((status = 200, body = PersonView), (status = 409, body = Problem, content_type = "application/problem+json", description = "already_deactivated"), (status = 422, body = Problem, content_type = "application/problem+json", description = "reason_required")))]
pub async fn deactivate(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<Deactivation>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body.into_inner().reason;
    ebr_domain::identity::check_reason("deactivating an account", &reason)?;
    let actor = person_actor(admin.person.person.id);
    let now = state.clock.now();
    let a = actor.clone();
    let result = blocking::db(&state.pool, move |conn| {
        people::deactivate(conn, id, &a, reason.trim(), now)
    })
    .await;
    let person = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "account.deactivate",
        "person",
        &id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}

/// Unlock an account locked after failed password checks (R18).
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users",
    params(("id" = Uuid, Path, description = "person id")), responses((status = 200, body = PersonView)))]
pub async fn unlock(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = person_actor(admin.person.person.id);
    let now = state.clock.now();
    let person = blocking::db(&state.pool, move |conn| {
        people::unlock(conn, id, &actor, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}

/// A temporary password set by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The temporary password; the person must change it at next login.
    pub temporary_password: String,
}

/// Set a temporary password (R17) and end every session of the person (R18).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", request_body = PasswordReset,
    params(("id" = Uuid, Path, description = "person id")), responses((status = 200, body = PersonView), (status = 422, body = Problem, content_type = "application/problem+json", description = "password_too_short, password_contains_username")))]
pub async fn reset_password(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<PasswordReset>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = person_actor(admin.person.person.id);
    let now = state.clock.now();
    let pw = body.into_inner().temporary_password;
    let person = blocking::db(&state.pool, move |conn| {
        let person = people::state(conn, id)?;
        check_new_password(&person.person.username, &pw)?;
        let phc = password::hash(&pw).map_err(ebr_db::DbError::Integrity)?;
        people::set_password(conn, id, phc, true, &actor, None, now)?;
        people::state(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}

/// How the identity was verified.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityVerification {
    /// e.g. "passport checked in person".
    pub method: String,
}

/// Record that you (an administrator other than the person and the account's
/// creator) verified the person's identity; enables their e-signature (R15).
#[utoipa::path(post, path = "/api/v1/users/{id}/identity-verification", tag = "users", request_body = IdentityVerification,
    params(("id" = Uuid, Path, description = "person id")),
    responses((status = 200, body = PersonView), (status = 403, body = Problem, content_type = "application/problem+json", description = "identity_verifier_not_admin, identity_verifier_not_independent"), (status = 422, body = Problem, content_type = "application/problem+json", description = "identity_method_required")))]
pub async fn verify_identity(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
    body: web::Json<IdentityVerification>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let verifier = admin.person.person.id;
    let actor = person_actor(verifier);
    let now = state.clock.now();
    let method = body.into_inner().method;
    let result = blocking::db(&state.pool, move |conn| {
        people::verify_identity(conn, id, verifier, &method, now)
    })
    .await;
    let person = audited(
        &state,
        SYSTEM_CHAIN,
        &actor,
        "person.identity_verification",
        "person",
        &id.to_string(),
        result,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PersonView::from(person)))
}

/// How many sessions were ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// Sessions ended.
    pub revoked: usize,
}

/// End every session of a person (lost badge, suspected misuse; R18).
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users",
    params(("id" = Uuid, Path, description = "person id")), responses((status = 200, body = Revoked)))]
pub async fn revoke_sessions(
    state: web::Data<AppState>,
    admin: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = person_actor(admin.person.person.id);
    let now = state.clock.now();
    let revoked = blocking::db(&state.pool, move |conn| {
        people::revoke_sessions(conn, id, &actor, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Revoked { revoked }))
}
