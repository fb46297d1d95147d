//! QC release results as batch commands (R32, R38, R40, R42): recording a
//! result against the pinned MBR's release panel, and invalidating one.
//! Reviewing is [`crate::release::check_qc_reviewable`].

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PlannedException;
use crate::batch_state::BatchStatus;
use crate::exception::ExceptionKind;
use crate::limits::Evaluation;
use crate::mbr::MasterBatchRecord;
use crate::release::{
    check_qc_invalidatable, check_retest, check_tested_at, evaluate_qc, QcOutcome, QcResultFacts,
};
use crate::DomainError;

/// What recording a QC result needs to know, loaded under the batch lock.
#[derive(Debug, Clone, Copy)]
pub struct QcBatchFacts<'a> {
    /// The batch.
    pub batch_id: Uuid,
    /// Its status now.
    pub status: BatchStatus,
    /// Its pinned MBR (the release panel).
    pub mbr: &'a MasterBatchRecord,
    /// The serial numbers of its vials (a post-release OOS names them).
    pub vials: &'a [String],
    /// The shipments its vials left in, each as `number to site (status)`
    /// (a post-release OOS names them and their sites, R40, R48).
    pub shipments: &'a [String],
}

/// A result to record.
#[derive(Debug, Clone, Copy)]
pub struct RecordQcCommand<'a> {
    /// The release-panel test.
    pub test_key: &'a str,
    /// The outcome.
    pub outcome: &'a QcOutcome,
    /// The method, when it differs from the panel's.
    pub method: Option<&'a str>,
    /// When the test was done.
    pub tested_at: DateTime<Utc>,
    /// The result this one retests, as stored: (its batch, its test key).
    pub retest_of: Option<(Uuid, &'a str)>,
    /// The analyst.
    pub analyst: Uuid,
}

/// A deviation a QC result opens (owned by the analyst).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QcDeviation {
    /// Its owner.
    pub owner: Uuid,
    /// Title.
    pub title: String,
    /// Description (a post-release one lists the affected vials, R40).
    pub description: String,
}

/// What recording a result writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQcPlan {
    /// Within or out of specification.
    pub evaluation: Evaluation,
    /// The method used (the panel's unless another was named).
    pub method: String,
    /// For an out-of-specification result of a test that gates release:
    /// the exception and the deviation it opens.
    pub out_of_specification: Option<(PlannedException, QcDeviation)>,
}

/// Decides recording a QC result: the batch was started and not rejected
/// or aborted; the test is on the pinned release panel; the result is not
/// dated in the future (R32); a retest repeats the same test of the same
/// batch. An out-of-specification result of a gating test raises an
/// exception and opens a deviation owned by the analyst; on a released
/// batch it is a post-release OOS that names the affected vials and leaves
/// the disposition as it is (R40).
pub fn record_qc_result(
    batch: &QcBatchFacts<'_>,
    command: &RecordQcCommand<'_>,
    now: DateTime<Utc>,
) -> Result<RecordQcPlan, DomainError> {
    let status = batch.status;
    if matches!(
        status,
        BatchStatus::Planned | BatchStatus::Rejected | BatchStatus::Aborted
    ) {
        return Err(DomainError::BatchClosed {
            status: status.as_str().into(),
        });
    }
    let test = batch
        .mbr
        .release_panel
        .iter()
        .find(|t| t.key == command.test_key)
        .ok_or_else(|| DomainError::UnknownQcTest(command.test_key.to_string()))?;
    check_tested_at(command.tested_at, now)?;
    let evaluation = evaluate_qc(test, command.outcome)?;
    if let Some(prior) = command.retest_of {
        check_retest(prior, (batch.batch_id, command.test_key))?;
    }
    let method = command
        .method
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map_or_else(|| test.method.clone(), str::to_string);
    let out_of_specification = (evaluation == Evaluation::OutOfSpecification
        && !test.report_only)
        .then(|| {
            let released = status == BatchStatus::Released;
            let mut description = format!(
                "{} result {} is out of specification (method {method}).",
                test.name,
                shown(command.outcome)
            );
            if released {
                let affected = if batch.vials.is_empty() {
                    "none serialised".to_string()
                } else {
                    batch.vials.join(", ")
                };
                let shipped = if batch.shipments.is_empty() {
                    "none".to_string()
                } else {
                    batch.shipments.join(", ")
                };
                description.push_str(&format!(
                    " Post-release result: the batch was already released; affected vials: {affected}; affected shipments and sites: {shipped}. The disposition stands; recall and notification are decided under this deviation."
                ));
            }
            let exception = PlannedException {
                kind: if released {
                    ExceptionKind::PostReleaseOos
                } else {
                    ExceptionKind::QcOutOfSpecification
                },
                step_key: None,
                field_key: Some(test.key.clone()),
                entry_id: None,
                detail: description.clone(),
            };
            let deviation = QcDeviation {
                owner: command.analyst,
                title: format!("QC out of specification: {}", test.name),
                description,
            };
            (exception, deviation)
        });
    Ok(RecordQcPlan {
        evaluation,
        method,
        out_of_specification,
    })
}

