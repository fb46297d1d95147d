//! People, roles and credential policy (R14, R17, R18, R30, R31).

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The roles a person can hold. All but `Admin` are GMP roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Executes and signs steps on the floor.
    Operator,
    /// Enters and reviews QC release results.
    QcAnalyst,
    /// Reviews records, approves MBRs, closes deviations.
    QaReviewer,
    /// Releases or rejects batches (EU QP / US quality unit).
    ReleaseAuthority,
    /// Authors master batch records.
    MbrAuthor,
    /// Reads everything, changes nothing.
    Auditor,
    /// Records people's training and defines curricula (R9).
    Trainer,
    /// Manages accounts; holds no GMP role (R31).
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::Operator,
        Role::QcAnalyst,
        Role::QaReviewer,
        Role::ReleaseAuthority,
        Role::MbrAuthor,
        Role::Auditor,
        Role::Trainer,
        Role::Admin,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::QcAnalyst => "qc_analyst",
            Role::QaReviewer => "qa_reviewer",
            Role::ReleaseAuthority => "release_authority",
            Role::MbrAuthor => "mbr_author",
            Role::Auditor => "auditor",
            Role::Trainer => "trainer",
            Role::Admin => "admin",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Result<Role, DomainError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| DomainError::UnknownRole(name.to_string()))
    }

    /// Whether the role touches GMP data (every role but admin).
    pub fn is_gmp(self) -> bool {
        self != Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// R31: an administrator holds no GMP role; a person may hold several GMP roles.
pub fn check_role_set(roles: &[Role]) -> Result<(), DomainError> {
    if roles.contains(&Role::Admin) && roles.iter().any(|r| r.is_gmp()) {
        return Err(DomainError::AdminCannotHoldGmpRole);
    }
    Ok(())
}

/// Names that denote a shared or generic account rather than one person (R30).
const GENERIC_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "operator",
    "operators",
    "qc",
    "qa",
    "lab",
    "user",
    "users",
    "shared",
    "generic",
    "test",
    "guest",
    "cleanroom",
    "production",
    "manufacturing",
    "team",
    "shift",
    "night",
    "day",
    "system",
    "service",
    "demo",
    "auditor",
    "reviewer",
];

/// A username is 3–32 characters of `a-z`, `0-9`, `.`, `_` or `-`, starts with a
/// letter, and is not a generic account name such as `operator` or `qc-shift-1`
/// (R30: one account per person).
pub fn check_username(username: &str) -> Result<(), DomainError> {
    let stem: String = username
        .split(['.', '_', '-'])
        .next()
        .unwrap_or(username)
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string();
    if GENERIC_NAMES.contains(&stem.as_str()) {
        return Err(DomainError::GenericAccountForbidden(username.to_string()));
    }
    let well_formed = (3..=32).contains(&username.chars().count())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !well_formed {
        return Err(DomainError::InvalidUsername(username.to_string()));
    }
    Ok(())
}

/// The minimum password length.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// R24: a change that must say why (`what`: e.g. "deactivating an account")
/// carries a reason that is not blank.
pub fn check_reason(what: &str, reason: &str) -> Result<(), DomainError> {
    if reason.trim().is_empty() {
        return Err(DomainError::ReasonRequired(what.to_string()));
    }
    Ok(())
}

/// A new password has at least [`MIN_PASSWORD_CHARS`] characters and does not
/// contain the username (case-insensitive).
pub fn check_new_password(username: &str, password: &str) -> Result<(), DomainError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(DomainError::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(DomainError::PasswordContainsUsername);
    }
    Ok(())
}

/// R18 aging: a password set at `set_at` has expired at `now` when older than
/// `max_age_days` (0 disables aging).
pub fn password_expired(set_at: DateTime<Utc>, max_age_days: u32, now: DateTime<Utc>) -> bool {
    max_age_days > 0 && now - set_at > Duration::days(i64::from(max_age_days))
}

/// Consecutive failed authentications (login or signature) that lock an account (R18).
pub const LOCKOUT_THRESHOLD: i64 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    /// R31: admin and GMP roles are exclusive; several GMP roles are fine.
    #[test]
    fn r31_admin_holds_no_gmp_role() {
        assert_eq!(
            check_role_set(&[Role::Admin, Role::Operator]),
            Err(DomainError::AdminCannotHoldGmpRole)
        );
        assert!(check_role_set(&[Role::Admin]).is_ok());
        assert!(check_role_set(&[Role::Operator, Role::QcAnalyst]).is_ok());
    }

    /// R30: generic account names are refused.
    #[test]
    fn r30_generic_accounts_are_refused() {
        for name in [
            "operator",
            "qc",
            "qc-shift-1",
            "lab.user",
            "admin2",
            "shared_account",
        ] {
            assert!(
                matches!(
                    check_username(name),
                    Err(DomainError::GenericAccountForbidden(_))
                ),
                "{name}"
            );
        }
        for name in ["zhang.wei", "maria.garcia", "a.li", "qcuser"] {
            assert!(check_username(name).is_ok(), "{name}");
        }
        for name in ["Zhang", "ab", "1abc", "with space", "张伟"] {
            assert!(
                matches!(check_username(name), Err(DomainError::InvalidUsername(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            check_new_password("zhang.wei", "short"),
            Err(DomainError::PasswordTooShort { min: 12 })
        );
        assert_eq!(
            check_new_password("zhang.wei", "my-ZHANG.WEI-password"),
            Err(DomainError::PasswordContainsUsername)
        );
        assert!(check_new_password("zhang.wei", "correct horse battery").is_ok());
    }

    /// R18: aging is configurable and 0 disables it.
    #[test]
    fn r18_password_aging() {
        let set = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert!(!password_expired(set, 90, set + Duration::days(90)));
        assert!(password_expired(set, 90, set + Duration::days(91)));
        assert!(!password_expired(set, 0, set + Duration::days(9000)));
    }
}
