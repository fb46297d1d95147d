//! The operator execution screen: one step's instructions, its fields with
//! units and limits shown before entry, what was recorded (corrections
//! struck through, still readable), and the signatures.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_domain::mbr::{FieldKind, Step};
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::error::ApiError;
use crate::routes::batches::{BatchDetail, ExceptionView, StepView};
use crate::state::AppState;
use crate::ui::page::{page, render, short_utc, Ctx};
use crate::ui::pages::batches::load;
use crate::ui::views::{entries_shown, kind_of, limits_text, EntryShown, Names};

/// A field of the step, with what the page needs to offer it.
#[derive(Debug)]
pub struct FieldShown {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// number, text, choice, check, material, equipment or datetime.
    pub kind: &'static str,
    /// Unit of a number.
    pub unit: String,
    /// Limits in words.
    pub limits: String,
    /// Options of a choice.
    pub options: Vec<String>,
    /// Maximum length of a text.
    pub max_length: u32,
    /// Required before signing.
    pub required: bool,
    /// Its entries (corrected ones included, oldest first).
    pub entries: Vec<EntryShown>,
    /// Whether it has a current value.
    pub recorded: bool,
}

/// A signature as shown on a step.
#[derive(Debug)]
pub struct SignatureShown {
    /// Printed name.
    pub name: String,
    /// Meaning code.
    pub meaning: String,
    /// Server time (UTC, shortened).
    pub at: String,
    /// Comment.
    pub comment: String,
    /// Superseded by a correction (kept, marked).
    pub superseded: bool,
    /// Why superseded.
    pub superseded_reason: String,
}

#[derive(Template)]
#[template(path = "step.html")]
struct StepPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchDetail,
    tab: &'static str,
    step: &'a Step,
    view: &'a StepView,
    stage_name: String,
    position: usize,
    total: usize,
    previous: Option<String>,
    next: Option<String>,
    is_current: bool,
    fields: Vec<FieldShown>,
    open_fields: usize,
    has_entries: bool,
    signatures: Vec<SignatureShown>,
    exceptions: Vec<&'a ExceptionView>,
    bill_of_materials: Vec<String>,
    labels: Option<LabelPanel>,
}

/// One printed label as the labelling step's panel lists it.
struct LabelShown {
    number: i32,
    vial: String,
    state: &'static str,
    reprint_of: Option<i32>,
    reprinted: bool,
}

/// The labelling step's labels and their reconciliation (R49).
struct LabelPanel {
    rows: Vec<LabelShown>,
    printed: usize,
    applied: usize,
    destroyed: usize,
    open: usize,
    reprints: usize,
    unlabelled: usize,
    balanced: bool,
}

async fn label_panel(state: &AppState, batch_id: Uuid) -> Result<LabelPanel, ApiError> {
    use ebr_db::repo::custody::labels;
    let (all, rec) =
        crate::blocking::db(&state.pool, move |conn| labels::reconciled(conn, batch_id)).await?;
    let rows = all
        .iter()
        .map(|l| LabelShown {
            number: l.label.label_number,
            vial: l.applied_to.clone(),
            state: l.state.as_str(),
            reprint_of: l.label.reprint_of,
            reprinted: all
                .iter()
                .any(|other| other.label.reprint_of == Some(l.label.label_number)),
        })
        .collect();
    Ok(LabelPanel {
        rows,
        printed: rec.printed,
        applied: rec.applied,
        destroyed: rec.destroyed,
        open: rec.open,
        reprints: rec.reprints,
        unlabelled: rec.unlabelled.len(),
        balanced: rec.balanced(),
    })
}

/// The value of the computed field an amount aims at, as recorded now
/// (`None` until it is computed), e.g. `50.0 µL`.
fn aimed_value(batch: &BatchDetail, step: &Step, field: &ebr_domain::mbr::Field) -> Option<String> {
    let FieldKind::Number { aim: Some(aim), .. } = &field.kind else {
        return None;
    };
    let Ok(ebr_domain::formula::Expr::Field(r)) = ebr_domain::formula::Expr::parse(&aim.computed)
    else {
        return None;
    };
    let step_key = r.step.as_deref().unwrap_or(&step.key);
    let entry = batch
        .steps
        .iter()
        .find(|s| s.key == step_key)?
        .entries
        .iter()
        .rev()
        .find(|e| e.field == r.field && !e.corrected)?;
    serde_json::from_value::<ebr_domain::execution::RecordedValue>(entry.value.clone())
        .ok()
        .map(|v| v.as_recorded())
}

