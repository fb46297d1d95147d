//! JSON views shared by several routes.

use chrono::{DateTime, SecondsFormat, Utc};
use ebr_db::repo::people::PersonState;
use ebr_domain::signature::SignatureManifest;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A person as the API shows them (never a password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    /// Person id.
    pub id: Uuid,
    /// Username (unique forever).
    pub username: String,
    /// Printed name.
    pub full_name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Not deactivated.
    pub active: bool,
    /// Locked after repeated failed password checks.
    pub locked: bool,
    /// Acknowledged the signature-accountability statement (R10).
    pub acknowledged_signature_statement: bool,
    /// Identity verified by a second administrator (R15).
    pub identity_verified: bool,
    /// The password was set by an administrator and must be changed.
    pub password_temporary: bool,
    /// Creation time (UTC).
    pub created_at: String,
    /// Who created the account.
    pub created_by: String,
}

/// RFC 3339 UTC with microseconds and `Z` (the zone is always shown, R12).
pub fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl From<PersonState> for PersonView {
    fn from(p: PersonState) -> Self {
        Self {
            id: p.person.id,
            username: p.person.username,
            full_name: p.person.full_name,
            roles: p.roles.iter().map(|r| r.as_str().to_string()).collect(),
            active: p.active,
            locked: p.locked,
            acknowledged_signature_statement: p.acknowledged_signature_statement,
            identity_verified: p.identity_verified,
            password_temporary: p.password_temporary,
            created_at: utc(p.person.created_at),
            created_by: p.person.created_by,
        }
    }
}

/// A signature's manifestation (R12) and record link (R13).
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    /// Signature id.
    pub id: Uuid,
    /// Signer id.
    pub signer_id: Uuid,
    /// Printed name of the signer at signing.
    pub printed_name: String,
    /// Server time of signing, UTC.
    pub signed_at: String,
    /// Meaning code.
    pub meaning: String,
    /// The meaning in words.
    pub meaning_statement: String,
    /// Comment.
    pub comment: Option<String>,
    /// Signed record type.
    pub record_type: String,
    /// Signed record id.
    pub record_id: String,
    /// Signed record version.
    pub record_version: i64,
    /// SHA-256 of exactly what was signed.
    pub record_hash: String,
    /// The factors checked: `password`, or `password+totp` (two factors).
    pub factors: String,
}

impl From<SignatureManifest> for SignatureView {
    fn from(s: SignatureManifest) -> Self {
        Self {
            factors: s.factors.as_str().into(),
            id: s.id,
            signer_id: s.signer_id,
            printed_name: s.printed_name,
            signed_at: utc(s.signed_at),
            meaning: s.meaning.as_str().to_string(),
            meaning_statement: s.meaning.statement().to_string(),
            comment: s.comment,
            record_type: s.record_type,
            record_id: s.record_id,
            record_version: s.record_version,
            record_hash: s.record_hash,
        }
    }
}
