//! Evaluating a QC result against its specification.

use serde::{Deserialize, Serialize};

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
}
