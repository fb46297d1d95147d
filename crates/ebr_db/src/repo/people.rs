//! People, roles, credentials, lockout, acknowledgment and identity
//! verification. Every change is a new row plus an audit event on the system
//! chain, in one transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{AuditDraft, SYSTEM_CHAIN};
use ebr_domain::duties::check_identity_verifier;
use ebr_domain::identity::{check_role_set, check_username, Role, LOCKOUT_THRESHOLD};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::rows::{
    AccountEventRow, AcknowledgmentRow, AuthAttemptRow, CredentialRow, IdentityVerificationRow,
    RoleChangeRow,
};
use super::{canonical, canonical_hash, person_actor, vouch};

/// The audit entity type of a role grant or revocation.
pub const ROLE_CHANGE_KIND: &str = "role_change";
/// The audit entity type of a password set.
pub const CREDENTIAL_KIND: &str = "password_credential";
/// The audit entity type of an account event.
pub const ACCOUNT_EVENT_KIND: &str = "account_event";
/// The audit entity type of a statement acknowledgment.
pub const ACKNOWLEDGMENT_KIND: &str = "signature_acknowledgment";
/// The audit entity type of an identity verification.
pub const IDENTITY_VERIFICATION_KIND: &str = "identity_verification";
/// The audit entity type of a password check.
pub const AUTH_ATTEMPT_KIND: &str = "auth_attempt";
use crate::repo::audit;
use crate::schema::{
    account_events, auth_attempts, identity_verifications, password_credentials, people,
    role_changes, signature_acknowledgments,
};
use crate::DbError;

/// A person's identity (immutable).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = people)]
pub struct PersonRow {
    /// Person id.
    pub id: Uuid,
    /// Unique, never reused username.
    pub username: String,
    /// Printed name.
    pub full_name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Creator (actor string).
    pub created_by: String,
}

/// The current password credential.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_credentials)]
pub struct Credential {
    /// argon2id PHC string.
    pub phc: String,
    /// Set by an administrator; must be changed at next login.
    pub temporary: bool,
    /// When it was set (aging starts here).
    pub set_at: DateTime<Utc>,
}

/// Everything known about a person now, folded from the append-only tables.
#[derive(Debug, Clone, Serialize)]
pub struct PersonState {
    /// Identity.
    #[serde(flatten)]
    pub person: PersonRow,
    /// Current roles.
    pub roles: Vec<Role>,
    /// Not deactivated.
    pub active: bool,
    /// Locked by consecutive failures (R18) and not yet unlocked.
    pub locked: bool,
    /// Has acknowledged the signature-accountability statement (R10).
    pub acknowledged_signature_statement: bool,
    /// A second administrator verified their identity (R15).
    pub identity_verified: bool,
    /// The current password must be changed (set by an administrator).
    pub password_temporary: bool,
    /// When the current password was set.
    pub password_set_at: Option<DateTime<Utc>>,
    /// An authenticator (TOTP) is enrolled and not reset since.
    pub second_factor_enrolled: bool,
}

impl PersonState {
    /// Whether the person holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A person to create.
#[derive(Debug, Clone)]
pub struct NewPerson<'a> {
    /// Username (validated).
    pub username: &'a str,
    /// Printed name.
    pub full_name: &'a str,
    /// Roles (admin excludes GMP roles).
    pub roles: &'a [Role],
    /// argon2id PHC of the initial password.
    pub phc: String,
    /// Whether the password is temporary (true when an administrator sets it).
    pub temporary: bool,
}

fn new_event(
    actor: &str,
    action: &str,
    person: Uuid,
    old: Option<String>,
    new: Option<String>,
    reason: Option<String>,
    record_hash: Option<String>,
) -> AuditDraft {
    AuditDraft {
        actor: actor.to_string(),
        action: action.to_string(),
        entity_type: "person".into(),
        entity_id: person.to_string(),
        old_value: old,
        new_value: new,
        reason,
        record_hash,
    }
}

