//! Demo registries and batches, worked on a realistic timeline: the clock is
//! an argument, so a 47-step process spans a month, not one second, and the
//! hold times, key dates and audit trail of the demo record read like a real
//! batch's.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use ebr_db::repo::execution::{self, EntryInput, RecordRequest};
use ebr_db::repo::people::PersonState;
use ebr_db::repo::{batches, registry};
use ebr_db::{DbError, PgConnection};
use ebr_domain::execution::{EquipmentStatus, LotStatus};
use ebr_domain::limits::Range;
use ebr_domain::mbr::{FieldKind, MasterBatchRecord, Step};
use ebr_domain::signature::SignatureMeaning;
use serde_json::{json, Value};
use uuid::Uuid;

/// The batch number of the demo batch in progress.
pub const BATCH_IN_PROGRESS: &str = "BR-2026-0002";

/// The demo lot number of a material.
pub fn lot_of(material: &str) -> String {
    format!("{material}-2026-001")
}

/// The demo asset code of an equipment type.
pub fn equipment_of(kind: &str) -> String {
    format!("{kind}-01")
}

/// Registers (at `registered`) a released lot of every material and
/// calibrated equipment of every type, plus an expired lot, a lot in
/// quarantine and an incubator overdue for calibration to try the refusals
/// with; expiry and calibration dates are relative to `now`. Idempotent.
pub fn registries(
    conn: &mut PgConnection,
    mbr: &MasterBatchRecord,
    actor: &str,
    registered: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut lots: Vec<(String, String, LotStatus, DateTime<Utc>)> = mbr
        .materials
        .iter()
        .map(|m| {
            (
                m.code.clone(),
                lot_of(&m.code),
                LotStatus::Released,
                now + Duration::days(365),
            )
        })
        .collect();
    lots.push((
        "CS10".into(),
        "CS10-2025-EXP".into(),
        LotStatus::Released,
        now - Duration::days(3),
    ));
    lots.push((
        "DPBS".into(),
        "DPBS-2026-Q".into(),
        LotStatus::Quarantine,
        now + Duration::days(200),
    ));
    for (material, lot, status, expiry) in lots {
        if registry::find_lot(conn, &material, &lot)?.is_none() {
            registry::register_lot(
                conn,
                &material,
                &lot,
                "Demo Supplier Ltd.",
                status,
                expiry,
                actor,
                registered,
            )?;
        }
    }
    let mut equipment: Vec<(String, String, String, DateTime<Utc>)> = mbr
        .equipment_types
        .iter()
        .map(|e| {
            (
                equipment_of(&e.code),
                e.code.clone(),
                e.name.clone(),
                now + Duration::days(180),
            )
        })
        .collect();
    equipment.push((
        "INCUBATOR-07".into(),
        "INCUBATOR".into(),
        "CO₂ incubator (calibration overdue)".into(),
        now - Duration::days(10),
    ));
    for (code, kind, name, due) in equipment {
        if registry::find_equipment(conn, &code)?.is_none() {
            registry::register_equipment(
                conn,
                &code,
                &kind,
                &name,
                EquipmentStatus::InService,
                due,
                actor,
                registered,
            )?;
        }
    }
    Ok(())
}

fn inside(range: &Range) -> Option<String> {
    range.min.or(range.max).map(|n| n.to_string()).or_else(|| {
        range
            .below
            .map(|b| (b.value() - rust_decimal_one()).to_string())
    })
}

fn rust_decimal_one() -> rust_decimal::Decimal {
    rust_decimal::Decimal::ONE
}

/// Plausible values within specification for every field of a step.
pub fn good_values(step: &Step, now: DateTime<Utc>) -> Vec<EntryInput> {
    step.fields
        .iter()
        // Computed fields are the server's to fill in.
        .filter(|field| !matches!(field.kind, FieldKind::Computed { .. }))
        .map(|field| {
            let value: Value = match &field.kind {
                FieldKind::Number {
                    target,
                    alert,
                    action,
                    ..
                } => json!(target
                    .map(|t| t.to_string())
                    .or_else(|| alert.as_ref().and_then(inside))
                    .or_else(|| action.as_ref().and_then(inside))
                    .unwrap_or_else(|| "1".into())),
                FieldKind::Text { max_length } => {
                    json!(format!("{}-001", step.key.to_uppercase())
                        .chars()
                        .take(max_length.map_or(40, |m| m as usize))
                        .collect::<String>())
                }
                FieldKind::Choice {
                    options,
                    acceptable,
                } => json!(acceptable
                    .as_ref()
                    .and_then(|a| a.first())
                    .or(options.first())),
                FieldKind::Check {} => json!(true),
                FieldKind::Material { material } => json!(lot_of(material)),
                FieldKind::Equipment { equipment_type } => json!(equipment_of(equipment_type)),
                FieldKind::DateTime {} => json!(now.to_rfc3339()),
                FieldKind::Computed { .. } => Value::Null,
            };
            EntryInput {
                field_key: field.key.clone(),
                value,
            }
        })
        .collect()
}

