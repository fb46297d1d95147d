//! Recording the values of a step.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use ebr_domain::batch::{record as decide, registry_references, RecordCommand};
use serde::Serialize;
use uuid::Uuid;

use super::state::EntryRow;
use super::{apply, facts};
use crate::repo::exceptions::{DeviationRow, ExceptionRow};
use crate::repo::{batches, person_actor};
use crate::DbError;

/// One value for one field.
#[derive(Debug, Clone)]
pub struct EntryInput {
    /// The field key.
    pub field_key: String,
    /// The raw value (see `ebr_domain::execution::parse_value`).
    pub value: serde_json::Value,
}

/// The values of one step, recorded together.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    /// The step.
    pub step_key: String,
    /// The values.
    pub inputs: Vec<EntryInput>,
    /// When the activity happened, if earlier than now (R33).
    pub activity_at: Option<DateTime<Utc>>,
    /// Why the entry is late, when it is.
    pub late_reason: Option<String>,
}

/// What a recording stored and raised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recorded {
    /// The entries stored.
    pub entries: Vec<EntryRow>,
    /// The exceptions raised.
    pub exceptions: Vec<ExceptionRow>,
    /// The deviations opened.
    pub deviations: Vec<DeviationRow>,
}

/// Records values of the current step (R6): lock the batch, load it once
/// ([`facts::load_batch`], a constant number of statements), look up the lots
/// and equipment the values name, let the domain decide
/// ([`ebr_domain::batch::record`]) and apply its plan. A refused lot or
/// instrument leaves only its exception (written under the same lock); every
/// other refusal writes nothing.
pub fn record(
    conn: &mut PgConnection,
    batch_id: Uuid,
    req: &RecordRequest,
    person: Uuid,
    late_window: Duration,
    now: DateTime<Utc>,
) -> Result<Recorded, DbError> {
    let actor = person_actor(person);
    let inputs: Vec<(String, serde_json::Value)> = req
        .inputs
        .iter()
        .map(|i| (i.field_key.clone(), i.value.clone()))
        .collect();
    let command = RecordCommand {
        step_key: &req.step_key,
        inputs: &inputs,
        activity_at: req.activity_at,
        late_reason: req.late_reason.as_deref(),
        late_window,
        person,
    };
    let outcome = conn.transaction(|conn| {
        batches::lock(conn, batch_id)?;
        let fields: Vec<String> = inputs.iter().map(|(k, _)| k.clone()).collect();
        let focus = facts::Focus::Recording {
            step: &req.step_key,
            fields: &fields,
        };
        let batch = facts::load_batch(conn, batch_id, &focus)?;
        let registry = facts::registry_for(conn, &registry_references(&batch, &command))?;
        let mut new_id = || crate::ids::at(now);
        match decide(&batch, &command, &registry, now, &mut new_id) {
            Ok(plan) => {
                let mut head = batch.audit_head.clone();
                apply::record(conn, batch_id, &mut head, plan, person, &actor, now).map(Ok)
            }
            Err(refusal) => apply::refused(conn, batch_id, refusal, &actor, now).map(Err),
        }
    })?;
    outcome.map_err(DbError::Domain)
}
