//! Labels (R49): printed from the batch's pinned MBR template under the
//! batch lock, scanned back against their vials, destroyed with a reason,
//! reconciled before the labelling step is signed. Every row is vouched for
//! on the batch's chain.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use ebr_domain::audit::to_stored_precision;
use ebr_domain::custody::labels::{
    check_destroy, check_scan, coi_identifier, expected_labels, plan_print, reconcile,
    LabelContent, LabelFacts, LabelState, PrintFacts, PrintRequest, Reconciliation,
};
use ebr_domain::execution::RecordedValue;
use ebr_domain::mbr::{LabelTemplate, MasterBatchRecord};
use ebr_domain::signature::SignatureMeaning;
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use crate::repo::audit::batch_chain;
use crate::repo::execution::{load, BatchState};
use crate::repo::release::lineage::{vials_of, VialRow};
use crate::repo::{audit, batches, canonical, mbr, vouch};
use crate::schema::{label_events, labels};
use crate::DbError;

/// The audit entity type of a printed label.
pub const LABEL_KIND: &str = "label";
/// The audit entity type of an applied or destroyed label.
pub const LABEL_EVENT_KIND: &str = "label_event";

/// A printed label.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = labels)]
pub struct LabelRow {
    /// Id.
    pub id: Uuid,
    /// Batch.
    pub batch_id: Uuid,
    /// Number in the batch.
    pub label_number: i32,
    /// Template key.
    pub template: String,
    /// Vial (none for a box label).
    pub vial_id: Option<Uuid>,
    /// Printed content (canonical JSON of [`LabelContent`]).
    pub content: String,
    /// Barcode text.
    pub barcode: String,
    /// Label replaced.
    pub reprint_of: Option<i32>,
    /// Reprint reason.
    pub reason: Option<String>,
    /// Time.
    pub printed_at: DateTime<Utc>,
    /// Who.
    pub printed_by: String,
}

/// What became of a label.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = label_events)]
pub struct LabelEventRow {
    /// Id.
    pub id: Uuid,
    /// Label.
    pub label_id: Uuid,
    /// applied or destroyed.
    pub kind: String,
    /// As scanned.
    pub scanned: String,
    /// Reason (destroyed).
    pub reason: Option<String>,
    /// Time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub occurred_by: String,
}

/// A label with what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct LabelView {
    /// The label as printed.
    pub label: LabelRow,
    /// What it goes on: its vial's serial, or the batch number for a box
    /// label.
    pub applied_to: String,
    /// printed, applied or destroyed.
    pub state: LabelState,
    /// The application or destruction.
    pub event: Option<LabelEventRow>,
}

impl LabelView {
    fn facts(&self) -> LabelFacts {
        LabelFacts {
            number: self.label.label_number,
            template: self.label.template.clone(),
            applied_to: self.applied_to.clone(),
            barcode: self.label.barcode.clone(),
            state: self.state,
            reprint: self.label.reprint_of.is_some(),
        }
    }

    /// The printed content.
    pub fn content(&self) -> Option<LabelContent> {
        serde_json::from_str(&self.label.content).ok()
    }
}

/// Every label of a batch in number order, with what became of each.
pub fn list(conn: &mut PgConnection, batch_id: Uuid) -> Result<Vec<LabelView>, DbError> {
    let vials = vials_of(conn, batch_id)?;
    let batch_number = batches::find(conn, batch_id)?.batch_number;
    let rows: Vec<LabelRow> = labels::table
        .filter(labels::batch_id.eq(batch_id))
        .order(labels::label_number.asc())
        .select(LabelRow::as_select())
        .load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let events: Vec<LabelEventRow> = label_events::table
        .filter(label_events::label_id.eq_any(&ids))
        .select(LabelEventRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|label| {
            let event = events.iter().find(|e| e.label_id == label.id).cloned();
            let state = match event.as_ref().map(|e| e.kind.as_str()) {
                Some("applied") => LabelState::Applied,
                Some(_) => LabelState::Destroyed,
                None => LabelState::Printed,
            };
            let applied_to = match label.vial_id {
                Some(id) => vials
                    .iter()
                    .find(|v| v.id == id)
                    .map(|v| v.serial.clone())
                    .unwrap_or_default(),
                None => batch_number.clone(),
            };
            LabelView {
                label,
                applied_to,
                state,
                event,
            }
        })
        .collect())
}

/// The labelling step's templates as the domain takes them: key, and
/// whether each is a box label (in the step's order).
fn step_templates(
    mbr: &MasterBatchRecord,
) -> (Option<String>, Vec<(String, bool)>, Vec<LabelTemplate>) {
    let Some(step) = mbr
        .steps()
        .map(|(_, s)| s)
        .find(|s| !s.prints_labels.is_empty())
    else {
        return (None, Vec::new(), Vec::new());
    };
    let templates: Vec<LabelTemplate> = step
        .prints_labels
        .iter()
        .filter_map(|k| mbr.label_templates.iter().find(|t| &t.key == k).cloned())
        .collect();
    let keys = templates
        .iter()
        .map(|t| (t.key.clone(), t.kind == "box"))
        .collect();
    (Some(step.key.clone()), keys, templates)
}

