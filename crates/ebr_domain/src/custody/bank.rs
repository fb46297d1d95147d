//! Donor eligibility and cell-bank release (21 CFR 1271 subpart C, R47):
//! a batch is issued only from a working cell bank whose lineage is
//! recorded, whose donor's current signed determination is `eligible`, and
//! whose MCB and WCB lots QA released with a signature.

use serde::{Deserialize, Serialize};

use crate::release::Finding;
use crate::signature::SignatureMeaning;
use crate::DomainError;

/// A donor eligibility determination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// Screening and testing complete, donor eligible.
    Eligible,
    /// Donor not eligible: nothing may be made from their cells for clinical use.
    Ineligible,
    /// Not yet determined.
    Pending,
}

impl Eligibility {
    /// The stable name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eligible => "eligible",
            Self::Ineligible => "ineligible",
            Self::Pending => "pending",
        }
    }

    /// Reads a stored or requested name.
    pub fn parse(text: &str) -> Option<Eligibility> {
        match text.trim() {
            "eligible" => Some(Self::Eligible),
            "ineligible" => Some(Self::Ineligible),
            "pending" => Some(Self::Pending),
            _ => None,
        }
    }
}

/// The level of a cell bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankLevel {
    /// Master cell bank.
    Mcb,
    /// Working cell bank.
    Wcb,
}

impl BankLevel {
    /// The stable name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mcb => "mcb",
            Self::Wcb => "wcb",
        }
    }

    /// Reads a stored or requested name.
    pub fn parse(text: &str) -> Option<BankLevel> {
        match text.trim() {
            "mcb" => Some(Self::Mcb),
            "wcb" => Some(Self::Wcb),
            _ => None,
        }
    }
}

/// QA's decision on a cell-bank lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankDecision {
    /// Released for manufacture.
    Released,
    /// Rejected.
    Rejected,
}

impl BankDecision {
    /// The stable name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Released => "released",
            Self::Rejected => "rejected",
        }
    }

    /// Reads a stored or requested name.
    pub fn parse(text: &str) -> Option<BankDecision> {
        match text.trim() {
            "released" => Some(Self::Released),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }

    /// The meaning QA signs the decision with: the decision itself.
    pub fn meaning(self) -> SignatureMeaning {
        match self {
            Self::Released => SignatureMeaning::Released,
            Self::Rejected => SignatureMeaning::Rejected,
        }
    }
}

/// A determination is recorded with its basis; `eligible` needs screening
/// and testing both complete.
pub fn check_determination(
    determination: Eligibility,
    screening_complete: bool,
    testing_complete: bool,
    basis: &str,
) -> Result<(), DomainError> {
    if basis.trim().is_empty() {
        return Err(DomainError::EligibilityIncomplete(
            "state the basis: the screening and test records the determination rests on".into(),
        ));
    }
    if determination == Eligibility::Eligible && !(screening_complete && testing_complete) {
        return Err(DomainError::EligibilityIncomplete(
            "a donor is eligible only once screening and testing are both complete".into(),
        ));
    }
    Ok(())
}

/// A bank decision is signed with its own meaning, once.
pub fn check_decision_signature(
    decision: BankDecision,
    meaning: SignatureMeaning,
    already_signed: bool,
) -> Result<(), DomainError> {
    if meaning != decision.meaning() {
        return Err(DomainError::MeaningNotAllowed {
            meaning: meaning.as_str().into(),
            record: format!("cell-bank decision `{}`", decision.as_str()),
        });
    }
    if already_signed {
        return Err(DomainError::AlreadySigned("this cell-bank decision".into()));
    }
    Ok(())
}

/// What the chain above a working-cell-bank lot looks like now, as loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CellBankFacts {
    /// The WCB lot number.
    pub wcb_lot: String,
    /// The recorded lineage: (donor DIN, MCB lot), if any.
    pub lineage: Option<(String, String)>,
    /// Whether the lineage's DIN is a registered donor.
    pub donor_registered: bool,
    /// The donor's current signed determination, if any.
    pub eligibility: Option<Eligibility>,
    /// The MCB lot's current signed decision, if any.
    pub mcb: Option<BankDecision>,
    /// The WCB lot's current signed decision, if any.
    pub wcb: Option<BankDecision>,
}

