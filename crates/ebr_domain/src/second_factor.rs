//! The second factor at signing (TOTP, RFC 6238): the per-site setting,
//! which requests need a code, whether a code is current and unused, and
//! single-use recovery codes. Pure: the secret, the accepted steps and the
//! time are arguments; the random secret and recovery codes come from the
//! web layer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use totp_rs::{Builder, Secret};

use crate::canonical::sha256_hex;
use crate::DomainError;

/// The RFC 6238 time step, in seconds.
pub const STEP_SECONDS: i64 = 30;
/// How many single-use recovery codes an enrolment issues.
pub const RECOVERY_CODES: usize = 10;

/// When a site asks for the second factor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorSetting {
    /// Never (the password alone).
    Off,
    /// At every electronic signature (the default for new installations).
    #[default]
    Signing,
    /// At every signature and at login (for people who enrolled).
    SigningAndLogin,
}

impl SecondFactorSetting {
    /// The stable name (`off`, `signing`, `signing_and_login`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Signing => "signing",
            Self::SigningAndLogin => "signing_and_login",
        }
    }

    /// Whether a signature needs a code.
    pub fn at_signing(self) -> bool {
        self != Self::Off
    }

    /// Whether a login of an enrolled person needs a code.
    pub fn at_login(self) -> bool {
        self == Self::SigningAndLogin
    }
}

/// What a code was accepted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptedCode {
    /// A TOTP code of this time step.
    Totp(i64),
    /// Recovery code number `n` (0-based).
    Recovery(usize),
}

impl AcceptedCode {
    /// The step stored for it (recovery code `n` is `-1 - n`), so every
    /// accepted code, of either kind, is used once.
    pub fn stored_step(self) -> i64 {
        match self {
            Self::Totp(step) => step,
            Self::Recovery(n) => -1 - i64::try_from(n).unwrap_or(i64::MAX - 1),
        }
    }
}

/// A person's active enrolment, as loaded.
#[derive(Debug, Clone)]
pub struct Enrolment<'a> {
    /// The shared secret (base32).
    pub secret_base32: &'a str,
    /// SHA-256 of each recovery code.
    pub recovery_sha256: &'a [String],
    /// Every step already accepted (recovery codes as `-1 - n`).
    pub used_steps: &'a [i64],
}

/// The SHA-256 of a recovery code as stored (spaces and dashes ignored,
/// case folded, so `ABCD-EFGH` and `abcdefgh` are the same code).
pub fn recovery_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sha256_hex(normalised.as_bytes())
}

/// The 6-digit TOTP code of `secret_base32` at `at` (what an authenticator
/// app shows); `None` when the secret is not valid base32 of at least 128 bits.
pub fn code_at(secret_base32: &str, at: DateTime<Utc>) -> Option<String> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    let totp = Builder::new().with_secret(secret).build().ok()?;
    let time = u64::try_from(at.timestamp()).ok()?;
    Some(totp.generate(time).to_string())
}

/// The time step of `code` for `secret_base32` at `now`, one step of clock
/// drift either way allowed (RFC 6238 §5.2); `None` when it matches none.
fn matching_step(secret_base32: &str, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    let totp = Builder::new().with_secret(secret).build().ok()?;
    let time = u64::try_from(now.timestamp()).ok()?;
    let step = totp.check(code.trim(), time)?;
    i64::try_from(step).ok()
}

/// Checks a code against the enrolment at `now`: a TOTP code of the current
/// step (± one), never at or before a step already accepted (no replay), or
/// an unused recovery code. A wrong code is `second_factor_invalid`, a
/// replayed one `second_factor_reused`.
pub fn check_code(
    enrolment: &Enrolment<'_>,
    code: &str,
    now: DateTime<Utc>,
) -> Result<AcceptedCode, DomainError> {
    if let Some(step) = matching_step(enrolment.secret_base32, code, now) {
        let newest = enrolment
            .used_steps
            .iter()
            .copied()
            .filter(|s| *s >= 0)
            .max();
        if newest.is_some_and(|used| step <= used) {
            return Err(DomainError::SecondFactorReused);
        }
        return Ok(AcceptedCode::Totp(step));
    }
    let hash = recovery_hash(code);
    if let Some(n) = enrolment.recovery_sha256.iter().position(|h| *h == hash) {
        let accepted = AcceptedCode::Recovery(n);
        if enrolment.used_steps.contains(&accepted.stored_step()) {
            return Err(DomainError::SecondFactorReused);
        }
        return Ok(accepted);
    }
    Err(DomainError::SecondFactorInvalid)
}