fn fields(
    ctx: &Ctx,
    names: &Names,
    batch: &BatchDetail,
    step: &Step,
    view: &StepView,
) -> Vec<FieldShown> {
    step.fields
        .iter()
        .map(|f| {
            let entries =
                entries_shown(ctx, names, view.entries.iter().filter(|e| e.field == f.key));
            let recorded = entries.iter().any(|e| !e.corrected);
            FieldShown {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: kind_of(f),
                unit: match &f.kind {
                    FieldKind::Number { unit, .. } => unit.clone(),
                    _ => String::new(),
                },
                limits: match aimed_value(batch, step, f) {
                    Some(value) => format!(
                        "{} · {}",
                        limits_text(ctx, f),
                        ctx.tf("field.aim_now", &[("value", &value)])
                    ),
                    None => limits_text(ctx, f),
                },
                options: match &f.kind {
                    FieldKind::Choice { options, .. } => options.clone(),
                    _ => Vec::new(),
                },
                max_length: match &f.kind {
                    FieldKind::Text { max_length } => max_length.unwrap_or(500),
                    _ => 200,
                },
                required: f.required,
                entries,
                recorded,
            }
        })
        .collect()
}

/// `GET /batches/{id}/steps/{step}`.
pub async fn step(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let (batch_id, step_key) = path.into_inner();
        let (batch, mbr) = load(&state, batch_id).await?;
        let names = Names::load(&state).await?;
        let index = batch
            .steps
            .iter()
            .position(|s| s.key == step_key)
            .ok_or_else(|| ApiError::NotFound(format!("no step {step_key} in this batch")))?;
        let view = batch
            .steps
            .get(index)
            .ok_or_else(|| ApiError::NotFound(format!("no step {step_key}")))?;
        let (stage, step) = mbr
            .steps()
            .find(|(_, s)| s.key == step_key)
            .ok_or_else(|| ApiError::NotFound(format!("no step {step_key} in the MBR")))?;
        let fields = fields(ctx, &names, &batch, step, view);
        let open_fields = fields
            .iter()
            .filter(|f| !f.recorded && f.kind != "computed")
            .count();
        let signatures = view
            .signatures
            .iter()
            .map(|s| SignatureShown {
                name: s.signature.printed_name.clone(),
                meaning: s.signature.meaning.clone(),
                at: short_utc(&s.signature.signed_at),
                comment: s.signature.comment.clone().unwrap_or_default(),
                superseded: s.superseded_at.is_some(),
                superseded_reason: s.superseded_reason.clone().unwrap_or_default(),
            })
            .collect();
        let bill_of_materials = step
            .bill_of_materials
            .iter()
            .map(|b| match (&b.quantity, &b.unit) {
                (Some(q), Some(u)) => format!("{} — {q} {u}", b.material),
                (Some(q), None) => format!("{} — {q}", b.material),
                _ => b.material.clone(),
            })
            .collect();
        let labels = if step.prints_labels.is_empty() {
            None
        } else {
            Some(label_panel(&state, batch_id).await?)
        };
        render(&StepPage {
            ctx,
            labels,
            batch: &batch,
            tab: "steps",
            step,
            view,
            stage_name: stage.name.clone(),
            position: index + 1,
            total: batch.steps.len(),
            previous: index
                .checked_sub(1)
                .and_then(|i| batch.steps.get(i))
                .map(|s| s.key.clone()),
            next: batch.steps.get(index + 1).map(|s| s.key.clone()),
            is_current: batch.current_step.as_deref() == Some(step_key.as_str()),
            fields,
            open_fields,
            has_entries: !view.entries.is_empty(),
            signatures,
            exceptions: batch
                .exceptions
                .iter()
                .filter(|x| x.step.as_deref() == Some(step_key.as_str()))
                .collect(),
            bill_of_materials,
        })
    })
    .await
}