/// Every reason the bank may not be used (empty: qualified).
pub fn qualification_findings(facts: &CellBankFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    let wcb = facts.wcb_lot.clone();
    let Some((din, mcb)) = &facts.lineage else {
        findings.push(Finding {
            code: "lineage_missing",
            subject: wcb.clone(),
            detail: format!("WCB lot {wcb} has no recorded lineage (donor, iPSC line, MCB)"),
        });
        push_release(&mut findings, BankLevel::Wcb, &wcb, facts.wcb);
        return findings;
    };
    if !facts.donor_registered {
        findings.push(Finding {
            code: "donor_unknown",
            subject: din.clone(),
            detail: format!("donor {din} is not registered"),
        });
    } else {
        match facts.eligibility {
            Some(Eligibility::Eligible) => {}
            Some(Eligibility::Ineligible) => findings.push(Finding {
                code: "donor_ineligible",
                subject: din.clone(),
                detail: format!("donor {din} is determined ineligible"),
            }),
            Some(Eligibility::Pending) | None => findings.push(Finding {
                code: "donor_eligibility_pending",
                subject: din.clone(),
                detail: format!("donor {din} has no signed determination of eligibility"),
            }),
        }
    }
    push_release(&mut findings, BankLevel::Mcb, mcb, facts.mcb);
    push_release(&mut findings, BankLevel::Wcb, &wcb, facts.wcb);
    findings
}

fn push_release(
    findings: &mut Vec<Finding>,
    level: BankLevel,
    lot: &str,
    decision: Option<BankDecision>,
) {
    let (code, name) = match level {
        BankLevel::Mcb => ("mcb_not_released", "MCB"),
        BankLevel::Wcb => ("wcb_not_released", "WCB"),
    };
    let why = match decision {
        Some(BankDecision::Released) => return,
        Some(BankDecision::Rejected) => "was rejected by QA",
        None => "has no signed QA release",
    };
    findings.push(Finding {
        code,
        subject: lot.to_string(),
        detail: format!("{name} lot {lot} {why}"),
    });
}

/// R47: a batch is issued only from a qualified bank; every finding is
/// named.
pub fn check_qualified(facts: &CellBankFacts) -> Result<(), DomainError> {
    let findings = qualification_findings(facts);
    if findings.is_empty() {
        Ok(())
    } else {
        Err(DomainError::CellBankNotQualified { findings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qualified() -> CellBankFacts {
        CellBankFacts {
            wcb_lot: "WCB-1".into(),
            lineage: Some(("G123498654321H".into(), "MCB-1".into())),
            donor_registered: true,
            eligibility: Some(Eligibility::Eligible),
            mcb: Some(BankDecision::Released),
            wcb: Some(BankDecision::Released),
        }
    }

    fn codes(facts: &CellBankFacts) -> Vec<&'static str> {
        qualification_findings(facts)
            .into_iter()
            .map(|f| f.code)
            .collect()
    }

    /// R47: an ineligible or undetermined donor, an unreleased or rejected
    /// MCB or WCB, or a missing lineage each block issuance, all named.
    #[test]
    fn r47_a_batch_needs_an_eligible_donor_and_released_banks() {
        assert!(check_qualified(&qualified()).is_ok());
        let mut f = qualified();
        f.eligibility = Some(Eligibility::Ineligible);
        assert_eq!(codes(&f), vec!["donor_ineligible"]);
        f.eligibility = None;
        f.mcb = None;
        f.wcb = Some(BankDecision::Rejected);
        assert_eq!(
            codes(&f),
            vec![
                "donor_eligibility_pending",
                "mcb_not_released",
                "wcb_not_released"
            ]
        );
        let err = check_qualified(&f).unwrap_err();
        assert_eq!(err.rule(), "cell_bank_not_qualified");
        assert!(err.to_string().contains("was rejected by QA"));
        let none = CellBankFacts {
            wcb_lot: "WCB-1".into(),
            ..CellBankFacts::default()
        };
        assert_eq!(codes(&none), vec!["lineage_missing", "wcb_not_released"]);
        let mut unknown = qualified();
        unknown.donor_registered = false;
        assert_eq!(codes(&unknown), vec!["donor_unknown"]);
    }

    /// R47: eligible needs complete screening and testing; every
    /// determination states its basis; a bank decision is signed with its
    /// own meaning, once.
    #[test]
    fn r47_determinations_and_decisions_are_complete_and_signed_as_what_they_are() {
        assert!(check_determination(Eligibility::Eligible, true, true, "DRF-1").is_ok());
        assert_eq!(
            check_determination(Eligibility::Eligible, true, false, "DRF-1")
                .unwrap_err()
                .rule(),
            "eligibility_incomplete"
        );
        assert!(check_determination(Eligibility::Pending, false, false, "awaiting NAT").is_ok());
        assert!(check_determination(Eligibility::Ineligible, true, true, " ").is_err());
        assert!(check_decision_signature(
            BankDecision::Released,
            SignatureMeaning::Released,
            false
        )
        .is_ok());
        assert_eq!(
            check_decision_signature(BankDecision::Rejected, SignatureMeaning::Released, false)
                .unwrap_err()
                .rule(),
            "meaning_not_allowed"
        );
        assert_eq!(
            check_decision_signature(BankDecision::Released, SignatureMeaning::Released, true)
                .unwrap_err()
                .rule(),
            "already_signed"
        );
    }
}
