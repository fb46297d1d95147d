//! Cross-site request forgery protection for every state-changing request.
//!
//! Three layers: the session cookie is `SameSite=Strict`; a state-changing
//! request that a browser marks as coming from another site (`Origin` not
//! this host, or `Sec-Fetch-Site` other than `same-origin`/`none`) is
//! refused; and a browser request that carries the session cookie must also
//! carry the `X-CSRF-Token` header that the pages hand to their script, a
//! value derived from the session cookie, which another site can neither read
//! nor compute. Programs that are not browsers (they send neither `Origin`
//! nor `Sec-Fetch-Site`) are not asked for the token: no browser can be made
//! to send such a request on someone's behalf.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;
use sha2::{Digest, Sha256};

use crate::auth::session::COOKIE;
use crate::error::ApiError;

/// The header that carries the token.
pub const HEADER: &str = "x-csrf-token";

/// The token for a session cookie value (empty when there is no cookie):
/// a SHA-256 that only someone holding the cookie can compute.
pub fn token_for(session_cookie: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"ebr-csrf-v1\0");
    hasher.update(session_cookie.unwrap_or("").as_bytes());
    hex::encode(hasher.finalize())
}

fn forbidden(code: &'static str, detail: &str) -> ApiError {
    ApiError::Forbidden {
        code,
        detail: detail.to_string(),
    }
}

/// Why a state-changing request is refused, if it is.
fn check(req: &ServiceRequest) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let origin = header("origin");
    let fetch_site = header("sec-fetch-site");
    if let Some(origin) = &origin {
        let host = req.connection_info().host().to_string();
        let authority = origin
            .split_once("://")
            .map_or(origin.as_str(), |(_, rest)| rest);
        if !authority.eq_ignore_ascii_case(&host) {
            return Err(forbidden(
                "csrf_origin_mismatch",
                "this request came from another web site and was refused; nothing was stored",
            ));
        }
    }
    if let Some(site) = &fetch_site {
        if !matches!(site.as_str(), "same-origin" | "none") {
            return Err(forbidden(
                "csrf_origin_mismatch",
                "this request came from another web site and was refused; nothing was stored",
            ));
        }
    }
    let from_browser = origin.is_some() || fetch_site.is_some();
    let cookie = req.cookie(COOKIE).map(|c| c.value().to_string());
    if from_browser && cookie.is_some() {
        let expected = token_for(cookie.as_deref());
        if header(HEADER).as_deref() != Some(expected.as_str()) {
            return Err(forbidden(
                "csrf_token_invalid",
                "this page is out of date (you logged in again elsewhere); reload it and try again. Nothing was stored",
            ));
        }
    }
    Ok(())
}

/// The middleware: refuses a forged request before any handler runs.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if let Err(e) = check(&req) {
        tracing::warn!(path = %req.path(), code = e.code(), "state-changing request refused");
        return Ok(req.error_response(e));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_depends_on_the_cookie() {
        assert_ne!(token_for(Some("a")), token_for(Some("b")));
        assert_eq!(token_for(Some("a")), token_for(Some("a")));
        assert_eq!(token_for(None).len(), 64);
    }
}
