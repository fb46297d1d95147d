//! The complete batch record's sections, loaded for `ebr_record` to seal
//! into one machine-readable document with its manifest (R2, R11).
//!
//! Deterministic: the same stored record gives the same document, byte for
//! byte. It carries the batch's whole audit chain and every signature's
//! record hash, so the export alone is enough to re-verify the record.

use std::collections::BTreeMap;

use diesel::prelude::*;
use ebr_domain::execution::{step_state, RecordedValue};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::repo::audit::batch_chain;
use crate::repo::release::{deviations, disposition, lineage, qc};
use crate::repo::{audit, execution, mbr, people, registry};
use crate::DbError;

/// The record's sections by name, as loaded: what `ebr_record` seals into
/// an export with its manifest.
pub type Sections = BTreeMap<String, Value>;

fn v<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

/// Loads every section of a batch's record as it is stored now.
pub fn sections(conn: &mut PgConnection, batch_id: Uuid) -> Result<Sections, DbError> {
    let state = execution::load(conn, batch_id)?;
    let (version, content) = mbr::load(conn, state.batch.mbr_version_id)?;
    let facts = state.step_facts();
    let wcb = registry::lot(conn, state.batch.wcb_lot_id)?;
    let devs = deviations::for_batch(conn, batch_id)?;
    let results = qc::for_batch(conn, batch_id)?;
    let (_, findings) = disposition::gate(conn, batch_id)?;
    let review = disposition::review_facts(conn, batch_id)?;
    let batch_sigs = disposition::batch_signatures(conn, batch_id)?;
    let vials = lineage::vials_of(conn, batch_id)?;
    let cell_bank = lineage::descendants(conn, wcb.row.id)?.0;
    let events = audit::chain_events(conn, &batch_chain(batch_id))?;

    // Everyone named in the record, with the printed name.
    let mut ids: Vec<Uuid> = state.entries.iter().map(|e| e.recorded_by).collect();
    ids.extend(state.signatures.iter().map(|s| s.manifest.signer_id));
    ids.extend(results.iter().map(|r| r.row.recorded_by));
    ids.extend(batch_sigs.iter().map(|s| s.signer_id));
    ids.extend(
        events
            .iter()
            .filter_map(|e| crate::repo::actor_person(&e.actor)),
    );
    ids.extend(crate::repo::actor_person(&state.batch.created_by));
    ids.sort();
    ids.dedup();
    let mut names = BTreeMap::new();
    for id in ids {
        let p = people::state(conn, id)?;
        names.insert(
            id.to_string(),
            json!({ "username": p.person.username, "full_name": p.person.full_name }),
        );
    }

    let mut lots = BTreeMap::new();
    let mut equipment = BTreeMap::new();
    for e in &state.entries {
        if let Some(l) = e.material_lot_id {
            let lot = registry::lot(conn, l)?;
            lots.insert(l.to_string(), json!({ "material": lot.row.material_code, "lot_number": lot.row.lot_number, "expires_at": lot.expires_at, "status": lot.status.as_str() }));
        }
        if let Some(q) = e.equipment_id {
            let eq = registry::equipment_by_id(conn, q)?;
            equipment.insert(q.to_string(), json!({ "code": eq.row.code, "type": eq.row.equipment_type, "calibration_due": eq.calibration_due, "status": eq.status.as_str() }));
        }
    }

    let transcribed: BTreeMap<Uuid, String> =
        crate::repo::contingency::transcribed_entries(conn, batch_id)?
            .into_iter()
            .collect();
    let steps: Vec<Value> = content
        .steps()
        .map(|(stage, step)| {
            let entries: Vec<Value> = state
                .entries
                .iter()
                .filter(|e| e.step_key == step.key)
                .map(|e| {
                    let value: Value = serde_json::from_str::<RecordedValue>(&e.value).map(|x| v(&x)).unwrap_or(Value::Null);
                    let mut entry = json!({
                        "id": e.id, "field": e.field_key, "value": value, "unit": e.unit, "evaluation": e.evaluation,
                        "material_lot_id": e.material_lot_id, "equipment_id": e.equipment_id,
                        "activity_at": e.activity_at, "recorded_at": e.recorded_at, "recorded_by": e.recorded_by,
                        "late_reason": e.late_reason, "corrects_entry_id": e.corrects_entry_id,
                        "correction_reason": e.correction_reason, "corrected": state.is_corrected(e.id),
                    });
                    // R27: only a transcribed entry carries the key, so
                    // records without paper forms read as before.
                    if let (Some(serial), Some(map)) = (transcribed.get(&e.id), entry.as_object_mut()) {
                        map.insert("transcribed_from".into(), json!(serial));
                    }
                    entry
                })
                .collect();
            let signatures: Vec<Value> = state
                .signatures
                .iter()
                .filter(|s| s.step_key == step.key)
                .map(|s| json!({ "signature": v(&s.manifest), "superseded": v(&s.superseded) }))
                .collect();
            json!({
                "stage": { "key": stage.key, "name": stage.name },
                "key": step.key, "name": step.name, "instructions": step.instructions, "critical": step.critical,
                "state": v(&step_state(step, facts.get(&step.key))),
                "fields": v(&step.fields), "entries": entries, "signatures": signatures,
            })
        })
        .collect();

    let mut sections: BTreeMap<String, Value> = BTreeMap::new();
    sections.insert(
        "batch".into(), json!({
        "id": state.batch.id, "batch_number": state.batch.batch_number, "product_code": state.batch.product_code,
        "product_name": content.product.name, "status": state.lifecycle.status().as_str(),
        "issued_at": state.batch.created_at, "issued_by": state.batch.created_by,
    }));
    sections.insert(
        "mbr".into(), json!({
        "id": version.id, "code": version.code, "version": version.version, "title": version.title,
        "content_sha256": version.content_sha256, "release_panel": v(&content.release_panel),
    }));
    sections.insert(
        "starting_material".into(), json!({
        "wcb_lot": { "id": wcb.row.id, "lot_number": wcb.row.lot_number, "material": wcb.row.material_code, "expires_at": wcb.expires_at },
        "wcb_vial": state.batch.wcb_vial, "cell_bank": v(&cell_bank),
    }));
    sections.insert("people".into(), v(&names));
    sections.insert(
        "materials_and_equipment".into(),
        json!({ "lots": lots, "equipment": equipment }),
    );
    sections.insert("steps".into(), Value::Array(steps));
    sections.insert("exceptions".into(), v(&state.exceptions));
    sections.insert(
        "deviations".into(), Value::Array(devs.iter().map(|d| json!({ "deviation": v(&d.row), "status": d.status().as_str(), "revisions": v(&d.revisions) })).collect()));
    sections.insert(
        "qc_results".into(),
        Value::Array(results.iter().map(v).collect()),
    );
    sections.insert(
        "review".into(), json!({
        "state": match review { ebr_domain::release::ReviewFacts::Missing => "missing", ebr_domain::release::ReviewFacts::Valid => "valid", ebr_domain::release::ReviewFacts::Voided => "voided" },
        "signatures": v(&batch_sigs.iter().filter(|s| s.meaning == ebr_domain::signature::SignatureMeaning::Reviewed).collect::<Vec<_>>()),
    }));
    // Rows whose event already carries them (as its new value) are not
    // repeated: the verifier reads those from the event.
    let vouched: Vec<(String, String)> = events
        .iter()
        .filter(|e| match (&e.record_hash, &e.new_value) {
            (None, _) => false,
            (Some(hash), Some(value)) => !event_carries_row(&e.entity_type, value, hash),
            (Some(_), None) => true,
        })
        .map(|e| (e.entity_type.clone(), e.entity_id.clone()))
        .collect();
    sections.insert(
        "records".into(),
        v(&crate::repo::integrity::vouched_rows(conn, &vouched)?),
    );
    sections.insert(
        "signatures".into(),
        every_signature(conn, &state, &results, &devs, &batch_sigs)?,
    );
    sections.insert(
        "release_gate".into(),
        release_gate(state.lifecycle.status(), &events, &findings),
    );
    sections.insert(
        "disposition".into(),
        v(&batch_sigs
            .iter()
            .filter(|s| {
                matches!(
                    s.meaning,
                    ebr_domain::signature::SignatureMeaning::Released
                        | ebr_domain::signature::SignatureMeaning::Rejected
                )
            })
            .collect::<Vec<_>>()),
    );
    sections.insert(
        "checkpoints".into(),
        Value::Array(
            crate::repo::checkpoints::for_batch(conn, batch_id)?
                .iter()
                .filter_map(|signed| serde_json::from_str(signed).ok())
                .collect(),
        ),
    );
    sections.insert(
        "vials".into(),
        Value::Array(
            vials
                .iter()
                .map(|x| json!({ "serial": x.serial, "created_at": x.created_at }))
                .collect(),
        ),
    );
    {
        use crate::repo::custody::{bank, labels, shipments, storage};
        let q = bank::qualification(conn, state.batch.wcb_lot_id)?;
        sections.insert(
            "chain_of_identity".into(), json!({
            "donor_din": q.lineage.as_ref().map(|l| l.donor_id.clone()),
            "donor_registered": q.donor.is_some(),
            "eligibility": v(&q.eligibility), "mcb_release": v(&q.mcb), "wcb_release": v(&q.wcb),
            "qualified": ebr_domain::custody::bank::qualification_findings(&q.facts()).is_empty(),
        }));
        let (all, reconciliation) = labels::reconciled(conn, batch_id)?;
        if !all.is_empty() {
            sections.insert(
                "labels".into(), json!({
                "labels": all.iter().map(|l| json!({
                    "number": l.label.label_number, "applied_to": l.applied_to, "state": l.state, "barcode": l.label.barcode,
                    "reprint_of": l.label.reprint_of, "reason": l.label.reason, "printed_at": l.label.printed_at, "printed_by": l.label.printed_by,
                    "event": v(&l.event),
                })).collect::<Vec<_>>(),
                "reconciliation": v(&reconciliation),
            }));
        }
        let stored = storage::of_batch(conn, batch_id)?;
        if stored.iter().any(|v| !v.events.is_empty()) {
            sections.insert("storage".into(), v(&stored));
        }
        let shipped = shipments::of_batch(conn, batch_id)?;
        if !shipped.is_empty() {
            let mut administered = Vec::new();
            for vial in &vials {
                if let Some(a) = shipments::administration_of(conn, vial.id)? {
                    administered.push(json!({ "vial": vial.serial, "administration": v(&a) }));
                }
            }
            sections.insert(
                "custody".into(),
                json!({ "shipments": v(&shipped), "administrations": administered }),
            );
        }
    }
    sections.insert(
        "audit_trail".into(), Value::Array(events.iter().map(|e| json!({
        "chain": e.chain, "seq": e.seq, "occurred_at": e.occurred_at, "actor": e.actor, "action": e.action,
        "entity_type": e.entity_type, "entity_id": e.entity_id, "old_value": e.old_value, "new_value": e.new_value,
        "reason": e.reason, "record_hash": e.record_hash, "prev_hash": e.prev_hash, "hash": e.hash,
    })).collect()));

    Ok(sections)
}

