//! The periodic access review: the facts of every account loaded in a few
//! statements, the report decided by `ebr_domain::access_review`, stored as
//! canonical JSON with its audit event, and signed by QA (meaning
//! `reviewed`) like any other record.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use ebr_domain::access_review::{
    check_period, review, AccessFacts, AccessReport, Account, AccountEvent, TrainingGap,
};
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use serde::Serialize;
use uuid::Uuid;

use super::{audit, canonical, signatures, vouch};
use crate::schema::{
    access_reviews, audit_events, auth_attempts, identity_verifications, role_changes,
    second_factor_events,
};
use crate::DbError;

/// The audit entity type of a stored access review.
pub const ACCESS_REVIEW_KIND: &str = "access_review";
/// The record type QA's signature names.
pub const ACCESS_REVIEW_RECORD_TYPE: &str = "access_review";

/// A stored access review, exactly as its audit event hashes it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = access_reviews)]
pub struct AccessReviewRow {
    /// Id.
    pub id: Uuid,
    /// First day.
    pub period_from: NaiveDate,
    /// Last day.
    pub period_to: NaiveDate,
    /// Generation time.
    pub generated_at: DateTime<Utc>,
    /// Who generated it.
    pub generated_by: String,
    /// The report (canonical JSON).
    pub report: String,
    /// Its SHA-256.
    pub report_sha256: String,
}

impl AccessReviewRow {
    /// What QA's signature signs: the period and the report's hash.
    pub fn signed_record(&self) -> SignedRecord {
        SignedRecord {
            record_type: ACCESS_REVIEW_RECORD_TYPE.into(),
            record_id: self.id.to_string(),
            record_version: 1,
            content: serde_json::json!({
                "period_from": self.period_from,
                "period_to": self.period_to,
                "report_sha256": self.report_sha256,
            }),
        }
    }
}

