//! QC result entry and second-analyst review, test by test of the release
//! panel.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_domain::mbr::QcSpecification;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::routes::qc::for_batch;
use crate::state::AppState;
use crate::ui::page::{page, render, short_utc, Ctx};
use crate::ui::pages::batches::{header, BatchHeader};
use crate::ui::views::{range_text, Names};

/// A result as shown.
#[derive(Debug)]
pub struct ResultShown {
    /// Id.
    pub id: Uuid,
    /// The outcome as text.
    pub outcome: String,
    /// within_specification or out_of_specification.
    pub evaluation: String,
    /// Tested (UTC).
    pub tested_at: String,
    /// Instrument and sample.
    pub instrument: String,
    /// Sample.
    pub sample: String,
    /// Analyst.
    pub analyst: String,
    /// Reviewers' names.
    pub reviewed_by: Vec<String>,
    /// Invalidation reason (the result stays visible).
    pub invalidated: String,
}

/// A test of the panel with its results.
#[derive(Debug)]
pub struct TestShown {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Method.
    pub method: String,
    /// Specification in words.
    pub spec: String,
    /// Unit of a numeric test (empty for categorical).
    pub unit: String,
    /// Outcomes of a categorical test.
    pub outcomes: Vec<String>,
    /// Report only (never blocks release).
    pub report_only: bool,
    /// Its results, oldest first.
    pub results: Vec<ResultShown>,
    /// Whether a valid (not invalidated) result exists.
    pub has_valid: bool,
}

#[derive(Template)]
#[template(path = "qc.html")]
struct QcPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchHeader,
    tab: &'static str,
    tests: Vec<TestShown>,
    entered: usize,
    reviewed: usize,
}

fn outcome_text(outcome: &serde_json::Value) -> String {
    match (
        outcome.get("value"),
        outcome.get("unit"),
        outcome.get("outcome"),
    ) {
        (Some(v), Some(u), _) => format!(
            "{} {}",
            v.as_str().map_or_else(|| v.to_string(), str::to_string),
            u.as_str().unwrap_or("")
        ),
        (_, _, Some(o)) => o.as_str().map_or_else(|| o.to_string(), str::to_string),
        _ => outcome.to_string(),
    }
}

/// `GET /batches/{id}/qc`.
pub async fn qc(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let id = id.into_inner();
        let batch = header(&state, id).await?;
        let version = batch.mbr_version_id;
        let (_, mbr) = blocking::db(&state.pool, move |conn| {
            ebr_db::repo::mbr::load(conn, version)
        })
        .await?;
        let results = for_batch(&state, id).await?;
        let names = Names::load(&state).await?;
        let tests: Vec<TestShown> = mbr
            .release_panel
            .iter()
            .map(|t| {
                let (spec, unit, outcomes) = match &t.spec {
                    QcSpecification::Numeric { unit, acceptance } => {
                        (range_text(acceptance, unit), unit.clone(), Vec::new())
                    }
                    QcSpecification::Expected { expected, outcomes } => {
                        (expected.clone(), String::new(), outcomes.clone())
                    }
                };
                let results: Vec<ResultShown> = results
                    .iter()
                    .filter(|r| r.test_key == t.key)
                    .map(|r| ResultShown {
                        id: r.id,
                        outcome: outcome_text(&r.outcome),
                        evaluation: r.evaluation.clone(),
                        tested_at: short_utc(&r.tested_at),
                        instrument: r.instrument_id.clone(),
                        sample: r.sample_id.clone(),
                        analyst: names.of(&r.recorded_by),
                        reviewed_by: r.reviews.iter().map(|s| s.printed_name.clone()).collect(),
                        invalidated: r.invalidated_reason.clone().unwrap_or_default(),
                    })
                    .collect();
                TestShown {
                    key: t.key.clone(),
                    name: t.name.clone(),
                    method: t.method.clone(),
                    spec,
                    unit,
                    outcomes,
                    report_only: t.report_only,
                    has_valid: results.iter().any(|r| r.invalidated.is_empty()),
                    results,
                }
            })
            .collect();
        let entered = tests.iter().filter(|t| t.has_valid).count();
        let reviewed = tests
            .iter()
            .filter(|t| {
                t.results
                    .iter()
                    .any(|r| r.invalidated.is_empty() && !r.reviewed_by.is_empty())
            })
            .count();
        render(&QcPage {
            ctx,
            batch: &batch,
            tab: "qc",
            tests,
            entered,
            reviewed,
        })
    })
    .await
}
