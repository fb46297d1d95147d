//! What a database holds, counted: tells an empty or demo database from a
//! site's real records (so `ebr demo` never writes into the latter).

use std::fmt;

use diesel::prelude::*;

use crate::schema::{audit_events, batches, material_lots, mbr_versions, people};
use crate::DbError;

/// Counts of the records a database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Census {
    /// People, however created.
    pub people: i64,
    /// People created by `ebr demo` (actor `system:demo`).
    pub people_created_by_demo: i64,
    /// MBR versions.
    pub mbr_versions: i64,
    /// Material lots.
    pub material_lots: i64,
    /// Batches.
    pub batches: i64,
    /// Audit events on every chain, the configuration records every
    /// `ebr serve` start makes excepted (they are not records of work).
    pub audit_events: i64,
}

impl Census {
    /// Nothing recorded at all.
    pub fn is_empty(&self) -> bool {
        self.people + self.mbr_versions + self.material_lots + self.batches + self.audit_events == 0
    }
}

impl fmt::Display for Census {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let people = if self.people == 1 { "person" } else { "people" };
        write!(
            f,
            "{} {people}, {} MBR version(s), {} material lot(s), {} batch(es), {} audit event(s)",
            self.people, self.mbr_versions, self.material_lots, self.batches, self.audit_events
        )
    }
}

/// Counts what the database holds.
pub fn take(conn: &mut PgConnection) -> Result<Census, DbError> {
    Ok(Census {
        people: people::table.count().get_result(conn)?,
        people_created_by_demo: people::table
            .filter(people::created_by.eq("system:demo"))
            .count()
            .get_result(conn)?,
        mbr_versions: mbr_versions::table.count().get_result(conn)?,
        material_lots: material_lots::table.count().get_result(conn)?,
        batches: batches::table.count().get_result(conn)?,
        audit_events: audit_events::table
            .filter(audit_events::action.ne(crate::repo::configuration::CONFIGURATION_CHANGED))
            .count()
            .get_result(conn)?,
    })
}
