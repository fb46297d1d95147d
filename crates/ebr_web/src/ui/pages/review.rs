//! Deviations, and the review-by-exception list with QA's attestation, the
//! release gate and the release or rejection.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::routes::batches::BatchDetail;
use crate::routes::deviations::{for_batch, DeviationDetail};
use crate::routes::release::{exception_list, gate_view, ExceptionList, GateView};
use crate::startup::AppState;
use crate::ui::page::{render, Ctx};
use crate::ui::pages::batches::load;
use crate::ui::views::Names;

#[derive(Template)]
#[template(path = "deviations.html")]
struct DeviationsPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchDetail,
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
    let ctx = Ctx::new(&req, &state, &who).await;
    let result = async {
        let id = id.into_inner();
        let (batch, _) = load(&state, id).await?;
        let deviations = for_batch(&state, id).await?;
        let names = Names::load(&state).await?;
        render(&DeviationsPage {
            ctx: &ctx,
            batch: &batch,
            tab: "deviations",
            deviations,
            names,
        })
    }
    .await;
    ctx.finish(&req, result)
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchDetail,
    tab: &'static str,
    list: ExceptionList,
    gate: GateView,
    terminal: bool,
}

/// `GET /batches/{id}/review`.
pub async fn review(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
) -> HttpResponse {
    let ctx = Ctx::new(&req, &state, &who).await;
    let result = async {
        let id = id.into_inner();
        let (batch, _) = load(&state, id).await?;
        let list = exception_list(&state, id).await?;
        let gate = gate_view(&state, id).await?;
        let terminal = matches!(
            batch.summary.status.as_str(),
            "released" | "rejected" | "aborted"
        );
        render(&ReviewPage {
            ctx: &ctx,
            batch: &batch,
            tab: "review",
            list,
            gate,
            terminal,
        })
    }
    .await;
    ctx.finish(&req, result)
}
