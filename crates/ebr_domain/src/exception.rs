//! Review-by-exception items (R46): what kinds of exception a batch can
//! raise, and how serious each kind is. The severity is a rule of the kind,
//! decided here, never chosen where the exception is written.

use serde::{Deserialize, Serialize};

/// How serious an exception is for QA's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth noting; no impact expected (a late entry, an alert value).
    Minor,
    /// May affect quality; QA must assess it.
    Major,
    /// Affects the release decision directly (an out-of-specification
    /// release result).
    Critical,
}

impl Severity {
    /// The stable name stored with the exception.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
        }
    }
}

/// Every kind of exception the system raises (R46).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// A value outside its alert range but within specification.
    Alert,
    /// A value out of specification (a deviation is opened as well, R38).
    OutOfSpecification,
    /// A recorded value corrected with a reason (R24).
    Correction,
    /// A step signature superseded by a correction (R13).
    SignatureSuperseded,
    /// An activity recorded later than the late-entry window (R33).
    LateEntry,
    /// A step started after its hold time expired.
    HoldTimeBreach,
    /// A lot refused at scan: wrong material, not released or expired (R37).
    MaterialRefused,
    /// Equipment refused at scan: wrong type, out of service or overdue (R8).
    EquipmentRefused,
    /// A release result out of specification (a deviation is opened as well).
    QcOutOfSpecification,
    /// An out-of-specification result after release (R40).
    PostReleaseOos,
    /// A QC result invalidated with a reason; it stays visible (R34).
    QcInvalidated,
    /// An amount recorded against a computed target missed it by more than
    /// the declared tolerance (issue 16).
    TargetMissed,
    /// An attempt by someone whose training was not current was refused (R9).
    TrainingNotCurrent,
    /// A shipment received with a discrepancy (a missing or extra vial, a
    /// broken seal, no logger data, a temperature above −150 °C): the
    /// shipment is quarantined (R48).
    CustodyDiscrepancy,
}

impl ExceptionKind {
    /// The stable name stored with the exception and used in its audit action.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::OutOfSpecification => "out_of_specification",
            Self::Correction => "correction",
            Self::SignatureSuperseded => "signature_superseded",
            Self::LateEntry => "late_entry",
            Self::HoldTimeBreach => "hold_time_breach",
            Self::MaterialRefused => "material_refused",
            Self::EquipmentRefused => "equipment_refused",
            Self::QcOutOfSpecification => "qc_out_of_specification",
            Self::PostReleaseOos => "post_release_oos",
            Self::QcInvalidated => "qc_invalidated",
            Self::TargetMissed => "target_missed",
            Self::TrainingNotCurrent => "training_not_current",
            Self::CustodyDiscrepancy => "custody_discrepancy",
        }
    }

    /// R46: the severity of each kind. Corrections, late entries and alerts
    /// are minor; what may affect quality (an out-of-specification value, a
    /// superseded signature, a hold-time breach, a refused material or
    /// instrument, an invalidated result) is major; an out-of-specification
    /// release result, before or after release, and a custody discrepancy
    /// (product that may have been compromised in transport) are critical.
    pub fn severity(self) -> Severity {
        match self {
            Self::Alert | Self::Correction | Self::LateEntry => Severity::Minor,
            Self::OutOfSpecification
            | Self::SignatureSuperseded
            | Self::HoldTimeBreach
            | Self::MaterialRefused
            | Self::EquipmentRefused
            | Self::QcInvalidated
            | Self::TargetMissed
            | Self::TrainingNotCurrent => Severity::Major,
            Self::QcOutOfSpecification | Self::PostReleaseOos | Self::CustodyDiscrepancy => {
                Severity::Critical
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R46: each kind has its fixed severity and a stable name that
    /// round-trips through serde.
    #[test]
    fn r46_every_exception_kind_has_its_severity() {
        assert_eq!(ExceptionKind::Alert.severity(), Severity::Minor);
        assert_eq!(
            ExceptionKind::OutOfSpecification.severity(),
            Severity::Major
        );
        assert_eq!(ExceptionKind::PostReleaseOos.severity(), Severity::Critical);
        let name = serde_json::to_string(&ExceptionKind::HoldTimeBreach).unwrap();
        assert_eq!(
            name,
            format!("\"{}\"", ExceptionKind::HoldTimeBreach.as_str())
        );
        assert_eq!(Severity::Major.as_str(), "major");
    }
}
