//! Evaluating a QC result against its specification.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::limits::Evaluation;
use crate::mbr::{QcSpecification, QcTestDefinition};
use crate::number::Number;
use crate::units::Unit;
use crate::DomainError;

/// A QC result as entered: a number with its unit, or a categorical outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QcOutcome {
    /// A numeric result.
    Numeric {
        /// The value.
        value: Number,
        /// Its unit.
        unit: String,
    },
    /// A categorical result, one of the test's outcomes.
    Categorical {
        /// The outcome, e.g. "No growth".
        outcome: String,
    },
}

/// R32: a QC result is recorded when it is known, so its test time is not
/// after the time of entry (one minute of clock difference is tolerated, as
/// for step entries). A 14-day sterility result is entered on day 14.
pub fn check_tested_at(tested_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), DomainError> {
    if tested_at > now + Duration::minutes(1) {
        return Err(DomainError::QcTestedInFuture { tested_at });
    }
    Ok(())
}

/// A retest is of the same test of the same batch as the result it repeats.
pub fn check_retest(prior: (Uuid, &str), retest: (Uuid, &str)) -> Result<(), DomainError> {
    if prior != retest {
        return Err(DomainError::RetestMismatch);
    }
    Ok(())
}

/// What the review and invalidation rules need to know about a stored result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QcResultFacts {
    /// The analyst who entered it.
    pub analyst: Uuid,
    /// Whether it was invalidated.
    pub invalidated: bool,
    /// Whether it carries a second-analyst review.
    pub reviewed: bool,
}

/// R42: a result is reviewed once, by a second analyst, and only while it
/// stands (an invalidated result's retest is reviewed instead).
pub fn check_qc_reviewable(result: QcResultFacts, reviewer: Uuid) -> Result<(), DomainError> {
    crate::duties::check_qc_reviewer(result.analyst, reviewer)?;
    if result.invalidated {
        return Err(DomainError::QcResultInvalidated);
    }
    if result.reviewed {
        return Err(DomainError::QcResultAlreadyReviewed);
    }
    Ok(())
}

/// A result is invalidated once, with a reason; it stays visible.
pub fn check_qc_invalidatable(result: QcResultFacts, reason: &str) -> Result<(), DomainError> {
    if reason.trim().is_empty() {
        return Err(DomainError::ReasonRequired(
            "invalidating a QC result".into(),
        ));
    }
    if result.invalidated {
        return Err(DomainError::QcResultAlreadyInvalidated);
    }
    Ok(())
}

/// Evaluates a result against the test's specification: within or out of
/// specification. Refuses results of the wrong kind, unknown outcomes and
/// units of another dimension.
pub fn evaluate_qc(test: &QcTestDefinition, result: &QcOutcome) -> Result<Evaluation, DomainError> {
    match (&test.spec, result) {
        (
            QcSpecification::Numeric { unit, acceptance },
            QcOutcome::Numeric { value, unit: given },
        ) => {
            let converted = Unit::parse(given)?.convert(*value, Unit::parse(unit)?)?;
            Ok(if acceptance.contains(converted) {
                Evaluation::WithinSpecification
            } else {
                Evaluation::OutOfSpecification
            })
        }
        (QcSpecification::Expected { expected, outcomes }, QcOutcome::Categorical { outcome }) => {
            if !outcomes.contains(outcome) {
                return Err(DomainError::InvalidValue {
                    field: test.key.clone(),
                    reason: format!("`{outcome}` is not one of: {}", outcomes.join(", ")),
                });
            }
            Ok(if outcome == expected {
                Evaluation::WithinSpecification
            } else {
                Evaluation::OutOfSpecification
            })
        }
        (QcSpecification::Numeric { unit, .. }, QcOutcome::Categorical { .. }) => {
            Err(DomainError::InvalidValue {
                field: test.key.clone(),
                reason: format!("this test takes a number in {unit}"),
            })
        }
        (QcSpecification::Expected { outcomes, .. }, QcOutcome::Numeric { .. }) => {
            Err(DomainError::InvalidValue {
                field: test.key.clone(),
                reason: format!("this test takes one of: {}", outcomes.join(", ")),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn test(spec: serde_json::Value) -> QcTestDefinition {
        let mut base = json!({ "key": "t", "name": "T", "category": "viability", "method": "m" });
        base.as_object_mut()
            .unwrap()
            .extend(spec.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn numeric_and_categorical_results_are_evaluated() {
        let endotoxin =
            test(json!({ "spec": "numeric", "unit": "EU/mL", "acceptance": { "max": "1.0" } }));
        let n = |v: &str| QcOutcome::Numeric {
            value: Number::parse(v).unwrap(),
            unit: "EU/mL".into(),
        };
        assert_eq!(
            evaluate_qc(&endotoxin, &n("0.4")).unwrap(),
            Evaluation::WithinSpecification
        );
        assert_eq!(
            evaluate_qc(&endotoxin, &n("1.2")).unwrap(),
            Evaluation::OutOfSpecification
        );
        let sterility = test(
            json!({ "spec": "expected", "expected": "No growth", "outcomes": ["No growth", "Growth"] }),
        );
        let c = |o: &str| QcOutcome::Categorical { outcome: o.into() };
        assert_eq!(
            evaluate_qc(&sterility, &c("No growth")).unwrap(),
            Evaluation::WithinSpecification
        );
        assert_eq!(
            evaluate_qc(&sterility, &c("Growth")).unwrap(),
            Evaluation::OutOfSpecification
        );
        assert!(evaluate_qc(&sterility, &c("Maybe")).is_err());
        assert!(evaluate_qc(&sterility, &n("1")).is_err());
    }

    /// R32: a result dated after its entry is refused; one dated now or
    /// earlier is accepted.
    #[test]
    fn r32_a_qc_result_cannot_be_dated_in_the_future() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let err = check_tested_at(now + Duration::days(13), now).unwrap_err();
        assert_eq!(err.rule(), "qc_tested_in_future");
        assert!(check_tested_at(now, now).is_ok());
        assert!(check_tested_at(now - Duration::days(14), now).is_ok());
    }

    /// R42: the analyst cannot review their own result; a result is
    /// reviewed once and not after invalidation.
    #[test]
    fn r42_qc_review_rules() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let fresh = QcResultFacts {
            analyst: a,
            invalidated: false,
            reviewed: false,
        };
        assert_eq!(
            check_qc_reviewable(fresh, a).unwrap_err().rule(),
            "analyst_cannot_review"
        );
        assert!(check_qc_reviewable(fresh, b).is_ok());
        let reviewed = QcResultFacts {
            reviewed: true,
            ..fresh
        };
        assert_eq!(
            check_qc_reviewable(reviewed, b).unwrap_err().rule(),
            "qc_result_already_reviewed"
        );
        let invalid = QcResultFacts {
            invalidated: true,
            ..fresh
        };
        assert_eq!(
            check_qc_reviewable(invalid, b).unwrap_err().rule(),
            "qc_result_invalidated"
        );
        assert_eq!(
            check_qc_invalidatable(fresh, " ").unwrap_err().rule(),
            "reason_required"
        );
        assert_eq!(
            check_qc_invalidatable(invalid, "pipetting error")
                .unwrap_err()
                .rule(),
            "qc_result_already_invalidated"
        );
    }
}
