//! `GET /access-reviews`: QA generates the access review of a period,
//! signs it, and everyone reviewing access downloads its PDF.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::routes::access_reviews::{view, AccessReviewView};
use crate::state::AppState;
use crate::ui::page::{page, render, Ctx};

#[derive(Template)]
#[template(path = "access_reviews.html")]
struct ReviewsPage<'a> {
    ctx: &'a Ctx,
    reviews: Vec<AccessReviewView>,
    default_from: String,
    default_to: String,
}

/// The page: the generate form (the last 90 days by default) and every
/// stored review with its signatures and PDF.
pub async fn reviews(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
) -> HttpResponse {
    let today = state.clock.now().date_naive();
    page(&req, &state, &who, async |ctx| {
        let all = blocking::db(&state.pool, ebr_db::repo::access_review::list).await?;
        render(&ReviewsPage {
            ctx,
            reviews: all.into_iter().map(|(row, sigs)| view(row, sigs)).collect(),
            default_from: (today - chrono::Duration::days(90)).to_string(),
            default_to: today.to_string(),
        })
    })
    .await
}
