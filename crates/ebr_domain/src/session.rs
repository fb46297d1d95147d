//! Sessions and who may sign (R10, R15, R17, R18, R19): whether a session
//! still stands, and whether its person may sign at all.

use chrono::{DateTime, Duration, Utc};

use crate::identity::password_expired;
use crate::signature::idle_lock_reached;
use crate::DomainError;

/// A stored session, as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts {
    /// When it ends whatever happens (absolute lifetime).
    pub expires_at: DateTime<Utc>,
    /// The last request it made.
    pub last_seen_at: DateTime<Utc>,
    /// Whether its continuous signing period was intact at the last request.
    pub signing_continuous: bool,
}

/// The session's person, as the rules read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountFacts {
    /// Not deactivated.
    pub active: bool,
    /// Locked after repeated failed password checks.
    pub locked: bool,
    /// The password was set by an administrator and must be changed.
    pub password_temporary: bool,
    /// When the current password was set (`None`: never).
    pub password_set_at: Option<DateTime<Utc>>,
}

/// The site's session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Inactivity that ends a session.
    pub idle_timeout: Duration,
    /// Inactivity that ends the continuous signing period (R19).
    pub signing_idle_lock: Duration,
    /// Password age that forces a change (0: no aging).
    pub password_max_age_days: u32,
}

/// Why a session ends (stored with the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Its absolute lifetime is over.
    AbsoluteTimeout,
    /// It was idle too long.
    IdleTimeout,
    /// Its person was deactivated.
    Deactivated,
    /// Its person's account is locked.
    Locked,
}

impl SessionEnd {
    /// The stable name stored with the session's end.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AbsoluteTimeout => "absolute_timeout",
            Self::IdleTimeout => "idle_timeout",
            Self::Deactivated => "deactivated",
            Self::Locked => "locked",
        }
    }
}

/// Where a standing session is after this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStanding {
    /// The continuous signing period is intact: a signature needs only the
    /// password (R16, R19).
    pub continuous_signing: bool,
    /// The password is temporary or expired and must be changed before
    /// anything else (R17, R18).
    pub must_change_password: bool,
    /// This request's activity must be stored: the last stored activity is
    /// [`ACTIVITY_RESOLUTION`] old or more, or the signing period changed.
    pub record_activity: bool,
}

/// How stale a session's stored last activity may be: requests closer
/// together than this store it once (timeouts count in minutes; a burst of
/// scans does not write the session row each time).
pub const ACTIVITY_RESOLUTION: Duration = Duration::seconds(5);

