//! The batch list with search, and a batch's overview (its steps by stage).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_db::repo::execution;
use ebr_domain::mbr::MasterBatchRecord;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::error::ApiError;
use crate::routes::batches::{detail_of, BatchDetail, BatchSummary, StepView};
use crate::routes::mbrs::{summaries, MbrSummary};
use crate::state::AppState;
use crate::ui::page::{page, render, short_utc, Ctx};
use crate::ui::views::trimmed;

/// The search form.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    /// Part of the batch number.
    #[serde(default)]
    pub q: Option<String>,
    /// Product code.
    #[serde(default)]
    pub product: Option<String>,
    /// Status code.
    #[serde(default)]
    pub status: Option<String>,
    /// Issued on or after (YYYY-MM-DD, UTC).
    #[serde(default)]
    pub from: Option<String>,
    /// Issued on or before (YYYY-MM-DD, UTC).
    #[serde(default)]
    pub to: Option<String>,
}

/// A row of the list.
#[derive(Debug)]
pub struct BatchRow {
    /// Id.
    pub id: Uuid,
    /// Number.
    pub number: String,
    /// Product.
    pub product: String,
    /// Status code.
    pub status: String,
    /// Issued (UTC, shortened).
    pub created: String,
}

/// Every batch status, for the filter.
pub const STATUSES: &[&str] = &[
    "planned",
    "in_progress",
    "manufacturing_complete",
    "under_review",
    "released",
    "rejected",
    "on_hold",
    "aborted",
];

#[derive(Template)]
#[template(path = "batches.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<BatchRow>,
    q: String,
    product: String,
    status: String,
    from: String,
    to: String,
    products: Vec<String>,
    statuses: Vec<String>,
    total: usize,
    effective: Vec<MbrSummary>,
}

/// Every batch, newest first, filtered by the search form.
pub async fn rows(state: &AppState) -> Result<Vec<BatchRow>, ApiError> {
    let all = blocking::db(&state.pool, ebr_db::repo::batches::list).await?;
    Ok(all
        .into_iter()
        .map(|(b, s)| BatchRow {
            id: b.id,
            number: b.batch_number,
            product: b.product_code,
            status: s.as_str().to_string(),
            created: short_utc(&crate::routes::views::utc(b.created_at)),
        })
        .collect())
}

fn matches(row: &BatchRow, s: &Search) -> bool {
    let q = trimmed(s.q.as_ref()).to_lowercase();
    let product = trimmed(s.product.as_ref());
    let status = trimmed(s.status.as_ref());
    let from = trimmed(s.from.as_ref());
    let to = trimmed(s.to.as_ref());
    let day = row.created.get(..10).unwrap_or("");
    (q.is_empty() || row.number.to_lowercase().contains(&q))
        && (product.is_empty() || row.product == product)
        && (status.is_empty() || row.status == status)
        && (from.is_empty() || day >= from.as_str())
        && (to.is_empty() || day <= to.as_str())
}

/// `GET /batches`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    search: web::Query<Search>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let all = rows(&state).await?;
        let total = all.len();
        let mut products: Vec<String> = all.iter().map(|r| r.product.clone()).collect();
        products.sort();
        products.dedup();
        let rows = all.into_iter().filter(|r| matches(r, &search)).collect();
        let effective = summaries(&state)
            .await?
            .into_iter()
            .filter(|m| m.status == "effective")
            .collect();
        render(&ListPage {
            ctx,
            rows,
            q: trimmed(search.q.as_ref()),
            product: trimmed(search.product.as_ref()),
            status: trimmed(search.status.as_ref()),
            from: trimmed(search.from.as_ref()),
            to: trimmed(search.to.as_ref()),
            products,
            statuses: STATUSES.iter().map(|s| (*s).to_string()).collect(),
            total,
            effective,
        })
    })
    .await
}

/// What the batch tabs show, read without loading the whole record: the
/// summary, the starting material and the pinned MBR version.
#[derive(Debug)]
pub struct BatchHeader {
    /// Number, product, status.
    pub summary: BatchSummary,
    /// Working-cell-bank lot number.
    pub wcb_lot_number: String,
    /// WCB vial.
    pub wcb_vial: String,
    /// The MBR version the batch was issued from.
    pub mbr_version_id: Uuid,
}

/// The header of batch `id` (404 for an unknown batch).
pub async fn header(state: &AppState, id: Uuid) -> Result<BatchHeader, ApiError> {
    blocking::db(&state.pool, move |conn| {
        let row = ebr_db::repo::batches::find(conn, id)?;
        let status = ebr_db::repo::batches::lifecycle(conn, id)?.status();
        let lot = ebr_db::repo::registry::lot(conn, row.wcb_lot_id)?;
        Ok(BatchHeader {
            summary: BatchSummary::of(&row, status),
            wcb_lot_number: lot.row.lot_number,
            wcb_vial: row.wcb_vial,
            mbr_version_id: row.mbr_version_id,
        })
    })
    .await
}

/// A batch's record and its MBR.
pub async fn load(
    state: &AppState,
    id: Uuid,
) -> Result<(BatchDetail, MasterBatchRecord), ApiError> {
    let loaded = blocking::db(&state.pool, move |conn| execution::load(conn, id)).await?;
    let mbr = loaded.mbr.clone();
    Ok((detail_of(state, loaded).await?, mbr))
}

/// A stage with its steps.
#[derive(Debug)]
pub struct StageShown<'a> {
    /// Stage name.
    pub name: String,
    /// Its steps.
    pub steps: Vec<&'a StepView>,
}

/// The batch's steps grouped by stage, in order.
pub fn stages<'a>(batch: &'a BatchDetail, mbr: &MasterBatchRecord) -> Vec<StageShown<'a>> {
    mbr.stages
        .iter()
        .map(|stage| StageShown {
            name: stage.name.clone(),
            steps: batch
                .steps
                .iter()
                .filter(|s| s.stage == stage.key)
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "batch.html")]
struct OverviewPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchDetail,
    tab: &'static str,
    stages: Vec<StageShown<'a>>,
    done: usize,
    total: usize,
}

/// `GET /batches/{id}`.
pub async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let (batch, mbr) = load(&state, id.into_inner()).await?;
        let done = batch.steps.iter().filter(|s| s.state == "complete").count();
        render(&OverviewPage {
            ctx,
            batch: &batch,
            tab: "steps",
            stages: stages(&batch, &mbr),
            done,
            total: batch.steps.len(),
        })
    })
    .await
}