/// When each stage of the reference process starts, in minutes after the
/// batch starts (`None`: right after the previous stage, the same day), and
/// the minutes between its steps. Culture stages follow the process days
/// (thaw on day 0, induction from day 7, patterning from day 13, MNP
/// expansion from day 19, harvest on day 31); harvest, formulation, fill and
/// freezing run back to back within their hold times (2 h to formulation,
/// 45 min from formulation to the freezer, 10 min to storage).
const STAGE_PLAN: &[(&str, Option<i64>, i64)] = &[
    ("s0-batch-start", Some(0), 15),
    ("s1-wcb-thaw", Some(60), 15),
    ("s2-ipsc-expansion", Some(24 * 60), 24 * 60),
    ("s3-neural-induction", Some(7 * 24 * 60), 30 * 60),
    ("s4-patterning", Some(13 * 24 * 60), 36 * 60),
    ("s5-mnp-expansion", Some(19 * 24 * 60), 48 * 60),
    ("s6-harvest", Some(31 * 24 * 60), 8),
    ("s7-formulation-fill", None, 8),
    ("s8-freezing", None, 8),
    ("s9-quarantine", None, 8),
];

/// The minutes a step takes from its first entry to its last signature on
/// the demo floor (entries, performed after 3 min, verified after 5 min).
const STEP_MINUTES: i64 = 5;

/// When each step of a batch of `mbr` started, for a batch started at
/// `start` (see [`STAGE_PLAN`]; a stage the plan does not know runs right
/// after the previous one, 8 minutes per step).
pub fn step_times(mbr: &MasterBatchRecord, start: DateTime<Utc>) -> HashMap<String, DateTime<Utc>> {
    let mut times = HashMap::new();
    let mut next = start;
    for stage in &mbr.stages {
        let (offset, spacing) = STAGE_PLAN
            .iter()
            .find(|(key, _, _)| *key == stage.key)
            .map_or((None, 8), |(_, offset, spacing)| (*offset, *spacing));
        let mut at = offset.map_or(next, |minutes| {
            (start + Duration::minutes(minutes)).max(next)
        });
        for step in &stage.steps {
            times.insert(step.key.clone(), at);
            next = at + Duration::minutes(spacing.max(STEP_MINUTES + 3));
            at += Duration::minutes(spacing);
        }
    }
    times
}

/// When the steps of a batch are worked: all at one instant (tests, whose
/// clock stands still) or on the demo's realistic timeline.
pub enum Pace<'a> {
    /// Every step at this time.
    At(DateTime<Utc>),
    /// Each step at its time from [`step_times`].
    Timeline(&'a HashMap<String, DateTime<Utc>>),
}

impl Pace<'_> {
    /// When `step` starts.
    fn start_of(&self, step: &str) -> DateTime<Utc> {
        match self {
            Pace::At(t) => *t,
            Pace::Timeline(times) => times.get(step).copied().unwrap_or_default(),
        }
    }

    /// `minutes` into `step` (no time passes at a fixed instant).
    fn minutes_into(&self, step: &str, minutes: i64) -> DateTime<Utc> {
        match self {
            Pace::At(t) => *t,
            Pace::Timeline(_) => self.start_of(step) + Duration::minutes(minutes),
        }
    }
}