/// The release gate as the record shows it: for a released or rejected batch,
/// the findings as they stood at the decision (kept in the disposition's
/// audit event; a release is only possible with none), otherwise today's.
fn release_gate(
    status: ebr_domain::batch_state::BatchStatus,
    events: &[crate::repo::audit::AuditEventRow],
    now: &[ebr_domain::release::Finding],
) -> Value {
    use ebr_domain::batch_state::BatchStatus;
    let decision = events.iter().rev().find(|e| {
        e.action == "batch.disposition.released" || e.action == "batch.disposition.rejected"
    });
    match (status, decision) {
        (BatchStatus::Released | BatchStatus::Rejected, Some(event)) => {
            let recorded = event
                .new_value
                .as_deref()
                .and_then(|v| serde_json::from_str::<Value>(v).ok())
                .and_then(|v| v.get("release_gate").cloned())
                .filter(Value::is_array);
            let findings = match (recorded, status) {
                (Some(findings), _) => findings,
                (None, BatchStatus::Released) => Value::Array(vec![]),
                (None, _) => Value::Null,
            };
            json!({
                "as_of": event.occurred_at,
                "decision": event.action.trim_start_matches("batch.disposition."),
                "findings": findings,
            })
        }
        _ => json!({ "as_of": null, "decision": null, "findings": v(&now) }),
    }
}