/// What a signature needs beyond the password under `setting`: `Ok(false)`
/// when no code is needed, `Ok(true)` when one is and was given; refused
/// when the person has no factor enrolled or sent no code.
pub fn check_required(
    setting: SecondFactorSetting,
    enrolled: bool,
    code_given: bool,
) -> Result<bool, DomainError> {
    if !setting.at_signing() {
        return Ok(false);
    }
    if !enrolled {
        return Err(DomainError::SecondFactorNotEnrolled);
    }
    if !code_given {
        return Err(DomainError::SecondFactorRequired);
    }
    Ok(true)
}

/// A lost factor is reset by two administrators: the one who confirms is
/// not the one who asked (nor the person).
pub fn check_reset_confirmer(
    requester: uuid::Uuid,
    confirmer: uuid::Uuid,
    person: uuid::Uuid,
) -> Result<(), DomainError> {
    if requester == confirmer || confirmer == person {
        return Err(DomainError::FactorResetNeedsSecondAdmin);
    }
    Ok(())
}

/// The `otpauth://` URL an authenticator app reads from the QR code.
pub fn otpauth_url(secret_base32: &str, username: &str, issuer: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        enc(issuer),
        enc(username),
        enc(issuer)
    )
}

/// Base32 (RFC 4648, no padding) of a secret's bytes, as authenticator apps
/// take it.
pub fn secret_to_base32(bytes: &[u8]) -> String {
    Secret::from(bytes.to_vec()).to_base32()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    /// RFC 6238 appendix B, SHA-1, 8 digits truncated to the 6 an app shows:
    /// at T = 59 the code is 94287082, so its last six digits 287082.
    #[test]
    fn codes_match_the_rfc_6238_test_vector() {
        let secret = secret_to_base32(b"12345678901234567890");
        assert_eq!(code_at(&secret, at(59)).unwrap(), "287082");
        assert_eq!(code_at(&secret, at(1_111_111_109)).unwrap(), "081804");
    }

    /// A current code is accepted once; the same code (or an older one) is
    /// a replay; a wrong code is invalid; a recovery code works once.
    #[test]
    fn codes_are_current_single_use_and_recovery_codes_work_once() {
        let secret = secret_to_base32(b"12345678901234567890");
        let now = at(1_000_000_000);
        let code = code_at(&secret, now).unwrap();
        let recovery = vec![recovery_hash("abcd-efgh-ijkl")];
        let mut used = Vec::new();
        fn enrolment<'a>(
            secret: &'a str,
            recovery: &'a [String],
            used: &'a [i64],
        ) -> Enrolment<'a> {
            Enrolment {
                secret_base32: secret,
                recovery_sha256: recovery,
                used_steps: used,
            }
        }
        let accepted = check_code(&enrolment(&secret, &recovery, &used), &code, now).unwrap();
        used.push(accepted.stored_step());
        assert_eq!(
            check_code(&enrolment(&secret, &recovery, &used), &code, now).unwrap_err(),
            DomainError::SecondFactorReused
        );
        assert_eq!(
            check_code(&enrolment(&secret, &recovery, &used), "000000", now).unwrap_err(),
            DomainError::SecondFactorInvalid
        );
        let r = check_code(&enrolment(&secret, &recovery, &used), "ABCD EFGH IJKL", now).unwrap();
        assert_eq!(r, AcceptedCode::Recovery(0));
        used.push(r.stored_step());
        assert_eq!(
            check_code(&enrolment(&secret, &recovery, &used), "abcdefghijkl", now).unwrap_err(),
            DomainError::SecondFactorReused
        );
        let later = now + chrono::Duration::seconds(STEP_SECONDS * 3);
        let next = code_at(&secret, later).unwrap();
        assert!(check_code(&enrolment(&secret, &recovery, &used), &next, later).is_ok());
    }

    /// The setting decides; an enrolled person without a code is refused,
    /// a person without a factor is told to enrol; two admins reset.
    #[test]
    fn the_setting_decides_and_resets_need_two_admins() {
        assert_eq!(
            check_required(SecondFactorSetting::Off, false, false),
            Ok(false)
        );
        assert_eq!(
            check_required(SecondFactorSetting::Signing, false, true),
            Err(DomainError::SecondFactorNotEnrolled)
        );
        assert_eq!(
            check_required(SecondFactorSetting::Signing, true, false),
            Err(DomainError::SecondFactorRequired)
        );
        assert_eq!(
            check_required(SecondFactorSetting::SigningAndLogin, true, true),
            Ok(true)
        );
        let (a, b, p) = (
            uuid::Uuid::from_u128(1),
            uuid::Uuid::from_u128(2),
            uuid::Uuid::from_u128(3),
        );
        assert!(check_reset_confirmer(a, b, p).is_ok());
        assert!(check_reset_confirmer(a, a, p).is_err());
        assert!(otpauth_url("ABC", "zhang.wei", "ebr")
            .starts_with("otpauth://totp/ebr:zhang.wei?secret=ABC"));
    }
}