/// Every label of a batch with its reconciliation (R49): every label
/// against every vial (and box) its labelling step must label, read once.
pub fn reconciled(
    conn: &mut PgConnection,
    batch_id: Uuid,
) -> Result<(Vec<LabelView>, Reconciliation), DbError> {
    let batch = batches::find(conn, batch_id)?;
    let (_, mbr) = mbr::load(conn, batch.mbr_version_id)?;
    let (_, templates, _) = step_templates(&mbr);
    let vials: Vec<String> = vials_of(conn, batch_id)?
        .into_iter()
        .map(|v| v.serial)
        .collect();
    let all = list(conn, batch_id)?;
    let facts: Vec<LabelFacts> = all.iter().map(LabelView::facts).collect();
    let reconciliation = reconcile(
        &expected_labels(&templates, &batch.batch_number, &vials),
        &facts,
    );
    Ok((all, reconciliation))
}

/// The batch's label reconciliation (R49).
pub fn reconciliation(conn: &mut PgConnection, batch_id: Uuid) -> Result<Reconciliation, DbError> {
    Ok(reconciled(conn, batch_id)?.1)
}

fn recorded(state: &BatchState, reference: &str) -> String {
    reference
        .split_once('.')
        .and_then(|(step, field)| state.current_entry(step, field))
        .and_then(|e| serde_json::from_str::<RecordedValue>(&e.value).ok())
        .map(|v| v.as_recorded())
        .unwrap_or_default()
}

