//! The material-lot and equipment registries.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use ebr_db::repo::registry;

use crate::auth::current::Authenticated;
use crate::blocking;
use crate::routes::registry::{EquipmentView, LotView};
use crate::state::AppState;
use crate::ui::page::{page, render, short_utc, Ctx};

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage<'a> {
    ctx: &'a Ctx,
    lots: Vec<LotView>,
    equipment: Vec<EquipmentView>,
    now: String,
}

/// `GET /registry`.
pub async fn registry(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Authenticated,
) -> HttpResponse {
    page(&req, &state, &who, async |ctx| {
        let (lots, equipment) = blocking::db(&state.pool, |conn| {
            Ok((registry::lots(conn)?, registry::all_equipment(conn)?))
        })
        .await?;
        render(&RegistryPage {
            ctx,
            lots: lots.into_iter().map(LotView::from).collect(),
            equipment: equipment.into_iter().map(EquipmentView::from).collect(),
            now: short_utc(&crate::routes::views::utc(state.clock.now())),
        })
    })
    .await
}
