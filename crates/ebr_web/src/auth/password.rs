//! Password hashing with argon2id.
//!
//! Production builds use at least the OWASP parameters (argon2id, 19 MiB,
//! t=2, p=1). Builds with the `insecure-test-hashing` feature, which only the
//! test suite enables, use the minimum parameters so hundreds of logins stay
//! fast; such a binary says so in its log at start-up.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Whether this build hashes with the cheap test parameters.
pub const INSECURE_TEST_HASHING: bool = cfg!(feature = "insecure-test-hashing");

fn params() -> Params {
    let (m, t, p) = if INSECURE_TEST_HASHING {
        (Params::MIN_M_COST, 1, 1)
    } else {
        (19 * 1024, 2, 1)
    };
    Params::new(m, t, p, None).unwrap_or(Params::DEFAULT)
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Hashes a password into an argon2id PHC string (with a fresh random salt).
/// Blocking and deliberately slow: call it on the blocking pool.
pub fn hash(password: &str) -> Result<String, String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Whether `password` matches the PHC string. Blocking.
pub fn verify(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

/// Spends the same time as a real check, for usernames that do not exist, so
/// response times do not reveal which usernames are valid.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc =
        DUMMY.get_or_init(|| hash("dummy password for timing equalisation").unwrap_or_default());
    let _ = verify(password, phc);
}
