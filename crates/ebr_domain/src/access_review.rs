//! The periodic access review (EU GMP Annex 11 draft 2025, R25, R31): who
//! can do what, what changed in the period, and the findings QA must look
//! at. Pure: the facts and the time are arguments; the report is data that
//! the server stores, QA signs (meaning `reviewed`) and the PDF prints.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::identity::Role;
use crate::DomainError;

/// Accounts without a login for longer than this are dormant (days), unless
/// the review asks for another threshold.
pub const DEFAULT_DORMANT_DAYS: i64 = 60;

/// One account as the review sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Person id.
    pub id: Uuid,
    /// Username.
    pub username: String,
    /// Printed name.
    pub full_name: String,
    /// Current roles.
    pub roles: Vec<Role>,
    /// Not deactivated.
    pub active: bool,
    /// Locked after failed checks and not unlocked.
    pub locked: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The last successful login, if any.
    pub last_login: Option<DateTime<Utc>>,
    /// An authenticator is enrolled.
    pub second_factor_enrolled: bool,
}

impl Account {
    /// Whether the account holds a privileged role: it administers
    /// accounts, or its signature releases batches or approves procedures.
    pub fn privileged(&self) -> bool {
        self.roles
            .iter()
            .any(|r| matches!(r, Role::Admin | Role::ReleaseAuthority | Role::QaReviewer))
    }
}

/// Something that happened to an account in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// The account's username.
    pub username: String,
    /// What: `role granted: qa_reviewer`, `locked`, `identity verified by …`.
    pub what: String,
    /// Who did it (a username or a system component).
    pub by: String,
}

/// A training gap of an active person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingGap {
    /// Username.
    pub username: String,
    /// Curriculum code.
    pub curriculum: String,
    /// expired, missing, read_and_understood_missing.
    pub status: String,
}

/// Everything the review is computed from.
#[derive(Debug, Clone, Default)]
pub struct AccessFacts {
    /// Every account.
    pub accounts: Vec<Account>,
    /// Role grants and revocations in the period.
    pub role_changes: Vec<AccountEvent>,
    /// Lockouts in the period.
    pub lockouts: Vec<AccountEvent>,
    /// Identity verifications in the period.
    pub identity_verifications: Vec<AccountEvent>,
    /// Second-factor enrolments, reset requests and resets in the period.
    pub factor_events: Vec<AccountEvent>,
    /// Training gaps of active people now.
    pub training_gaps: Vec<TrainingGap>,
    /// Whether the site asks for a second factor at signing.
    pub second_factor_required: bool,
}

/// A finding QA must look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule that flagged it (`dormant_privileged_account`, …).
    pub rule: String,
    /// The account.
    pub username: String,
    /// What, in words.
    pub detail: String,
}

/// The generated report (what QA signs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessReport {
    /// First day of the period (UTC).
    pub period_from: NaiveDate,
    /// Last day of the period (UTC).
    pub period_to: NaiveDate,
    /// When it was generated.
    pub generated_at: DateTime<Utc>,
    /// The dormancy threshold used (days).
    pub dormant_days: i64,
    /// Every active account with its roles.
    pub accounts: Vec<Account>,
    /// Role grants and revocations in the period.
    pub role_changes: Vec<AccountEvent>,
    /// Active accounts holding a privileged role.
    pub privileged: Vec<String>,
    /// Active accounts without a login for longer than `dormant_days`.
    pub dormant: Vec<String>,
    /// Accounts locked now.
    pub locked: Vec<String>,
    /// Lockouts in the period.
    pub lockouts: Vec<AccountEvent>,
    /// Identity verifications in the period.
    pub identity_verifications: Vec<AccountEvent>,
    /// Second-factor events in the period.
    pub factor_events: Vec<AccountEvent>,
    /// Training gaps of active people.
    pub training_gaps: Vec<TrainingGap>,
    /// The findings.
    pub findings: Vec<Finding>,
}

