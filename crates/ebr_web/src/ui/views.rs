//! What the page templates show, built from the API's own views and the
//! MBR: names for person ids, limits in words, values as text.

use std::collections::HashMap;

use ebr_db::repo::{actor_person, people};
use ebr_domain::execution::RecordedValue;
use ebr_domain::limits::Range;
use ebr_domain::mbr::{Field, FieldKind};
use uuid::Uuid;

use crate::blocking;
use crate::error::ApiError;
use crate::routes::batches::EntryView;
use crate::state::AppState;
use crate::ui::page::{short_utc, Ctx};

/// Printed names by person id.
#[derive(Debug, Default)]
pub struct Names(HashMap<Uuid, String>);

impl Names {
    /// Everyone's printed name.
    pub async fn load(state: &AppState) -> Result<Names, ApiError> {
        let everyone = blocking::db(&state.pool, people::list).await?;
        Ok(Names(
            everyone
                .into_iter()
                .map(|p| (p.person.id, p.person.full_name))
                .collect(),
        ))
    }

    /// The name of a person id (the id itself when unknown).
    pub fn of(&self, id: &Uuid) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    /// The name behind an audit actor (`person:<id>`), or the actor itself
    /// (`system:demo`).
    pub fn actor(&self, actor: &str) -> String {
        actor_person(actor).map_or_else(|| actor.to_string(), |id| self.of(&id))
    }
}

/// A range in words with its unit, e.g. `80–100 %` or `< 0.5 EU/mL`.
pub fn range_text(range: &Range, unit: &str) -> String {
    let lower = range
        .min
        .map(|v| ("≥", v))
        .or_else(|| range.above.map(|v| (">", v)));
    let upper = range
        .max
        .map(|v| ("≤", v))
        .or_else(|| range.below.map(|v| ("<", v)));
    match (lower, upper) {
        (Some(("≥", lo)), Some(("≤", hi))) => format!("{lo}–{hi} {unit}"),
        (Some((a, lo)), Some((b, hi))) => format!("{a} {lo} {unit}, {b} {hi} {unit}"),
        (Some((a, lo)), None) => format!("{a} {lo} {unit}"),
        (None, Some((b, hi))) => format!("{b} {hi} {unit}"),
        (None, None) => String::new(),
    }
}

/// The limits of a field in words, e.g. `Target 37 °C · normal 36.5–37.5 °C
/// · specification 36–38 °C`; empty for kinds without limits.
pub fn limits_text(ctx: &Ctx, field: &Field) -> String {
    match &field.kind {
        FieldKind::Number {
            unit,
            target,
            alert,
            action,
            aim,
        } => {
            let mut parts = Vec::new();
            if let Some(t) = target {
                parts.push(format!("{} {t} {unit}", ctx.t("field.target")));
            }
            if let Some(aim) = aim {
                parts.push(ctx.tf(
                    "field.aim",
                    &[
                        ("computed", &aim.computed),
                        ("tolerance", &aim.tolerance_percent.to_string()),
                    ],
                ));
            }
            if let Some(a) = alert {
                parts.push(format!("{} {}", ctx.t("field.normal"), range_text(a, unit)));
            }
            if let Some(a) = action {
                parts.push(format!(
                    "{} {}",
                    ctx.t("field.specification"),
                    range_text(a, unit)
                ));
            }
            parts.join(" · ")
        }
        FieldKind::Choice {
            acceptable: Some(ok),
            ..
        } => format!("{} {}", ctx.t("field.acceptable"), ok.join(", ")),
        FieldKind::Check {} => ctx.t("field.check_passes").to_string(),
        FieldKind::Material { material } => ctx.tf("field.scan_lot", &[("material", material)]),
        FieldKind::Equipment { equipment_type } => {
            ctx.tf("field.scan_equipment", &[("type", equipment_type)])
        }
        FieldKind::DateTime {} => ctx.t("field.datetime_hint").to_string(),
        FieldKind::Computed { formula, .. } => {
            ctx.tf("field.computed_hint", &[("formula", formula)])
        }
        _ => String::new(),
    }
}

/// The kind of a field, for the input the page shows.
pub fn kind_of(field: &Field) -> &'static str {
    match &field.kind {
        FieldKind::Number { .. } => "number",
        FieldKind::Text { .. } => "text",
        FieldKind::Choice { .. } => "choice",
        FieldKind::Check {} => "check",
        FieldKind::Material { .. } => "material",
        FieldKind::Equipment { .. } => "equipment",
        FieldKind::DateTime {} => "datetime",
        FieldKind::Computed { .. } => "computed",
    }
}

/// A recorded value as text (`92.5 %`, `pass`, the lot number, …), read
/// through the domain's own [`RecordedValue`].
pub fn value_text(ctx: &Ctx, e: &EntryView) -> String {
    match serde_json::from_value::<RecordedValue>(e.value.clone()) {
        Ok(v @ RecordedValue::Number { .. }) => v.as_recorded(),
        Ok(RecordedValue::Text { text }) => text,
        Ok(RecordedValue::Choice { option }) => option,
        Ok(RecordedValue::Check { passed: true }) => format!("✓ {}", ctx.t("value.pass")),
        Ok(RecordedValue::Check { passed: false }) => format!("✗ {}", ctx.t("value.fail")),
        Ok(RecordedValue::Material { lot_number }) => lot_number,
        Ok(RecordedValue::Equipment { code }) => code,
        Ok(RecordedValue::DateTime { at }) => short_utc(&crate::routes::views::utc(at)),
        Ok(RecordedValue::Computed { calculation, .. }) => calculation,
        Err(_) => e.value.to_string(),
    }
}

/// An entry as the pages show it.
#[derive(Debug)]
pub struct EntryShown {
    /// Entry id.
    pub id: Uuid,
    /// Field key.
    pub field: String,
    /// Value as text.
    pub value: String,
    /// within_specification, alert, out_of_specification or empty.
    pub evaluation: String,
    /// Recorded (server UTC).
    pub recorded_at: String,
    /// By whom.
    pub recorded_by: String,
    /// Struck through: a later entry corrects it (it stays readable).
    pub corrected: bool,
    /// This entry corrects an earlier one, for this reason.
    pub correction_reason: Option<String>,
    /// Why it was entered late.
    pub late_reason: Option<String>,
}

/// The entries of a step as shown.
pub fn entries_shown<'a>(
    ctx: &Ctx,
    names: &Names,
    entries: impl IntoIterator<Item = &'a EntryView>,
) -> Vec<EntryShown> {
    entries
        .into_iter()
        .map(|e| EntryShown {
            id: e.id,
            field: e.field.clone(),
            value: value_text(ctx, e),
            evaluation: e.evaluation.clone().unwrap_or_default(),
            recorded_at: short_utc(&e.recorded_at),
            recorded_by: names.of(&e.recorded_by),
            corrected: e.corrected,
            correction_reason: e.correction_reason.clone(),
            late_reason: e.late_reason.clone(),
        })
        .collect()
}

/// Keeps query text safe and short for a search box.
pub fn trimmed(q: Option<&String>) -> String {
    q.map(|s| s.trim().chars().take(64).collect())
        .unwrap_or_default()
}
