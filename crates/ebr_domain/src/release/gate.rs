//! The release gate: every finding that blocks release, never just the first.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use crate::batch_state::BatchStatus;
use crate::execution::{step_state, StepFacts, StepState};
use crate::limits::Evaluation;
use crate::mbr::MasterBatchRecord;

use super::deviation::DeviationStatus;

/// One reason the batch cannot be released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code, e.g. `deviation_open`.
    pub code: &'static str,
    /// What it is about (a step key, test key, deviation id, …).
    pub subject: String,
    /// The finding in words.
    pub detail: String,
}

/// The current valid result of one release test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QcFacts {
    /// The test key.
    pub test_key: String,
    /// Its evaluation.
    pub evaluation: Evaluation,
    /// Reviewed by a second analyst.
    pub reviewed: bool,
    /// A closed deviation covers this out-of-specification result.
    pub justified_by_closed_deviation: bool,
}

/// The state of the QA review of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewFacts {
    /// No `reviewed` signature.
    Missing,
    /// Reviewed, and nothing was raised since.
    Valid,
    /// Reviewed, but an exception was raised afterwards.
    Voided,
}

/// Everything the gate looks at.
#[derive(Debug, Clone)]
pub struct GateInput<'a> {
    /// The MBR.
    pub mbr: &'a MasterBatchRecord,
    /// Step facts.
    pub steps: &'a HashMap<String, StepFacts>,
    /// The batch status.
    pub status: BatchStatus,
    /// Every deviation: id, status, title.
    pub deviations: Vec<(Uuid, DeviationStatus, String)>,
    /// The current valid result of each test that has one.
    pub qc: Vec<QcFacts>,
    /// The review.
    pub review: ReviewFacts,
}

fn finding(code: &'static str, subject: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding {
        code,
        subject: subject.into(),
        detail: detail.into(),
    }
}

