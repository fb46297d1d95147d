//! Appending to and reading the audit hash chains.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_domain::audit::{AuditDraft, ChainHead, ChainedEvent};
use uuid::Uuid;

use crate::schema::audit_events;
use crate::DbError;

/// A stored audit event.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    /// Event id.
    pub id: Uuid,
    /// Chain name.
    pub chain: String,
    /// Sequence number in the chain.
    pub seq: i64,
    /// Server UTC time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Record kind.
    pub entity_type: String,
    /// Record id.
    pub entity_id: String,
    /// Previous value.
    pub old_value: Option<String>,
    /// New value.
    pub new_value: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Hash of the created record.
    pub record_hash: Option<String>,
    /// Previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

impl AuditEventRow {
    /// The row that stores `event` under `id`, with `hash`, the event's own
    /// hash ([`ChainedEvent::hash`]).
    pub fn of(id: Uuid, event: ChainedEvent, hash: String) -> AuditEventRow {
        AuditEventRow {
            id,
            chain: event.chain,
            seq: event.seq,
            occurred_at: event.occurred_at,
            actor: event.draft.actor,
            action: event.draft.action,
            entity_type: event.draft.entity_type,
            entity_id: event.draft.entity_id,
            old_value: event.draft.old_value,
            new_value: event.draft.new_value,
            reason: event.draft.reason,
            record_hash: event.draft.record_hash,
            prev_hash: event.prev_hash,
            hash,
        }
    }

    /// The domain view of the event, for recomputing its hash.
    pub fn to_chained(&self) -> ChainedEvent {
        ChainedEvent {
            chain: self.chain.clone(),
            seq: self.seq,
            occurred_at: self.occurred_at,
            draft: AuditDraft {
                actor: self.actor.clone(),
                action: self.action.clone(),
                entity_type: self.entity_type.clone(),
                entity_id: self.entity_id.clone(),
                old_value: self.old_value.clone(),
                new_value: self.new_value.clone(),
                reason: self.reason.clone(),
                record_hash: self.record_hash.clone(),
            },
            prev_hash: self.prev_hash.clone(),
        }
    }
}

/// The audit chain of a batch: every event about the batch, its steps,
/// exceptions, deviations, QC results and signatures, in order.
pub fn batch_chain(batch_id: uuid::Uuid) -> String {
    format!("batch:{batch_id}")
}

/// Appends `draft` to `chain` at server time `now`. Call inside the transaction
/// that makes the change: the per-chain advisory lock is held until it commits,
/// so sequence numbers stay gap-free under concurrent writers, and writers on
/// different chains never wait on each other.
pub fn append(
    conn: &mut PgConnection,
    chain: &str,
    draft: AuditDraft,
    now: DateTime<Utc>,
) -> Result<AuditEventRow, DbError> {
    append_all(conn, chain, vec![draft], now)?
        .pop()
        .ok_or_else(|| DbError::Integrity(format!("no audit event appended to {chain}")))
}

/// Appends `drafts` to `chain`, in order, at server time `now`: one lock,
/// one read of the chain head and one insert, however many events (the
/// entries of one request are recorded together). The same guarantees as
/// [`append`]: call inside the transaction that makes the change.
pub fn append_all(
    conn: &mut PgConnection,
    chain: &str,
    drafts: Vec<AuditDraft>,
    now: DateTime<Utc>,
) -> Result<Vec<AuditEventRow>, DbError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
        .bind::<Text, _>(chain)
        .execute(conn)?;
    append_all_locked(conn, chain, drafts, now)
}

/// [`append_all`] for a caller that already holds the chain's lock in this
/// transaction (a batch's writer holds `batches::lock`, the same key).
pub fn append_all_locked(
    conn: &mut PgConnection,
    chain: &str,
    drafts: Vec<AuditDraft>,
    now: DateTime<Utc>,
) -> Result<Vec<AuditEventRow>, DbError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let mut head = head(conn, chain)?;
    append_after(conn, chain, &mut head, drafts, now)
}

/// The newest event of `chain` (its genesis head when it has none). Read it
/// under the chain's lock: it stays the head until this transaction ends.
pub fn head(conn: &mut PgConnection, chain: &str) -> Result<ChainHead, DbError> {
    let last: Option<(i64, String)> = audit_events::table
        .filter(audit_events::chain.eq(chain))
        .order(audit_events::seq.desc())
        .select((audit_events::seq, audit_events::hash))
        .first(conn)
        .optional()?;
    Ok(last.map_or_else(ChainHead::genesis, |(seq, hash)| ChainHead { seq, hash }))
}

/// Appends `drafts` to `chain` after `head`, which the caller read under the
/// chain's lock it still holds (e.g. with the batch it loaded), in one insert
/// and without reading the chain again; `head` moves onto the last event.
pub fn append_after(
    conn: &mut PgConnection,
    chain: &str,
    head: &mut ChainHead,
    drafts: Vec<AuditDraft>,
    now: DateTime<Utc>,
) -> Result<Vec<AuditEventRow>, DbError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<AuditEventRow> = drafts
        .into_iter()
        .map(|draft| {
            let (event, hash) = head.place(chain, draft, now);
            AuditEventRow::of(crate::ids::at(now), event, hash)
        })
        .collect();
    // One prepared statement per number of events (a handful of shapes).
    crate::prepared::Prepared(diesel::insert_into(audit_events::table).values(&rows))
        .execute(conn)?;
    Ok(rows)
}

/// Every event of `chain`, in sequence order.
pub fn chain_events(conn: &mut PgConnection, chain: &str) -> Result<Vec<AuditEventRow>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::chain.eq(chain))
        .order(audit_events::seq.asc())
        .select(AuditEventRow::as_select())
        .load(conn)?)
}

/// Up to `limit` events of `chain` after sequence number `after_seq`, in
/// sequence order: for reading a long chain page by page.
pub fn chain_page(
    conn: &mut PgConnection,
    chain: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEventRow>, DbError> {
    Ok(audit_events::table
        .filter(audit_events::chain.eq(chain))
        .filter(audit_events::seq.gt(after_seq))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(conn)?)
}

/// The names of all chains.
pub fn chains(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    Ok(audit_events::table
        .select(audit_events::chain)
        .distinct()
        .order(audit_events::chain.asc())
        .load(conn)?)
}

/// Records a refused attempt (a rule said no): the only thing a refusal
/// stores. Runs in its own transaction.
#[allow(clippy::too_many_arguments)]
pub fn record_refusal(
    conn: &mut PgConnection,
    chain: &str,
    actor: &str,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    rule: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<AuditEventRow, DbError> {
    use diesel::Connection;
    let new_value = ebr_domain::canonical::to_canonical_json(
        &serde_json::json!({ "rule": rule, "detail": detail }),
    )
    .ok();
    conn.transaction(|conn| {
        append(
            conn,
            chain,
            AuditDraft {
                actor: actor.to_string(),
                action: if action.ends_with(".refused") || action == "access.denied" {
                    action.to_string()
                } else {
                    format!("{action}.refused")
                },
                entity_type: entity_type.to_string(),
                entity_id: entity_id.to_string(),
                old_value: None,
                new_value,
                reason: Some(rule.to_string()),
                record_hash: None,
            },
            now,
        )
    })
}
