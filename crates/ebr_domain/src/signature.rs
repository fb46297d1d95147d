//! Electronic signatures (21 CFR 11.50, 11.70, 11.200).
//!
//! A signature binds a person, a meaning and a server time to the SHA-256 of
//! the canonical serialization of exactly what was signed ([`SignedRecord`]).
//! Any later change to the record changes its hash, so the signature no longer
//! matches and [`SignatureManifest::matches`] reports it.

use std::fmt;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::to_stored_precision;
use crate::canonical::{sha256_hex, to_canonical_json};
use crate::DomainError;

/// What a signature means (R12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMeaning {
    /// I performed this step as written.
    Performed,
    /// I verified this step (second person).
    Verified,
    /// I reviewed this record.
    Reviewed,
    /// I approve this master batch record.
    Approved,
    /// I release this batch.
    Released,
    /// I reject this batch.
    Rejected,
    /// I close this deviation.
    Closed,
    /// I was trained as this record states.
    Trained,
    /// I read and understood this MBR version.
    ReadAndUnderstood,
}

impl SignatureMeaning {
    /// Every meaning.
    pub const ALL: [SignatureMeaning; 9] = [
        Self::Performed,
        Self::Verified,
        Self::Reviewed,
        Self::Approved,
        Self::Released,
        Self::Rejected,
        Self::Closed,
        Self::Trained,
        Self::ReadAndUnderstood,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Performed => "performed",
            Self::Verified => "verified",
            Self::Reviewed => "reviewed",
            Self::Approved => "approved",
            Self::Released => "released",
            Self::Rejected => "rejected",
            Self::Closed => "closed",
            Self::Trained => "trained",
            Self::ReadAndUnderstood => "read_and_understood",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The meaning in words, as shown in the signature dialog and on records.
    pub fn statement(self) -> &'static str {
        match self {
            Self::Performed => "I performed this step as written.",
            Self::Verified => "I verified this step and its entries.",
            Self::Reviewed => "I reviewed this record and its audit trail.",
            Self::Approved => "I approve this master batch record for use.",
            Self::Released => "I release this batch.",
            Self::Rejected => "I reject this batch.",
            Self::Closed => "I close this deviation.",
            Self::Trained => "I was trained as this record states.",
            Self::ReadAndUnderstood => "I read and understood this master batch record version.",
        }
    }
}

impl fmt::Display for SignatureMeaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Exactly what is signed: the record's type, id, version and content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRecord {
    /// e.g. `mbr_version`, `batch_step`.
    pub record_type: String,
    /// The record's id.
    pub record_id: String,
    /// The record's version (the MBR version number, an entry revision, …).
    pub record_version: i64,
    /// The record's content as signed.
    pub content: serde_json::Value,
}

impl SignedRecord {
    /// SHA-256 of the record's canonical serialization.
    pub fn hash(&self) -> String {
        sha256_hex(to_canonical_json(self).unwrap_or_default().as_bytes())
    }
}

/// A signature as stored: the manifestation (R12) and the record link (R13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureManifest {
    /// Signature id.
    pub id: Uuid,
    /// The signer.
    pub signer_id: Uuid,
    /// The signer's full name at the time of signing.
    pub printed_name: String,
    /// Server UTC time of signing.
    pub signed_at: DateTime<Utc>,
    /// The meaning.
    pub meaning: SignatureMeaning,
    /// An optional comment.
    pub comment: Option<String>,
    /// Type of the signed record.
    pub record_type: String,
    /// Id of the signed record.
    pub record_id: String,
    /// Version of the signed record.
    pub record_version: i64,
    /// [`SignedRecord::hash`] of the record at signing.
    pub record_hash: String,
    /// The authentication factors checked (a password-only signature omits
    /// it, so signatures made before second factors hash as they did).
    #[serde(default, skip_serializing_if = "Factors::is_password_only")]
    pub factors: Factors,
}

/// Who signs, as the signature ceremony established it: the signer, the
/// name printed in the manifestation, the factors checked, the comment and
/// the server time. Every signing command takes one and makes the
/// manifestation with [`Signatory::sign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatory {
    /// The session's person (the ceremony verified it is them).
    pub id: Uuid,
    /// The name printed in the manifestation.
    pub printed_name: String,
    /// The authentication factors checked.
    pub factors: Factors,
    /// The signature's comment, `None` when empty.
    pub comment: Option<String>,
    /// The server time of the signature.
    pub at: DateTime<Utc>,
}

impl Signatory {
    /// The manifestation of this signer's signature, meaning `meaning`, on
    /// exactly `record` (R12, R13).
    pub fn sign(
        &self,
        signature_id: Uuid,
        meaning: SignatureMeaning,
        record: &SignedRecord,
    ) -> SignatureManifest {
        SignatureManifest::new(
            signature_id,
            self.id,
            &self.printed_name,
            meaning,
            self.comment.clone(),
            record,
            self.at,
        )
        .with_factors(self.factors)
    }
}

/// The authentication factors a signature was made with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Factors {
    /// The password (with the username at the first signature of a period).
    #[default]
    #[serde(rename = "password")]
    Password,
    /// The password and a current TOTP code (RFC 6238): two factors.
    #[serde(rename = "password+totp")]
    PasswordAndTotp,
}

impl Factors {
    /// The stable stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::PasswordAndTotp => "password+totp",
        }
    }

    /// Parses the stored name (anything else is the password alone).
    pub fn parse(name: &str) -> Self {
        if name == "password+totp" {
            Self::PasswordAndTotp
        } else {
            Self::Password
        }
    }

    /// Whether only the password was checked.
    pub fn is_password_only(&self) -> bool {
        *self == Self::Password
    }

    /// The factors in words, as the record prints them.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::PasswordAndTotp => "two factors: password and authenticator code",
        }
    }
}

