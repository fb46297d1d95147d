//! The home page: what is waiting for this person, by role.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_db::repo::execution;
use ebr_db::repo::release::{disposition, qc};
use ebr_domain::execution::{check_can_verify, current_step, step_state, StepState};
use ebr_domain::release::{check_qc_reviewable, ReviewFacts};
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::state::AppState;
use crate::ui::page::{page, render, see_other, Ctx};
use crate::ui::pages::batches::{rows, BatchRow};

/// One thing waiting for someone.
#[derive(Debug)]
pub struct WorkItem {
    /// Batch id.
    pub batch_id: Uuid,
    /// Batch number.
    pub batch_number: String,
    /// What (step name, test name, …).
    pub what: String,
    /// Where to do it.
    pub href: String,
}

/// Everything waiting, by kind.
#[derive(Debug, Default)]
pub struct Worklist {
    /// Steps to perform (the current step of each batch in progress).
    pub perform: Vec<WorkItem>,
    /// Critical steps awaiting a second person's verification.
    pub verify: Vec<WorkItem>,
    /// QC results waiting for a second analyst, and batches with missing results.
    pub qc_review: Vec<WorkItem>,
    /// Batches with QC results still to enter.
    pub qc_enter: Vec<WorkItem>,
    /// Batches whose record awaits QA review.
    pub qa_review: Vec<WorkItem>,
    /// Batches ready for the release decision.
    pub release: Vec<WorkItem>,
    /// Open deviations.
    pub deviations: Vec<WorkItem>,
}

fn worklist(conn: &mut ebr_db::PgConnection, me: Uuid) -> Result<Worklist, ebr_db::DbError> {
    let mut list = Worklist::default();
    for (row, status) in ebr_db::repo::batches::list(conn)? {
        if status.is_terminal() {
            continue;
        }
        let s = execution::load(conn, row.id)?;
        let facts = s.step_facts();
        let item = |what: String, href: String| WorkItem {
            batch_id: row.id,
            batch_number: row.batch_number.clone(),
            what,
            href,
        };
        if let Some(step) = current_step(&s.mbr, &facts) {
            if step_state(step, facts.get(&step.key)) != StepState::AwaitingVerification {
                list.perform.push(item(
                    step.name.clone(),
                    format!("/batches/{}/steps/{}", row.id, step.key),
                ));
            }
        }
        for (_, step) in s.mbr.steps() {
            let f = facts.get(&step.key);
            if step_state(step, f) == StepState::AwaitingVerification
                && check_can_verify(step, f, me).is_ok()
            {
                list.verify.push(item(
                    step.name.clone(),
                    format!("/batches/{}/steps/{}", row.id, step.key),
                ));
            }
        }
        let results = qc::for_batch(conn, row.id)?;
        let valid: Vec<_> = results
            .iter()
            .filter(|r| r.invalidation.is_none())
            .collect();
        for r in &valid {
            if check_qc_reviewable(r.facts(), me).is_ok() {
                let name = s
                    .mbr
                    .release_panel
                    .iter()
                    .find(|t| t.key == r.row.test_key)
                    .map_or(r.row.test_key.clone(), |t| t.name.clone());
                list.qc_review
                    .push(item(name, format!("/batches/{}/qc", row.id)));
            }
        }
        let missing = s
            .mbr
            .release_panel
            .iter()
            .filter(|t| !valid.iter().any(|r| r.row.test_key == t.key))
            .count();
        let all_steps_done = current_step(&s.mbr, &facts).is_none();
        if missing > 0 && all_steps_done {
            list.qc_enter.push(item(
                format!("{missing}"),
                format!("/batches/{}/qc", row.id),
            ));
        }
        for d in ebr_db::repo::release::deviations::for_batch(conn, row.id)? {
            if d.status().as_str() != "closed" {
                list.deviations.push(item(
                    d.row.title.clone(),
                    format!("/batches/{}/deviations", row.id),
                ));
            }
        }
        if all_steps_done {
            match disposition::review_facts(conn, row.id)? {
                ReviewFacts::Missing | ReviewFacts::Voided => list
                    .qa_review
                    .push(item(String::new(), format!("/batches/{}/review", row.id))),
                ReviewFacts::Valid => {
                    let (_, findings) = disposition::gate(conn, row.id)?;
                    if findings.is_empty() {
                        list.release
                            .push(item(String::new(), format!("/batches/{}/review", row.id)));
                    }
                }
            }
        }
    }
    Ok(list)
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    work: Worklist,
    recent: Vec<BatchRow>,
    acknowledged: bool,
    identity_verified: bool,
}

/// `GET /`: the person's worklist; the password change first when due.
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
) -> HttpResponse {
    if who.must_change_password {
        return see_other("/account");
    }
    let me = who.person.person.id;
    page(&req, &state, &who, async |ctx| {
        let work = if ctx.gmp() {
            blocking::db(&state.pool, move |conn| worklist(conn, me)).await?
        } else {
            Worklist::default()
        };
        let recent = if ctx.has("auditor") {
            rows(&state).await?.into_iter().take(20).collect()
        } else {
            Vec::new()
        };
        render(&HomePage {
            ctx,
            work,
            recent,
            acknowledged: who.person.acknowledged_signature_statement,
            identity_verified: who.person.identity_verified,
        })
    })
    .await
}
