//! Loading a batch as the domain's commands read it ([`Batch`]), under the
//! batch lock the caller holds: a constant number of statements, whatever
//! the number of entries already recorded (PostgreSQL folds the entries and
//! signatures into per-step facts).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Nullable, Text, Timestamptz};
use ebr_domain::audit::{ChainHead, GENESIS_HASH};
use ebr_domain::batch::{Batch, CurrentValues, Registry, RegistryReferences};
use ebr_domain::batch_state::{BatchLifecycle, BatchStatus};
use ebr_domain::canonical::sha256_hex;
use ebr_domain::execution::{RecordedValue, SignatureFact, StepFacts};
use ebr_domain::mbr::{FieldKind, MasterBatchRecord};
use ebr_domain::signature::SignatureMeaning;
use uuid::Uuid;

use super::state::STEP_RECORD_TYPE;
use crate::prepared::Prepared;
use crate::repo::audit::batch_chain;
use crate::repo::registry;
use crate::DbError;

#[derive(QueryableByName)]
struct BatchHead {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    mbr_version_id: Uuid,
    #[diesel(sql_type = Text)]
    mbr_content_sha256: String,
    #[diesel(sql_type = Text)]
    batch_number: String,
    #[diesel(sql_type = Array<Text>)]
    statuses: Vec<String>,
    #[diesel(sql_type = Text)]
    stored_sha256: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    head_seq: i64,
    #[diesel(sql_type = Text)]
    head_hash: String,
}

#[derive(QueryableByName)]
struct StepEntries {
    #[diesel(sql_type = Text)]
    step_key: String,
    #[diesel(sql_type = Timestamptz)]
    first_entry_at: DateTime<Utc>,
    #[diesel(sql_type = Array<Text>)]
    current_fields: Vec<String>,
    #[diesel(sql_type = Array<diesel::sql_types::Uuid>)]
    recorders: Vec<Uuid>,
}

#[derive(QueryableByName)]
struct StepSignatureFact {
    #[diesel(sql_type = Text)]
    step_key: String,
    #[diesel(sql_type = Text)]
    meaning: String,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    signer_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    signed_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Bool>)]
    superseded: Option<bool>,
}

/// MBR versions whose content was read, hashed and parsed in this process,
/// by version id, with the hash it was verified against. A version never
/// changes (a trigger refuses UPDATE and DELETE on `mbr_versions`), so its
/// content is read and hashed once per process, not on every command; every
/// load still checks that the version's stored hash is the one the batch is
/// pinned to, and `ebr audit verify` rehashes every version offline.
static VERIFIED: Mutex<Option<HashMap<Uuid, VerifiedMbr>>> = Mutex::new(None);

/// A version's verified content hash and its parsed content.
type VerifiedMbr = (String, Arc<MasterBatchRecord>);

/// The MBR version a batch is pinned to, its content verified against the
/// pinned hash (read and hashed on the first use in this process).
pub(crate) fn pinned_mbr(
    conn: &mut PgConnection,
    version: Uuid,
    pinned_sha: &str,
    stored_sha: &str,
    number: &str,
) -> Result<Arc<MasterBatchRecord>, DbError> {
    let mismatch = || {
        DbError::Integrity(format!(
            "batch {number} is pinned to an MBR content hash that no longer matches (version {version})"
        ))
    };
    if stored_sha != pinned_sha {
        return Err(mismatch());
    }
    let cached = VERIFIED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .and_then(|c| c.get(&version).cloned());
    if let Some((sha, mbr)) = cached {
        if sha == pinned_sha {
            return Ok(mbr);
        }
    }
    let content: String = crate::schema::mbr_versions::table
        .find(version)
        .select(crate::schema::mbr_versions::content)
        .first(conn)?;
    if sha256_hex(content.as_bytes()) != pinned_sha {
        return Err(mismatch());
    }
    let mbr: MasterBatchRecord = serde_json::from_str(&content).map_err(|e| {
        DbError::Integrity(format!("the MBR of batch {number} cannot be read: {e}"))
    })?;
    let mbr = Arc::new(mbr);
    VERIFIED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(version, (pinned_sha.to_string(), mbr.clone()));
    Ok(mbr)
}

