//! Recording the values of the current step (R6, R8, R20, R33, R34, R37, R38).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{Batch, Plan, PlannedDeviation, PlannedEntry, PlannedException, Refusal, Registry};
use crate::batch_state::BatchStatus;
use crate::exception::ExceptionKind;
use crate::execution::{
    check_equipment, check_lot, check_sequence, evaluate, hold_time_breaches, is_late, parse_value,
    RecordedValue,
};
use crate::limits::Evaluation;
use crate::mbr::{FieldKind, Step};
use crate::DomainError;

/// A request to record values of one step.
#[derive(Debug, Clone)]
pub struct RecordCommand<'a> {
    /// The step.
    pub step_key: &'a str,
    /// The raw values by field key, in the order sent.
    pub inputs: &'a [(String, Value)],
    /// When the activity happened, if earlier than now.
    pub activity_at: Option<DateTime<Utc>>,
    /// Why the entry is late, when it is.
    pub late_reason: Option<&'a str>,
    /// How long after the activity an entry counts as late (R33).
    pub late_window: Duration,
    /// Who records.
    pub person: Uuid,
}

/// The registry items a command's values name, to be looked up before it is
/// decided (lots by material and lot number, equipment by asset code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryReferences {
    /// (material code, lot number as scanned).
    pub lots: Vec<(String, String)>,
    /// Asset codes as scanned.
    pub equipment: Vec<String>,
}

/// The lots and equipment the values of `command` name, read from the raw
/// values of the step's material and equipment fields (a value that does not
/// parse is left out: the command refuses it).
pub fn registry_references(batch: &Batch, command: &RecordCommand<'_>) -> RegistryReferences {
    let mut refs = RegistryReferences::default();
    let Some(step) = batch.mbr.step(command.step_key) else {
        return refs;
    };
    for (key, raw) in command.inputs {
        let Some(field) = step.fields.iter().find(|f| f.key == *key) else {
            continue;
        };
        match (&field.kind, parse_value(field, raw)) {
            (FieldKind::Material { material }, Ok(RecordedValue::Material { lot_number })) => {
                refs.lots.push((material.clone(), lot_number));
            }
            (FieldKind::Equipment { .. }, Ok(RecordedValue::Equipment { code })) => {
                refs.equipment.push(code);
            }
            _ => {}
        }
    }
    refs
}

fn refused_scan(error: DomainError, kind: ExceptionKind, step: &Step, field: &str) -> Refusal {
    Refusal {
        exception: Some(Box::new(PlannedException {
            kind,
            step_key: Some(step.key.clone()),
            field_key: Some(field.to_string()),
            entry_id: None,
            detail: format!("refused at entry: {error}"),
        })),
        error,
    }
}

/// A value in words for exception texts: as the operator typed it, a lot
/// prefixed with "lot".
pub(crate) fn describe(value: &RecordedValue) -> String {
    match value {
        RecordedValue::Material { lot_number } => format!("lot {lot_number}"),
        other => other.as_recorded(),
    }
}

