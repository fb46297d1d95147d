//! Record ids from the server clock. Every id is a UUIDv7 whose timestamp is
//! the `now` the request was given (never the wall clock read behind the
//! clock's back), so ids sort like the times recorded with them; ids made at
//! the same instant still increase (a shared counter), so they break ordering
//! ties in the order the rows were written.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::{ContextV7, Timestamp, Uuid};

static CONTEXT: Mutex<AssertUnwindSafe<ContextV7>> = Mutex::new(AssertUnwindSafe(ContextV7::new()));

/// A new UUIDv7 stamped with `now` (the server clock's time of the write).
pub fn at(now: DateTime<Utc>) -> Uuid {
    let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
    let ts = Timestamp::from_unix(&CONTEXT, seconds, now.timestamp_subsec_nanos());
    Uuid::new_v7(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids carry the given time and increase even at one instant.
    #[test]
    fn ids_carry_the_server_time_and_increase() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let a = at(now);
        let b = at(now);
        assert!(b > a);
        let (secs, _) = a.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 1_800_000_000);
    }
}