/// Records in-specification values (adjusted by `adjust`) for every step of
/// `mbr` before `stop_at` (all steps when `None`), signs each as performed
/// by `operator` and verifies the critical ones as `verifier`, at the times
/// `pace` gives, the way the demo batches (and the browser tests' batches)
/// are worked. At the labelling step every label is printed and scanned
/// back against its vial before the step is signed; after the transfer to
/// storage every vial is placed in the storage map.
#[allow(clippy::too_many_arguments)]
pub fn perform_steps(
    conn: &mut PgConnection,
    batch_id: Uuid,
    mbr: &MasterBatchRecord,
    stop_at: Option<&str>,
    operator: &PersonState,
    verifier: &PersonState,
    pace: &Pace<'_>,
    adjust: impl Fn(&Step, &mut EntryInput),
) -> Result<(), DbError> {
    for (_, step) in mbr.steps() {
        if Some(step.key.as_str()) == stop_at {
            break;
        }
        let now = pace.start_of(&step.key);
        let mut inputs = good_values(step, now);
        for input in &mut inputs {
            adjust(step, input);
        }
        let request = RecordRequest {
            step_key: step.key.clone(),
            inputs,
            activity_at: None,
            late_reason: None,
        };
        execution::record(
            conn,
            batch_id,
            &request,
            operator.person.id,
            Duration::minutes(30),
            now,
        )?;
        if !step.prints_labels.is_empty() {
            super::custody::label_vials(conn, batch_id, operator, pace.minutes_into(&step.key, 1))?;
        }
        let mut signers = vec![(SignatureMeaning::Performed, operator, 3)];
        if step.critical {
            signers.push((SignatureMeaning::Verified, verifier, STEP_MINUTES));
        }
        for (meaning, signer, minutes) in signers {
            execution::sign_step(
                conn,
                batch_id,
                &step.key,
                meaning,
                &signer.signatory(None, pace.minutes_into(&step.key, minutes)),
            )?;
        }
        if step.key == super::custody::STORE_STEP {
            let at = pace.minutes_into(&step.key, STEP_MINUTES + 1);
            super::custody::store_vials(conn, batch_id, operator, at)?;
        }
    }
    Ok(())
}

/// Issues the demo batch at `start` and works it on the demo timeline up to
/// (not including) step `s1-seed`: stage 0 and the WCB thaw, with a
/// post-thaw viability of 65 % (out of specification: an open deviation) and
/// a thaw time above its alert limit. Idempotent: an existing batch is left
/// as it is.
#[allow(clippy::too_many_arguments)]
pub fn batch_in_progress(
    conn: &mut PgConnection,
    mbr: &MasterBatchRecord,
    mbr_version: Uuid,
    issuer: &PersonState,
    operator: &PersonState,
    verifier: &PersonState,
    start: DateTime<Utc>,
) -> Result<(), DbError> {
    if batches::find_by_number(conn, BATCH_IN_PROGRESS).is_ok() {
        return Ok(());
    }
    let times = step_times(mbr, start);
    let issuer_actor = ebr_db::repo::person_actor(issuer.person.id);
    let batch = batches::issue(
        conn,
        BATCH_IN_PROGRESS,
        mbr_version,
        &lot_of("WCB-IPSC"),
        "WCB-0042-V17",
        &issuer_actor,
        start - Duration::minutes(30),
    )?;
    perform_steps(
        conn,
        batch.id,
        mbr,
        Some("s1-seed"),
        operator,
        verifier,
        &Pace::Timeline(&times),
        |step, input| match (step.key.as_str(), input.field_key.as_str()) {
            ("s1-post-thaw-count", "viability") => input.value = json!("65"),
            ("s1-thaw", "thaw_time") => input.value = json!("2.8"),
            _ => {}
        },
    )
}

/// Fills ten vials at the fill step (the demo's batch size).
pub fn ten_vials(step: &Step, input: &mut EntryInput) {
    if step.key == "s7-fill" && input.field_key == "vials_filled" {
        input.value = json!("10");
    }
}

/// The batch number of the demo batch released through the full flow.
pub const BATCH_RELEASED: &str = "BR-2026-0001";

/// The people who work the demo batches.
pub struct Crew<'a> {
    /// Issues batches, reviews the record (QA).
    pub qa: &'a PersonState,
    /// Performs steps.
    pub operator: &'a PersonState,
    /// Verifies critical steps.
    pub verifier: &'a PersonState,
    /// Enters QC results.
    pub analyst: &'a PersonState,
    /// Reviews QC results.
    pub second_analyst: &'a PersonState,
    /// Releases.
    pub release_authority: &'a PersonState,
}

