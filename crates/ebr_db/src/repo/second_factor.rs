//! Second factors (TOTP, RFC 6238): enrolment, every accepted code (used
//! once), and resets asked for by one administrator and confirmed by
//! another. Append-only like every recorded table; each row is vouched for
//! by its audit event on the system chain (the secret and the recovery-code
//! hashes are never printed in the trail, only hashed into the record hash).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::second_factor::{check_reset_confirmer, AcceptedCode};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::{audit, canonical, person_actor, vouch};
use crate::schema::{second_factor_events, second_factor_uses};
use crate::DbError;

/// The audit entity type of a second-factor event.
pub const FACTOR_EVENT_KIND: &str = "second_factor_event";
/// The audit entity type of an accepted code.
pub const FACTOR_USE_KIND: &str = "second_factor_use";

/// A stored second-factor event, exactly as its audit event hashes it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = second_factor_events)]
pub struct FactorEventRow {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// enrolled, reset_requested or reset.
    pub kind: String,
    /// The TOTP secret (enrolled).
    pub secret_base32: Option<String>,
    /// SHA-256 of each recovery code (enrolled).
    pub recovery_sha256: Option<Vec<String>>,
    /// The request a reset confirms.
    pub request_id: Option<Uuid>,
    /// Time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
}

impl FactorEventRow {
    /// The part of the row fit to print in the audit trail (no secret, no
    /// recovery hashes).
    fn shown(&self) -> Option<String> {
        canonical(&serde_json::json!({
            "id": self.id,
            "person_id": self.person_id,
            "kind": self.kind,
            "request_id": self.request_id,
            "occurred_at": self.occurred_at,
            "actor": self.actor,
            "reason": self.reason,
        }))
    }
}

/// A stored accepted code, exactly as its audit event hashes it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = second_factor_uses)]
pub struct FactorUseRow {
    /// Id.
    pub id: Uuid,
    /// The enrolment.
    pub factor_id: Uuid,
    /// The RFC 6238 step (or `-1 - n` for recovery code n).
    pub time_step: i64,
    /// Time.
    pub occurred_at: DateTime<Utc>,
}

/// A person's active second factor and the codes it already accepted.
#[derive(Debug, Clone)]
pub struct ActiveFactor {
    /// The enrolment row.
    pub enrolment: FactorEventRow,
    /// Every accepted step.
    pub used_steps: Vec<i64>,
}

impl ActiveFactor {
    /// The domain's view of it.
    pub fn enrolment(&self) -> ebr_domain::second_factor::Enrolment<'_> {
        ebr_domain::second_factor::Enrolment {
            secret_base32: self.enrolment.secret_base32.as_deref().unwrap_or_default(),
            recovery_sha256: self
                .enrolment
                .recovery_sha256
                .as_deref()
                .unwrap_or_default(),
            used_steps: &self.used_steps,
        }
    }
}

fn events(conn: &mut PgConnection, person: Uuid) -> Result<Vec<FactorEventRow>, DbError> {
    Ok(second_factor_events::table
        .filter(second_factor_events::person_id.eq(person))
        .order((
            second_factor_events::occurred_at.asc(),
            second_factor_events::id.asc(),
        ))
        .select(FactorEventRow::as_select())
        .load(conn)?)
}

/// The newest enrolment after the last reset, with its accepted codes.
pub fn active(conn: &mut PgConnection, person: Uuid) -> Result<Option<ActiveFactor>, DbError> {
    let all = events(conn, person)?;
    let since_reset = all
        .iter()
        .rposition(|e| e.kind == "reset")
        .map_or(0, |i| i + 1);
    let Some(enrolment) = all
        .iter()
        .skip(since_reset)
        .rev()
        .find(|e| e.kind == "enrolled")
        .cloned()
    else {
        return Ok(None);
    };
    let used_steps = second_factor_uses::table
        .filter(second_factor_uses::factor_id.eq(enrolment.id))
        .select(second_factor_uses::time_step)
        .load(conn)?;
    Ok(Some(ActiveFactor {
        enrolment,
        used_steps,
    }))
}

fn insert_event(
    conn: &mut PgConnection,
    row: &FactorEventRow,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(second_factor_events::table)
        .values(row)
        .execute(conn)?;
    let mut draft = vouch(
        &row.actor,
        &format!("second_factor.{}", row.kind),
        FACTOR_EVENT_KIND,
        &row.id.to_string(),
        row,
        row.shown(),
    );
    draft.reason = row.reason.clone();
    audit::append(conn, SYSTEM_CHAIN, draft, now)?;
    Ok(())
}

