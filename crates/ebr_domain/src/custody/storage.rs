//! The storage map: LN₂ vapour-phase freezers → racks → boxes of rows ×
//! columns positions. A vial is placed with a two-sided scan (the vial and
//! the position label), a position holds one vial, and moves, thaws and
//! removals are events; where a vial is now is its newest event.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A kind of storage location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// An LN₂ vapour-phase freezer.
    Freezer,
    /// A rack in a freezer.
    Rack,
    /// A box in a rack, with positions.
    Box,
}

impl LocationKind {
    /// The stable name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Freezer => "freezer",
            Self::Rack => "rack",
            Self::Box => "box",
        }
    }

    /// Reads a stored or requested name.
    pub fn parse(text: &str) -> Option<LocationKind> {
        match text.trim() {
            "freezer" => Some(Self::Freezer),
            "rack" => Some(Self::Rack),
            "box" => Some(Self::Box),
            _ => None,
        }
    }

    /// The kind of location this one sits in (none for a freezer).
    pub fn parent(self) -> Option<LocationKind> {
        match self {
            Self::Freezer => None,
            Self::Rack => Some(Self::Freezer),
            Self::Box => Some(Self::Rack),
        }
    }
}

/// A new location: a freezer stands alone, a rack sits in a freezer, a box
/// in a rack with 1–26 rows and 1–26 columns.
pub fn check_location(
    kind: LocationKind,
    parent: Option<LocationKind>,
    size: Option<(i32, i32)>,
) -> Result<(), DomainError> {
    if parent != kind.parent() {
        return Err(DomainError::StorageInvalid(match kind.parent() {
            None => "a freezer has no parent location".into(),
            Some(p) => format!("a {} sits in a {}", kind.as_str(), p.as_str()),
        }));
    }
    match (kind, size) {
        (LocationKind::Box, Some((rows, columns)))
            if (1..=26).contains(&rows) && (1..=26).contains(&columns) =>
        {
            Ok(())
        }
        (LocationKind::Box, _) => Err(DomainError::StorageInvalid(
            "a box has 1–26 rows and 1–26 columns".into(),
        )),
        (_, None) => Ok(()),
        (_, Some(_)) => Err(DomainError::StorageInvalid(
            "only a box has rows and columns".into(),
        )),
    }
}

/// A position label as scanned: `<box code>:<row letter><column>`, e.g.
/// `LN2-01-R2-B05:C4`. Returns the box code and the position (`C4`).
pub fn parse_position(scanned: &str) -> Result<(String, String), DomainError> {
    let text = scanned.trim();
    let (code, position) = text.split_once(':').ok_or_else(|| {
        DomainError::StorageInvalid(format!(
            "`{text}` is not a position label (box code, a colon, then the position, e.g. LN2-01-R1-B01:A3)"
        ))
    })?;
    Ok((
        code.trim().to_string(),
        position.trim().to_ascii_uppercase(),
    ))
}

/// The position is inside the box: a row letter within `rows`, a column
/// number within `columns`.
pub fn check_position(position: &str, rows: i32, columns: i32) -> Result<(), DomainError> {
    let mut chars = position.chars();
    let row = chars.next().filter(char::is_ascii_uppercase);
    let column: Option<i32> = chars.as_str().parse().ok();
    match (row, column) {
        (Some(r), Some(c)) if (i32::from(r as u8 - b'A') < rows) && (1..=columns).contains(&c) => {
            Ok(())
        }
        _ => Err(DomainError::StorageInvalid(format!(
            "position {position} is not in a box of {rows} rows (A–{}) and {columns} columns",
            char::from(b'A' + u8::try_from(rows.clamp(1, 26) - 1).unwrap_or(0))
        ))),
    }
}

/// Where a vial is, from its newest storage event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VialPlace {
    /// Never stored.
    NotStored,
    /// In a box position.
    Stored {
        /// Box code.
        box_code: String,
        /// Position.
        position: String,
    },
    /// Thawed (out of storage).
    Thawed,
    /// Removed (e.g. packed for shipment).
    Removed,
}

