//! Material and equipment checks at the time of use (R8, R37), and late entries (R33).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The status of a material lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotStatus {
    /// Not yet released by QA.
    Quarantine,
    /// Released for use.
    Released,
    /// Rejected.
    Rejected,
}

impl LotStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quarantine => "quarantine",
            Self::Released => "released",
            Self::Rejected => "rejected",
        }
    }
    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Quarantine, Self::Released, Self::Rejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// What is known about a scanned lot now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotFacts {
    /// Its material.
    pub material_code: String,
    /// Its lot number.
    pub lot_number: String,
    /// Its status.
    pub status: LotStatus,
    /// Its expiry.
    pub expires_at: DateTime<Utc>,
}

/// R37: a lot may be used only if it is of the field's material (which is on
/// the step's bill of materials), released, and not expired at `now`.
pub fn check_lot(
    expected_material: &str,
    lot: &LotFacts,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if lot.material_code != expected_material {
        return Err(DomainError::MaterialNotOnBom {
            lot: lot.lot_number.clone(),
            material: lot.material_code.clone(),
            expected: expected_material.to_string(),
        });
    }
    if lot.status != LotStatus::Released {
        return Err(DomainError::LotNotReleased {
            lot: lot.lot_number.clone(),
            status: lot.status.as_str().to_string(),
        });
    }
    if lot.expires_at <= now {
        return Err(DomainError::LotExpired {
            lot: lot.lot_number.clone(),
            expired_at: lot.expires_at,
        });
    }
    Ok(())
}

/// The status of a piece of equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentStatus {
    /// Usable.
    InService,
    /// Not usable.
    OutOfService,
}

impl EquipmentStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InService => "in_service",
            Self::OutOfService => "out_of_service",
        }
    }
    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::InService, Self::OutOfService]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// What is known about scanned equipment now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquipmentFacts {
    /// Asset code.
    pub code: String,
    /// Its type.
    pub equipment_type: String,
    /// Its status.
    pub status: EquipmentStatus,
    /// When its calibration is due.
    pub calibration_due: DateTime<Utc>,
}

/// R8: equipment may be used only if it is of the required type, in service,
/// and its calibration is not overdue at `now`.
pub fn check_equipment(
    expected_type: &str,
    eq: &EquipmentFacts,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if eq.equipment_type != expected_type {
        return Err(DomainError::WrongEquipmentType {
            code: eq.code.clone(),
            actual: eq.equipment_type.clone(),
            expected: expected_type.to_string(),
        });
    }
    if eq.status != EquipmentStatus::InService {
        return Err(DomainError::EquipmentOutOfService(eq.code.clone()));
    }
    if eq.calibration_due <= now {
        return Err(DomainError::CalibrationOverdue {
            code: eq.code.clone(),
            due: eq.calibration_due,
        });
    }
    Ok(())
}

/// R33: an activity declared more than `window` before the time of entry is late.
pub fn is_late(activity_at: DateTime<Utc>, recorded_at: DateTime<Utc>, window: Duration) -> bool {
    recorded_at - activity_at > window
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap()
    }

    fn lot(status: LotStatus, expires: i64) -> LotFacts {
        LotFacts {
            material_code: "CS10".into(),
            lot_number: "L1".into(),
            status,
            expires_at: t(expires),
        }
    }

    /// R37: wrong material, unreleased or expired lots are refused by name.
    #[test]
    fn r37_lot_checks() {
        assert!(check_lot("CS10", &lot(LotStatus::Released, 10), t(0)).is_ok());
        assert_eq!(
            check_lot("DPBS", &lot(LotStatus::Released, 10), t(0))
                .unwrap_err()
                .rule(),
            "material_not_on_bom"
        );
        assert_eq!(
            check_lot("CS10", &lot(LotStatus::Quarantine, 10), t(0))
                .unwrap_err()
                .rule(),
            "lot_not_released"
        );
        assert_eq!(
            check_lot("CS10", &lot(LotStatus::Released, 0), t(0))
                .unwrap_err()
                .rule(),
            "lot_expired"
        );
    }

    /// R8: wrong type, out of service or overdue calibration are refused by name.
    #[test]
    fn r8_equipment_checks() {
        let eq = |status, due| EquipmentFacts {
            code: "INC-01".into(),
            equipment_type: "INCUBATOR".into(),
            status,
            calibration_due: t(due),
        };
        assert!(check_equipment("INCUBATOR", &eq(EquipmentStatus::InService, 5), t(0)).is_ok());
        assert_eq!(
            check_equipment("CRF", &eq(EquipmentStatus::InService, 5), t(0))
                .unwrap_err()
                .rule(),
            "wrong_equipment_type"
        );
        assert_eq!(
            check_equipment("INCUBATOR", &eq(EquipmentStatus::OutOfService, 5), t(0))
                .unwrap_err()
                .rule(),
            "equipment_out_of_service"
        );
        assert_eq!(
            check_equipment("INCUBATOR", &eq(EquipmentStatus::InService, -1), t(0))
                .unwrap_err()
                .rule(),
            "calibration_overdue"
        );
    }

    /// R33: beyond the window an entry is late.
    #[test]
    fn r33_late_entries() {
        assert!(!is_late(
            t(0),
            t(0) + Duration::minutes(30),
            Duration::minutes(30)
        ));
        assert!(is_late(
            t(0),
            t(0) + Duration::minutes(31),
            Duration::minutes(30)
        ));
    }
}