/// Creates a person with roles and an initial password. Refuses malformed or
/// generic usernames (R30), admin+GMP role sets (R31), an empty role set and
/// any username ever used before, including by a deactivated account (R14).
pub fn create(
    conn: &mut PgConnection,
    new: NewPerson<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PersonState, DbError> {
    check_username(new.username)?;
    if new.roles.is_empty() {
        return Err(DomainError::NoRoles.into());
    }
    check_role_set(new.roles)?;
    if new.full_name.trim().is_empty() {
        return Err(DomainError::FullNameRequired.into());
    }
    conn.transaction(|conn| {
        let taken = people::table
            .filter(people::username.eq(new.username))
            .select(people::id)
            .first::<Uuid>(conn)
            .optional()?;
        if taken.is_some() {
            return Err(DomainError::UsernameTaken(new.username.into()).into());
        }
        let row = PersonRow {
            id: crate::ids::at(now),
            username: new.username.to_string(),
            full_name: new.full_name.trim().to_string(),
            created_at: ebr_domain::audit::to_stored_precision(now),
            created_by: actor.to_string(),
        };
        diesel::insert_into(people::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            new_event(
                actor,
                "person.created",
                row.id,
                None,
                canonical(&row),
                None,
                Some(canonical_hash(&row)),
            ),
            now,
        )?;
        for role in new.roles {
            insert_role_change(conn, row.id, *role, true, actor, now)?;
        }
        insert_password(conn, row.id, new.phc.clone(), new.temporary, actor, now)?;
        state(conn, row.id)
    })
}

fn insert_role_change(
    conn: &mut PgConnection,
    person: Uuid,
    role: Role,
    granted: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let row = diesel::insert_into(role_changes::table)
        .values((
            role_changes::id.eq(crate::ids::at(now)),
            role_changes::person_id.eq(person),
            role_changes::role.eq(role.as_str()),
            role_changes::granted.eq(granted),
            role_changes::occurred_at.eq(now),
            role_changes::actor.eq(actor),
        ))
        .returning(RoleChangeRow::as_returning())
        .get_result::<RoleChangeRow>(conn)?;
    let action = if granted {
        "role.granted"
    } else {
        "role.revoked"
    };
    audit::append(
        conn,
        SYSTEM_CHAIN,
        vouch(
            actor,
            action,
            ROLE_CHANGE_KIND,
            &row.id.to_string(),
            &row,
            None,
        ),
        now,
    )?;
    Ok(())
}

fn insert_password(
    conn: &mut PgConnection,
    person: Uuid,
    phc: String,
    temporary: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let row = diesel::insert_into(password_credentials::table)
        .values((
            password_credentials::id.eq(crate::ids::at(now)),
            password_credentials::person_id.eq(person),
            password_credentials::phc.eq(phc),
            password_credentials::temporary.eq(temporary),
            password_credentials::set_at.eq(now),
            password_credentials::set_by.eq(actor),
        ))
        .returning(CredentialRow::as_returning())
        .get_result::<CredentialRow>(conn)?;
    let shown = row.shown();
    audit::append(
        conn,
        SYSTEM_CHAIN,
        vouch(
            actor,
            "password.set",
            CREDENTIAL_KIND,
            &row.id.to_string(),
            &row,
            shown,
        ),
        now,
    )?;
    Ok(())
}

/// The person with this username, if any (active or not).
pub fn find_by_username(
    conn: &mut PgConnection,
    username: &str,
) -> Result<Option<PersonRow>, DbError> {
    Ok(people::table
        .filter(people::username.eq(username.trim().to_lowercase()))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()?)
}

/// The current password credential.
pub fn credential(conn: &mut PgConnection, person: Uuid) -> Result<Option<Credential>, DbError> {
    Ok(password_credentials::table
        .filter(password_credentials::person_id.eq(person))
        .order((
            password_credentials::set_at.desc(),
            password_credentials::id.desc(),
        ))
        .select(Credential::as_select())
        .first(conn)
        .optional()?)
}

/// Everything about a person the access and signing rules read, folded by
/// PostgreSQL in one statement (it runs on every authenticated request).
#[derive(QueryableByName)]
pub(crate) struct PersonFacts {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    username: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    full_name: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    created_by: String,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    role_names: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Bool>)]
    role_granted: Vec<bool>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    deactivated: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    acknowledged: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    identity_verified: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    password_temporary: Option<bool>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    password_set_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    consecutive_failures: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    second_factor_enrolled: bool,
}

