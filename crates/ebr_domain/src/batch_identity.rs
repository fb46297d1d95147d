//! What identifies a batch record: its batch number (R35).

use crate::DomainError;

/// The form under which batch numbers are compared: surrounding spaces
/// removed and letters folded to lower case, so that `hid-a-0001 ` and
/// `HID-A-0001` are one batch for labels, an ERP and this system alike. The
/// database enforces the same with a unique index on
/// `lower(btrim(batch_number))`.
pub fn batch_number_key(number: &str) -> String {
    number.trim().to_lowercase()
}

/// R35: a batch is issued with a batch number and the WCB vial it is thawed
/// from, and only if no batch record exists under the same number in any
/// case or spacing (`existing`: the number of such a record, if one was
/// found). Returns the number to store: as typed, without surrounding spaces.
pub fn check_new_batch_number(
    number: &str,
    wcb_vial: &str,
    existing: Option<&str>,
) -> Result<String, DomainError> {
    if number.trim().is_empty() || wcb_vial.trim().is_empty() {
        return Err(DomainError::BatchIdentityRequired);
    }
    if let Some(existing) = existing {
        return Err(DomainError::BatchNumberTaken {
            existing: existing.to_string(),
        });
    }
    Ok(number.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R35: batch numbers differing only in case or spacing are one batch.
    #[test]
    fn r35_batch_numbers_are_unique_regardless_of_case_and_spacing() {
        assert_eq!(
            batch_number_key(" hid-A-0001\t"),
            batch_number_key("HID-A-0001")
        );
        assert_ne!(
            batch_number_key("HID-A-0001"),
            batch_number_key("HID-A-0002")
        );
        let err = check_new_batch_number("hid-a-0001", "V1", Some("HID-A-0001")).unwrap_err();
        assert_eq!(err.rule(), "batch_number_taken");
        assert!(err.to_string().contains("HID-A-0001"));
        assert_eq!(
            check_new_batch_number(" HID-A-0002 ", "V1", None).unwrap(),
            "HID-A-0002"
        );
        assert_eq!(
            check_new_batch_number(" ", "V1", None).unwrap_err().rule(),
            "batch_identity_required"
        );
    }
}
