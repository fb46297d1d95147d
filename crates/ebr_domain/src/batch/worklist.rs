//! What a batch waits for, and from whom: the worklist is decided by the
//! same rules that would accept or refuse the work (a step listed to verify
//! is one this person may verify; a QC result listed to review is one they
//! may review), so the home page offers nothing the API would refuse.

use std::collections::HashMap;

use uuid::Uuid;

use crate::execution::{check_can_verify, current_step, step_state, StepFacts, StepState};
use crate::mbr::MasterBatchRecord;
use crate::release::{check_qc_reviewable, DeviationStatus, QcResultFacts, ReviewFacts};

/// What the worklist needs to know about one batch in progress.
#[derive(Debug, Clone)]
pub struct WorklistFacts<'a> {
    /// Its pinned MBR.
    pub mbr: &'a MasterBatchRecord,
    /// The facts of every step with anything recorded.
    pub steps: &'a HashMap<String, StepFacts>,
    /// Its QC results that stand (not invalidated): test key and facts.
    pub qc: Vec<(String, QcResultFacts)>,
    /// Its deviations: title and status.
    pub deviations: Vec<(String, DeviationStatus)>,
    /// QA's review of the record.
    pub review: ReviewFacts,
    /// Whether the release gate finds nothing (asked only when reviewed).
    pub releasable: bool,
}

/// What one batch waits for from one person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchWork {
    /// The step to perform next: key and name (none when the current step
    /// only awaits verification, or every step is complete).
    pub perform: Option<(String, String)>,
    /// Critical steps awaiting a verification this person may give.
    pub verify: Vec<(String, String)>,
    /// Names of the tests whose result this person may review.
    pub qc_review: Vec<String>,
    /// How many release tests still lack a result (once every step is done).
    pub qc_missing: usize,
    /// Titles of the deviations not closed.
    pub open_deviations: Vec<String>,
    /// The record awaits QA's review (every step done, no valid review).
    pub qa_review: bool,
    /// The batch awaits the release decision (reviewed, nothing blocks).
    pub release: bool,
}

/// Decides what a batch waits for from `me`.
pub fn batch_work(facts: &WorklistFacts<'_>, me: Uuid) -> BatchWork {
    let mbr = facts.mbr;
    let current = current_step(mbr, facts.steps);
    let perform = current
        .filter(|s| step_state(s, facts.steps.get(&s.key)) != StepState::AwaitingVerification)
        .map(|s| (s.key.clone(), s.name.clone()));
    let verify = mbr
        .steps()
        .map(|(_, s)| s)
        .filter(|s| {
            let f = facts.steps.get(&s.key);
            step_state(s, f) == StepState::AwaitingVerification
                && check_can_verify(s, f, me).is_ok()
        })
        .map(|s| (s.key.clone(), s.name.clone()))
        .collect();
    let qc_review = facts
        .qc
        .iter()
        .filter(|(_, r)| check_qc_reviewable(*r, me).is_ok())
        .map(|(key, _)| {
            mbr.release_panel
                .iter()
                .find(|t| &t.key == key)
                .map_or_else(|| key.clone(), |t| t.name.clone())
        })
        .collect();
    let all_steps_done = current.is_none();
    let qc_missing = if all_steps_done {
        mbr.release_panel
            .iter()
            .filter(|t| !facts.qc.iter().any(|(key, _)| key == &t.key))
            .count()
    } else {
        0
    };
    BatchWork {
        perform,
        verify,
        qc_review,
        qc_missing,
        open_deviations: facts
            .deviations
            .iter()
            .filter(|(_, status)| *status != DeviationStatus::Closed)
            .map(|(title, _)| title.clone())
            .collect(),
        qa_review: all_steps_done && facts.review != ReviewFacts::Valid,
        release: all_steps_done && facts.review == ReviewFacts::Valid && facts.releasable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mbr() -> MasterBatchRecord {
        crate::mbr::parse_toml(include_str!("../../../../fixtures/mbr/mnp-als-v1.toml")).unwrap()
    }

    /// R42: a result is offered for review to everyone but its analyst; an
    /// open deviation is listed; a batch just started offers its first step.
    #[test]
    fn r42_the_worklist_offers_only_what_the_rules_allow() {
        let mbr = mbr();
        let steps = HashMap::new();
        let analyst = Uuid::from_u128(1);
        let facts = WorklistFacts {
            mbr: &mbr,
            steps: &steps,
            qc: vec![(
                "endotoxin".into(),
                QcResultFacts {
                    analyst,
                    invalidated: false,
                    reviewed: false,
                },
            )],
            deviations: vec![
                ("Spill".into(), DeviationStatus::Open),
                ("Old".into(), DeviationStatus::Closed),
            ],
            review: ReviewFacts::Missing,
            releasable: false,
        };
        let mine = batch_work(&facts, analyst);
        assert!(mine.qc_review.is_empty());
        let other = batch_work(&facts, Uuid::from_u128(2));
        assert_eq!(other.qc_review, vec!["Bacterial endotoxin".to_string()]);
        assert_eq!(other.open_deviations, vec!["Spill".to_string()]);
        let first = mbr.steps().next().unwrap().1;
        assert_eq!(other.perform, Some((first.key.clone(), first.name.clone())));
        assert!(!other.qa_review && !other.release && other.qc_missing == 0);
    }
}
