//! The authorization table: one rule per route (R4, R7). A route that is
//! registered without a rule here is refused with a 500 (fail closed), and the
//! route × role test fails.

use actix_web::http::Method;
use ebr_domain::identity::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session.
    Public,
    /// Any logged-in person, even one who must first change their password.
    Session,
    /// A logged-in person holding at least one of these roles, with a current password.
    Roles(&'static [Role]),
}

/// One rule: method, route pattern (as registered) and access.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// HTTP method.
    pub method: &'static str,
    /// Route pattern, e.g. `/api/v1/mbrs/{id}`.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

use Role::*;

/// Every GMP role (read access to GMP data).
pub const GMP_READERS: &[Role] = &[
    Operator,
    QcAnalyst,
    QaReviewer,
    ReleaseAuthority,
    MbrAuthor,
    Auditor,
];

/// Every role with GMP duties, the trainer included: who signs their own
/// training and read-and-understood records.
pub const GMP: &[Role] = &[
    Operator,
    QcAnalyst,
    QaReviewer,
    ReleaseAuthority,
    MbrAuthor,
    Auditor,
    Trainer,
];

/// Who may download batch records (PDF, export).
pub const RECORD_READERS: &[Role] = &[Auditor, QaReviewer, ReleaseAuthority];

/// Who may read the registries: every GMP role and administrators.
pub const REGISTRY_READERS: &[Role] = &[
    Operator,
    QcAnalyst,
    QaReviewer,
    ReleaseAuthority,
    MbrAuthor,
    Auditor,
    Admin,
];

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

