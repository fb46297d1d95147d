//! Loading what the worklist decides on, batch by batch
//! ([`ebr_domain::batch::batch_work`] decides).

use diesel::PgConnection;
use ebr_domain::batch::{batch_work, BatchWork, WorklistFacts};
use ebr_domain::release::ReviewFacts;
use uuid::Uuid;

use super::{deviations, disposition, qc};
use crate::repo::execution;
use crate::DbError;

/// What batch `batch_id` waits for from `me`: its steps, standing QC
/// results, deviations and review loaded once; the release gate only when
/// the record was reviewed.
pub fn for_batch(conn: &mut PgConnection, batch_id: Uuid, me: Uuid) -> Result<BatchWork, DbError> {
    let state = execution::load(conn, batch_id)?;
    let steps = state.step_facts();
    let qc = qc::for_batch(conn, batch_id)?
        .iter()
        .filter(|r| r.invalidation.is_none())
        .map(|r| (r.row.test_key.clone(), r.facts()))
        .collect();
    let deviations = deviations::for_batch(conn, batch_id)?
        .iter()
        .map(|d| (d.row.title.clone(), d.status()))
        .collect();
    let review = disposition::review_facts(conn, batch_id)?;
    let releasable =
        review == ReviewFacts::Valid && disposition::gate(conn, batch_id)?.1.is_empty();
    Ok(batch_work(
        &WorklistFacts {
            mbr: &state.mbr,
            steps: &steps,
            qc,
            deviations,
            review,
            releasable,
        },
        me,
    ))
}
