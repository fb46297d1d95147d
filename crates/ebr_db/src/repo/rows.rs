//! The stored form of the append-only event and link tables, exactly as
//! their audit events hash them: each struct is what an insert returns and
//! what `ebr audit verify` reloads to recompute the hash.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::schema::{
    account_events, auth_attempts, batch_status_events, equipment_events, identity_verifications,
    material_lot_events, mbr_status_events, password_credentials, qc_result_deviations,
    role_changes, sessions, signature_acknowledgments, signature_supersessions,
};

/// A batch status change.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = batch_status_events)]
pub struct BatchStatusRow {
    /// Id.
    pub id: Uuid,
    /// The batch.
    pub batch_id: Uuid,
    /// The new status.
    pub status: String,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why, where required.
    pub reason: Option<String>,
}

/// An MBR version status change.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = mbr_status_events)]
pub struct MbrStatusRow {
    /// Id.
    pub id: Uuid,
    /// The MBR version.
    pub mbr_version_id: Uuid,
    /// The new status.
    pub status: String,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why, where required.
    pub reason: Option<String>,
}

/// A role granted or revoked.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = role_changes)]
pub struct RoleChangeRow {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// The role.
    pub role: String,
    /// Granted (true) or revoked.
    pub granted: bool,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
}

/// An account event (deactivation, lock, unlock…).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = account_events)]
pub struct AccountEventRow {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// What happened.
    pub kind: String,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
}

/// A password set (its PHC string is hashed into the record hash, never
/// printed in the audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = password_credentials)]
pub struct CredentialRow {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// The argon2 PHC string.
    pub phc: String,
    /// Temporary (must be changed at next login).
    pub temporary: bool,
    /// Server time.
    pub set_at: DateTime<Utc>,
    /// Who.
    pub set_by: String,
}

impl CredentialRow {
    /// What the audit trail shows of it: everything but the hash.
    pub fn shown(&self) -> Option<String> {
        super::canonical(&serde_json::json!({
            "id": self.id, "person_id": self.person_id, "temporary": self.temporary,
            "set_at": self.set_at, "set_by": self.set_by,
        }))
    }
}

/// An acknowledgment of the signature accountability statement.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = signature_acknowledgments)]
pub struct AcknowledgmentRow {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// The statement's hash.
    pub statement_sha256: String,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
}

/// A verification of a person's identity by an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = identity_verifications)]
pub struct IdentityVerificationRow {
    /// Id.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// The verifying administrator.
    pub verified_by: Uuid,
    /// How.
    pub method: String,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
}

/// A material lot status change.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = material_lot_events)]
pub struct LotEventRow {
    /// Id.
    pub id: Uuid,
    /// The lot.
    pub lot_id: Uuid,
    /// The new status.
    pub status: String,
    /// Expiry from then on.
    pub expires_at: DateTime<Utc>,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
}

/// An equipment status change.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = equipment_events)]
pub struct EquipmentEventRow {
    /// Id.
    pub id: Uuid,
    /// The equipment.
    pub equipment_id: Uuid,
    /// The new status.
    pub status: String,
    /// Calibration due from then on.
    pub calibration_due: DateTime<Utc>,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
}

/// A step signature superseded by a correction.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = signature_supersessions)]
pub struct SupersessionRow {
    /// The signature.
    pub signature_id: Uuid,
    /// Server time.
    pub superseded_at: DateTime<Utc>,
    /// The correcting entry.
    pub by_entry_id: Uuid,
    /// Why.
    pub reason: String,
}

/// A QC result linked to the deviation it opened.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = qc_result_deviations)]
pub struct QcDeviationLinkRow {
    /// The deviation.
    pub deviation_id: Uuid,
    /// The QC result.
    pub qc_result_id: Uuid,
}

/// A password check (login or signature), successful or not.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = auth_attempts)]
pub struct AuthAttemptRow {
    /// Id.
    pub id: Uuid,
    /// The person, when the username exists.
    pub person_id: Option<Uuid>,
    /// The username given.
    pub username: String,
    /// login or signature.
    pub purpose: String,
    /// Whether the password matched.
    pub succeeded: bool,
    /// Server time.
    pub occurred_at: DateTime<Utc>,
}

/// The columns of a session fixed at login (its activity columns move).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = sessions)]
pub struct SessionOpenedRow {
    /// Session id.
    pub id: Uuid,
    /// SHA-256 of the token.
    pub token_sha256: String,
    /// The person.
    pub person_id: Uuid,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Absolute expiry.
    pub expires_at: DateTime<Utc>,
}
