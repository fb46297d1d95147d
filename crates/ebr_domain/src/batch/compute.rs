//! Computed fields at recording time (issue 16): once every value a
//! computed field's formula reads is recorded, the server computes it, and
//! the result is an entry like any other (evaluated against its limits,
//! printed with its calculation).

use uuid::Uuid;

use super::{Batch, PlannedEntry};
use crate::execution::{evaluate, RecordedValue};
use crate::formula::{self, Expr, FieldRef, Input};
use crate::mbr::{FieldKind, Step};
use crate::units::Unit;
use crate::DomainError;

/// The value of a reference as a formula input, from the entries planned in
/// this command (this step's) or the current values loaded with the batch.
fn input_of(
    batch: &Batch,
    step: &Step,
    planned: &[PlannedEntry],
    r: &FieldRef,
) -> Option<(Uuid, Input)> {
    let step_key = r.step.as_deref().unwrap_or(&step.key);
    let (id, value) = if step_key == step.key {
        planned
            .iter()
            .find(|e| e.field_key == r.field)
            .map(|e| (e.id, e.value.clone()))
            .or_else(|| {
                batch
                    .values
                    .get(&(step.key.clone(), r.field.clone()))
                    .cloned()
            })?
    } else {
        batch
            .values
            .get(&(step_key.to_string(), r.field.clone()))
            .cloned()?
    };
    let input = as_input(value)?;
    Some((id, input))
}