/// Every finding that blocks release (R38, R29, R36, R45); empty means the
/// batch may be released.
pub fn release_findings(input: &GateInput<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if !matches!(
        input.status,
        BatchStatus::ManufacturingComplete | BatchStatus::UnderReview
    ) {
        out.push(finding(
            "batch_not_ready",
            input.status.as_str(),
            format!(
                "the batch is {}; release needs manufacturing complete and review",
                input.status
            ),
        ));
    }
    for (_, step) in input.mbr.steps() {
        match step_state(step, input.steps.get(&step.key)) {
            StepState::Complete => {}
            StepState::AwaitingVerification => out.push(finding(
                "step_unverified",
                &step.key,
                format!(
                    "critical step {} is not verified by a second person",
                    step.key
                ),
            )),
            _ => out.push(finding(
                "step_incomplete",
                &step.key,
                format!("step {} is not complete and signed", step.key),
            )),
        }
    }
    for (id, status, title) in &input.deviations {
        if *status != DeviationStatus::Closed {
            out.push(finding(
                "deviation_open",
                id.to_string(),
                format!("deviation \"{title}\" is {}", status.as_str()),
            ));
        }
    }
    for test in &input.mbr.release_panel {
        let result = input.qc.iter().find(|q| q.test_key == test.key);
        match result {
            None if !test.report_only => out.push(finding(
                "qc_missing",
                &test.key,
                format!("no valid result for {}", test.name),
            )),
            None => {}
            Some(r) => {
                if !r.reviewed {
                    out.push(finding(
                        "qc_unreviewed",
                        &test.key,
                        format!(
                            "the result for {} is not reviewed by a second analyst",
                            test.name
                        ),
                    ));
                }
                let justified =
                    test.oos_releasable_with_closed_deviation && r.justified_by_closed_deviation;
                if r.evaluation == Evaluation::OutOfSpecification && !test.report_only && !justified
                {
                    out.push(finding(
                        "qc_out_of_specification",
                        &test.key,
                        format!("the result for {} is out of specification", test.name),
                    ));
                }
            }
        }
    }
    match input.review {
        ReviewFacts::Valid => {}
        ReviewFacts::Missing => out.push(finding(
            "review_missing",
            "review",
            "QA has not reviewed the exceptions and the audit trail",
        )),
        ReviewFacts::Voided => out.push(finding(
            "review_voided",
            "review",
            "an exception was raised after the QA review; review again",
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::SignatureFact;
    use chrono::DateTime;

    fn mbr() -> MasterBatchRecord {
        crate::mbr::parse_toml(include_str!("../../../../fixtures/mbr/mnp-als-v1.toml")).unwrap()
    }

    fn complete(m: &MasterBatchRecord) -> HashMap<String, StepFacts> {
        let sig = |n| {
            Some(SignatureFact {
                signer: Uuid::from_u128(n),
                at: DateTime::from_timestamp(0, 0).unwrap(),
            })
        };
        m.steps()
            .map(|(_, s)| {
                (
                    s.key.clone(),
                    StepFacts {
                        first_entry_at: None,
                        recorded_fields: Default::default(),
                        performed: sig(1),
                        verified: sig(2),
                        participants: Default::default(),
                    },
                )
            })
            .collect()
    }

    fn all_qc(m: &MasterBatchRecord) -> Vec<QcFacts> {
        m.release_panel
            .iter()
            .map(|t| QcFacts {
                test_key: t.key.clone(),
                evaluation: Evaluation::WithinSpecification,
                reviewed: true,
                justified_by_closed_deviation: false,
            })
            .collect()
    }

    /// R29: release waits for QA's review of the exceptions and the audit
    /// trail, and for a new one after anything was raised since.
    #[test]
    fn r29_release_waits_for_a_current_qa_review() {
        let m = mbr();
        let steps = complete(&m);
        let codes = |review| -> Vec<&'static str> {
            release_findings(&GateInput {
                mbr: &m,
                steps: &steps,
                status: BatchStatus::UnderReview,
                deviations: vec![],
                qc: all_qc(&m),
                review,
            })
            .iter()
            .map(|f| f.code)
            .collect()
        };
        assert_eq!(codes(ReviewFacts::Missing), vec!["review_missing"]);
        assert_eq!(codes(ReviewFacts::Voided), vec!["review_voided"]);
        assert!(codes(ReviewFacts::Valid).is_empty());
    }

    /// R38: a clean batch has no findings; each blocker alone is named; all
    /// together are all named.
    #[test]
    fn r38_gate_names_every_finding() {
        let m = mbr();
        let steps = complete(&m);
        let clean = GateInput {
            mbr: &m,
            steps: &steps,
            status: BatchStatus::UnderReview,
            deviations: vec![],
            qc: all_qc(&m),
            review: ReviewFacts::Valid,
        };
        assert_eq!(release_findings(&clean), vec![]);

        let mut steps_bad = steps.clone();
        steps_bad.get_mut("s0-line-clearance").unwrap().verified = None;
        let mut qc = all_qc(&m);
        qc.retain(|q| q.test_key != "sterility");
        qc.iter_mut()
            .find(|q| q.test_key == "endotoxin")
            .unwrap()
            .evaluation = Evaluation::OutOfSpecification;
        qc.iter_mut()
            .find(|q| q.test_key == "viability")
            .unwrap()
            .reviewed = false;
        let everything = GateInput {
            mbr: &m,
            steps: &steps_bad,
            status: BatchStatus::UnderReview,
            deviations: vec![(
                Uuid::from_u128(7),
                DeviationStatus::Open,
                "OOS viability".into(),
            )],
            qc,
            review: ReviewFacts::Voided,
        };
        let codes: Vec<&str> = release_findings(&everything)
            .iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(
            codes,
            vec![
                "step_unverified",
                "deviation_open",
                "qc_unreviewed",
                "qc_missing",
                "qc_out_of_specification",
                "review_voided"
            ]
        );
    }

    #[test]
    fn report_only_tests_never_block() {
        let m = mbr();
        let steps = complete(&m);
        let mut qc = all_qc(&m);
        qc.retain(|q| q.test_key != "potency");
        let input = GateInput {
            mbr: &m,
            steps: &steps,
            status: BatchStatus::UnderReview,
            deviations: vec![],
            qc,
            review: ReviewFacts::Valid,
        };
        assert_eq!(release_findings(&input), vec![]);
    }
}
