//! The stylesheet and the script, compiled into the binary (no CDN: the
//! pages work on a network with no internet).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::ApiError;

const CSS: &str = include_str!("../../assets/ebr.css");
const JS: &str = include_str!("../../assets/ebr.js");

/// Serves `ebr.css` or `ebr.js`; anything else is a 404.
pub async fn serve(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (body, content_type) = match name.as_str() {
        "ebr.css" => (CSS, "text/css; charset=utf-8"),
        "ebr.js" => (JS, "text/javascript; charset=utf-8"),
        other => return Err(ApiError::NotFound(format!("no asset {other}"))),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body))
}