/// A storage event a person asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageAction {
    /// Placed at fill/freeze.
    Place,
    /// Moved to another position.
    Move,
    /// Thawed.
    Thaw,
    /// Removed.
    Remove,
}

/// A vial is placed once (never after a thaw or removal), moved only while
/// stored, into a position no other vial holds (`occupant`: the position
/// and the vial in it); thawed or removed only while stored, with a reason.
pub fn check_storage_action(
    serial: &str,
    place: &VialPlace,
    action: &StorageAction,
    occupant: Option<(&str, &str)>,
    reason: Option<&str>,
) -> Result<(), DomainError> {
    let refuse = |why: &str| DomainError::VialStorageState {
        serial: serial.to_string(),
        why: why.to_string(),
    };
    match (action, place) {
        (StorageAction::Place, VialPlace::NotStored) => {}
        (StorageAction::Place, VialPlace::Stored { box_code, position }) => {
            return Err(refuse(&format!(
                "it is stored at {box_code}:{position} already; move it instead"
            )))
        }
        (StorageAction::Place, _) => {
            return Err(refuse(
                "it left storage (thawed or removed) and is not placed again",
            ))
        }
        (_, VialPlace::Stored { .. }) => {}
        (_, _) => return Err(refuse("it is not in storage")),
    }
    if matches!(action, StorageAction::Place | StorageAction::Move) {
        if let Some((position, other)) = occupant {
            return Err(DomainError::PositionOccupied {
                position: position.to_string(),
                serial: other.to_string(),
            });
        }
    } else if reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(DomainError::ReasonRequired(
            "thawing or removing a vial".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R47: a position holds one vial; a vial is placed once, within its
    /// box, and leaves storage only with a reason.
    #[test]
    fn r47_a_position_holds_one_vial_and_a_vial_is_placed_once() {
        assert_eq!(
            parse_position(" LN2-01-R1-B01:a3\n").unwrap(),
            ("LN2-01-R1-B01".to_string(), "A3".to_string())
        );
        assert!(parse_position("A3").is_err());
        assert!(check_position("A3", 9, 9).is_ok());
        assert!(check_position("I9", 9, 9).is_ok());
        assert_eq!(
            check_position("J1", 9, 9).unwrap_err().rule(),
            "storage_invalid"
        );
        assert!(check_position("A10", 9, 9).is_err());
        assert!(check_position("A0", 9, 9).is_err());
        assert!(check_location(LocationKind::Box, Some(LocationKind::Rack), Some((9, 9))).is_ok());
        assert!(
            check_location(LocationKind::Box, Some(LocationKind::Freezer), Some((9, 9))).is_err()
        );
        assert!(check_location(LocationKind::Rack, Some(LocationKind::Freezer), None).is_ok());
        let stored = VialPlace::Stored {
            box_code: "B".into(),
            position: "A1".into(),
        };
        assert!(check_storage_action(
            "V1",
            &VialPlace::NotStored,
            &StorageAction::Place,
            None,
            None
        )
        .is_ok());
        assert_eq!(
            check_storage_action(
                "V1",
                &VialPlace::NotStored,
                &StorageAction::Place,
                Some(("B:A1", "V2")),
                None
            )
            .unwrap_err()
            .rule(),
            "position_occupied"
        );
        assert_eq!(
            check_storage_action("V1", &stored, &StorageAction::Place, None, None)
                .unwrap_err()
                .rule(),
            "vial_storage_state"
        );
        assert!(check_storage_action("V1", &stored, &StorageAction::Thaw, None, None).is_err());
        assert!(
            check_storage_action("V1", &stored, &StorageAction::Thaw, None, Some("dose")).is_ok()
        );
        assert!(
            check_storage_action("V1", &VialPlace::Removed, &StorageAction::Place, None, None)
                .is_err()
        );
    }
}
