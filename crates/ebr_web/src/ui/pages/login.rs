//! The login page and the account page (first-login password change,
//! signature-accountability acknowledgment, language).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::current::Authenticated;
use crate::auth::signature::{statement_sha256, ACCOUNTABILITY_STATEMENT};
use crate::state::AppState;
use crate::ui::page::{page, render, Ctx};

/// The login page's query.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// Where to go after logging in (a path on this site).
    #[serde(default)]
    pub next: Option<String>,
    /// The session had expired.
    #[serde(default)]
    pub expired: Option<String>,
}

/// Only a path on this site (never `//host` or a scheme) is followed after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    next: String,
    expired: bool,
}

/// `GET /login`.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let ctx = Ctx::anonymous(&req, &state);
    let page = LoginPage {
        ctx: &ctx,
        next: safe_next(query.next.as_deref()),
        expired: query.expired.is_some(),
    };
    ctx.finish(&req, render(&page))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    ctx: &'a Ctx,
    must_change_password: bool,
    acknowledged: bool,
    identity_verified: bool,
    statement: &'static str,
    statement_sha256: String,
    training: Vec<super::training::TrainingLine>,
    unsigned: Vec<super::training::UnsignedRecord>,
    history: Vec<super::training::HistoryLine>,
    offer: Option<crate::routes::second_factor::EnrolmentOffer>,
}

/// `GET /account`.
pub async fn account(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
) -> HttpResponse {
    let person = who.person.clone();
    let now = state.clock.now();
    page(&req, &state, &who, async |ctx| {
        let (training, unsigned, history) = crate::blocking::db(&state.pool, move |conn| {
            let (training, unsigned) = super::training::my_training(conn, &person, now)?;
            Ok((training, unsigned, super::training::history(conn, &person)?))
        })
        .await?;
        let offer = if who.person.second_factor_enrolled {
            None
        } else {
            Some(crate::routes::second_factor::offer(
                &who.person.person.username,
            )?)
        };
        render(&AccountPage {
            training,
            unsigned,
            history,
            offer,
            ctx,
            must_change_password: who.must_change_password,
            acknowledged: who.person.acknowledged_signature_statement,
            identity_verified: who.person.identity_verified,
            statement: ACCOUNTABILITY_STATEMENT,
            statement_sha256: statement_sha256(),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/batches?q=BR")), "/batches?q=BR");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
