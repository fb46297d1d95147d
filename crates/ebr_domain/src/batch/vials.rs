//! The chain of identity: the vials a fill issues, and the lineage of the
//! working-cell-bank lot a batch starts from (R40: a vial traces to its
//! donor).

use crate::execution::RecordedValue;
use crate::DomainError;

/// The serial numbers the fill issues from the vial count recorded in its
/// step: `<batch number>-V001`, `-V002`… for each whole vial counted; none
/// when nothing (or no number) was recorded.
pub fn vial_serials(batch_number: &str, vial_count: Option<&RecordedValue>) -> Vec<String> {
    let count = vial_count
        .and_then(|v| match v {
            RecordedValue::Number { value, .. } => {
                u32::try_from(value.value().trunc().mantissa()).ok()
            }
            _ => None,
        })
        .unwrap_or(0);
    (1..=count)
        .map(|n| format!("{batch_number}-V{n:03}"))
        .collect()
}

/// A WCB lot's lineage (donor, iPSC line, master cell bank lot) is recorded
/// complete and once: it never changes.
pub fn check_lineage(
    donor_id: &str,
    ipsc_line: &str,
    mcb_lot: &str,
    already_recorded: bool,
) -> Result<(), DomainError> {
    if [donor_id, ipsc_line, mcb_lot]
        .iter()
        .any(|s| s.trim().is_empty())
    {
        return Err(DomainError::LineageIncomplete);
    }
    if already_recorded {
        return Err(DomainError::LineageExists);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::Number;

    /// R40: each counted vial gets a serial that names its batch.
    #[test]
    fn r40_r47_vials_are_serialised_from_the_recorded_count() {
        let three = RecordedValue::Number {
            value: Number::parse("3").unwrap(),
            unit: "vials".into(),
            as_typed: None,
        };
        assert_eq!(
            vial_serials("HID-1", Some(&three)),
            vec!["HID-1-V001", "HID-1-V002", "HID-1-V003"]
        );
        assert!(vial_serials("HID-1", None).is_empty());
        assert_eq!(
            check_lineage("D1", " ", "M1", false).unwrap_err().rule(),
            "lineage_incomplete"
        );
        assert_eq!(
            check_lineage("D1", "L1", "M1", true).unwrap_err().rule(),
            "lineage_exists"
        );
        assert!(check_lineage("D1", "L1", "M1", false).is_ok());
    }
}
