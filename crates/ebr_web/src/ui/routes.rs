//! The page routes, part of the one route table (`routes::route_table`),
//! so the authorization middleware and the route × role test cover them.

use actix_web::http::Method;
use actix_web::web;

use crate::routes::{entry, RouteEntry};
use crate::ui::assets;
use crate::ui::pages::{
    access_reviews, audit, batches, chain, execute, home, login, mbrs, qc, registry, review,
    shipments, training,
};

/// Every page route.
pub fn page_table() -> Vec<RouteEntry> {
    vec![
        entry(Method::GET, "/assets/{name}", web::get().to(assets::serve)),
        entry(Method::GET, "/login", web::get().to(login::login)),
        entry(Method::GET, "/", web::get().to(home::home)),
        entry(Method::GET, "/account", web::get().to(login::account)),
        entry(Method::GET, "/batches", web::get().to(batches::list)),
        entry(
            Method::GET,
            "/batches/{id}",
            web::get().to(batches::overview),
        ),
        entry(
            Method::GET,
            "/batches/{id}/steps/{step}",
            web::get().to(execute::step),
        ),
        entry(Method::GET, "/batches/{id}/qc", web::get().to(qc::qc)),
        entry(
            Method::GET,
            "/batches/{id}/deviations",
            web::get().to(review::deviations),
        ),
        entry(
            Method::GET,
            "/batches/{id}/review",
            web::get().to(review::review),
        ),
        entry(
            Method::GET,
            "/batches/{id}/audit",
            web::get().to(audit::trail),
        ),
        entry(Method::GET, "/mbrs", web::get().to(mbrs::list)),
        entry(Method::GET, "/mbrs/{id}", web::get().to(mbrs::view)),
        entry(Method::GET, "/registry", web::get().to(registry::registry)),
        entry(Method::GET, "/chain", web::get().to(chain::chain_page)),
        entry(Method::GET, "/shipments", web::get().to(shipments::list)),
        entry(
            Method::GET,
            "/storage/{code}",
            web::get().to(chain::storage_box),
        ),
        entry(
            Method::GET,
            "/access-reviews",
            web::get().to(access_reviews::reviews),
        ),
        entry(
            Method::GET,
            "/training",
            web::get().to(training::qualification_matrix),
        ),
    ]
}
