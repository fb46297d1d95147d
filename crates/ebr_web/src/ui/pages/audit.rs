//! The audit trail viewer: a batch's hash-chained events, filtered by
//! action, person, text and time.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::current::Authenticated;
use crate::routes::batches::audit_events;
use crate::state::AppState;
use crate::ui::page::{page, render, short_utc, Ctx};
use crate::ui::pages::batches::{header, BatchHeader};
use crate::ui::views::{trimmed, Names};

/// The filters.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// Action (exact), e.g. `entry.record`.
    #[serde(default)]
    pub action: Option<String>,
    /// Part of the person's name.
    #[serde(default)]
    pub who: Option<String>,
    /// Text anywhere in the record, values or reason.
    #[serde(default)]
    pub q: Option<String>,
    /// From (YYYY-MM-DD, UTC).
    #[serde(default)]
    pub from: Option<String>,
    /// To (YYYY-MM-DD, UTC).
    #[serde(default)]
    pub to: Option<String>,
}

/// An event as shown.
#[derive(Debug)]
pub struct EventShown {
    /// Sequence number.
    pub seq: i64,
    /// When (UTC).
    pub at: String,
    /// Who (name).
    pub who: String,
    /// Action.
    pub action: String,
    /// Record.
    pub record: String,
    /// Old value.
    pub old: String,
    /// New value.
    pub new: String,
    /// Reason.
    pub reason: String,
    /// Refused attempt (shown as such, not by colour alone).
    pub refused: bool,
    /// The event's hash (first 12 hex).
    pub hash: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    batch: &'a BatchHeader,
    tab: &'static str,
    events: Vec<EventShown>,
    actions: Vec<String>,
    action: String,
    who: String,
    q: String,
    from: String,
    to: String,
    total: usize,
    head: String,
}

/// `GET /batches/{id}/audit`.
pub async fn trail(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
    id: web::Path<Uuid>,
    filters: web::Query<Filters>,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let id = id.into_inner();
        let batch = header(&state, id).await?;
        let (all, _) = audit_events(&state, id).await?;
        let names = Names::load(&state).await?;
        let total = all.len();
        let head = all.last().map(|e| e.hash.clone()).unwrap_or_default();
        let mut actions: Vec<String> = all.iter().map(|e| e.action.clone()).collect();
        actions.sort();
        actions.dedup();
        let action = trimmed(filters.action.as_ref());
        let person = trimmed(filters.who.as_ref()).to_lowercase();
        let q = trimmed(filters.q.as_ref());
        let (from, to) = (trimmed(filters.from.as_ref()), trimmed(filters.to.as_ref()));
        let events = all
            .into_iter()
            .map(|e| EventShown {
                seq: e.seq,
                at: short_utc(&e.occurred_at),
                who: names.actor(&e.actor),
                refused: e.action.ends_with(".refused"),
                action: e.action,
                record: format!(
                    "{} {}",
                    e.entity_type,
                    e.entity_id.chars().take(13).collect::<String>()
                ),
                old: e.old_value.unwrap_or_default(),
                new: e.new_value.unwrap_or_default(),
                reason: e.reason.unwrap_or_default(),
                hash: e.hash.chars().take(12).collect(),
            })
            .filter(|e| {
                let day = e.at.get(..10).unwrap_or("");
                (action.is_empty() || e.action == action)
                    && (person.is_empty() || e.who.to_lowercase().contains(&person))
                    && (q.is_empty()
                        || [&e.record, &e.old, &e.new, &e.reason]
                            .iter()
                            .any(|s| s.contains(q.as_str())))
                    && (from.is_empty() || day >= from.as_str())
                    && (to.is_empty() || day <= to.as_str())
            })
            .collect();
        render(&AuditPage {
            ctx,
            batch: &batch,
            tab: "audit",
            events,
            actions,
            action,
            who: trimmed(filters.who.as_ref()),
            q,
            from,
            to,
            total,
            head,
        })
    })
    .await
}