/// The outcome as a deviation names it.
fn shown(outcome: &QcOutcome) -> String {
    match outcome {
        QcOutcome::Numeric { value, unit } => format!("{value} {unit}"),
        QcOutcome::Categorical { outcome } => format!("\"{outcome}\""),
    }
}

/// What invalidating a result writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidationPlan {
    /// The reason, as stored.
    pub reason: String,
    /// The exception QA reviews.
    pub exception: PlannedException,
}

/// Decides invalidating a result of test `test_key`: once, with a reason;
/// the result stays visible, QA sees an exception, and a retest is a new
/// result.
pub fn invalidate_qc_result(
    result: QcResultFacts,
    test_key: &str,
    reason: &str,
) -> Result<InvalidationPlan, DomainError> {
    check_qc_invalidatable(result, reason)?;
    let reason = reason.trim().to_string();
    Ok(InvalidationPlan {
        exception: PlannedException {
            kind: ExceptionKind::QcInvalidated,
            step_key: None,
            field_key: Some(test_key.to_string()),
            entry_id: None,
            detail: format!("QC result for {test_key} invalidated: {reason}"),
        },
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::Number;

    fn mbr() -> MasterBatchRecord {
        let toml = include_str!("../../../../fixtures/mbr/mnp-als-v1.toml");
        crate::mbr::parse_toml(toml).unwrap()
    }

    fn endotoxin(value: &str) -> QcOutcome {
        QcOutcome::Numeric {
            value: Number::parse(value).unwrap(),
            unit: "EU/mL".into(),
        }
    }

    /// R40: an OOS result opens a deviation; after release it names the
    /// affected vials and is a post-release OOS; R32: no future dates.
    #[test]
    fn r40_post_release_oos_names_the_vials() {
        let mbr = mbr();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let test = mbr
            .release_panel
            .iter()
            .find(|t| t.key == "endotoxin")
            .unwrap();
        let vials = vec!["V-001".to_string(), "V-002".to_string()];
        let batch = QcBatchFacts {
            batch_id: Uuid::from_u128(9),
            status: BatchStatus::Released,
            mbr: &mbr,
            vials: &vials,
            shipments: &[],
        };
        let high = endotoxin("99");
        let command = RecordQcCommand {
            test_key: &test.key,
            outcome: &high,
            method: None,
            tested_at: now,
            retest_of: None,
            analyst: Uuid::from_u128(1),
        };
        let plan = record_qc_result(&batch, &command, now).unwrap();
        assert_eq!(plan.evaluation, Evaluation::OutOfSpecification);
        let (exception, deviation) = plan.out_of_specification.unwrap();
        assert_eq!(exception.kind, ExceptionKind::PostReleaseOos);
        assert!(deviation.description.contains("V-001, V-002"));
        assert_eq!(deviation.owner, Uuid::from_u128(1));
        let future = RecordQcCommand {
            tested_at: now + chrono::Duration::days(13),
            ..command
        };
        assert_eq!(
            record_qc_result(&batch, &future, now).unwrap_err().rule(),
            "qc_tested_in_future"
        );
        let other_batch = RecordQcCommand {
            retest_of: Some((Uuid::from_u128(8), "endotoxin")),
            ..command
        };
        assert_eq!(
            record_qc_result(&batch, &other_batch, now)
                .unwrap_err()
                .rule(),
            "retest_mismatch"
        );
        let planned = QcBatchFacts {
            status: BatchStatus::Planned,
            ..batch
        };
        assert_eq!(
            record_qc_result(&planned, &command, now)
                .unwrap_err()
                .rule(),
            "batch_closed"
        );
    }

    /// An invalidation needs its reason and raises an exception for QA.
    #[test]
    fn invalidation_keeps_the_reason_and_raises_an_exception() {
        let fresh = QcResultFacts {
            analyst: Uuid::from_u128(1),
            invalidated: false,
            reviewed: false,
        };
        let plan = invalidate_qc_result(fresh, "endotoxin", " pipetting error ").unwrap();
        assert_eq!(plan.reason, "pipetting error");
        assert_eq!(plan.exception.kind, ExceptionKind::QcInvalidated);
        assert_eq!(
            invalidate_qc_result(fresh, "endotoxin", "")
                .unwrap_err()
                .rule(),
            "reason_required"
        );
    }
}