fn qc_outcome(test: &ebr_domain::mbr::QcTestDefinition) -> ebr_domain::release::QcOutcome {
    use ebr_domain::mbr::QcSpecification;
    use ebr_domain::release::QcOutcome;
    match &test.spec {
        QcSpecification::Numeric { unit, acceptance } => {
            let value = acceptance
                .min
                .or(acceptance.max)
                .or_else(|| {
                    acceptance.below.map(|b| {
                        ebr_domain::number::Number::new(b.value() / rust_decimal::Decimal::from(2))
                    })
                })
                .unwrap_or_else(|| ebr_domain::number::Number::from(1));
            QcOutcome::Numeric {
                value,
                unit: unit.clone(),
            }
        }
        QcSpecification::Expected { expected, .. } => QcOutcome::Categorical {
            outcome: expected.clone(),
        },
    }
}

/// Issues the demo batch released through the full flow, started at `start`
/// and worked on the demo timeline: every step performed and verified over
/// a month, 10 vials filled, every release test entered when its result was
/// known (the 14-day sterility test last) and reviewed by a second analyst,
/// the record reviewed by QA and released by the release authority two days
/// later; before it, the bank qualified (donor eligible, lineage, MCB and
/// WCB released) and the storage map set up; its labels printed and
/// reconciled, its vials placed in the storage map, and after release two
/// vials shipped, received and one administered. Idempotent.
pub fn released_batch(
    conn: &mut PgConnection,
    mbr: &MasterBatchRecord,
    mbr_version: Uuid,
    crew: &Crew<'_>,
    start: DateTime<Utc>,
) -> Result<(), DbError> {
    use ebr_db::repo::release::{disposition, qc};
    if batches::find_by_number(conn, BATCH_RELEASED).is_ok() {
        return Ok(());
    }
    let times = step_times(mbr, start);
    let finished = times.values().max().copied().unwrap_or(start) + Duration::minutes(STEP_MINUTES);
    let issued = start - Duration::minutes(30);
    let qa_actor = ebr_db::repo::person_actor(crew.qa.person.id);
    let wcb = registry::find_lot(conn, "WCB-IPSC", &lot_of("WCB-IPSC"))?
        .ok_or_else(|| DbError::NotFound("demo WCB lot".into()))?;
    super::custody::qualify_bank(conn, wcb.row.id, crew.qa, issued - Duration::hours(2))?;
    super::custody::storage_map(conn, &qa_actor, issued - Duration::hours(1))?;
    let batch = batches::issue(
        conn,
        BATCH_RELEASED,
        mbr_version,
        &lot_of("WCB-IPSC"),
        "WCB-0042-V16",
        &qa_actor,
        issued,
    )?;
    perform_steps(
        conn,
        batch.id,
        mbr,
        None,
        crew.operator,
        crew.verifier,
        &Pace::Timeline(&times),
        ten_vials,
    )?;
    // Release results arrive over two weeks after the fill; sterility (14
    // days) closes the panel.
    for (i, test) in mbr.release_panel.iter().enumerate() {
        let days = if test.key == "sterility" {
            14
        } else {
            1 + i64::try_from(i % 7).unwrap_or(0)
        };
        let now =
            finished + Duration::days(days) + Duration::minutes(i64::try_from(i).unwrap_or(0));
        let new = qc::NewResult {
            test_key: test.key.clone(),
            outcome: qc_outcome(test),
            method: None,
            tested_at: now - Duration::hours(2),
            instrument_id: "QC-INSTR-01".into(),
            sample_id: format!("{BATCH_RELEASED}-QC-{}", test.key),
            retest_of: None,
        };
        let recorded = qc::record(conn, batch.id, &new, crew.analyst.person.id, now)?;
        qc::review(
            conn,
            recorded.result.row.id,
            &crew
                .second_analyst
                .signatory(None, now + Duration::hours(3)),
        )?;
    }
    let reviewed = finished + Duration::days(15);
    disposition::sign(
        conn,
        batch.id,
        SignatureMeaning::Reviewed,
        &crew
            .qa
            .signatory(Some("exceptions and audit trail reviewed".into()), reviewed),
    )?;
    disposition::sign(
        conn,
        batch.id,
        SignatureMeaning::Released,
        &crew
            .release_authority
            .signatory(None, reviewed + Duration::days(1)),
    )?;
    super::custody::ship_and_administer(
        conn,
        BATCH_RELEASED,
        crew.operator,
        crew.verifier,
        reviewed + Duration::days(1),
    )?;
    Ok(())
}
