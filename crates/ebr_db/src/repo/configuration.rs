//! Configuration changes are audited (R11): the GMP-relevant configuration
//! in effect (secrets never included) is recorded on the system chain
//! whenever it differs from the last one recorded, with the old value kept.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{AuditDraft, SYSTEM_CHAIN};

use crate::repo::audit;
use crate::schema::audit_events;
use crate::DbError;

/// The audit action of a configuration change.
pub const CONFIGURATION_CHANGED: &str = "configuration.changed";

/// The configuration last recorded (canonical JSON), if any.
pub fn last_recorded(conn: &mut PgConnection) -> Result<Option<String>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::chain.eq(SYSTEM_CHAIN))
        .filter(audit_events::action.eq(CONFIGURATION_CHANGED))
        .order(audit_events::seq.desc())
        .select(audit_events::new_value)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Records `configuration` (canonical JSON, secrets already removed) when it
/// differs from the last one recorded; returns whether it did.
pub fn record_if_changed(
    conn: &mut PgConnection,
    configuration: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    crate::tx::atomic(conn, |conn| {
        let previous = last_recorded(conn)?;
        if previous.as_deref() == Some(configuration) {
            return Ok(false);
        }
        audit::append(
            conn,
            SYSTEM_CHAIN,
            AuditDraft {
                actor: actor.into(),
                action: CONFIGURATION_CHANGED.into(),
                entity_type: "configuration".into(),
                entity_id: "site".into(),
                old_value: previous,
                new_value: Some(configuration.to_string()),
                reason: None,
                record_hash: None,
            },
            now,
        )?;
        Ok(true)
    })
}