/// The columns of [`PersonFacts`], over `people p` and the newest credential
/// `c`: the person, their role changes in order, deactivation, newest
/// credential, acknowledgment, identity verification, and the failed
/// password checks since the last success or unlock (ordered by time, then
/// UUIDv7 id, so events within one microsecond still order).
pub(crate) const PERSON_FACTS_COLUMNS: &str = "
  p.id, p.username, p.full_name, p.created_at, p.created_by,
  COALESCE((SELECT array_agg(rc.role ORDER BY rc.occurred_at, rc.id) FROM role_changes rc WHERE rc.person_id = p.id), '{}') AS role_names,
  COALESCE((SELECT array_agg(rc.granted ORDER BY rc.occurred_at, rc.id) FROM role_changes rc WHERE rc.person_id = p.id), '{}') AS role_granted,
  EXISTS (SELECT 1 FROM account_events ae WHERE ae.person_id = p.id AND ae.kind = 'deactivated') AS deactivated,
  EXISTS (SELECT 1 FROM signature_acknowledgments sa WHERE sa.person_id = p.id) AS acknowledged,
  EXISTS (SELECT 1 FROM identity_verifications iv WHERE iv.person_id = p.id) AS identity_verified,
  c.temporary AS password_temporary, c.set_at AS password_set_at,
  (SELECT count(*) FROM auth_attempts f
     WHERE f.person_id = p.id AND NOT f.succeeded
       AND (f.occurred_at, f.id) > COALESCE(GREATEST(
         (SELECT (s.occurred_at, s.id) FROM auth_attempts s WHERE s.person_id = p.id AND s.succeeded ORDER BY s.occurred_at DESC, s.id DESC LIMIT 1),
         (SELECT (u.occurred_at, u.id) FROM account_events u WHERE u.person_id = p.id AND u.kind = 'unlocked' ORDER BY u.occurred_at DESC, u.id DESC LIMIT 1)
       ), ('-infinity'::timestamptz, '00000000-0000-0000-0000-000000000000'::uuid))
  ) AS consecutive_failures,
  EXISTS (SELECT 1 FROM second_factor_events e WHERE e.person_id = p.id AND e.kind = 'enrolled'
          AND NOT EXISTS (SELECT 1 FROM second_factor_events r WHERE r.person_id = p.id AND r.kind = 'reset'
                          AND (r.occurred_at, r.id) > (e.occurred_at, e.id))) AS second_factor_enrolled";

/// The newest credential of `p`, joined as `c`.
pub(crate) const NEWEST_CREDENTIAL_JOIN: &str = "
LEFT JOIN LATERAL (
  SELECT pc.temporary, pc.set_at, pc.phc FROM password_credentials pc WHERE pc.person_id = p.id
  ORDER BY pc.set_at DESC, pc.id DESC LIMIT 1
) c ON true";

impl PersonFacts {
    /// The person's state, roles replayed in order.
    pub(crate) fn into_state(self) -> Result<PersonState, DbError> {
        let mut roles: Vec<Role> = Vec::new();
        for (name, granted) in self.role_names.iter().zip(&self.role_granted) {
            let role = Role::parse(name)?;
            roles.retain(|r| *r != role);
            if *granted {
                roles.push(role);
            }
        }
        roles.sort();
        Ok(PersonState {
            person: PersonRow {
                id: self.id,
                username: self.username,
                full_name: self.full_name,
                created_at: self.created_at,
                created_by: self.created_by,
            },
            roles,
            active: !self.deactivated,
            locked: self.consecutive_failures >= LOCKOUT_THRESHOLD,
            acknowledged_signature_statement: self.acknowledged,
            identity_verified: self.identity_verified,
            password_temporary: self.password_temporary.unwrap_or(false),
            password_set_at: self.password_set_at,
            second_factor_enrolled: self.second_factor_enrolled,
        })
    }
}

/// Everything known about a person now, in one statement.
pub fn state(conn: &mut PgConnection, id: Uuid) -> Result<PersonState, DbError> {
    let sql = format!(
        "SELECT {PERSON_FACTS_COLUMNS} FROM people p {NEWEST_CREDENTIAL_JOIN} WHERE p.id = $1"
    );
    let facts: PersonFacts = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Uuid, _>(id)
        .get_result(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("person {id}")))?;
    facts.into_state()
}

/// Every person, by username.
pub fn list(conn: &mut PgConnection) -> Result<Vec<PersonState>, DbError> {
    let ids: Vec<Uuid> = people::table
        .order(people::username.asc())
        .select(people::id)
        .load(conn)?;
    ids.into_iter().map(|id| state(conn, id)).collect()
}