/// Decides whether a session still stands at `now`: not past its lifetime,
/// not idle past the timeout, its person active and not locked. When it
/// stands, says whether the signing period is still continuous and whether
/// the password must be changed first; otherwise why it ends and the rule.
pub fn check_session(
    session: SessionFacts,
    account: AccountFacts,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<SessionStanding, (SessionEnd, DomainError)> {
    if now >= session.expires_at {
        return Err((
            SessionEnd::AbsoluteTimeout,
            DomainError::SessionExpired { idle: false },
        ));
    }
    if now - session.last_seen_at > policy.idle_timeout {
        return Err((
            SessionEnd::IdleTimeout,
            DomainError::SessionExpired { idle: true },
        ));
    }
    if !account.active {
        return Err((SessionEnd::Deactivated, DomainError::SessionAccountInactive));
    }
    if account.locked {
        return Err((SessionEnd::Locked, DomainError::AccountLocked));
    }
    let continuous_signing = session.signing_continuous
        && !idle_lock_reached(session.last_seen_at, now, policy.signing_idle_lock);
    Ok(SessionStanding {
        continuous_signing,
        record_activity: now - session.last_seen_at >= ACTIVITY_RESOLUTION
            || continuous_signing != session.signing_continuous,
        must_change_password: account.password_temporary
            || account
                .password_set_at
                .is_none_or(|set_at| password_expired(set_at, policy.password_max_age_days, now)),
    })
}

/// R10, R15, R17: a person signs only with a current password, after
/// acknowledging the accountability statement, and once a second
/// administrator verified their identity.
pub fn check_signer_ready(
    must_change_password: bool,
    acknowledged_statement: bool,
    identity_verified: bool,
) -> Result<(), DomainError> {
    if must_change_password {
        return Err(DomainError::PasswordChangeRequired);
    }
    if !acknowledged_statement {
        return Err(DomainError::SignatureAcknowledgmentRequired);
    }
    if !identity_verified {
        return Err(DomainError::IdentityNotVerified);
    }
    Ok(())
}

/// R10: an acknowledgment names the statement it acknowledges by its hash;
/// only the current statement's hash is accepted.
pub fn check_statement(given_sha256: &str, current_sha256: &str) -> Result<(), DomainError> {
    if given_sha256 != current_sha256 {
        return Err(DomainError::StatementMismatch);
    }
    Ok(())
}

/// R18: a changed password differs from the one it replaces.
pub fn check_password_changed(current: &str, new: &str) -> Result<(), DomainError> {
    if current == new {
        return Err(DomainError::PasswordReused);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn policy() -> SessionPolicy {
        SessionPolicy {
            idle_timeout: Duration::minutes(30),
            signing_idle_lock: Duration::minutes(10),
            password_max_age_days: 90,
        }
    }

    fn account() -> AccountFacts {
        AccountFacts {
            active: true,
            locked: false,
            password_temporary: false,
            password_set_at: Some(at(0)),
        }
    }

    fn session() -> SessionFacts {
        SessionFacts {
            expires_at: at(12 * 60),
            last_seen_at: at(0),
            signing_continuous: true,
        }
    }

    /// R19: idle and absolute timeouts end a session; the signing period
    /// breaks after the idle lock while the session stands.
    #[test]
    fn r19_sessions_time_out_and_the_signing_period_breaks() {
        let ok = check_session(session(), account(), policy(), at(5)).unwrap();
        assert!(ok.continuous_signing && !ok.must_change_password && ok.record_activity);
        let burst = at(0) + Duration::seconds(2);
        assert!(
            !check_session(session(), account(), policy(), burst)
                .unwrap()
                .record_activity
        );
        let quiet = check_session(session(), account(), policy(), at(15)).unwrap();
        assert!(!quiet.continuous_signing);
        let (end, err) = check_session(session(), account(), policy(), at(31)).unwrap_err();
        assert_eq!(
            (end, err.rule()),
            (SessionEnd::IdleTimeout, "session_expired")
        );
        let late = SessionFacts {
            last_seen_at: at(12 * 60 - 1),
            ..session()
        };
        let (end, _) = check_session(late, account(), policy(), at(12 * 60)).unwrap_err();
        assert_eq!(end, SessionEnd::AbsoluteTimeout);
    }

    /// R18: a locked or deactivated account's session ends; a temporary or
    /// aged password must be changed first.
    #[test]
    fn r18_locked_inactive_and_aged_accounts() {
        let locked = AccountFacts {
            locked: true,
            ..account()
        };
        let (end, err) = check_session(session(), locked, policy(), at(1)).unwrap_err();
        assert_eq!((end, err.rule()), (SessionEnd::Locked, "account_locked"));
        let gone = AccountFacts {
            active: false,
            ..account()
        };
        let (end, err) = check_session(session(), gone, policy(), at(1)).unwrap_err();
        assert_eq!(
            (end, err.rule()),
            (SessionEnd::Deactivated, "account_deactivated")
        );
        let temporary = AccountFacts {
            password_temporary: true,
            ..account()
        };
        assert!(
            check_session(session(), temporary, policy(), at(1))
                .unwrap()
                .must_change_password
        );
        let aged = SessionFacts {
            expires_at: at(100 * 24 * 60),
            last_seen_at: at(91 * 24 * 60),
            ..session()
        };
        assert!(
            check_session(aged, account(), policy(), at(91 * 24 * 60 + 1))
                .unwrap()
                .must_change_password
        );
        assert_eq!(
            check_password_changed("a", "a").unwrap_err().rule(),
            "password_reused"
        );
    }

    /// R10, R15, R17: signing needs a current password, the acknowledgment
    /// and a verified identity.
    #[test]
    fn r10_r15_r17_signer_readiness() {
        assert_eq!(
            check_signer_ready(true, true, true).unwrap_err().rule(),
            "password_change_required"
        );
        assert_eq!(
            check_signer_ready(false, false, true).unwrap_err().rule(),
            "signature_acknowledgment_required"
        );
        assert_eq!(
            check_signer_ready(false, true, false).unwrap_err().rule(),
            "identity_not_verified"
        );
        assert!(check_signer_ready(false, true, true).is_ok());
        assert_eq!(
            check_statement("x", "y").unwrap_err().rule(),
            "statement_mismatch"
        );
    }
}
