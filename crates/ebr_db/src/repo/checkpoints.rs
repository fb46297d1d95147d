//! Chain heads for checkpoints, and the database's copy of signed
//! checkpoints (the log outside the database is the authority; this copy lets
//! a batch's export carry the checkpoints signed for it).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::ChainHead;
use uuid::Uuid;

use crate::schema::{audit_events, checkpoints};
use crate::DbError;

/// Every chain's head now: its newest event's sequence number and hash.
pub fn heads(conn: &mut PgConnection) -> Result<BTreeMap<String, ChainHead>, DbError> {
    let rows: Vec<(String, i64, String)> = audit_events::table
        .distinct_on(audit_events::chain)
        .order((audit_events::chain.asc(), audit_events::seq.desc()))
        .select((audit_events::chain, audit_events::seq, audit_events::hash))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(chain, seq, hash)| (chain, ChainHead { seq, hash }))
        .collect())
}

/// A signed checkpoint to keep.
#[derive(Debug, Clone)]
pub struct NewCheckpoint<'a> {
    /// Server time of the checkpoint.
    pub made_at: DateTime<Utc>,
    /// Why it was made.
    pub reason: &'a str,
    /// The batch whose review, release or rejection caused it.
    pub batch_id: Option<Uuid>,
    /// The signing key's id.
    pub key_id: &'a str,
    /// The signed checkpoint as JSON.
    pub signed: &'a str,
}

/// Appends the database's copy of a checkpoint already written to the log.
pub fn store(conn: &mut PgConnection, new: &NewCheckpoint<'_>) -> Result<(), DbError> {
    diesel::insert_into(checkpoints::table)
        .values((
            checkpoints::id.eq(crate::ids::at(new.made_at)),
            checkpoints::made_at.eq(new.made_at),
            checkpoints::reason.eq(new.reason),
            checkpoints::batch_id.eq(new.batch_id),
            checkpoints::key_id.eq(new.key_id),
            checkpoints::signed.eq(new.signed),
        ))
        .execute(conn)?;
    Ok(())
}

/// The signed checkpoints (JSON) made for a batch's review, release or
/// rejection, oldest first.
pub fn for_batch(conn: &mut PgConnection, batch_id: Uuid) -> Result<Vec<String>, DbError> {
    Ok(checkpoints::table
        .filter(checkpoints::batch_id.eq(batch_id))
        .order((checkpoints::made_at.asc(), checkpoints::id.asc()))
        .select(checkpoints::signed)
        .load(conn)?)
}
