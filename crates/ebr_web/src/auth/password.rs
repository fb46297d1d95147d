//! Password hashing with argon2id.
//!
//! Production builds use at least the OWASP parameters (argon2id, 19 MiB,
//! t=2, p=1). Builds with the `insecure-test-hashing` feature, which only the
//! test suite enables, use the minimum parameters so hundreds of logins stay
//! fast; such a binary says so in its log at start-up.

use std::sync::{mpsc, Arc, Mutex, OnceLock};

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
    let password = password.to_string();
    on_argon2_thread(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| format!("password hashing failed: {e}"))
    })
    .unwrap_or_else(|| Err("password hashing failed: the argon2 thread is gone".into()))
}

/// Whether `password` matches the PHC string. Blocking.
pub fn verify(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    on_argon2_thread(move || {
        hasher()
            .verify_password(password.as_bytes(), phc.as_str())
            .is_ok()
    })
    .unwrap_or(false)
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
