//! The deviation lifecycle: open → under investigation → closed (R38, R44).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;

/// Where a deviation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationStatus {
    /// Raised, not yet investigated.
    Open,
    /// Being investigated.
    UnderInvestigation,
    /// Closed by QA with a signature (terminal).
    Closed,
}

impl DeviationStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::UnderInvestigation => "under_investigation",
            Self::Closed => "closed",
        }
    }
    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::UnderInvestigation, Self::Closed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// How serious a deviation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// No impact on quality.
    Minor,
    /// Potential impact on quality.
    Major,
    /// Likely impact on quality or safety.
    Critical,
}

/// The current revision of a deviation, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviationFacts {
    /// The number of its newest revision (0: none yet).
    pub revision: i32,
    /// Status.
    pub status: DeviationStatus,
    /// Owner (who investigates).
    pub owner: Option<Uuid>,
    /// Classification, once assessed.
    pub classification: Option<Classification>,
    /// Investigation, root cause and impact texts.
    pub investigation: String,
    /// Root cause.
    pub root_cause: String,
    /// Impact on the batch.
    pub impact: String,
    /// Everyone who ever owned, opened or investigated it
    /// ([`involved_people`]); none of them may close it (R44).
    pub involved: BTreeSet<Uuid>,
}

/// A revision based on revision `base` applies only while `base` is still
/// the newest (`current`): two people revising from the same read never
/// overwrite each other unseen. Without a base the revision applies to
/// whatever is newest.
pub fn check_base_revision(current: i32, base: Option<i32>) -> Result<(), DomainError> {
    match base {
        Some(base) if base != current => Err(DomainError::DeviationRevisionStale { current, base }),
        _ => Ok(()),
    }
}

/// One revision of a deviation, as the involvement rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionFacts {
    /// The person who wrote the revision (`None`: the system).
    pub by: Option<Uuid>,
    /// The owner after this revision.
    pub owner: Option<Uuid>,
    /// The status after this revision.
    pub status: DeviationStatus,
    /// Investigation text after this revision.
    pub investigation: String,
    /// Root cause after this revision.
    pub root_cause: String,
    /// Impact after this revision.
    pub impact: String,
}

/// R44: everyone who ever owned, opened or investigated a deviation: the
/// opener, every owner of any revision (so reassigning the deviation to a
/// colleague does not make its first owner a closer), and every author of a
/// revision that started the investigation or changed its investigation,
/// root cause or impact. Revisions oldest first.
pub fn involved_people(opener: Option<Uuid>, revisions: &[RevisionFacts]) -> BTreeSet<Uuid> {
    let mut involved: BTreeSet<Uuid> = opener.into_iter().collect();
    let mut previous: Option<&RevisionFacts> = None;
    for r in revisions {
        involved.extend(r.owner);
        let investigated = match previous {
            None => !(r.investigation.is_empty() && r.root_cause.is_empty() && r.impact.is_empty()),
            Some(p) => {
                (p.status == DeviationStatus::Open
                    && r.status == DeviationStatus::UnderInvestigation)
                    || p.investigation != r.investigation
                    || p.root_cause != r.root_cause
                    || p.impact != r.impact
            }
        };
        if investigated && r.status != DeviationStatus::Closed {
            involved.extend(r.by);
        }
        previous = Some(r);
    }
    involved
}

/// R38: a deviation is opened with a title and a description, on any batch
/// that is not aborted (also after release: it annotates the record, R40).
pub fn check_openable(
    batch: crate::batch_state::BatchStatus,
    title: &str,
    description: &str,
) -> Result<(), DomainError> {
    if title.trim().is_empty() || description.trim().is_empty() {
        return Err(DomainError::DeviationTextRequired);
    }
    if batch == crate::batch_state::BatchStatus::Aborted {
        return Err(DomainError::BatchClosed {
            status: batch.as_str().into(),
        });
    }
    Ok(())
}

/// The revision a change writes: its number and the status after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionPlan {
    /// The new revision's number (the newest plus one).
    pub revision: i32,
    /// The status after it.
    pub status: DeviationStatus,
}

impl DeviationFacts {
    /// A revision may change fields and move open → under investigation; a
    /// closed deviation never changes again.
    pub fn check_revisable(&self) -> Result<(), DomainError> {
        if self.status == DeviationStatus::Closed {
            return Err(DomainError::DeviationClosed);
        }
        Ok(())
    }

    /// Decides a revision based on revision `base` (see
    /// [`check_base_revision`]), optionally starting the investigation.
    pub fn revise(
        &self,
        base: Option<i32>,
        start_investigation: bool,
    ) -> Result<RevisionPlan, DomainError> {
        self.check_revisable()?;
        check_base_revision(self.revision, base)?;
        Ok(RevisionPlan {
            revision: self.revision + 1,
            status: if start_investigation {
                DeviationStatus::UnderInvestigation
            } else {
                self.status
            },
        })
    }

