//! The server clock: the one place that reads the time (R32).

use chrono::{DateTime, Utc};

/// A source of the current server time. Handlers and commands take the time
/// from here and pass it into the domain as an argument.
pub trait Clock: Send + Sync {
    /// The current UTC time.
    fn now(&self) -> DateTime<Utc>;
}

/// The real server clock (UTC, from the operating system, NTP-disciplined in
/// production).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the single sanctioned reader of the wall clock"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
