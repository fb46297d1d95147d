//! The authenticated person of a request.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpMessage, HttpRequest};
use ebr_db::repo::people::PersonState;
use ebr_db::repo::sessions::SessionRow;

use crate::error::ApiError;

/// The person behind a request, put in place by the authorization middleware
/// after the session, its timeouts and the route's role rule were checked.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The session.
    pub session: SessionRow,
    /// The person, as now.
    pub person: PersonState,
    /// Whether the continuous signing period is intact (password-only signing).
    pub continuous_signing: bool,
    /// The password is temporary or expired and must be changed first.
    pub must_change_password: bool,
    /// The person's password hash as loaded with the session: a signature
    /// re-verifies the password against it without another query.
    pub credential: StoredCredential,
}

/// A stored password hash (PHC string); its `Debug` never prints it.
#[derive(Clone, Default)]
pub struct StoredCredential(pub Option<String>);

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "StoredCredential(..)"
        } else {
            "StoredCredential(none)"
        })
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Authenticated>()
                .cloned()
                .ok_or(ApiError::Unauthorized {
                    code: "authentication_required",
                    detail: "log in first: POST /api/v1/session".into(),
                }),
        )
    }
}