/// Prints labels (the first sheet, or reprints of destroyed labels) for
/// batch `batch_id` under its lock: the domain decides from the pinned MBR
/// version's status now, the batch's status, the labelling step and its
/// templates, the vials and every label printed before. Returns the labels
/// printed, with their content, in number order.
pub fn print(
    conn: &mut PgConnection,
    batch_id: Uuid,
    request: &PrintRequest,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(LabelRow, LabelContent)>, DbError> {
    crate::tx::atomic(conn, |conn| {
        batches::lock(conn, batch_id)?;
        let state = load(conn, batch_id)?;
        let mbr_status = mbr::current_status(conn, state.batch.mbr_version_id)?;
        let (step_key, keys, templates) = step_templates(&state.mbr);
        let step_key = step_key.ok_or_else(|| {
            DomainError::LabelsNotPrintable(
                "the batch's MBR version declares no labelling step".into(),
            )
        })?;
        let vials: Vec<VialRow> = vials_of(conn, batch_id)?;
        let serials: Vec<String> = vials.iter().map(|v| v.serial.clone()).collect();
        let existing = list(conn, batch_id)?;
        let facts: Vec<LabelFacts> = existing.iter().map(LabelView::facts).collect();
        let plan = plan_print(
            &PrintFacts {
                mbr_status,
                batch_status: state.lifecycle.status(),
                step_signed: state
                    .current_signature(&step_key, SignatureMeaning::Performed)
                    .is_some(),
                batch_number: &state.batch.batch_number,
                templates: &keys,
                vials: &serials,
                labels: &facts,
            },
            request,
        )?;
        let din = super::bank::qualification(conn, state.batch.wcb_lot_id)?
            .lineage
            .map(|l| l.donor_id)
            .unwrap_or_default();
        let reason = match request {
            PrintRequest::Reprint { reason, .. } => Some(reason.clone()),
            PrintRequest::All => None,
        };
        let filled = vials.iter().map(|v| v.created_at).min().unwrap_or(now);
        let mut out = Vec::new();
        for p in plan {
            let template = templates
                .iter()
                .find(|t| t.key == p.template)
                .ok_or_else(|| DbError::Integrity(format!("template {} vanished", p.template)))?;
            let vial = vials.iter().find(|v| v.serial == p.applied_to);
            let is_box = template.kind == "box";
            if !is_box && vial.is_none() {
                return Err(DbError::Integrity(format!(
                    "vial {} vanished",
                    p.applied_to
                )));
            }
            let from = vial.map_or(filled, |v| v.created_at);
            let expiry = (from + Duration::days(i64::from(template.shelf_life_days)))
                .format("%Y-%m-%d")
                .to_string();
            let content = LabelContent {
                label_number: p.number,
                product_code: state.mbr.product.code.clone(),
                product_name: state.mbr.product.name.clone(),
                batch_number: state.batch.batch_number.clone(),
                kind: template.kind.clone(),
                vial_serial: vial.map(|v| v.serial.clone()).unwrap_or_default(),
                vials_in_box: is_box.then_some(vials.len()),
                cells_per_vial: recorded(&state, &template.cells_per_vial),
                volume: recorded(&state, &template.volume),
                storage: template.storage.clone(),
                expiry,
                investigational_statement: template.investigational_statement.clone(),
                coi: coi_identifier(&din, &p.applied_to),
            };
            let row = LabelRow {
                id: crate::ids::at(now),
                batch_id,
                label_number: p.number,
                template: template.key.clone(),
                vial_id: vial.map(|v| v.id),
                content: canonical(&content).unwrap_or_default(),
                barcode: content.barcode(),
                reprint_of: p.reprint_of,
                reason: reason.clone(),
                printed_at: to_stored_precision(now),
                printed_by: actor.into(),
            };
            out.push((row, content));
        }
        let rows: Vec<&LabelRow> = out.iter().map(|(r, _)| r).collect();
        diesel::insert_into(labels::table)
            .values(rows.clone())
            .execute(conn)?;
        let action = if reason.is_some() {
            "label.reprinted"
        } else {
            "label.printed"
        };
        let drafts = rows
            .iter()
            .map(|r| {
                let mut d = vouch(actor, action, LABEL_KIND, &r.id.to_string(), *r, None);
                d.reason = r.reason.clone();
                d
            })
            .collect();
        audit::append_all(conn, &batch_chain(batch_id), drafts, now)?;
        Ok(out)
    })
}

fn insert_event(
    conn: &mut PgConnection,
    batch_id: Uuid,
    row: &LabelEventRow,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(label_events::table)
        .values(row)
        .execute(conn)?;
    let mut draft = vouch(
        &row.occurred_by,
        &format!("label.{}", row.kind),
        LABEL_EVENT_KIND,
        &row.id.to_string(),
        row,
        None,
    );
    draft.reason = row.reason.clone();
    audit::append(conn, &batch_chain(batch_id), draft, now)?;
    Ok(())
}

/// R49: an applied label scanned back against the vial it is on; a wrong,
/// unknown or duplicate scan is refused and stores nothing.
pub fn scan(
    conn: &mut PgConnection,
    batch_id: Uuid,
    scanned_label: &str,
    vial_serial: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<LabelView, DbError> {
    crate::tx::atomic(conn, |conn| {
        batches::lock(conn, batch_id)?;
        let all = list(conn, batch_id)?;
        let facts: Vec<LabelFacts> = all.iter().map(LabelView::facts).collect();
        let number = check_scan(&facts, scanned_label, vial_serial)?;
        let mut view = all
            .into_iter()
            .find(|l| l.label.label_number == number)
            .ok_or_else(|| DbError::Integrity(format!("label {number} vanished")))?;
        let row = LabelEventRow {
            id: crate::ids::at(now),
            label_id: view.label.id,
            kind: "applied".into(),
            scanned: format!("{} on {}", scanned_label.trim(), vial_serial.trim()),
            reason: None,
            occurred_at: to_stored_precision(now),
            occurred_by: actor.into(),
        };
        insert_event(conn, batch_id, &row, now)?;
        view.state = LabelState::Applied;
        view.event = Some(row);
        Ok(view)
    })
}

/// A printed label destroyed (not applied) with a reason.
pub fn destroy(
    conn: &mut PgConnection,
    batch_id: Uuid,
    number: i32,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<LabelView, DbError> {
    crate::tx::atomic(conn, |conn| {
        batches::lock(conn, batch_id)?;
        let all = list(conn, batch_id)?;
        let facts: Vec<LabelFacts> = all.iter().map(LabelView::facts).collect();
        check_destroy(&facts, number, reason)?;
        let mut view = all
            .into_iter()
            .find(|l| l.label.label_number == number)
            .ok_or_else(|| DbError::Integrity(format!("label {number} vanished")))?;
        let row = LabelEventRow {
            id: crate::ids::at(now),
            label_id: view.label.id,
            kind: "destroyed".into(),
            scanned: String::new(),
            reason: Some(reason.into()),
            occurred_at: to_stored_precision(now),
            occurred_by: actor.into(),
        };
        insert_event(conn, batch_id, &row, now)?;
        view.state = LabelState::Destroyed;
        view.event = Some(row);
        Ok(view)
    })
}

/// Every label row (integrity checks).
pub fn all_labels(conn: &mut PgConnection) -> Result<Vec<LabelRow>, DbError> {
    Ok(labels::table.select(LabelRow::as_select()).load(conn)?)
}

/// Every label event row (integrity checks).
pub fn all_events(conn: &mut PgConnection) -> Result<Vec<LabelEventRow>, DbError> {
    Ok(label_events::table
        .select(LabelEventRow::as_select())
        .load(conn)?)
}