impl SignatureManifest {
    /// The manifestation of a signature on exactly `record` (R12, R13): the
    /// signer's id and printed name, the meaning, the comment, the time at
    /// the precision PostgreSQL stores, and the record's type, id, version
    /// and hash, so the signature binds to what was signed and nothing else.
    pub fn new(
        id: Uuid,
        signer_id: Uuid,
        printed_name: &str,
        meaning: SignatureMeaning,
        comment: Option<String>,
        record: &SignedRecord,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            signer_id,
            printed_name: printed_name.to_string(),
            signed_at: to_stored_precision(at),
            meaning,
            comment,
            record_type: record.record_type.clone(),
            record_id: record.record_id.clone(),
            record_version: record.record_version,
            record_hash: record.hash(),
            factors: Factors::Password,
        }
    }

    /// The same manifestation, made with `factors`.
    pub fn with_factors(mut self, factors: Factors) -> Self {
        self.factors = factors;
        self
    }

    /// SHA-256 of the signature's own canonical serialization (stored in its
    /// audit event, so an edit of the signature row is detectable).
    pub fn hash(&self) -> String {
        let mut copy = self.clone();
        copy.signed_at = to_stored_precision(copy.signed_at);
        #[derive(Serialize)]
        struct Canonical<'a> {
            #[serde(flatten)]
            manifest: &'a SignatureManifest,
            signed_at_text: String,
        }
        let text = to_canonical_json(&Canonical {
            signed_at_text: copy.signed_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            manifest: &copy,
        })
        .unwrap_or_default();
        sha256_hex(text.as_bytes())
    }

    /// Whether `record` is still exactly what was signed (same type, id,
    /// version and content hash).
    pub fn matches(&self, record: &SignedRecord) -> bool {
        self.record_type == record.record_type
            && self.record_id == record.record_id
            && self.record_version == record.record_version
            && self.record_hash == record.hash()
    }
}

/// What the signer must enter (R16): both components at the first signature of
/// a continuous session period, the password alone within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Components {
    /// Username and password.
    UsernameAndPassword,
    /// Password only.
    PasswordOnly,
}

/// R16/R19: the components the next signature needs, given whether the
/// session's continuous signing period is intact.
pub fn components_required(continuous_period: bool) -> Components {
    if continuous_period {
        Components::PasswordOnly
    } else {
        Components::UsernameAndPassword
    }
}

/// R19: a session idle for longer than `idle_lock` ends its continuous period.
pub fn idle_lock_reached(
    last_seen: DateTime<Utc>,
    now: DateTime<Utc>,
    idle_lock: Duration,
) -> bool {
    now - last_seen > idle_lock
}

/// Checks the components a signer supplied against what the session needs and
/// against the session's own person (R16, R17): a username, when given or
/// needed, must be the session user's own.
pub fn check_components(
    continuous_period: bool,
    session_username: &str,
    supplied_username: Option<&str>,
) -> Result<(), DomainError> {
    match (components_required(continuous_period), supplied_username) {
        (_, Some(name)) if !name.trim().eq_ignore_ascii_case(session_username) => {
            Err(DomainError::SignerNotSessionUser)
        }
        (Components::UsernameAndPassword, None) => Err(DomainError::TwoComponentsRequired),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content: serde_json::Value) -> SignedRecord {
        SignedRecord {
            record_type: "mbr_version".into(),
            record_id: "r1".into(),
            record_version: 1,
            content,
        }
    }

    fn manifest(rec: &SignedRecord) -> SignatureManifest {
        SignatureManifest {
            id: Uuid::from_u128(9),
            signer_id: Uuid::from_u128(1),
            printed_name: "张伟".into(),
            signed_at: DateTime::from_timestamp(1_700_000_000, 5).unwrap(),
            meaning: SignatureMeaning::Approved,
            comment: None,
            record_type: rec.record_type.clone(),
            record_id: rec.record_id.clone(),
            record_version: rec.record_version,
            record_hash: rec.hash(),
            factors: Factors::Password,
        }
    }

    /// R13: a changed record no longer matches its signature; the signature
    /// cannot be moved to another record.
    #[test]
    fn r13_signature_binds_to_exact_record() {
        let rec = record(serde_json::json!({"viability": "92"}));
        let sig = manifest(&rec);
        assert!(sig.matches(&rec));
        assert!(!sig.matches(&record(serde_json::json!({"viability": "93"}))));
        let mut other = rec.clone();
        other.record_id = "r2".into();
        assert!(!sig.matches(&other));
    }

    #[test]
    fn manifest_hash_covers_meaning() {
        let rec = record(serde_json::json!({}));
        let a = manifest(&rec);
        let mut b = a.clone();
        b.meaning = SignatureMeaning::Rejected;
        assert_ne!(a.hash(), b.hash());
    }

    /// R16/R17: two components first; then password only; never someone else's name.
    #[test]
    fn r16_two_components_then_password_only() {
        assert_eq!(
            check_components(false, "zhang.wei", None),
            Err(DomainError::TwoComponentsRequired)
        );
        assert!(check_components(false, "zhang.wei", Some("zhang.wei")).is_ok());
        assert!(check_components(true, "zhang.wei", None).is_ok());
        assert_eq!(
            check_components(true, "zhang.wei", Some("maria.garcia")),
            Err(DomainError::SignerNotSessionUser)
        );
    }

    /// R19: idle longer than the lock ends the continuous period.
    #[test]
    fn r19_idle_lock() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert!(!idle_lock_reached(
            t,
            t + Duration::minutes(5),
            Duration::minutes(5)
        ));
        assert!(idle_lock_reached(
            t,
            t + Duration::minutes(5) + Duration::seconds(1),
            Duration::minutes(5)
        ));
    }
}