/// Every signature of the batch record, oldest first, each with what it
/// signed: steps, QC reviews, deviation closings, batch review, release or
/// rejection (R2, R12: name, UTC time and meaning of each).
fn every_signature(
    conn: &mut PgConnection,
    state: &execution::BatchState,
    results: &[qc::QcResultState],
    devs: &[deviations::DeviationState],
    batch_sigs: &[ebr_domain::signature::SignatureManifest],
) -> Result<Value, DbError> {
    let mut all: Vec<(ebr_domain::signature::SignatureManifest, String, Value)> = Vec::new();
    for s in &state.signatures {
        all.push((
            s.manifest.clone(),
            format!("step {}", s.step_key),
            v(&s.superseded),
        ));
    }
    for r in results {
        for sig in &r.reviews {
            all.push((
                sig.clone(),
                format!("QC result {}", r.row.test_key),
                Value::Null,
            ));
        }
    }
    for d in devs {
        let sigs = crate::repo::signatures::for_record(
            conn,
            deviations::DEVIATION_RECORD_TYPE,
            &d.row.id.to_string(),
        )?;
        for sig in sigs {
            all.push((sig, format!("deviation {}", d.row.title), Value::Null));
        }
    }
    for sig in batch_sigs {
        all.push((sig.clone(), "batch".to_string(), Value::Null));
    }
    all.sort_by_key(|(sig, _, _)| (sig.signed_at, sig.id));
    Ok(Value::Array(
        all.into_iter()
            .map(|(sig, signed, superseded)| {
                json!({ "signed": signed, "signature": v(&sig), "superseded": superseded })
            })
            .collect(),
    ))
}

/// Whether an audit event's new value is the row it vouches for (its record
/// hash is the hash of that value read as the row), so the export need not
/// repeat the row.
fn event_carries_row(kind: &str, new_value: &str, record_hash: &str) -> bool {
    let Ok(row) = serde_json::from_str::<Value>(new_value) else {
        return false;
    };
    let hash = if kind == "signature" {
        match serde_json::from_value::<ebr_domain::signature::SignatureManifest>(row) {
            Ok(manifest) => manifest.hash(),
            Err(_) => return false,
        }
    } else {
        ebr_domain::canonical::sha256_hex(
            ebr_domain::canonical::to_canonical_json(&row)
                .unwrap_or_default()
                .as_bytes(),
        )
    };
    hash == record_hash
}