/// Which entry facts a command needs.
pub(super) enum Focus<'a> {
    /// Every step's entries (signing: the step's required fields, its
    /// participants).
    AllSteps,
    /// Recording `fields` of `step`: whether those fields have a current
    /// value and when the step started, plus when the steps its hold times
    /// are measured from started. Only those entries are read, so an entry
    /// costs the same however many the batch already holds.
    Recording {
        /// The step recorded.
        step: &'a str,
        /// The fields recorded.
        fields: &'a [String],
    },
}

/// The batch with its status, its pinned MBR (hash checked, content verified
/// once per process) and the entry facts `focus` asks for, every step's
/// signatures and the head of its audit chain: three statements, and one
/// more for a recorded step whose computed fields or aims read values.
pub(super) fn load_batch(
    conn: &mut PgConnection,
    batch_id: Uuid,
    focus: &Focus<'_>,
) -> Result<Batch, DbError> {
    let head: BatchHead = Prepared(
        diesel::sql_query(
            "SELECT b.mbr_version_id, b.mbr_content_sha256, b.batch_number,
                COALESCE((SELECT array_agg(e.status ORDER BY e.occurred_at, e.id)
                          FROM batch_status_events e WHERE e.batch_id = b.id), '{}') AS statuses,
                v.content_sha256 AS stored_sha256,
                COALESCE(a.seq, 0) AS head_seq, COALESCE(a.hash, $3) AS head_hash
         FROM batches b JOIN mbr_versions v ON v.id = b.mbr_version_id
         LEFT JOIN LATERAL (SELECT seq, hash FROM audit_events
                            WHERE chain = $2 ORDER BY seq DESC LIMIT 1) a ON true
         WHERE b.id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(batch_id)
        .bind::<Text, _>(batch_chain(batch_id))
        .bind::<Text, _>(GENESIS_HASH),
    )
    .get_result(conn)
    .optional()?
    .ok_or_else(|| DbError::NotFound(format!("batch {batch_id}")))?;
    let mbr = pinned_mbr(
        conn,
        head.mbr_version_id,
        &head.mbr_content_sha256,
        &head.stored_sha256,
        &head.batch_number,
    )?;
    let statuses = head
        .statuses
        .iter()
        .skip(1) // the first event is `planned`, where every lifecycle starts
        .map(|n| {
            BatchStatus::parse(n)
                .ok_or_else(|| DbError::Integrity(format!("unknown batch status {n}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let status = BatchLifecycle::replay(statuses)?.status();

    let mut steps: HashMap<String, StepFacts> = HashMap::new();
    let entries: Vec<StepEntries> = match focus {
        Focus::AllSteps => Prepared(
            diesel::sql_query(
                "SELECT e.step_key, min(e.recorded_at) AS first_entry_at,
                    COALESCE(array_agg(DISTINCT e.field_key) FILTER (WHERE c.id IS NULL), '{}') AS current_fields,
                    array_agg(DISTINCT e.recorded_by) AS recorders
             FROM entries e LEFT JOIN entries c ON c.corrects_entry_id = e.id
             WHERE e.batch_id = $1 GROUP BY e.step_key",
            )
            .bind::<diesel::sql_types::Uuid, _>(batch_id),
        )
        .load(conn)?,
        Focus::Recording { step, fields } => {
            let mut keys = vec![(*step).to_string()];
            // The recorded fields, and the step's computed fields: whether
            // those have a value decides whether they are computed now.
            let mut fields = fields.to_vec();
            if let Some(s) = mbr.step(step) {
                keys.extend(s.hold_times.iter().map(|h| h.after.clone()));
                fields.extend(
                    s.fields
                        .iter()
                        .filter(|f| matches!(f.kind, FieldKind::Computed { .. }))
                        .map(|f| f.key.clone()),
                );
            }
            // A step without entries has no first entry: the filter on it
            // (not an EXISTS, which a generic plan turns into a scan of every
            // entry of the batch) keeps the plan an index lookup per step.
            Prepared(
                diesel::sql_query(
                    "SELECT * FROM (
                       SELECT k.step_key,
                        (SELECT min(f.recorded_at) FROM entries f
                          WHERE f.batch_id = $1 AND f.step_key = k.step_key) AS first_entry_at,
                        COALESCE((SELECT array_agg(e.field_key) FROM entries e
                          WHERE e.batch_id = $1 AND e.step_key = k.step_key AND k.step_key = $3
                            AND e.field_key = ANY($4)
                            AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.corrects_entry_id = e.id)
                        ), '{}') AS current_fields,
                        '{}'::uuid[] AS recorders
                       FROM unnest($2::text[]) AS k(step_key) OFFSET 0
                     ) s WHERE s.first_entry_at IS NOT NULL",
                )
                .bind::<diesel::sql_types::Uuid, _>(batch_id)
                .bind::<Array<Text>, _>(&keys)
                .bind::<Text, _>(*step)
                .bind::<Array<Text>, _>(&fields),
            )
            .load(conn)?
        }
    };
    for e in entries {
        let f = steps.entry(e.step_key).or_default();
        f.first_entry_at = Some(e.first_entry_at);
        f.recorded_fields = e.current_fields.into_iter().collect();
        f.participants.extend(e.recorders);
    }
    // Found by the batch id that starts the record id (an expression index:
    // one search, however many batches the database holds).
    let signatures: Vec<StepSignatureFact> = Prepared(
        diesel::sql_query(
            "SELECT substr(s.record_id, length($2) + 2) AS step_key, s.meaning, s.signer_id, s.signed_at,
                (ss.signature_id IS NOT NULL) AS superseded
         FROM signatures s LEFT JOIN signature_supersessions ss ON ss.signature_id = s.id
         WHERE s.record_type = $1 AND split_part(s.record_id, '/', 1) = $2
         ORDER BY s.signed_at, s.id",
        )
        .bind::<Text, _>(STEP_RECORD_TYPE)
        .bind::<Text, _>(batch_id.to_string()),
    )
    .load(conn)?;
    for s in signatures {
        let f = steps.entry(s.step_key).or_default();
        f.participants.insert(s.signer_id);
        if s.superseded == Some(true) {
            continue;
        }
        let fact = SignatureFact {
            signer: s.signer_id,
            at: s.signed_at,
        };
        match SignatureMeaning::ALL
            .iter()
            .find(|m| m.as_str() == s.meaning)
        {
            Some(SignatureMeaning::Performed) => f.performed = Some(fact),
            Some(SignatureMeaning::Verified) => f.verified = Some(fact),
            _ => {}
        }
    }
    let values = match focus {
        Focus::Recording { step, .. } => formula_inputs(conn, batch_id, &mbr, step)?,
        Focus::AllSteps => HashMap::new(),
    };
    Ok(Batch {
        id: batch_id,
        number: head.batch_number,
        mbr_content_sha256: head.mbr_content_sha256,
        status,
        mbr,
        steps,
        audit_head: ChainHead {
            seq: head.head_seq,
            hash: head.head_hash,
        },
        values,
    })
}

#[derive(QueryableByName)]
struct CurrentValue {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    step_key: String,
    #[diesel(sql_type = Text)]
    field_key: String,
    #[diesel(sql_type = Text)]
    value: String,
}

/// The current values of the fields the computed fields of `step` read
/// (none, without a statement, for a step without computed fields).
fn formula_inputs(
    conn: &mut PgConnection,
    batch_id: Uuid,
    mbr: &MasterBatchRecord,
    step: &str,
) -> Result<CurrentValues, DbError> {
    let Some(step) = mbr.step(step) else {
        return Ok(HashMap::new());
    };
    let mut wanted: Vec<(String, String)> = Vec::new();
    formula_fields(step, false, &mut wanted);
    current_values(conn, batch_id, wanted)
}

/// The current value of every computed field of the batch and of every
/// field a formula reads: what recomputing after a correction needs.
pub(super) fn all_formula_values(
    conn: &mut PgConnection,
    batch_id: Uuid,
    mbr: &MasterBatchRecord,
) -> Result<CurrentValues, DbError> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (_, step) in mbr.steps() {
        formula_fields(step, true, &mut wanted);
    }
    current_values(conn, batch_id, wanted)
}

/// Adds the (step, field) pairs the computed fields of `step` read, and
/// the computed fields themselves when `with_computed`.
fn formula_fields(
    step: &ebr_domain::mbr::Step,
    with_computed: bool,
    wanted: &mut Vec<(String, String)>,
) {
    for field in &step.fields {
        // The computed value an amount aims at is read like a formula input.
        if let FieldKind::Number { aim: Some(aim), .. } = &field.kind {
            if let Ok(ebr_domain::formula::Expr::Field(r)) =
                ebr_domain::formula::Expr::parse(&aim.computed)
            {
                let key = (
                    r.step.clone().unwrap_or_else(|| step.key.clone()),
                    r.field.clone(),
                );
                if !wanted.contains(&key) {
                    wanted.push(key);
                }
            }
        }
        if let FieldKind::Computed { formula, .. } = &field.kind {
            if with_computed {
                let own = (step.key.clone(), field.key.clone());
                if !wanted.contains(&own) {
                    wanted.push(own);
                }
            }
            if let Ok(expr) = ebr_domain::formula::Expr::parse(formula) {
                for r in expr.references() {
                    let key = (
                        r.step.clone().unwrap_or_else(|| step.key.clone()),
                        r.field.clone(),
                    );
                    if !wanted.contains(&key) {
                        wanted.push(key);
                    }
                }
            }
        }
    }
}

/// The current (not corrected) value of each wanted (step, field).
fn current_values(
    conn: &mut PgConnection,
    batch_id: Uuid,
    wanted: Vec<(String, String)>,
) -> Result<CurrentValues, DbError> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let (steps, fields): (Vec<String>, Vec<String>) = wanted.into_iter().unzip();
    let rows: Vec<CurrentValue> = Prepared(
        diesel::sql_query(
            "SELECT e.id, e.step_key, e.field_key, e.value
             FROM unnest($2::text[], $3::text[]) AS w(step_key, field_key)
             JOIN entries e ON e.batch_id = $1 AND e.step_key = w.step_key AND e.field_key = w.field_key
             WHERE NOT EXISTS (SELECT 1 FROM entries c WHERE c.corrects_entry_id = e.id)",
        )
        .bind::<diesel::sql_types::Uuid, _>(batch_id)
        .bind::<Array<Text>, _>(&steps)
        .bind::<Array<Text>, _>(&fields),
    )
    .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let value: RecordedValue = serde_json::from_str(&r.value).map_err(|e| {
                DbError::Integrity(format!("entry {} does not read back: {e}", r.id))
            })?;
            Ok(((r.step_key, r.field_key), (r.id, value)))
        })
        .collect()
}

/// The lots and equipment a command names, each looked up in one statement.
pub(super) fn registry_for(
    conn: &mut PgConnection,
    refs: &RegistryReferences,
) -> Result<Registry, DbError> {
    let mut out = Registry::default();
    for (material, lot) in &refs.lots {
        if let Some(found) = registry::lot_facts(conn, material, lot)? {
            out.lots.insert((material.clone(), lot.clone()), found);
        }
    }
    for code in &refs.equipment {
        if let Some(found) = registry::equipment_facts(conn, code)? {
            out.equipment.insert(code.clone(), found);
        }
    }
    Ok(out)
}