/// Parses and evaluates one raw value for `field_key` of `step`, and checks
/// the lot or instrument it names at `now` (R8, R37: a refused one leaves an
/// exception). Returns the entry to write and the field's label.
pub(super) fn prepare_entry(
    step: &Step,
    field_key: &str,
    raw: &Value,
    registry: &Registry,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<(PlannedEntry, String), Refusal> {
    let field = step
        .fields
        .iter()
        .find(|f| f.key == field_key)
        .ok_or_else(|| DomainError::UnknownField {
            step: step.key.clone(),
            field: field_key.to_string(),
        })?;
    let value = parse_value(field, raw)?;
    let evaluation = evaluate(field, &value)?;
    let (mut lot, mut equipment) = (None, None);
    match (&field.kind, &value) {
        (FieldKind::Material { material }, RecordedValue::Material { lot_number }) => {
            let key = (material.clone(), lot_number.clone());
            let (id, found) = registry.lots.get(&key).ok_or_else(|| {
                refused_scan(
                    DomainError::LotUnknown(lot_number.clone()),
                    ExceptionKind::MaterialRefused,
                    step,
                    field_key,
                )
            })?;
            check_lot(material, found, now)
                .map_err(|e| refused_scan(e, ExceptionKind::MaterialRefused, step, field_key))?;
            lot = Some(*id);
        }
        (FieldKind::Equipment { equipment_type }, RecordedValue::Equipment { code }) => {
            let (id, found) = registry.equipment.get(code).ok_or_else(|| {
                refused_scan(
                    DomainError::EquipmentUnknown(code.clone()),
                    ExceptionKind::EquipmentRefused,
                    step,
                    field_key,
                )
            })?;
            check_equipment(equipment_type, found, now)
                .map_err(|e| refused_scan(e, ExceptionKind::EquipmentRefused, step, field_key))?;
            equipment = Some(*id);
        }
        _ => {}
    }
    Ok((
        PlannedEntry {
            id: new_id(),
            field_key: field_key.to_string(),
            value,
            evaluation,
            lot,
            equipment,
        },
        field.label.clone(),
    ))
}

/// What an entry's evaluation calls for (R38): an alert exception, or an
/// out-of-specification exception and a deviation owned by `person` (the
/// value itself is always kept).
pub(super) fn consequences(
    step: &Step,
    entry: &PlannedEntry,
    label: &str,
    person: Uuid,
    exceptions: &mut Vec<PlannedException>,
    deviations: &mut Vec<PlannedDeviation>,
) {
    let shown = describe(&entry.value);
    let about = |kind, detail: String| PlannedException {
        kind,
        step_key: Some(step.key.clone()),
        field_key: Some(entry.field_key.clone()),
        entry_id: Some(entry.id),
        detail,
    };
    match entry.evaluation {
        Some(Evaluation::Alert) => exceptions.push(about(
            ExceptionKind::Alert,
            format!("{label} = {shown}: outside the alert range, within specification"),
        )),
        Some(Evaluation::OutOfSpecification) => {
            let detail = format!("{label} = {shown}: out of specification");
            deviations.push(PlannedDeviation {
                source_entry_id: entry.id,
                owner: person,
                title: format!("Out of specification: {label} ({})", step.key),
                description: format!(
                    "{detail}. Opened automatically for entry {} of step {}.",
                    entry.id, step.key
                ),
            });
            exceptions.push(about(ExceptionKind::OutOfSpecification, detail));
        }
        _ => {}
    }
}

/// Decides a recording of the current step's values at server time `now`:
/// the batch accepts entries (planned or in progress), the step is current
/// (R6), every field is the step's and has no value yet, the activity is not
/// in the future and a late one says why (R33), every value fits its field,
/// and every lot and instrument may be used now (R8, R37; a refused one
/// leaves an exception). The plan keeps every value, raises an exception for
/// an alert, an exception and a deviation for a value out of specification
/// (R38), one for a late entry and one per exceeded hold time, and starts a
/// planned batch. `new_id` names the entries (ids come from the caller's
/// clock, keeping the domain pure).
pub fn record(
    batch: &Batch,
    command: &RecordCommand<'_>,
    registry: &Registry,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Plan, Refusal> {
    if !matches!(batch.status, BatchStatus::Planned | BatchStatus::InProgress) {
        return Err(DomainError::BatchClosed {
            status: batch.status.as_str().into(),
        }
        .into());
    }
    check_sequence(&batch.mbr, &batch.steps, command.step_key)?;
    let step = batch
        .mbr
        .step(command.step_key)
        .ok_or_else(|| DomainError::UnknownStep(command.step_key.to_string()))?;
    if command.inputs.is_empty() {
        return Err(DomainError::NoValues.into());
    }
    let activity_at = command.activity_at.unwrap_or(now);
    if activity_at > now + Duration::minutes(1) {
        return Err(DomainError::ActivityInFuture.into());
    }
    let late_reason = command.late_reason.map(str::trim).filter(|r| !r.is_empty());
    let late = is_late(activity_at, now, command.late_window);
    if late && late_reason.is_none() {
        return Err(DomainError::LateEntryReasonRequired {
            minutes: (now - activity_at).num_minutes(),
        }
        .into());
    }
    let facts = batch.steps.get(&step.key);
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    let mut labels = Vec::new();
    for (field_key, raw) in command.inputs {
        let already = facts.is_some_and(|f| f.recorded_fields.contains(field_key));
        if !seen.insert(field_key.as_str()) || already {
            return Err(DomainError::FieldAlreadyRecorded {
                step: step.key.clone(),
                field: field_key.clone(),
            }
            .into());
        }
        let (entry, label) = prepare_entry(step, field_key, raw, registry, now, new_id)?;
        labels.push(label);
        entries.push(entry);
    }
    for (entry, label) in super::compute::computed_entries(batch, step, &entries, new_id)? {
        entries.push(entry);
        labels.push(label);
    }
    let mut exceptions = Vec::new();
    let mut deviations = Vec::new();
    for (entry, label) in entries.iter().zip(&labels) {
        consequences(
            step,
            entry,
            label,
            command.person,
            &mut exceptions,
            &mut deviations,
        );
    }
    exceptions.extend(super::compute::missed_aims(batch, step, &entries));
    let whole_step = |kind, detail: String| PlannedException {
        kind,
        step_key: Some(step.key.clone()),
        field_key: None,
        entry_id: None,
        detail,
    };
    if late {
        exceptions.push(whole_step(
            ExceptionKind::LateEntry,
            format!(
                "late entry: activity at {} recorded {} minutes later; reason: {}",
                activity_at.to_rfc3339(),
                (now - activity_at).num_minutes(),
                late_reason.unwrap_or_default()
            ),
        ));
    }
    if facts.is_none_or(|f| f.first_entry_at.is_none()) {
        for breach in hold_time_breaches(step, &batch.steps, now) {
            exceptions.push(whole_step(
                ExceptionKind::HoldTimeBreach,
                format!(
                    "hold time exceeded: step {} started {} min after {} (limit {} min)",
                    step.key, breach.elapsed_minutes, breach.after, breach.max_minutes
                ),
            ));
        }
    }
    let transition = (batch.status == BatchStatus::Planned)
        .then(|| (BatchStatus::InProgress, "first entry recorded".to_string()));
    Ok(Plan {
        step_key: step.key.clone(),
        activity_at,
        late_reason: late.then(|| late_reason.unwrap_or_default().to_string()),
        entries,
        exceptions,
        deviations,
        transition,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::execution::{LotFacts, LotStatus, StepFacts};

    fn mbr() -> crate::mbr::MasterBatchRecord {
        crate::mbr::parse_toml(include_str!("../../../../fixtures/mbr/mnp-als-v1.toml")).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn ids() -> impl FnMut() -> Uuid {
        let mut n = 0u128;
        move || {
            n += 1;
            Uuid::from_u128(n)
        }
    }

    fn batch(status: BatchStatus) -> Batch {
        Batch {
            id: Uuid::from_u128(99),
            number: "BR-T".into(),
            mbr_content_sha256: "0".into(),
            status,
            mbr: Arc::new(mbr()),
            steps: HashMap::new(),
            audit_head: crate::audit::ChainHead::genesis(),
            values: HashMap::new(),
        }
    }

    fn command<'a>(step: &'a str, inputs: &'a [(String, Value)]) -> RecordCommand<'a> {
        RecordCommand {
            step_key: step,
            inputs,
            activity_at: None,
            late_reason: None,
            late_window: Duration::minutes(30),
            person: Uuid::from_u128(7),
        }
    }

    /// R6, R39: the first step of a planned batch is recorded and starts the
    /// batch; a later step is out of sequence; a closed batch takes nothing.
    #[test]
    fn r6_r39_record_starts_the_batch_and_keeps_the_sequence() {
        let inputs = vec![("mbr_version_confirmed".to_string(), json!(true))];
        let plan = record(
            &batch(BatchStatus::Planned),
            &command("s0-issue-record", &inputs),
            &Registry::default(),
            now(),
            &mut ids(),
        );
        let plan = match plan {
            Ok(p) => p,
            Err(r) => {
                // the first step may have other fields; a missing one is fine
                // for recording, an unknown one is not
                panic!("{:?}", r.error)
            }
        };
        assert_eq!(plan.entries.len(), 1);
        assert_eq!(
            plan.transition.as_ref().map(|t| t.0),
            Some(BatchStatus::InProgress)
        );
        let later = record(
            &batch(BatchStatus::Planned),
            &command("s1-thaw", &inputs),
            &Registry::default(),
            now(),
            &mut ids(),
        );
        assert_eq!(later.unwrap_err().error.rule(), "step_out_of_sequence");
        let closed = record(
            &batch(BatchStatus::Released),
            &command("s0-issue-record", &inputs),
            &Registry::default(),
            now(),
            &mut ids(),
        );
        assert_eq!(closed.unwrap_err().error.rule(), "batch_closed");
    }

    fn at_seed() -> Batch {
        at_step("s1-seed")
    }

    /// A batch whose every step before `current` is complete.
    fn at_step(current: &str) -> Batch {
        let m = mbr();
        let mut b = batch(BatchStatus::InProgress);
        for (_, step) in m.steps() {
            if step.key == current {
                break;
            }
            b.steps.insert(
                step.key.clone(),
                StepFacts {
                    first_entry_at: Some(now() - Duration::hours(1)),
                    recorded_fields: step.fields.iter().map(|f| f.key.clone()).collect(),
                    performed: Some(crate::execution::SignatureFact {
                        signer: Uuid::from_u128(7),
                        at: now() - Duration::hours(1),
                    }),
                    verified: Some(crate::execution::SignatureFact {
                        signer: Uuid::from_u128(8),
                        at: now() - Duration::hours(1),
                    }),
                    participants: Default::default(),
                },
            );
        }
        b
    }

    /// R37, R38: an expired lot is refused and leaves a material exception;
    /// a value out of specification is kept with an exception and a deviation.
    #[test]
    fn r37_r38_refused_lot_leaves_an_exception_and_oos_opens_a_deviation() {
        let b = at_seed();
        let mut registry = Registry::default();
        registry.lots.insert(
            ("LAM-511".into(), "LAM-1".into()),
            (
                Uuid::from_u128(50),
                LotFacts {
                    material_code: "LAM-511".into(),
                    lot_number: "LAM-1".into(),
                    status: LotStatus::Released,
                    expires_at: now() - Duration::days(1),
                },
            ),
        );
        let inputs = vec![("laminin_lot".to_string(), json!("LAM-1"))];
        let refusal = record(
            &b,
            &command("s1-seed", &inputs),
            &registry,
            now(),
            &mut ids(),
        )
        .unwrap_err();
        assert_eq!(refusal.error.rule(), "lot_expired");
        assert_eq!(
            refusal.exception.unwrap().kind,
            ExceptionKind::MaterialRefused
        );
        let inputs = vec![("seeding_density".to_string(), json!("90000"))];
        let plan = record(
            &b,
            &command("s1-seed", &inputs),
            &registry,
            now(),
            &mut ids(),
        )
        .unwrap();
        assert_eq!(plan.deviations.len(), 1);
        assert_eq!(plan.exceptions[0].kind, ExceptionKind::OutOfSpecification);
        assert_eq!(plan.deviations[0].source_entry_id, plan.entries[0].id);
        assert!(plan.transition.is_none());
        assert_eq!(
            registry_references(
                &b,
                &command("s1-seed", &[("laminin_lot".to_string(), json!("LAM-1 "))])
            )
            .lots,
            vec![("LAM-511".to_string(), "LAM-1".to_string())]
        );
    }

    /// R33: a late activity needs a reason and raises an exception; a field
    /// already recorded is refused (changed only by a correction).
    #[test]
    fn r33_late_entries_need_a_reason_and_fields_are_recorded_once() {
        let mut b = at_seed();
        let inputs = vec![("seeding_density".to_string(), json!("15000"))];
        let mut late = command("s1-seed", &inputs);
        late.activity_at = Some(now() - Duration::hours(2));
        assert_eq!(
            record(&b, &late, &Registry::default(), now(), &mut ids())
                .unwrap_err()
                .error
                .rule(),
            "late_entry_reason_required"
        );
        late.late_reason = Some("tablet offline");
        let plan = record(&b, &late, &Registry::default(), now(), &mut ids()).unwrap();
        assert!(plan
            .exceptions
            .iter()
            .any(|e| e.kind == ExceptionKind::LateEntry));
        assert_eq!(plan.late_reason.as_deref(), Some("tablet offline"));
        b.steps.insert(
            "s1-seed".into(),
            StepFacts {
                first_entry_at: Some(now()),
                recorded_fields: ["seeding_density".to_string()].into(),
                ..StepFacts::default()
            },
        );
        assert_eq!(
            record(
                &b,
                &command("s1-seed", &inputs),
                &Registry::default(),
                now(),
                &mut ids()
            )
            .unwrap_err()
            .error
            .rule(),
            "field_already_recorded"
        );
    }

    /// Issue 16: recording the dose step computes the CS10 volume from the
    /// harvest count (exact, rounded to 0.1 mL) and the whole vials it
    /// fills (rounded down), each with its calculation; a computed dose out
    /// of specification opens a deviation like any value; a computed field
    /// cannot be typed; a count of zero computes a zero dose (out of
    /// specification), not an error.
    #[test]
    fn r45_computed_dose_and_vials_with_their_calculation() {
        let mut b = at_step("s7-dose-calculation");
        let count = |cells: &str| {
            (
                Uuid::from_u128(500),
                RecordedValue::Number {
                    value: crate::number::Number::parse(cells).unwrap(),
                    unit: "cells".into(),
                    as_typed: Some(cells.into()),
                },
            )
        };
        let key = (
            "s6-harvest-count".to_string(),
            "total_viable_cells".to_string(),
        );
        b.values.insert(key.clone(), count("1.01e9"));
        let inputs = vec![("count_read_back".to_string(), json!(true))];
        let plan = record(
            &b,
            &command("s7-dose-calculation", &inputs),
            &Registry::default(),
            now(),
            &mut ids(),
        )
        .unwrap();
        let computed: Vec<String> = plan.entries.iter().map(|e| e.value.as_recorded()).collect();
        assert_eq!(computed, vec!["pass", "40.4 mL", "20 vials"]);
        let RecordedValue::Computed {
            calculation,
            inputs: from,
            ..
        } = &plan.entries[1].value
        else {
            panic!("{:?}", plan.entries[1].value)
        };
        assert_eq!(calculation, "1.01e9 cells ÷ 2.5e7 cells/mL = 40.4 mL");
        assert_eq!(from, &vec![Uuid::from_u128(500)]);
        assert!(plan.deviations.is_empty());

        b.values.insert(key.clone(), count("1.0e10"));
        let plan = record(
            &b,
            &command("s7-dose-calculation", &inputs),
            &Registry::default(),
            now(),
            &mut ids(),
        )
        .unwrap();
        assert_eq!(
            plan.entries[1].evaluation,
            Some(Evaluation::OutOfSpecification)
        );
        // 400 mL and 200 vials: both out of specification, both deviations.
        assert_eq!(plan.deviations.len(), 2);

        let typed = vec![("cs10_volume".to_string(), json!("40"))];
        let refused = record(
            &b,
            &command("s7-dose-calculation", &typed),
            &Registry::default(),
            now(),
            &mut ids(),
        );
        assert_eq!(refused.unwrap_err().error.rule(), "computed_by_server");

        b.values.insert(key, count("0"));
        let zero = record(
            &b,
            &command("s7-dose-calculation", &inputs),
            &Registry::default(),
            now(),
            &mut ids(),
        )
        .unwrap();
        assert_eq!(zero.entries[2].value.as_recorded(), "0 vials");
    }

    /// Issue 16: an amount recorded against a computed target (the CS10
    /// volume actually added against the one computed) within its tolerance
    /// raises nothing; beyond it, an exception naming both and the range.
    #[test]
    fn an_amount_that_misses_its_computed_aim_is_an_exception() {
        let mut m = mbr();
        let formulate = m
            .stages
            .iter_mut()
            .flat_map(|s| s.steps.iter_mut())
            .find(|s| s.key == "s7-formulate")
            .unwrap();
        formulate.fields.push(
            serde_json::from_value(json!({
                "key": "cs10_added", "label": "CS10 volume added", "kind": "number", "unit": "mL",
                "aim": { "computed": "{s7-dose-calculation.cs10_volume}", "tolerance_percent": "5" }
            }))
            .unwrap(),
        );
        assert!(
            crate::mbr::validate(&m).is_empty(),
            "{:?}",
            crate::mbr::validate(&m)
        );
        let mut b = at_step("s7-formulate");
        b.mbr = Arc::new(m);
        b.values.insert(
            ("s7-dose-calculation".into(), "cs10_volume".into()),
            (
                Uuid::from_u128(600),
                RecordedValue::Computed {
                    value: crate::number::Number::parse("40.4").unwrap(),
                    unit: "mL".into(),
                    shown: "40.4".into(),
                    calculation: String::new(),
                    inputs: vec![],
                },
            ),
        );
        let added = |ml: &str| vec![("cs10_added".to_string(), json!(ml))];
        let within = added("41.5");
        let plan = record(
            &b,
            &command("s7-formulate", &within),
            &Registry::default(),
            now(),
            &mut ids(),
        )
        .unwrap();
        assert!(plan
            .exceptions
            .iter()
            .all(|e| e.kind != ExceptionKind::TargetMissed));
        let beyond = added("44");
        let plan = record(
            &b,
            &command("s7-formulate", &beyond),
            &Registry::default(),
            now(),
            &mut ids(),
        )
        .unwrap();
        let missed: Vec<&PlannedException> = plan
            .exceptions
            .iter()
            .filter(|e| e.kind == ExceptionKind::TargetMissed)
            .collect();
        assert_eq!(missed.len(), 1);
        assert!(
            missed[0]
                .detail
                .contains("40.4 mL, ± 5 % allows 38.38 to 42.42"),
            "{}",
            missed[0].detail
        );
    }
}
