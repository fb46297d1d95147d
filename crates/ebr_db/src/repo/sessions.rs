//! Server-side login sessions, shared by every ebr process.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{AuditDraft, SYSTEM_CHAIN};
use uuid::Uuid;

use super::{canonical, person_actor};
use crate::repo::audit;
use crate::repo::rows::SessionOpenedRow;
use crate::schema::sessions;
use crate::DbError;

/// A stored session.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    /// Session id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last authenticated request.
    pub last_seen_at: DateTime<Utc>,
    /// Absolute expiry.
    pub expires_at: DateTime<Utc>,
    /// Whether the continuous signing period is intact.
    pub signing_continuous: bool,
}

fn audit_session(
    conn: &mut PgConnection,
    person: Uuid,
    session: Uuid,
    action: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    audit::append(
        conn,
        SYSTEM_CHAIN,
        AuditDraft {
            actor: person_actor(person),
            action: action.into(),
            entity_type: "session".into(),
            entity_id: session.to_string(),
            old_value: None,
            new_value: None,
            reason: reason.map(str::to_string),
            record_hash: None,
        },
        now,
    )?;
    Ok(())
}

/// Opens a session for `person` (the token's SHA-256 is stored, never the token).
pub fn create(
    conn: &mut PgConnection,
    person: Uuid,
    token_sha256: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<SessionRow, DbError> {
    conn.transaction(|conn| {
        let id = crate::ids::at(now);
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(id),
                sessions::token_sha256.eq(token_sha256),
                sessions::person_id.eq(person),
                sessions::created_at.eq(now),
                sessions::last_seen_at.eq(now),
                sessions::expires_at.eq(now + lifetime),
                sessions::signing_continuous.eq(false),
            ))
            .execute(conn)?;
        let opened: SessionOpenedRow = sessions::table
            .find(id)
            .select(SessionOpenedRow::as_select())
            .first(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            crate::repo::vouch(
                &person_actor(person),
                "session.login",
                "session",
                &id.to_string(),
                &opened,
                canonical(&serde_json::json!({ "id": opened.id, "person_id": opened.person_id, "created_at": opened.created_at, "expires_at": opened.expires_at })),
            ),
            now,
        )?;
        Ok(sessions::table
            .find(id)
            .select(SessionRow::as_select())
            .first(conn)?)
    })
}

/// The open (not ended) session with this token hash.
pub fn find_open(
    conn: &mut PgConnection,
    token_sha256: &str,
) -> Result<Option<SessionRow>, DbError> {
    Ok(sessions::table
        .filter(sessions::token_sha256.eq(token_sha256))
        .filter(sessions::ended_at.is_null())
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The session columns of [`find_open_with_person`].
#[derive(QueryableByName)]
struct SessionColumns {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    session_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    session_person_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    session_created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    session_last_seen_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    session_expires_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    session_signing_continuous: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    credential_phc: Option<String>,
}

#[derive(QueryableByName)]
struct SessionWithPerson {
    #[diesel(embed)]
    session: SessionColumns,
    #[diesel(embed)]
    person: crate::repo::people::PersonFacts,
}

/// An open session, its person and the person's newest password hash (no
/// `Debug`: the hash is never printed).
pub struct OpenSession {
    /// The session.
    pub session: SessionRow,
    /// Everything known about its person.
    pub person: crate::repo::people::PersonState,
    /// The person's newest password hash (PHC string), for re-verifying a
    /// signature without another query; `None` when no password was set.
    pub credential_phc: Option<String>,
}

/// The open session with this token and everything known about its person,
/// in one statement (it runs on every authenticated request).
pub fn find_open_with_person(
    conn: &mut PgConnection,
    token_sha256: &str,
) -> Result<Option<OpenSession>, DbError> {
    use crate::repo::people::{NEWEST_CREDENTIAL_JOIN, PERSON_FACTS_COLUMNS};
    let sql = format!(
        "SELECT s.id AS session_id, s.person_id AS session_person_id, s.created_at AS session_created_at,
                s.last_seen_at AS session_last_seen_at, s.expires_at AS session_expires_at,
                s.signing_continuous AS session_signing_continuous, c.phc AS credential_phc,
                {PERSON_FACTS_COLUMNS}
         FROM sessions s JOIN people p ON p.id = s.person_id {NEWEST_CREDENTIAL_JOIN}
         WHERE s.token_sha256 = $1 AND s.ended_at IS NULL LIMIT 1"
    );
    let Some(found): Option<SessionWithPerson> = crate::prepared::Prepared(
        diesel::sql_query(sql).bind::<diesel::sql_types::Text, _>(token_sha256),
    )
    .get_result(conn)
    .optional()?
    else {
        return Ok(None);
    };
    let s = found.session;
    let session = SessionRow {
        id: s.session_id,
        person_id: s.session_person_id,
        created_at: s.session_created_at,
        last_seen_at: s.session_last_seen_at,
        expires_at: s.session_expires_at,
        signing_continuous: s.session_signing_continuous,
    };
    Ok(Some(OpenSession {
        session,
        person: found.person.into_state()?,
        credential_phc: s.credential_phc,
    }))
}

/// Records activity; `continuous` is the session's signing period after this
/// request (false once an idle lock was reached).
pub fn touch(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    continuous: bool,
) -> Result<(), DbError> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::signing_continuous.eq(continuous),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the continuous signing period as intact or broken.
pub fn set_signing_continuous(
    conn: &mut PgConnection,
    id: Uuid,
    continuous: bool,
) -> Result<(), DbError> {
    diesel::update(sessions::table.find(id))
        .set(sessions::signing_continuous.eq(continuous))
        .execute(conn)?;
    Ok(())
}

/// Ends one session (logout, idle or absolute timeout).
pub fn end(
    conn: &mut PgConnection,
    session: &SessionRow,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let ended = diesel::update(
            sessions::table
                .find(session.id)
                .filter(sessions::ended_at.is_null()),
        )
        .set((sessions::ended_at.eq(now), sessions::end_reason.eq(reason)))
        .execute(conn)?;
        if ended > 0 {
            audit_session(
                conn,
                session.person_id,
                session.id,
                &format!("session.{reason}"),
                None,
                now,
            )?;
        }
        Ok(())
    })
}

/// Ends every open session of a person; returns how many.
pub fn end_all_for(
    conn: &mut PgConnection,
    person: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    end_all_but(conn, person, None, reason, now)
}

/// Ends every open session of `person` except `keep` (the session that made
/// a credential change stays open); returns how many ended.
pub fn end_all_but(
    conn: &mut PgConnection,
    person: Uuid,
    keep: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let open = sessions::table
        .filter(sessions::person_id.eq(person))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::id.ne(keep.unwrap_or(Uuid::nil())));
    Ok(diesel::update(open)
        .set((sessions::ended_at.eq(now), sessions::end_reason.eq(reason)))
        .execute(conn)?)
}