/// The table.
pub const RULES: &[Rule] = &[
    rule("GET", "/healthz", Access::Public),
    rule("GET", "/readyz", Access::Public),
    rule("GET", "/metrics", Access::Public),
    rule("POST", "/api/v1/session", Access::Public),
    rule("GET", "/api/v1/session", Access::Session),
    rule("DELETE", "/api/v1/session", Access::Session),
    rule("POST", "/api/v1/session/password", Access::Session),
    rule("POST", "/api/v1/session/acknowledgment", Access::Session),
    rule("POST", "/api/v1/session/language", Access::Session),
    rule("GET", "/api/v1/users", Access::Roles(&[Admin, Auditor])),
    rule(
        "GET",
        "/api/v1/access-reviews",
        Access::Roles(&[QaReviewer, Auditor, Admin]),
    ),
    rule(
        "POST",
        "/api/v1/access-reviews",
        Access::Roles(&[QaReviewer]),
    ),
    rule(
        "GET",
        "/api/v1/access-reviews/{id}/pdf",
        Access::Roles(&[QaReviewer, Auditor, Admin]),
    ),
    rule(
        "POST",
        "/api/v1/access-reviews/{id}/signatures",
        Access::Roles(&[QaReviewer]),
    ),
    rule(
        "GET",
        "/access-reviews",
        Access::Roles(&[QaReviewer, Auditor, Admin]),
    ),
    rule("GET", "/api/v1/curricula", Access::Session),
    rule(
        "GET",
        "/api/v1/session/second-factor/offer",
        Access::Session,
    ),
    rule("POST", "/api/v1/session/second-factor", Access::Session),
    rule(
        "POST",
        "/api/v1/users/{id}/second-factor/reset-requests",
        Access::Roles(&[Admin]),
    ),
    rule(
        "POST",
        "/api/v1/users/{id}/second-factor/resets",
        Access::Roles(&[Admin]),
    ),
    rule(
        "POST",
        "/api/v1/curricula",
        Access::Roles(&[Trainer, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/curricula/{id}/versions/{version}/signatures",
        Access::Roles(GMP),
    ),
    rule(
        "GET",
        "/api/v1/training-records",
        Access::Roles(&[Trainer, QaReviewer, Auditor, Admin]),
    ),
    rule("GET", "/api/v1/session/training", Access::Session),
    rule(
        "POST",
        "/api/v1/training-records",
        Access::Roles(&[Trainer]),
    ),
    rule(
        "POST",
        "/api/v1/training-records/revocations",
        Access::Roles(&[Trainer, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/training-records/{id}/signatures",
        Access::Roles(GMP),
    ),
    rule(
        "GET",
        "/api/v1/training/matrix",
        Access::Roles(&[Trainer, QaReviewer, Auditor, Admin]),
    ),
    rule("POST", "/api/v1/users", Access::Roles(&[Admin])),
    rule("POST", "/api/v1/users/{id}/roles", Access::Roles(&[Admin])),
    rule(
        "POST",
        "/api/v1/users/{id}/deactivate",
        Access::Roles(&[Admin]),
    ),
    rule("POST", "/api/v1/users/{id}/unlock", Access::Roles(&[Admin])),
    rule(
        "POST",
        "/api/v1/users/{id}/password",
        Access::Roles(&[Admin]),
    ),
    rule(
        "POST",
        "/api/v1/users/{id}/identity-verification",
        Access::Roles(&[Admin]),
    ),
    rule(
        "DELETE",
        "/api/v1/users/{id}/sessions",
        Access::Roles(&[Admin]),
    ),
    rule("GET", "/api/v1/mbrs", Access::Roles(GMP_READERS)),
    rule("POST", "/api/v1/mbrs", Access::Roles(&[MbrAuthor])),
    rule("GET", "/api/v1/mbrs/{id}", Access::Roles(GMP_READERS)),
    rule(
        "POST",
        "/api/v1/mbrs/{id}/signatures",
        Access::Roles(&[QaReviewer]),
    ),
    rule("GET", "/api/v1/materials", Access::Roles(REGISTRY_READERS)),
    rule(
        "POST",
        "/api/v1/materials",
        Access::Roles(&[Admin, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/materials/{id}/status",
        Access::Roles(&[Admin, QaReviewer]),
    ),
    rule("GET", "/api/v1/equipment", Access::Roles(REGISTRY_READERS)),
    rule(
        "POST",
        "/api/v1/equipment",
        Access::Roles(&[Admin, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/equipment/{id}/status",
        Access::Roles(&[Admin, QaReviewer]),
    ),
    rule("GET", "/api/v1/batches", Access::Roles(GMP_READERS)),
    rule(
        "POST",
        "/api/v1/batches",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule("GET", "/api/v1/batches/{id}", Access::Roles(GMP_READERS)),
    rule(
        "GET",
        "/api/v1/batches/{id}/audit-trail",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/steps/{step}/entries",
        Access::Roles(&[Operator]),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/entries/{entry}/corrections",
        Access::Roles(&[Operator]),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/steps/{step}/signatures",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/steps/{step}/preview",
        Access::Roles(&[Operator]),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/deviations",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/deviations",
        Access::Roles(&[Operator, QcAnalyst, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/deviations/{id}/revisions",
        Access::Roles(&[Operator, QcAnalyst, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/deviations/{id}/signatures",
        Access::Roles(&[QaReviewer]),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/qc-results",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/qc-results",
        Access::Roles(&[QcAnalyst]),
    ),
    rule(
        "POST",
        "/api/v1/qc-results/{id}/signatures",
        Access::Roles(&[QcAnalyst]),
    ),
    rule(
        "POST",
        "/api/v1/qc-results/{id}/invalidations",
        Access::Roles(&[QcAnalyst]),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/exceptions",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/release-gate",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/signatures",
        Access::Roles(&[QaReviewer, ReleaseAuthority]),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/contingency-forms",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/vials",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "GET",
        "/api/v1/vials/{serial}/lineage",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/materials/{id}/lineage",
        Access::Roles(&[Admin, QaReviewer]),
    ),
    rule(
        "GET",
        "/api/v1/materials/{id}/descendants",
        Access::Roles(GMP_READERS),
    ),
    rule("POST", "/api/v1/donors", Access::Roles(&[QaReviewer])),
    rule("GET", "/api/v1/donors", Access::Roles(GMP_READERS)),
    rule(
        "GET",
        "/api/v1/donors/{id}/chain",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/donors/{id}/eligibility",
        Access::Roles(&[QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/donor-eligibility/{id}/signatures",
        Access::Roles(&[QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/cell-bank-releases",
        Access::Roles(&[QaReviewer]),
    ),
    rule(
        "GET",
        "/api/v1/cell-bank-releases",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/cell-bank-releases/{id}/signatures",
        Access::Roles(&[QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/labels",
        Access::Roles(&[Operator]),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/labels",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/labels/scans",
        Access::Roles(&[Operator]),
    ),
    rule(
        "POST",
        "/api/v1/batches/{id}/labels/{number}/destructions",
        Access::Roles(&[Operator]),
    ),
    rule(
        "POST",
        "/api/v1/storage/locations",
        Access::Roles(&[QaReviewer, Operator]),
    ),
    rule(
        "GET",
        "/api/v1/storage/locations",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "GET",
        "/api/v1/storage/boxes/{code}",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "POST",
        "/api/v1/vials/{serial}/storage",
        Access::Roles(&[Operator]),
    ),
    rule(
        "POST",
        "/api/v1/shipments",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule("GET", "/api/v1/shipments", Access::Roles(GMP_READERS)),
    rule("GET", "/api/v1/shipments/{id}", Access::Roles(GMP_READERS)),
    rule(
        "POST",
        "/api/v1/shipments/{id}/handover",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/shipments/{id}/receipt",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/shipments/{id}/signatures",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule(
        "POST",
        "/api/v1/vials/{serial}/administrations",
        Access::Roles(&[Operator, QaReviewer]),
    ),
    rule(
        "GET",
        "/api/v1/vials/{serial}/chain",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "GET",
        "/api/v1/subjects/{id}/chain",
        Access::Roles(GMP_READERS),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/record.json",
        Access::Roles(RECORD_READERS),
    ),
    rule(
        "GET",
        "/api/v1/batches/{id}/record.pdf",
        Access::Roles(RECORD_READERS),
    ),
    // Browser pages (crate::ui): the same table, the same roles.
    rule("GET", "/assets/{name}", Access::Public),
    rule("GET", "/login", Access::Public),
    rule("GET", "/", Access::Session),
    rule("GET", "/account", Access::Session),
    rule("GET", "/batches", Access::Roles(GMP_READERS)),
    rule("GET", "/batches/{id}", Access::Roles(GMP_READERS)),
    rule(
        "GET",
        "/batches/{id}/steps/{step}",
        Access::Roles(GMP_READERS),
    ),
    rule("GET", "/batches/{id}/qc", Access::Roles(GMP_READERS)),
    rule(
        "GET",
        "/batches/{id}/deviations",
        Access::Roles(GMP_READERS),
    ),
    rule("GET", "/batches/{id}/review", Access::Roles(GMP_READERS)),
    rule("GET", "/batches/{id}/audit", Access::Roles(GMP_READERS)),
    rule("GET", "/mbrs", Access::Roles(GMP_READERS)),
    rule("GET", "/mbrs/{id}", Access::Roles(GMP_READERS)),
    rule("GET", "/registry", Access::Roles(REGISTRY_READERS)),
    rule("GET", "/chain", Access::Roles(GMP_READERS)),
    rule("GET", "/shipments", Access::Roles(GMP_READERS)),
    rule("GET", "/storage/{code}", Access::Roles(GMP_READERS)),
    rule(
        "GET",
        "/training",
        Access::Roles(&[Trainer, QaReviewer, Auditor, Admin]),
    ),
];

/// Whether a route pattern is a browser page (answered with HTML and
/// redirects) rather than part of the JSON API or the probes.
pub fn is_page(pattern: &str) -> bool {
    !pattern.starts_with("/api/") && !matches!(pattern, "/healthz" | "/readyz" | "/metrics")
}

/// The rule for a method and registered route pattern.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.method == method.as_str() && r.path == path)
}
