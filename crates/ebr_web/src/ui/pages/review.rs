//! Deviations, and the review-by-exception list with QA's attestation, the
//! release gate and the release or rejection.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::routes::deviations::{for_batch, DeviationDetail};
use crate::routes::release::{exception_list, gate_view, ExceptionList, FindingView, GateView};
use crate::state::AppState;
use crate::ui::page::{page, render, Ctx};
use crate::ui::pages::batches::{header, BatchHeader};
use crate::ui::views::Names;

#[derive(Template)]
#[template(path = "deviations.html")]
struct DeviationsPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchHeader,
    tab: &'static str,
    deviations: Vec<DeviationDetail>,
    names: Names,
}

/// `GET /batches/{id}/deviations`.
pub async fn deviations(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let id = id.into_inner();
        let batch = header(&state, id).await?;
        let deviations = for_batch(&state, id).await?;
        let names = Names::load(&state).await?;
        render(&DeviationsPage {
            ctx,
            batch: &batch,
            tab: "deviations",
            deviations,
            names,
        })
    })
    .await
}

/// Findings of one kind, so a long gate reads as a few lines.
#[derive(Debug)]
pub struct FindingGroup<'a> {
    /// The finding code.
    pub code: &'a str,
    /// Every finding of this code.
    pub items: Vec<&'a FindingView>,
}

fn grouped(gate: &GateView) -> Vec<FindingGroup<'_>> {
    let mut groups: Vec<FindingGroup<'_>> = Vec::new();
    for f in &gate.findings {
        match groups.iter_mut().find(|g| g.code == f.code) {
            Some(g) => g.items.push(f),
            None => groups.push(FindingGroup {
                code: &f.code,
                items: vec![f],
            }),
        }
    }
    groups
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchHeader,
    tab: &'static str,
    list: ExceptionList,
    gate: &'a GateView,
    groups: Vec<FindingGroup<'a>>,
    terminal: bool,
}

/// `GET /batches/{id}/review`.
pub async fn review(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let id = id.into_inner();
        let batch = header(&state, id).await?;
        let list = exception_list(&state, id).await?;
        let gate = gate_view(&state, id).await?;
        let terminal = matches!(
            batch.summary.status.as_str(),
            "released" | "rejected" | "aborted"
        );
        render(&ReviewPage {
            ctx,
            batch: &batch,
            tab: "review",
            list,
            gate: &gate,
            groups: grouped(&gate),
            terminal,
        })
    })
    .await
}