/// The start of `day` and of the day after `to`, as UTC instants.
fn bounds(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = (to + Duration::days(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    (start, end)
}

/// Loads every fact the review needs for the period `from`..=`to` (UTC days).
pub fn facts(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    second_factor_required: bool,
    now: DateTime<Utc>,
) -> Result<AccessFacts, DbError> {
    let (start, end) = bounds(from, to);
    let everyone = super::people::list(conn)?;
    let names: HashMap<Uuid, String> = everyone
        .iter()
        .map(|p| (p.person.id, p.person.username.clone()))
        .collect();
    let name_of = |id: Uuid| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    let by = |actor: &str| match super::actor_person(actor) {
        Some(id) => name_of(id),
        None => actor.to_string(),
    };
    let logins: Vec<(Option<Uuid>, DateTime<Utc>)> = auth_attempts::table
        .filter(auth_attempts::succeeded.eq(true))
        .filter(auth_attempts::purpose.ne("signature"))
        .select((auth_attempts::person_id, auth_attempts::occurred_at))
        .load(conn)?;
    let mut last_login: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for (person, at) in logins {
        if let Some(person) = person {
            let newest = last_login.entry(person).or_insert(at);
            *newest = (*newest).max(at);
        }
    }
    let accounts = everyone
        .iter()
        .map(|p| Account {
            id: p.person.id,
            username: p.person.username.clone(),
            full_name: p.person.full_name.clone(),
            roles: p.roles.clone(),
            active: p.active,
            locked: p.locked,
            created_at: p.person.created_at,
            last_login: last_login.get(&p.person.id).copied(),
            second_factor_enrolled: p.second_factor_enrolled,
        })
        .collect();
    let role_changes = role_changes::table
        .filter(role_changes::occurred_at.ge(start))
        .filter(role_changes::occurred_at.lt(end))
        .order((role_changes::occurred_at.asc(), role_changes::id.asc()))
        .select((
            role_changes::occurred_at,
            role_changes::person_id,
            role_changes::role,
            role_changes::granted,
            role_changes::actor,
        ))
        .load::<(DateTime<Utc>, Uuid, String, bool, String)>(conn)?
        .into_iter()
        .map(|(at, person, role, granted, actor)| AccountEvent {
            at,
            username: name_of(person),
            what: format!(
                "role {}: {role}",
                if granted { "granted" } else { "revoked" }
            ),
            by: by(&actor),
        })
        .collect();
    let lockouts = audit_events::table
        .filter(audit_events::chain.eq(SYSTEM_CHAIN))
        .filter(audit_events::action.eq("security.account_locked"))
        .filter(audit_events::occurred_at.ge(start))
        .filter(audit_events::occurred_at.lt(end))
        .order(audit_events::seq.asc())
        .select((audit_events::occurred_at, audit_events::entity_id))
        .load::<(DateTime<Utc>, String)>(conn)?
        .into_iter()
        .map(|(at, entity)| AccountEvent {
            at,
            username: Uuid::parse_str(&entity).map_or(entity, name_of),
            what: "locked after consecutive failed checks".into(),
            by: "system:security".into(),
        })
        .collect();
    let identity_verifications = identity_verifications::table
        .filter(identity_verifications::occurred_at.ge(start))
        .filter(identity_verifications::occurred_at.lt(end))
        .order(identity_verifications::occurred_at.asc())
        .select((
            identity_verifications::occurred_at,
            identity_verifications::person_id,
            identity_verifications::verified_by,
            identity_verifications::method,
        ))
        .load::<(DateTime<Utc>, Uuid, Uuid, String)>(conn)?
        .into_iter()
        .map(|(at, person, verifier, method)| AccountEvent {
            at,
            username: name_of(person),
            what: format!("identity verified: {method}"),
            by: name_of(verifier),
        })
        .collect();
    let factor_events = second_factor_events::table
        .filter(second_factor_events::occurred_at.ge(start))
        .filter(second_factor_events::occurred_at.lt(end))
        .order(second_factor_events::occurred_at.asc())
        .select((
            second_factor_events::occurred_at,
            second_factor_events::person_id,
            second_factor_events::kind,
            second_factor_events::actor,
            second_factor_events::reason,
        ))
        .load::<(DateTime<Utc>, Uuid, String, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(at, person, kind, actor, reason)| AccountEvent {
            at,
            username: name_of(person),
            what: match reason {
                Some(r) => format!("second factor {}: {r}", kind.replace('_', " ")),
                None => format!("second factor {}", kind.replace('_', " ")),
            },
            by: by(&actor),
        })
        .collect();
    let training_gaps = super::training::standings(conn, now, None)?
        .into_iter()
        .filter(|s| !s.standing.allows())
        .map(|s| TrainingGap {
            username: s.username,
            curriculum: s.curriculum,
            status: s.standing.as_str().into(),
        })
        .collect();
    Ok(AccessFacts {
        accounts,
        role_changes,
        lockouts,
        identity_verifications,
        factor_events,
        training_gaps,
        second_factor_required,
    })
}

/// The report for the period, decided by the domain from the loaded facts.
pub fn report(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    dormant_days: i64,
    second_factor_required: bool,
    now: DateTime<Utc>,
) -> Result<AccessReport, DbError> {
    check_period(from, to, now)?;
    let facts = facts(conn, from, to, second_factor_required, now)?;
    Ok(review(facts, from, to, dormant_days, now))
}

/// Stores a generated report (with its audit event) for QA to sign.
pub fn store(
    conn: &mut PgConnection,
    report: &AccessReport,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<AccessReviewRow, DbError> {
    let text = canonical(report)
        .ok_or_else(|| DbError::Integrity("the access review cannot be written".into()))?;
    let row = AccessReviewRow {
        id: crate::ids::at(now),
        period_from: report.period_from,
        period_to: report.period_to,
        generated_at: ebr_domain::audit::to_stored_precision(now),
        generated_by: actor.to_string(),
        report_sha256: ebr_domain::canonical::sha256_hex(text.as_bytes()),
        report: text,
    };
    crate::tx::atomic(conn, |conn| {
        diesel::insert_into(access_reviews::table)
            .values(&row)
            .execute(conn)?;
        let shown = canonical(&serde_json::json!({
            "id": row.id,
            "period_from": row.period_from,
            "period_to": row.period_to,
            "findings": report.findings.len(),
            "report_sha256": row.report_sha256,
        }));
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "access_review.generated",
                ACCESS_REVIEW_KIND,
                &row.id.to_string(),
                &row,
                shown,
            ),
            now,
        )?;
        Ok(row.clone())
    })
}

/// One stored review.
pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<AccessReviewRow, DbError> {
    access_reviews::table
        .find(id)
        .select(AccessReviewRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("access review {id}")))
}

/// Every stored review, newest first, each with its signatures.
pub fn list(
    conn: &mut PgConnection,
) -> Result<Vec<(AccessReviewRow, Vec<SignatureManifest>)>, DbError> {
    let rows: Vec<AccessReviewRow> = access_reviews::table
        .order(access_reviews::generated_at.desc())
        .select(AccessReviewRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let sigs =
                signatures::for_record(conn, ACCESS_REVIEW_RECORD_TYPE, &row.id.to_string())?;
            Ok((row, sigs))
        })
        .collect()
}

/// QA signs a stored review (meaning `reviewed`); the caller ran the
/// signature ceremony.
pub fn sign(
    conn: &mut PgConnection,
    id: Uuid,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let now = signatory.at;
    crate::tx::atomic(conn, |conn| {
        let row = find(conn, id)?;
        let manifest = signatory.sign(
            crate::ids::at(now),
            SignatureMeaning::Reviewed,
            &row.signed_record(),
        );
        signatures::insert(conn, SYSTEM_CHAIN, &manifest, now)?;
        Ok(manifest)
    })
}

/// Every stored review (for the integrity check).
pub fn all(conn: &mut PgConnection) -> Result<Vec<AccessReviewRow>, DbError> {
    Ok(access_reviews::table
        .select(AccessReviewRow::as_select())
        .load(conn)?)
}