/// Failed password checks since the last success or unlock, ordered by
/// (time, UUIDv7 id) so events within the same microsecond still order.
fn consecutive_failures(conn: &mut PgConnection, person: Uuid) -> Result<i64, DbError> {
    let last_success: Option<(DateTime<Utc>, Uuid)> = auth_attempts::table
        .filter(auth_attempts::person_id.eq(person))
        .filter(auth_attempts::succeeded.eq(true))
        .order((auth_attempts::occurred_at.desc(), auth_attempts::id.desc()))
        .select((auth_attempts::occurred_at, auth_attempts::id))
        .first(conn)
        .optional()?;
    let last_unlock: Option<(DateTime<Utc>, Uuid)> = account_events::table
        .filter(account_events::person_id.eq(person))
        .filter(account_events::kind.eq("unlocked"))
        .order((
            account_events::occurred_at.desc(),
            account_events::id.desc(),
        ))
        .select((account_events::occurred_at, account_events::id))
        .first(conn)
        .optional()?;
    let mut failures = auth_attempts::table
        .filter(auth_attempts::person_id.eq(person))
        .filter(auth_attempts::succeeded.eq(false))
        .into_boxed();
    if let Some((at, id)) = last_success.max(last_unlock) {
        failures = failures.filter(
            auth_attempts::occurred_at
                .gt(at)
                .or(auth_attempts::occurred_at
                    .eq(at)
                    .and(auth_attempts::id.gt(id))),
        );
    }
    Ok(failures.count().get_result(conn)?)
}

/// What recording a password check led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// This failure locked the account (the security event was written).
    pub locked_now: bool,
}

/// Where a password check happened, for its audit event.
#[derive(Debug, Clone, Copy)]
pub struct AttemptContext<'a> {
    /// The chain the check's event goes to: the batch's chain when a record
    /// of a batch was being signed (so the batch's own trail shows it),
    /// otherwise the system chain.
    pub chain: &'a str,
    /// The record being signed, e.g. `batch_step:<batch>/<step>`; none for a login.
    pub record: Option<&'a str>,
}

impl AttemptContext<'static> {
    /// A login or password change: the system chain.
    pub const LOGIN: AttemptContext<'static> = AttemptContext {
        chain: SYSTEM_CHAIN,
        record: None,
    };
}

