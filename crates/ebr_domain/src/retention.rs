//! Retention (R41): a batch record is kept for 30 years after its
//! disposition, and ebr never deletes one (recorded tables are append-only);
//! a purge is refused, naming the date the retention period ends, and the
//! attempt is audited.

use chrono::{DateTime, Months, Utc};

use crate::DomainError;

/// Years a batch record is retained after its disposition (release or
/// rejection); 30 years covers EU GMP Annex 2's cell-therapy and ATMP
/// traceability requirement.
pub const RETENTION_YEARS: u32 = 30;

/// When the retention period of a record disposed at `disposed_at` ends;
/// `None` while the batch has no disposition (its period has not started).
pub fn retained_until(disposed_at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    disposed_at.and_then(|d| d.checked_add_months(Months::new(RETENTION_YEARS * 12)))
}

/// R41: a purge is always refused: within the retention period (or before a
/// disposition) naming when it ends; after it because ebr keeps records
/// append-only and archives them as PDF/A instead.
pub fn check_purge(
    batch_number: &str,
    disposed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    match retained_until(disposed_at) {
        None => Err(DomainError::RetentionPeriodRunning {
            batch: batch_number.to_string(),
            until: "30 years after its disposition (it has none yet)".into(),
        }),
        Some(until) if now < until => Err(DomainError::RetentionPeriodRunning {
            batch: batch_number.to_string(),
            until: until.format("%Y-%m-%d").to_string(),
        }),
        Some(_) => Err(DomainError::PurgeNotPermitted(batch_number.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R41: no purge before 30 years after the disposition, nor without
    /// one; none after it either (records are archived, never deleted).
    #[test]
    fn r41_no_purge_within_thirty_years_and_none_after() {
        let released = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let until = retained_until(Some(released)).unwrap();
        assert_eq!(until.format("%Y-%m-%d").to_string(), "2057-01-15");
        let err = check_purge("BR-1", Some(released), released).unwrap_err();
        assert_eq!(err.rule(), "retention_period_running");
        assert!(err.to_string().contains("2057-01-15"), "{err}");
        assert_eq!(
            check_purge("BR-1", None, released).unwrap_err().rule(),
            "retention_period_running"
        );
        let later = until + chrono::Duration::days(1);
        assert_eq!(
            check_purge("BR-1", Some(released), later)
                .unwrap_err()
                .rule(),
            "purge_not_permitted"
        );
    }
}
