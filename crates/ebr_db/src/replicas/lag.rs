//! How far behind the primary a replica is, measured in time without
//! trusting either server's clock: the primary's WAL position is sampled at
//! each probe, and a replica is as old as the newest sample it has replayed.
//! (The usual `now() - pg_last_xact_replay_timestamp()` reports an idle
//! primary's replica as hours behind.)

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The primary's WAL positions at recent probes, oldest first.
#[derive(Debug, Default)]
pub struct LsnHistory {
    samples: VecDeque<(Instant, i64)>,
}

impl LsnHistory {
    /// Records the primary's WAL position `lsn` seen at `at`, forgetting
    /// samples older than `keep` (the newest is always kept).
    pub fn record(&mut self, at: Instant, lsn: i64, keep: Duration) {
        self.samples.push_back((at, lsn));
        while self.samples.len() > 1
            && self
                .samples
                .front()
                .is_some_and(|(t, _)| at.saturating_duration_since(*t) > keep)
        {
            self.samples.pop_front();
        }
    }

    /// The newest sample: what the primary had when it was last seen.
    pub fn newest(&self) -> Option<(Instant, i64)> {
        self.samples.back().copied()
    }

    /// A replica that replayed up to `replay` has everything the primary had
    /// this long before `now` (measured from the newest sample it covers);
    /// `None` when it covers no sample kept (it is further behind than the
    /// history reaches, or nothing was sampled yet).
    pub fn lag_of(&self, replay: i64, now: Instant) -> Option<Duration> {
        self.samples
            .iter()
            .rev()
            .find(|(_, lsn)| *lsn <= replay)
            .map(|(t, _)| now.saturating_duration_since(*t))
    }
}

/// What one probe of a replica found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaFacts {
    /// Still a standby (false: it was promoted and is a primary now).
    pub in_recovery: bool,
    /// The WAL position it has replayed, as bytes from `0/0`.
    pub replayed: Option<i64>,
}

/// Whether a replica may serve reads, and how far behind it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    /// Its lag; `None` when unknown (down, nothing replayed, or the primary
    /// cannot be reached to compare with).
    pub lag: Option<Duration>,
    /// It may serve reads.
    pub usable: bool,
}

/// Judges a replica: unreachable ones never serve; a promoted one is a
/// primary and current; with the primary up, it serves while its lag is
/// within `max_lag`; with the primary unreachable, it serves only if it had
/// replayed everything the primary had when last seen (so an acknowledged
/// write is never missing from what it shows).
pub fn assess(
    facts: Option<ReplicaFacts>,
    history: &LsnHistory,
    primary_up: bool,
    now: Instant,
    max_lag: Duration,
) -> Assessment {
    let unusable = Assessment {
        lag: None,
        usable: false,
    };
    let Some(facts) = facts else {
        return unusable;
    };
    if !facts.in_recovery {
        return Assessment {
            lag: Some(Duration::ZERO),
            usable: true,
        };
    }
    let Some(replayed) = facts.replayed else {
        return unusable;
    };
    if primary_up {
        let lag = history.lag_of(replayed, now);
        return Assessment {
            lag,
            usable: lag.is_some_and(|l| l <= max_lag),
        };
    }
    Assessment {
        lag: None,
        usable: history.newest().is_some_and(|(_, lsn)| replayed >= lsn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP: Duration = Duration::from_secs(10);
    const BOUND: Duration = Duration::from_secs(5);

    fn standby(replayed: i64) -> Option<ReplicaFacts> {
        Some(ReplicaFacts {
            in_recovery: true,
            replayed: Some(replayed),
        })
    }

    #[test]
    fn an_idle_primary_s_replica_is_current_however_old_its_last_transaction() {
        let t0 = Instant::now();
        let mut h = LsnHistory::default();
        for s in 0..8 {
            h.record(t0 + Duration::from_secs(s), 100, KEEP);
        }
        let now = t0 + Duration::from_secs(7);
        let a = assess(standby(100), &h, true, now, BOUND);
        assert_eq!(a.lag, Some(Duration::ZERO));
        assert!(a.usable);
    }

    #[test]
    fn a_replica_is_as_old_as_the_newest_sample_it_replayed() {
        let t0 = Instant::now();
        let mut h = LsnHistory::default();
        for s in 0..8 {
            h.record(t0 + Duration::from_secs(s), 100 * s as i64, KEEP);
        }
        let now = t0 + Duration::from_secs(7);
        let two_behind = assess(standby(500), &h, true, now, BOUND);
        assert_eq!(two_behind.lag, Some(Duration::from_secs(2)));
        assert!(two_behind.usable);
        let six_behind = assess(standby(150), &h, true, now, BOUND);
        assert_eq!(six_behind.lag, Some(Duration::from_secs(6)));
        assert!(!six_behind.usable, "beyond the 5 s bound");
    }

    #[test]
    fn a_replica_behind_everything_kept_or_down_does_not_serve() {
        let t0 = Instant::now();
        let mut h = LsnHistory::default();
        for s in 0..30 {
            h.record(t0 + Duration::from_secs(s), 1000 + s as i64, KEEP);
        }
        let now = t0 + Duration::from_secs(29);
        assert_eq!(
            assess(standby(5), &h, true, now, BOUND),
            Assessment {
                lag: None,
                usable: false
            }
        );
        assert!(!assess(None, &h, true, now, BOUND).usable);
        assert!(
            !assess(standby(1029), &LsnHistory::default(), true, now, BOUND).usable,
            "nothing sampled yet"
        );
    }

    #[test]
    fn with_the_primary_gone_a_replica_serves_only_what_the_primary_last_had() {
        let t0 = Instant::now();
        let mut h = LsnHistory::default();
        h.record(t0, 400, KEEP);
        let long_after = t0 + Duration::from_secs(600);
        assert!(assess(standby(400), &h, false, long_after, BOUND).usable);
        assert!(!assess(standby(399), &h, false, long_after, BOUND).usable);
    }

    #[test]
    fn a_promoted_replica_is_a_primary_and_current() {
        let a = assess(
            Some(ReplicaFacts {
                in_recovery: false,
                replayed: None,
            }),
            &LsnHistory::default(),
            false,
            Instant::now(),
            BOUND,
        );
        assert!(a.usable);
        assert_eq!(a.lag, Some(Duration::ZERO));
    }
}
