//! Review-by-exception items and deviations raised during execution.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{to_stored_precision, AuditDraft};
use ebr_domain::exception::ExceptionKind;
use serde::Serialize;
use uuid::Uuid;

use super::{canonical, canonical_hash};
use crate::repo::audit::{self, batch_chain};
use crate::schema::{batch_exceptions, deviations};
use crate::DbError;

/// An exception to raise; its severity follows from its kind
/// ([`ExceptionKind::severity`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionDraft {
    /// What happened, as the domain names it.
    pub kind: ExceptionKind,
    /// Step.
    pub step_key: Option<String>,
    /// Field.
    pub field_key: Option<String>,
    /// Entry.
    pub entry_id: Option<Uuid>,
    /// What happened.
    pub detail: String,
    /// Whose action raised it.
    pub actor: String,
}

/// A stored exception.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = batch_exceptions)]
pub struct ExceptionRow {
    /// Exception id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Kind.
    pub kind: String,
    /// Severity.
    pub severity: String,
    /// Step.
    pub step_key: Option<String>,
    /// Field.
    pub field_key: Option<String>,
    /// Entry.
    pub entry_id: Option<Uuid>,
    /// Detail.
    pub detail: String,
    /// Time.
    pub occurred_at: DateTime<Utc>,
    /// Whose action.
    pub actor: String,
}

/// Records an exception and its audit event on the batch's chain.
pub fn raise(
    conn: &mut PgConnection,
    batch_id: Uuid,
    draft: &ExceptionDraft,
    now: DateTime<Utc>,
) -> Result<ExceptionRow, DbError> {
    let row = ExceptionRow {
        id: crate::ids::at(now),
        batch_id,
        kind: draft.kind.as_str().into(),
        severity: draft.kind.severity().as_str().into(),
        step_key: draft.step_key.clone(),
        field_key: draft.field_key.clone(),
        entry_id: draft.entry_id,
        detail: draft.detail.clone(),
        occurred_at: to_stored_precision(now),
        actor: draft.actor.clone(),
    };
    diesel::insert_into(batch_exceptions::table)
        .values(&row)
        .execute(conn)?;
    audit::append(
        conn,
        &batch_chain(batch_id),
        AuditDraft {
            actor: draft.actor.clone(),
            action: format!("exception.{}", draft.kind.as_str()),
            entity_type: "batch_exception".into(),
            entity_id: row.id.to_string(),
            old_value: None,
            new_value: canonical(&row),
            reason: None,
            record_hash: Some(canonical_hash(&row)),
        },
        now,
    )?;
    Ok(row)
}

/// A stored deviation (its lifecycle comes with the release work).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = deviations)]
pub struct DeviationRow {
    /// Deviation id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// The out-of-specification entry that opened it.
    pub source_entry_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Time.
    pub opened_at: DateTime<Utc>,
    /// Who or what opened it.
    pub opened_by: String,
}

/// Opens a deviation owned by `owner` (its first revision: open), with its
/// audit event.
#[allow(clippy::too_many_arguments)]
pub fn open_deviation(
    conn: &mut PgConnection,
    batch_id: Uuid,
    source_entry_id: Option<Uuid>,
    title: &str,
    description: &str,
    owner: Option<Uuid>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<DeviationRow, DbError> {
    let row = DeviationRow {
        id: crate::ids::at(now),
        batch_id,
        source_entry_id,
        title: title.into(),
        description: description.into(),
        opened_at: to_stored_precision(now),
        opened_by: actor.into(),
    };
    diesel::insert_into(deviations::table)
        .values(&row)
        .execute(conn)?;
    audit::append(
        conn,
        &batch_chain(batch_id),
        AuditDraft {
            actor: actor.into(),
            action: "deviation.opened".into(),
            entity_type: "deviation".into(),
            entity_id: row.id.to_string(),
            old_value: None,
            new_value: canonical(&row),
            reason: None,
            record_hash: Some(canonical_hash(&row)),
        },
        now,
    )?;
    crate::repo::release::deviations::insert_revision(
        conn,
        &row,
        &crate::repo::release::deviations::RevisionDraft {
            owner,
            ..Default::default()
        },
        1,
        ebr_domain::release::DeviationStatus::Open,
        actor,
        now,
    )?;
    Ok(row)
}