/// A period from `from` to `to` (inclusive, UTC days): not reversed, not in
/// the future.
pub fn check_period(from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> Result<(), DomainError> {
    if to < from {
        return Err(DomainError::AccessReviewPeriodInvalid(format!(
            "the period ends ({to}) before it starts ({from})"
        )));
    }
    if from > now.date_naive() {
        return Err(DomainError::AccessReviewPeriodInvalid(format!(
            "the period starts in the future ({from})"
        )));
    }
    Ok(())
}

/// How long an account has gone without a login at `now` (from its
/// creation when it never logged in), in whole days.
fn idle_days(account: &Account, now: DateTime<Utc>) -> i64 {
    (now - account.last_login.unwrap_or(account.created_at)).num_days()
}

/// Builds the report: the lists, and the findings — a privileged account
/// dormant for longer than the threshold, any dormant account, a locked
/// account, an active person with a training gap, and (when the site asks
/// for a second factor) a person who signs without an enrolled authenticator.
pub fn review(
    facts: AccessFacts,
    period_from: NaiveDate,
    period_to: NaiveDate,
    dormant_days: i64,
    now: DateTime<Utc>,
) -> AccessReport {
    let active: Vec<Account> = facts.accounts.into_iter().filter(|a| a.active).collect();
    let mut findings = Vec::new();
    let mut dormant = Vec::new();
    for a in &active {
        let idle = idle_days(a, now);
        if idle > dormant_days {
            dormant.push(a.username.clone());
            let never = a.last_login.is_none();
            let since = if never {
                format!("has never logged in ({idle} days since it was created)")
            } else {
                format!("has not logged in for {idle} days")
            };
            let (rule, detail) = if a.privileged() {
                let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                (
                    "dormant_privileged_account",
                    format!("privileged account ({}) {since}: deactivate it or confirm it is still needed", roles.join(", ")),
                )
            } else {
                ("dormant_account", format!("account {since}"))
            };
            findings.push(Finding {
                rule: rule.into(),
                username: a.username.clone(),
                detail,
            });
        }
        if a.locked {
            findings.push(Finding {
                rule: "locked_account".into(),
                username: a.username.clone(),
                detail: "locked after failed checks: confirm with the person before unlocking"
                    .into(),
            });
        }
        let signs = a.roles.iter().any(|r| r.is_gmp() && *r != Role::Auditor);
        if facts.second_factor_required && signs && !a.second_factor_enrolled {
            findings.push(Finding {
                rule: "second_factor_not_enrolled".into(),
                username: a.username.clone(),
                detail: "signs electronically but has no authenticator enrolled, so cannot sign on this site".into(),
            });
        }
    }
    for gap in &facts.training_gaps {
        findings.push(Finding {
            rule: "training_gap".into(),
            username: gap.username.clone(),
            detail: format!("{}: {}", gap.curriculum, gap.status.replace('_', " ")),
        });
    }
    let privileged = active
        .iter()
        .filter(|a| a.privileged())
        .map(|a| a.username.clone())
        .collect();
    let locked = active
        .iter()
        .filter(|a| a.locked)
        .map(|a| a.username.clone())
        .collect();
    AccessReport {
        period_from,
        period_to,
        generated_at: crate::audit::to_stored_precision(now),
        dormant_days,
        accounts: active,
        role_changes: facts.role_changes,
        privileged,
        dormant,
        locked,
        lockouts: facts.lockouts,
        identity_verifications: facts.identity_verifications,
        factor_events: facts.factor_events,
        training_gaps: facts.training_gaps,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::days(days_ago)
    }

    fn account(
        name: &str,
        roles: Vec<Role>,
        last_login: Option<i64>,
        now: DateTime<Utc>,
    ) -> Account {
        Account {
            id: Uuid::nil(),
            username: name.into(),
            full_name: name.into(),
            roles,
            active: true,
            locked: false,
            created_at: at(200, now),
            last_login: last_login.map(|d| at(d, now)),
            second_factor_enrolled: true,
        }
    }

    /// R25, R31: an admin account with no login for 90 days is a finding;
    /// an operator who logged in yesterday is not; the period is checked.
    #[test]
    fn r25_dormant_privileged_accounts_are_flagged() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T08:00:00Z")
            .unwrap()
            .to_utc();
        let facts = AccessFacts {
            accounts: vec![
                account("chen.jie", vec![Role::Admin], Some(90), now),
                account("zhang.wei", vec![Role::Operator], Some(1), now),
                account("li.na", vec![Role::QcAnalyst], None, now),
            ],
            second_factor_required: true,
            ..AccessFacts::default()
        };
        let day = now.date_naive();
        let report = review(facts, day, day, DEFAULT_DORMANT_DAYS, now);
        assert_eq!(report.privileged, vec!["chen.jie".to_string()]);
        assert_eq!(
            report.dormant,
            vec!["chen.jie".to_string(), "li.na".to_string()]
        );
        assert_eq!(report.findings[0].rule, "dormant_privileged_account");
        assert!(report.findings[0].detail.contains("90 days"));
        assert_eq!(report.findings[1].rule, "dormant_account");
        assert!(check_period(day, day - chrono::Duration::days(1), now).is_err());
        assert!(check_period(
            day + chrono::Duration::days(1),
            day + chrono::Duration::days(2),
            now
        )
        .is_err());
    }
}
