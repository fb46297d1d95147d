//! Retention (R41): a purge request is decided by
//! `ebr_domain::retention::check_purge` (always a refusal) and the attempt
//! is audited on the batch's chain.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::DomainError;

use crate::repo::audit::{batch_chain, record_refusal};
use crate::repo::batches;
use crate::schema::batch_status_events;
use crate::DbError;

/// When the batch was released or rejected, if it was.
pub fn disposed_at(
    conn: &mut PgConnection,
    batch_id: uuid::Uuid,
) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(batch_status_events::table
        .filter(batch_status_events::batch_id.eq(batch_id))
        .filter(batch_status_events::status.eq_any(["released", "rejected"]))
        .select(batch_status_events::occurred_at)
        .order(batch_status_events::occurred_at.desc())
        .first(conn)
        .optional()?)
}

/// A request to purge batch `batch_number`'s record: refused by the domain,
/// the attempt audited (`batch.purge.refused` with the rule), nothing
/// deleted. Returns the refusal.
pub fn request_purge(
    conn: &mut PgConnection,
    batch_number: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<DomainError, DbError> {
    let batch = batches::find_by_number(conn, batch_number)?;
    let disposed = disposed_at(conn, batch.id)?;
    let refusal = match ebr_domain::retention::check_purge(&batch.batch_number, disposed, now) {
        Err(e) => e,
        Ok(()) => DomainError::PurgeNotPermitted(batch.batch_number.clone()),
    };
    record_refusal(
        conn,
        &batch_chain(batch.id),
        actor,
        "batch.purge",
        "batch",
        &batch.id.to_string(),
        refusal.rule(),
        &refusal.to_string(),
        now,
    )?;
    Ok(refusal)
}
