//! Password hashing with argon2id.
//!
//! Production builds use at least the OWASP parameters (argon2id, 19 MiB,
//! t=2, p=1). Builds with the `insecure-test-hashing` feature, which only the
//! test suite enables, use the minimum parameters so hundreds of logins stay
//! fast; such a binary says so in its log at start-up.

use std::sync::{mpsc, Arc, Mutex, OnceLock};

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

/// Hashes a password into an argon2id PHC string (with a fresh random salt).
/// Blocking and deliberately slow: call it on the blocking pool.
pub fn hash(password: &str) -> Result<String, String> {
    let password = password.to_string();
    on_argon2_thread(move || {
        hash_reusing_memory(password.as_bytes())
            .map_err(|e| format!("password hashing failed: {e}"))
    })
    .unwrap_or_else(|| Err("password hashing failed: the argon2 thread is gone".into()))
}

/// argon2id with this build's parameters and a fresh random salt, computed in
/// the argon2 thread's kept working memory; the PHC string is the one
/// `Argon2::hash_password` would make.
fn hash_reusing_memory(password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::phc::{Output, ParamsString, Salt};
    let params = params();
    let mut salt_bytes = [0u8; Salt::RECOMMENDED_LENGTH];
    getrandom::fill(&mut salt_bytes).map_err(|_| argon2::password_hash::Error::Crypto)?;
    let salt = Salt::new(&salt_bytes)?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_working_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, &salt, &mut output, memory)
    })
    .ok_or(argon2::password_hash::Error::OutOfMemory)??;
    Ok(argon2::PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(Output::new(&output)?),
    }
    .to_string())
}

/// Runs `work` on the first `blocks` blocks of the working memory this thread
/// keeps for argon2 (grown when needed, never shrunk); `None` if it cannot.
fn with_working_memory<T>(
    blocks: usize,
    work: impl FnOnce(&mut [argon2::Block]) -> T,
) -> Option<T> {
    thread_local! {
        static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    MEMORY.with(|memory| {
        let mut memory = memory.try_borrow_mut().ok()?;
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        memory.get_mut(..blocks).map(work)
    })
}

/// Whether `password` matches the PHC string. Blocking.
pub fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    on_argon2_thread(move || verify_reusing_memory(password.as_bytes(), &phc)).unwrap_or(false)
}

/// argon2's own verify, computed in one working-memory block that the argon2
/// thread keeps and reuses: a fresh 19 MiB per verification let the
/// allocator hold two copies at once (measured in `make bench`, RSS). The
/// result is the same as `Argon2::verify_password` (algorithm, version and
/// parameters from the PHC string; constant-time comparison of the output).
fn verify_reusing_memory(password: &[u8], phc: &str) -> bool {
    let Ok(hash) = argon2::PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut output = vec![0u8; expected.len()];
    let computed = with_working_memory(blocks, |memory| {
        argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut output, memory)
    });
    matches!(computed, Some(Ok(())))
        && argon2::password_hash::phc::Output::new(&output)
            .is_ok_and(|computed| computed == *expected)
}

/// Threads that run every argon2 computation of the process.
///
/// Each hash needs 19 MiB. Run on whichever blocking thread happened to take
/// the request, every such thread's allocator kept that memory cached, and a
/// server that had seen 16 concurrent clients peaked near 300 MiB (measured
/// by `make bench`). One dedicated thread bounds it to 19 MiB and bounds the
/// CPU a flood of logins can take; at about 15 ms a hash it serves some 60
/// logins and signatures a second, far above a manufacturing floor's rate.
const ARGON2_THREADS: usize = 1;

type Job = Box<dyn FnOnce() + Send>;

/// Runs `work` on one of the argon2 threads and waits for its result; `None`
/// if the threads cannot be started or have gone.
fn on_argon2_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    static QUEUE: OnceLock<Option<Mutex<mpsc::Sender<Job>>>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..ARGON2_THREADS {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .ok()?;
        }
        Some(Mutex::new(sender))
    });
    let (reply, result) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    queue.as_ref()?.lock().ok()?.send(job).ok()?;
    result.recv().ok()
}

/// Spends the same time as a real check, for usernames that do not exist, so
/// response times do not reveal which usernames are valid.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc =
        DUMMY.get_or_init(|| hash("dummy password for timing equalisation").unwrap_or_default());
    let _ = verify(password, phc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn hasher() -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
    }

    #[test]
    fn reused_memory_verifies_exactly_like_argon2() {
        // Hashes of different sizes, one after the other on the same thread,
        // so the kept block is both grown and reused.
        for (m, t) in [(Params::MIN_M_COST, 1), (4096, 2), (Params::MIN_M_COST, 3)] {
            let argon2 = Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(m, t, 1, None).unwrap(),
            );
            let phc = argon2.hash_password(b"correct horse").unwrap().to_string();
            for (candidate, right) in [
                ("correct horse", true),
                ("correct horsE", false),
                ("", false),
            ] {
                assert_eq!(
                    verify_reusing_memory(candidate.as_bytes(), &phc),
                    right,
                    "{m} {t} {candidate}"
                );
                assert_eq!(
                    argon2
                        .verify_password(candidate.as_bytes(), phc.as_str())
                        .is_ok(),
                    right
                );
            }
        }
        assert!(!verify_reusing_memory(b"x", "not a PHC string"));
        assert!(!verify_reusing_memory(
            b"x",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ"
        ));
        let ours = hash("ppp").unwrap();
        assert!(
            hasher().verify_password(b"ppp", ours.as_str()).is_ok(),
            "{ours}"
        );
        assert!(hasher().verify_password(b"ppq", ours.as_str()).is_err());
        assert_ne!(ours, hash("ppp").unwrap(), "a fresh salt each time");
        assert!(verify(&"p".repeat(3), &hash("ppp").unwrap()));
        assert!(!verify("ppq", &hash("ppp").unwrap()));
    }
}
