//! The deviation lifecycle: open → under investigation → closed (R38, R44).

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

    /// Closing (R44): not by the owner, and only once classified,
    /// investigated, with root cause and impact stated.
    pub fn check_closable(&self, closer: Uuid) -> Result<(), DomainError> {
        self.check_revisable()?;
        if let Some(owner) = self.owner {
            crate::duties::check_deviation_closer(owner, closer)?;
        }
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

    /// R44: the owner cannot close; closing needs a complete investigation.
    #[test]
    fn r44_owner_cannot_close_and_closing_needs_the_investigation() {
        let owner = Uuid::from_u128(1);
        let mut d = DeviationFacts {
            status: DeviationStatus::UnderInvestigation,
            owner: Some(owner),
            classification: None,
            investigation: String::new(),
            root_cause: String::new(),
            impact: String::new(),
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
        d.status = DeviationStatus::Closed;
        assert_eq!(d.check_revisable().unwrap_err().rule(), "deviation_closed");
    }
}