/// Records a password check (login or signature), successful or not, with an
/// audit event that vouches for the stored attempt. The failure that reaches
/// [`LOCKOUT_THRESHOLD`] consecutive failures locks the account and writes a
/// `security.account_locked` event to the system chain (R18).
pub fn record_attempt(
    conn: &mut PgConnection,
    context: AttemptContext<'_>,
    person: Option<Uuid>,
    username: &str,
    purpose: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> Result<AttemptOutcome, DbError> {
    crate::tx::atomic(conn, |conn| {
        // Only a failure can lock: a success needs no count.
        let before = match person {
            Some(id) if !succeeded => consecutive_failures(conn, id)?,
            _ => 0,
        };
        let row: AuthAttemptRow = diesel::insert_into(auth_attempts::table)
            .values((
                auth_attempts::id.eq(crate::ids::at(now)),
                auth_attempts::person_id.eq(person),
                auth_attempts::username.eq(username),
                auth_attempts::purpose.eq(purpose),
                auth_attempts::succeeded.eq(succeeded),
                auth_attempts::occurred_at.eq(now),
            ))
            .returning(AuthAttemptRow::as_returning())
            .get_result(conn)?;
        let actor = person.map_or_else(|| format!("unknown-username:{username}"), person_actor);
        let outcome = if succeeded { "succeeded" } else { "failed" };
        let mut draft = vouch(
            &actor,
            &format!("security.{purpose}_{outcome}"),
            AUTH_ATTEMPT_KIND,
            &row.id.to_string(),
            &row,
            None,
        );
        if !succeeded {
            let what = if purpose == "second_factor" {
                "authenticator code incorrect"
            } else {
                "password incorrect"
            };
            draft.reason = Some(match context.record {
                Some(record) => format!("{what} while signing {record}"),
                None => what.into(),
            });
        }
        audit::append(conn, context.chain, draft, now)?;
        if succeeded {
            return Ok(AttemptOutcome { locked_now: false });
        }
        let entity = person.map_or_else(|| username.to_string(), |id| id.to_string());
        let locked_now = person.is_some() && before + 1 == LOCKOUT_THRESHOLD;
        if locked_now {
            audit::append(
                conn,
                SYSTEM_CHAIN,
                AuditDraft {
                    actor: "system:security".into(),
                    action: "security.account_locked".into(),
                    entity_type: "person".into(),
                    entity_id: entity,
                    old_value: None,
                    new_value: canonical(
                        &serde_json::json!({ "consecutive_failures": LOCKOUT_THRESHOLD }),
                    ),
                    reason: Some(format!(
                        "{LOCKOUT_THRESHOLD} consecutive failed password checks"
                    )),
                    record_hash: None,
                },
                now,
            )?;
        }
        Ok(AttemptOutcome { locked_now })
    })
}

/// Grants and revokes roles; the resulting set must be valid (R31, not empty).
/// Each grant and revocation is audited with the granting administrator (R25).
pub fn change_roles(
    conn: &mut PgConnection,
    id: Uuid,
    grant: &[Role],
    revoke: &[Role],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PersonState, DbError> {
    conn.transaction(|conn| {
        let current = state(conn, id)?;
        if !current.active {
            return Err(DomainError::AccountDeactivated(current.person.username.clone()).into());
        }
        let mut next = current.roles.clone();
        next.retain(|r| !revoke.contains(r));
        for r in grant {
            if !next.contains(r) {
                next.push(*r);
            }
        }
        if next.is_empty() {
            return Err(DomainError::NoRoles.into());
        }
        check_role_set(&next)?;
        for r in revoke.iter().filter(|r| current.roles.contains(r)) {
            insert_role_change(conn, id, *r, false, actor, now)?;
        }
        for r in grant.iter().filter(|r| !current.roles.contains(r)) {
            insert_role_change(conn, id, *r, true, actor, now)?;
        }
        state(conn, id)
    })
}

fn account_event(
    conn: &mut PgConnection,
    id: Uuid,
    kind: &str,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let row: AccountEventRow = diesel::insert_into(account_events::table)
        .values((
            account_events::id.eq(crate::ids::at(now)),
            account_events::person_id.eq(id),
            account_events::kind.eq(kind),
            account_events::occurred_at.eq(now),
            account_events::actor.eq(actor),
            account_events::reason.eq(reason),
        ))
        .returning(AccountEventRow::as_returning())
        .get_result(conn)?;
    let mut draft = vouch(
        actor,
        &format!("account.{kind}"),
        ACCOUNT_EVENT_KIND,
        &row.id.to_string(),
        &row,
        None,
    );
    draft.reason = reason.map(str::to_string);
    audit::append(conn, SYSTEM_CHAIN, draft, now)?;
    Ok(())
}

/// Deactivates an account for good (R4: never deleted) and ends its sessions.
pub fn deactivate(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<PersonState, DbError> {
    conn.transaction(|conn| {
        let current = state(conn, id)?;
        if !current.active {
            return Err(DomainError::AlreadyDeactivated(current.person.username.clone()).into());
        }
        account_event(conn, id, "deactivated", actor, Some(reason), now)?;
        super::sessions::end_all_for(conn, id, "deactivated", now)?;
        state(conn, id)
    })
}

/// Unlocks an account locked by failed password checks.
pub fn unlock(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PersonState, DbError> {
    conn.transaction(|conn| {
        state(conn, id)?;
        account_event(conn, id, "unlocked", actor, None, now)?;
        state(conn, id)
    })
}

/// Ends every session of a person (lost token, suspected misuse).
pub fn revoke_sessions(
    conn: &mut PgConnection,
    id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    conn.transaction(|conn| {
        state(conn, id)?;
        account_event(conn, id, "sessions_revoked", actor, None, now)?;
        super::sessions::end_all_for(conn, id, "revoked", now)
    })
}

/// Stores a new password (temporary when an administrator sets it, R17)
/// and ends every other session of the person (R18: a changed credential
/// may mean the old one was compromised): all of them when an administrator
/// set it, all but `keep` (the session that changed it) otherwise. The
/// revocation is an account event with its audit event.
pub fn set_password(
    conn: &mut PgConnection,
    id: Uuid,
    phc: String,
    temporary: bool,
    actor: &str,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    conn.transaction(|conn| {
        insert_password(conn, id, phc, temporary, actor, now)?;
        let why = if temporary {
            "password reset by an administrator"
        } else {
            "password changed"
        };
        end_other_sessions(conn, id, keep, actor, why, now)
    })
}

/// Ends every session of the person but `keep` after a credential change,
/// with a `sessions_revoked` account event naming why (written even when no
/// other session was open, so the trail shows the revocation was done).
pub fn end_other_sessions(
    conn: &mut PgConnection,
    id: Uuid,
    keep: Option<Uuid>,
    actor: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    crate::tx::atomic(conn, |conn| {
        account_event(conn, id, "sessions_revoked", actor, Some(why), now)?;
        super::sessions::end_all_but(conn, id, keep, "credentials_changed", now)
    })
}

/// When the person was last unlocked by an administrator after a lockout,
/// if that happened after their last successful password check: what the
/// person is told at their next login (the login itself answers a locked
/// account like any failure, so usernames cannot be probed).
pub fn unlocked_since_last_success(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<DateTime<Utc>>, DbError> {
    let last_success: Option<DateTime<Utc>> = auth_attempts::table
        .filter(auth_attempts::person_id.eq(id))
        .filter(auth_attempts::succeeded.eq(true))
        .order((auth_attempts::occurred_at.desc(), auth_attempts::id.desc()))
        .select(auth_attempts::occurred_at)
        .first(conn)
        .optional()?;
    let mut unlocks = account_events::table
        .filter(account_events::person_id.eq(id))
        .filter(account_events::kind.eq("unlocked"))
        .into_boxed();
    if let Some(at) = last_success {
        unlocks = unlocks.filter(account_events::occurred_at.gt(at));
    }
    Ok(unlocks
        .order(account_events::occurred_at.desc())
        .select(account_events::occurred_at)
        .first(conn)
        .optional()?)
}

/// Records the person's acknowledgment of the signature-accountability statement (R10).
pub fn acknowledge(
    conn: &mut PgConnection,
    id: Uuid,
    statement_sha256: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let row: AcknowledgmentRow = diesel::insert_into(signature_acknowledgments::table)
            .values((
                signature_acknowledgments::id.eq(crate::ids::at(now)),
                signature_acknowledgments::person_id.eq(id),
                signature_acknowledgments::statement_sha256.eq(statement_sha256),
                signature_acknowledgments::occurred_at.eq(now),
            ))
            .returning(AcknowledgmentRow::as_returning())
            .get_result(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                &person_actor(id),
                "signature.statement_acknowledged",
                ACKNOWLEDGMENT_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(())
    })
}

/// Records that administrator `verifier` verified the person's identity (R15).
/// The verifier must be an active administrator other than the person and
/// other than the account's creator: a second pair of eyes.
pub fn verify_identity(
    conn: &mut PgConnection,
    id: Uuid,
    verifier: Uuid,
    method: &str,
    now: DateTime<Utc>,
) -> Result<PersonState, DbError> {
    conn.transaction(|conn| {
        let person = state(conn, id)?;
        let admin = state(conn, verifier)?;
        check_identity_verifier(
            admin.has_role(Role::Admin) && admin.active,
            id,
            person
                .person
                .created_by
                .strip_prefix("person:")
                .and_then(|p| Uuid::parse_str(p).ok()),
            verifier,
        )?;
        if method.trim().is_empty() {
            return Err(DomainError::IdentityMethodRequired.into());
        }
        let row: IdentityVerificationRow = diesel::insert_into(identity_verifications::table)
            .values((
                identity_verifications::id.eq(crate::ids::at(now)),
                identity_verifications::person_id.eq(id),
                identity_verifications::verified_by.eq(verifier),
                identity_verifications::method.eq(method.trim()),
                identity_verifications::occurred_at.eq(now),
            ))
            .returning(IdentityVerificationRow::as_returning())
            .get_result(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                &person_actor(verifier),
                "person.identity_verified",
                IDENTITY_VERIFICATION_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        state(conn, id)
    })
}

impl PersonState {
    /// This person as a signatory with the password alone, signing at `at`:
    /// for seeding demo records and for tests that sign without the
    /// ceremony (the server's signatures come from the ceremony).
    pub fn signatory(
        &self,
        comment: Option<String>,
        at: DateTime<Utc>,
    ) -> ebr_domain::signature::Signatory {
        ebr_domain::signature::Signatory {
            id: self.person.id,
            printed_name: self.person.full_name.clone(),
            factors: ebr_domain::signature::Factors::Password,
            comment,
            at,
        }
    }
}
