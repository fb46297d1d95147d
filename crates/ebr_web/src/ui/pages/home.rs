//! The home page: what is waiting for this person, by role.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
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

/// What every batch in progress waits for from `me`, as the domain decides
/// it ([`ebr_domain::batch::batch_work`]); the page only lays it out.
fn worklist(conn: &mut ebr_db::PgConnection, me: Uuid) -> Result<Worklist, ebr_db::DbError> {
    let mut list = Worklist::default();
    for (row, status) in ebr_db::repo::batches::list(conn)? {
        if status.is_terminal() {
            continue;
        }
        let work = ebr_db::repo::release::worklist::for_batch(conn, row.id, me)?;
        let item = |what: String, href: String| WorkItem {
            batch_id: row.id,
            batch_number: row.batch_number.clone(),
            what,
            href,
        };
        let step_href = |key: &str| format!("/batches/{}/steps/{key}", row.id);
        if let Some((key, name)) = &work.perform {
            list.perform.push(item(name.clone(), step_href(key)));
        }
        for (key, name) in &work.verify {
            list.verify.push(item(name.clone(), step_href(key)));
        }
        for name in &work.qc_review {
            list.qc_review
                .push(item(name.clone(), format!("/batches/{}/qc", row.id)));
        }
        if work.qc_missing > 0 {
            list.qc_enter.push(item(
                work.qc_missing.to_string(),
                format!("/batches/{}/qc", row.id),
            ));
        }
        for title in &work.open_deviations {
            list.deviations.push(item(
                title.clone(),
                format!("/batches/{}/deviations", row.id),
            ));
        }
        if work.qa_review {
            list.qa_review
                .push(item(String::new(), format!("/batches/{}/review", row.id)));
        }
        if work.release {
            list.release
                .push(item(String::new(), format!("/batches/{}/review", row.id)));
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
    training: Vec<super::training::TrainingLine>,
    unsigned_training: usize,
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
    let person = who.person.clone();
    let now = state.clock.now();
    page(&req, &state, &who, async |ctx| {
        let (training, unsigned) = blocking::db(&state.pool, move |conn| {
            super::training::my_training(conn, &person, now)
        })
        .await?;
        let training: Vec<_> = training
            .into_iter()
            .filter(super::training::TrainingLine::needs_attention)
            .collect();
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
            training,
            unsigned_training: unsigned.len(),
        })
    })
    .await
}