/// Enrols the person's second factor (they hold none active) and ends
/// their other sessions (all but `keep`, the one that enrolled).
pub fn enrol(
    conn: &mut PgConnection,
    person: Uuid,
    secret_base32: &str,
    recovery_sha256: Vec<String>,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<FactorEventRow, DbError> {
    crate::tx::atomic(conn, |conn| {
        if active(conn, person)?.is_some() {
            return Err(DomainError::SecondFactorAlreadyEnrolled.into());
        }
        let actor = person_actor(person);
        let row = FactorEventRow {
            id: crate::ids::at(now),
            person_id: person,
            kind: "enrolled".into(),
            secret_base32: Some(secret_base32.to_string()),
            recovery_sha256: Some(recovery_sha256),
            request_id: None,
            occurred_at: ebr_domain::audit::to_stored_precision(now),
            actor: actor.clone(),
            reason: None,
        };
        insert_event(conn, &row, now)?;
        super::people::end_other_sessions(
            conn,
            person,
            keep,
            &actor,
            "second factor enrolled",
            now,
        )?;
        Ok(row)
    })
}

/// Stores an accepted code: it cannot be accepted again (the table's
/// unique key refuses a second use of a step even from a concurrent request).
pub fn record_use(
    conn: &mut PgConnection,
    factor: Uuid,
    accepted: AcceptedCode,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    crate::tx::atomic(conn, |conn| {
        let row = FactorUseRow {
            id: crate::ids::at(now),
            factor_id: factor,
            time_step: accepted.stored_step(),
            occurred_at: ebr_domain::audit::to_stored_precision(now),
        };
        let inserted = diesel::insert_into(second_factor_uses::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Err(DomainError::SecondFactorReused.into());
        }
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                &person_actor(person),
                "second_factor.code_accepted",
                FACTOR_USE_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(())
    })
}

/// An administrator asks for a lost factor to be reset (a second
/// administrator confirms it).
pub fn request_reset(
    conn: &mut PgConnection,
    person: Uuid,
    admin: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<FactorEventRow, DbError> {
    ebr_domain::identity::check_reason("resetting a second factor", reason)?;
    crate::tx::atomic(conn, |conn| {
        super::people::state(conn, person)?;
        let row = FactorEventRow {
            id: crate::ids::at(now),
            person_id: person,
            kind: "reset_requested".into(),
            secret_base32: None,
            recovery_sha256: None,
            request_id: None,
            occurred_at: ebr_domain::audit::to_stored_precision(now),
            actor: person_actor(admin),
            reason: Some(reason.trim().to_string()),
        };
        insert_event(conn, &row, now)?;
        Ok(row)
    })
}

/// A second administrator confirms a reset request: the factor is reset
/// (the person enrols again) and every session of the person ends.
pub fn confirm_reset(
    conn: &mut PgConnection,
    person: Uuid,
    request: Uuid,
    admin: Uuid,
    now: DateTime<Utc>,
) -> Result<FactorEventRow, DbError> {
    crate::tx::atomic(conn, |conn| {
        let asked = second_factor_events::table
            .find(request)
            .select(FactorEventRow::as_select())
            .first(conn)
            .optional()?
            .filter(|r| r.kind == "reset_requested" && r.person_id == person)
            .ok_or_else(|| DbError::NotFound(format!("second-factor reset request {request}")))?;
        let requester = super::actor_person(&asked.actor).unwrap_or(Uuid::nil());
        check_reset_confirmer(requester, admin, person)?;
        let actor = person_actor(admin);
        let row = FactorEventRow {
            id: crate::ids::at(now),
            person_id: person,
            kind: "reset".into(),
            secret_base32: None,
            recovery_sha256: None,
            request_id: Some(request),
            occurred_at: ebr_domain::audit::to_stored_precision(now),
            actor: actor.clone(),
            reason: asked.reason.clone(),
        };
        insert_event(conn, &row, now)?;
        super::people::end_other_sessions(conn, person, None, &actor, "second factor reset", now)?;
        Ok(row)
    })
}

/// Every second-factor event (for the integrity check and the access review).
pub fn all_events(conn: &mut PgConnection) -> Result<Vec<FactorEventRow>, DbError> {
    Ok(second_factor_events::table
        .order((
            second_factor_events::occurred_at.asc(),
            second_factor_events::id.asc(),
        ))
        .select(FactorEventRow::as_select())
        .load(conn)?)
}

/// Every accepted code (for the integrity check).
pub fn all_uses(conn: &mut PgConnection) -> Result<Vec<FactorUseRow>, DbError> {
    Ok(second_factor_uses::table
        .select(FactorUseRow::as_select())
        .load(conn)?)
}