    /// Decides closing by `closer` ([`Self::check_closable`]): the closing
    /// revision.
    pub fn close(&self, closer: Uuid) -> Result<RevisionPlan, DomainError> {
        self.check_closable(closer)?;
        Ok(RevisionPlan {
            revision: self.revision + 1,
            status: DeviationStatus::Closed,
        })
    }

    /// Closing (R44): not by anyone who ever owned, opened or investigated
    /// it, and only once classified, investigated, with root cause and
    /// impact stated.
    pub fn check_closable(&self, closer: Uuid) -> Result<(), DomainError> {
        self.check_revisable()?;
        crate::duties::check_deviation_closer(&self.involved, closer)?;
        let mut missing = Vec::new();
        if self.classification.is_none() {
            missing.push("classification");
        }
        for (name, text) in [
            ("investigation", &self.investigation),
            ("root_cause", &self.root_cause),
            ("impact", &self.impact),
        ] {
            if text.trim().is_empty() {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            return Err(DomainError::DeviationIncomplete(missing.join(", ")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R44: the owner cannot close; closing needs a complete investigation;
    /// a revision based on a stale read is refused.
    #[test]
    fn r44_owner_cannot_close_and_closing_needs_the_investigation() {
        let owner = Uuid::from_u128(1);
        let mut d = DeviationFacts {
            revision: 1,
            status: DeviationStatus::UnderInvestigation,
            owner: Some(owner),
            classification: None,
            investigation: String::new(),
            root_cause: String::new(),
            impact: String::new(),
            involved: [owner].into(),
        };
        assert_eq!(
            d.check_closable(Uuid::from_u128(2)).unwrap_err().rule(),
            "deviation_incomplete"
        );
        d.classification = Some(Classification::Major);
        d.investigation = "re-count".into();
        d.root_cause = "counter not cleaned".into();
        d.impact = "none".into();
        assert_eq!(
            d.check_closable(owner).unwrap_err().rule(),
            "deviation_owner_cannot_close"
        );
        assert!(d.check_closable(Uuid::from_u128(2)).is_ok());
        assert_eq!(
            d.close(Uuid::from_u128(2)).unwrap(),
            RevisionPlan {
                revision: 2,
                status: DeviationStatus::Closed
            }
        );
        assert_eq!(
            d.revise(Some(0), false).unwrap_err().rule(),
            "deviation_revision_stale"
        );
        assert_eq!(d.revise(Some(1), true).unwrap().revision, 2);
        d.status = DeviationStatus::Closed;
        assert_eq!(
            d.revise(None, false).unwrap_err().rule(),
            "deviation_closed"
        );
        assert_eq!(d.check_revisable().unwrap_err().rule(), "deviation_closed");
    }

    fn revision(
        by: u128,
        owner: u128,
        status: DeviationStatus,
        investigation: &str,
    ) -> RevisionFacts {
        RevisionFacts {
            by: Some(Uuid::from_u128(by)),
            owner: Some(Uuid::from_u128(owner)),
            status,
            investigation: investigation.into(),
            root_cause: String::new(),
            impact: String::new(),
        }
    }

    /// R44: an owner who reassigns the deviation to a colleague stays
    /// involved, as do its opener and whoever investigated it; a reviser who
    /// only classified it does not.
    #[test]
    fn r44_reassigning_a_deviation_does_not_make_its_owner_a_closer() {
        use DeviationStatus::*;
        let revisions = [
            revision(1, 2, Open, ""),
            revision(2, 3, Open, ""),
            revision(3, 3, UnderInvestigation, ""),
            revision(4, 3, UnderInvestigation, "re-counted"),
            revision(5, 3, UnderInvestigation, "re-counted"),
        ];
        let involved = involved_people(Some(Uuid::from_u128(1)), &revisions);
        let ids: Vec<u128> = involved.iter().map(|u| u.as_u128()).collect();
        assert_eq!(ids, vec![1, 2, 3, 4]);
        assert_eq!(
            check_base_revision(5, Some(4)).unwrap_err().rule(),
            "deviation_revision_stale"
        );
        assert!(check_base_revision(5, Some(5)).is_ok());
        assert!(check_base_revision(5, None).is_ok());
        let d = DeviationFacts {
            revision: 1,
            status: UnderInvestigation,
            owner: Some(Uuid::from_u128(3)),
            classification: Some(Classification::Minor),
            investigation: "re-counted".into(),
            root_cause: "x".into(),
            impact: "none".into(),
            involved,
        };
        assert_eq!(
            d.check_closable(Uuid::from_u128(2)).unwrap_err().rule(),
            "deviation_owner_cannot_close"
        );
        assert!(d.check_closable(Uuid::from_u128(5)).is_ok());
        let mut d = d;
        d.status = Closed;
        assert_eq!(d.check_revisable().unwrap_err().rule(), "deviation_closed");
    }
}