/// Computes `field` (a computed field) with its inputs from `lookup` (each
/// with the entry it comes from): the planned entry holding the exact,
/// rounded value, its calculation and its input entry ids, evaluated
/// against the field's limits. `None` when an input has no value yet; an
/// error naming the field when the formula cannot be evaluated.
fn compute_field(
    field: &crate::mbr::Field,
    lookup: &dyn Fn(&FieldRef) -> Option<(Uuid, Input)>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Option<PlannedEntry>, DomainError> {
    let FieldKind::Computed {
        formula,
        unit,
        round_to,
        rounding,
        ..
    } = &field.kind
    else {
        return Ok(None);
    };
    let failed = |reason: String| DomainError::ComputationFailed {
        field: field.key.clone(),
        reason,
    };
    let expr = Expr::parse(formula).map_err(failed)?;
    let found: Vec<Option<(Uuid, Input)>> = expr.references().iter().map(|r| lookup(r)).collect();
    if found.iter().any(Option::is_none) {
        return Ok(None);
    }
    let input = |r: &FieldRef| lookup(r).map(|(_, i)| i);
    let result_unit = Unit::parse(unit)?;
    let value =
        formula::evaluate(&expr, result_unit, *round_to, *rounding, &input).map_err(failed)?;
    let shown = formula::shown(value, *round_to);
    let calculation =
        formula::substituted(&expr, &input, &format!("{shown} {}", result_unit.symbol));
    let mut inputs: Vec<Uuid> = found.into_iter().flatten().map(|(id, _)| id).collect();
    inputs.dedup();
    let value = RecordedValue::Computed {
        value,
        unit: result_unit.symbol.to_string(),
        shown,
        calculation,
        inputs,
    };
    Ok(Some(PlannedEntry {
        id: new_id(),
        field_key: field.key.clone(),
        evaluation: evaluate(field, &value)?,
        value,
        lot: None,
        equipment: None,
    }))
}

/// The computed fields of `step` that become computable with the entries
/// `planned` in this command: each one without a value yet whose every input
/// is now recorded, in field order (a computed field may read an earlier
/// one). Each is evaluated exactly, rounded as declared and checked against
/// its limits; a formula that cannot be evaluated (a division by zero…)
/// refuses the whole command, naming the field and why.
pub(super) fn computed_entries(
    batch: &Batch,
    step: &Step,
    planned: &[PlannedEntry],
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Vec<(PlannedEntry, String)>, DomainError> {
    let recorded = batch.steps.get(&step.key);
    let mut all: Vec<PlannedEntry> = planned.to_vec();
    let mut out = Vec::new();
    for field in &step.fields {
        if !matches!(field.kind, FieldKind::Computed { .. }) {
            continue;
        }
        let has_value = recorded.is_some_and(|f| f.recorded_fields.contains(&field.key));
        if has_value || all.iter().any(|e| e.field_key == field.key) {
            continue;
        }
        let lookup = |r: &FieldRef| input_of(batch, step, &all, r);
        if let Some(entry) = compute_field(field, &lookup, new_id)? {
            all.push(entry.clone());
            out.push((entry, field.label.clone()));
        }
    }
    Ok(out)
}

/// A computed value recomputed because a value it reads was corrected: a
/// new entry correcting the computed entry it replaces.
#[derive(Debug, Clone, PartialEq)]
pub struct Recomputed {
    /// The step of the computed field.
    pub step_key: String,
    /// The new computed entry.
    pub entry: PlannedEntry,
    /// The field's label.
    pub label: String,
    /// The computed entry it replaces (it stays, struck through).
    pub corrects: Uuid,
    /// The value it replaces, in words.
    pub was: String,
}

/// Every computed value that reads, directly or through another computed
/// value, the field `(step, field)` now corrected to `corrected`: each one
/// that has a value is computed again from the current values with the
/// correction (and earlier recomputations) in place, in MBR order (a formula
/// only reads earlier fields, so one pass sees every dependency).
/// `batch.values` holds the current values of every computed field and of
/// every field a formula reads.
pub(super) fn recompute_dependents(
    batch: &Batch,
    step_key: &str,
    corrected: &PlannedEntry,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Vec<Recomputed>, DomainError> {
    let mut current = batch.values.clone();
    current.insert(
        (step_key.to_string(), corrected.field_key.clone()),
        (corrected.id, corrected.value.clone()),
    );
    let mut changed = vec![(step_key.to_string(), corrected.field_key.clone())];
    let mut out = Vec::new();
    for (_, step) in batch.mbr.steps() {
        for field in &step.fields {
            let FieldKind::Computed { formula, .. } = &field.kind else {
                continue;
            };
            let key = (step.key.clone(), field.key.clone());
            let Some((old_id, old_value)) = current.get(&key).cloned() else {
                continue;
            };
            let full = |r: &FieldRef| {
                (
                    r.step.clone().unwrap_or_else(|| step.key.clone()),
                    r.field.clone(),
                )
            };
            let reads_changed = Expr::parse(formula)
                .map(|e| e.references().iter().any(|r| changed.contains(&full(r))))
                .unwrap_or(true);
            if !reads_changed {
                continue;
            }
            let lookup = |r: &FieldRef| -> Option<(Uuid, Input)> {
                let (id, value) = current.get(&full(r))?.clone();
                as_input(value).map(|i| (id, i))
            };
            let Some(entry) = compute_field(field, &lookup, new_id)? else {
                continue;
            };
            current.insert(key.clone(), (entry.id, entry.value.clone()));
            changed.push(key);
            out.push(Recomputed {
                step_key: step.key.clone(),
                was: old_value.as_recorded(),
                label: field.label.clone(),
                corrects: old_id,
                entry,
            });
        }
    }
    Ok(out)
}

/// A recorded value as a formula input (numbers and computed values).
fn as_input(value: RecordedValue) -> Option<Input> {
    match value {
        RecordedValue::Number {
            value,
            unit,
            as_typed,
        } => Some(Input {
            value,
            unit: Unit::parse(&unit).ok()?,
            as_typed: as_typed.unwrap_or_else(|| value.to_string()),
        }),
        RecordedValue::Computed {
            value, unit, shown, ..
        } => Some(Input {
            value,
            unit: Unit::parse(&unit).ok()?,
            as_typed: shown,
        }),
        _ => None,
    }
}

/// The amounts among `entries` (of `step`) that miss the computed value
/// they aim at by more than their tolerance: an exception each (issue 16),
/// saying the amount, the computed value and the difference. An aim whose
/// computed value is not recorded yet is not checked.
pub(super) fn missed_aims(
    batch: &Batch,
    step: &Step,
    entries: &[PlannedEntry],
) -> Vec<super::PlannedException> {
    let mut out = Vec::new();
    for entry in entries {
        let Some(field) = step.fields.iter().find(|f| f.key == entry.field_key) else {
            continue;
        };
        let FieldKind::Number { aim: Some(aim), .. } = &field.kind else {
            continue;
        };
        let Ok(Expr::Field(r)) = Expr::parse(&aim.computed) else {
            continue;
        };
        let (Some((_, aimed)), Some(amount)) = (
            input_of(batch, step, entries, &r),
            as_input(entry.value.clone()),
        ) else {
            continue;
        };
        let Ok(aimed_value) = aimed.unit.convert(aimed.value, amount.unit) else {
            continue;
        };
        let (target, actual) = (aimed_value.value(), amount.value.value());
        let allowed =
            (target * aim.tolerance_percent.value() / rust_decimal::Decimal::ONE_HUNDRED).abs();
        if (actual - target).abs() > allowed {
            out.push(super::PlannedException {
                kind: crate::exception::ExceptionKind::TargetMissed,
                step_key: Some(step.key.clone()),
                field_key: Some(field.key.clone()),
                entry_id: Some(entry.id),
                detail: format!(
                    "{} = {}: the computed {} is {} {}, ± {} % allows {} to {}",
                    field.label,
                    entry.value.as_recorded(),
                    r,
                    aimed.as_typed,
                    aimed.unit.symbol,
                    aim.tolerance_percent,
                    (target - allowed).normalize(),
                    (target + allowed).normalize(),
                ),
            });
        }
    }
    out
}
