//! Read replicas (PostgreSQL hot standbys) for heavy reads: record PDFs and
//! exports, audit trails, cross-batch queries, `ebr audit verify --replica`.
//! Everything that decides a write reads the primary. A probe (every
//! [`PROBE_INTERVAL`]) measures each replica's lag against the primary's WAL
//! position ([`lag`]); a replica that is down or lags beyond the bound is
//! skipped and reads fall back to the primary.

pub mod lag;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sql_types::{BigInt, Bool, Nullable};
use diesel::{Connection, QueryableByName, RunQueryDsl};

use crate::pool::{PgPool, SET_APP_ROLE};
use lag::{assess, LsnHistory, ReplicaFacts};

/// How often the replicas and the primary are probed.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// Seconds a probe waits for a connection before calling a server down.
const PROBE_CONNECT_TIMEOUT_SECONDS: u32 = 2;

/// `url` with libpq's `connect_timeout` set (unless it already is), so that
/// connecting to an unreachable host fails instead of hanging. Works for
/// URIs (`postgres://…`) and for `key=value` strings.
pub fn with_connect_timeout(url: &str, seconds: u32) -> String {
    if url.contains("connect_timeout") {
        return url.to_string();
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}connect_timeout={seconds}")
    } else {
        format!("{url} connect_timeout={seconds}")
    }
}

/// The hosts and ports of a connection string, without user or password:
/// what logs and metrics name a server by.
pub fn label(url: &str) -> String {
    if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        return authority
            .rsplit_once('@')
            .map_or(authority, |(_, hosts)| hosts)
            .to_string();
    }
    let field = |key: &str| {
        url.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key))
            .unwrap_or_default()
            .to_string()
    };
    format!("{}:{}", field("host="), field("port="))
}

/// Connections of a replica pool act as `ebr_app` and are read-only even if
/// the server is (or becomes) a primary: a write sent here by mistake fails.
#[derive(Debug)]
struct ReadOnlyAppRole;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for ReadOnlyAppRole {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        diesel::sql_query(SET_APP_ROLE)
            .execute(conn)
            .and_then(|_| diesel::sql_query("SET default_transaction_read_only = on").execute(conn))
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// One replica: its pool and what the last probe found.
pub struct Replica {
    label: String,
    probe_url: String,
    /// The probe's own connection, kept between rounds.
    probe_conn: Mutex<Option<PgConnection>>,
    pool: PgPool,
    status: Mutex<ReplicaStatus>,
}

/// What the last probe found about a replica.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaStatus {
    /// Host and port (no credentials).
    pub label: String,
    /// It answered the last probe.
    pub up: bool,
    /// It answered as a primary (promoted after a failover).
    pub promoted: bool,
    /// Its lag behind the primary, when known.
    pub lag: Option<Duration>,
    /// It serves reads now.
    pub usable: bool,
}

/// Where a read was served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadTarget {
    /// A replica.
    Replica,
    /// The primary (no replica configured or none usable).
    Primary,
}

impl ReadTarget {
    /// `replica` or `primary`, as in the `x-ebr-read-from` header and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadTarget::Replica => "replica",
            ReadTarget::Primary => "primary",
        }
    }
}

/// The configured replicas, their health, and the primary's as the probe
/// last saw it. With no replicas every read goes to the primary.
pub struct ReadReplicas {
    replicas: Vec<Replica>,
    max_lag: Duration,
    history: Mutex<LsnHistory>,
    primary_up: AtomicBool,
    next: AtomicUsize,
    served_replica: AtomicU64,
    served_primary: AtomicU64,
}

#[derive(QueryableByName)]
struct PrimaryLsn {
    #[diesel(sql_type = BigInt)]
    lsn: i64,
}

#[derive(QueryableByName)]
struct ReplicaRow {
    #[diesel(sql_type = Bool)]
    in_recovery: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    replayed: Option<i64>,
}

/// The primary's current WAL position (bytes from `0/0`).
fn primary_lsn(conn: &mut PgConnection) -> Result<i64, diesel::result::Error> {
    Ok(
        diesel::sql_query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS lsn")
            .get_result::<PrimaryLsn>(conn)?
            .lsn,
    )
}

/// Whether a server is a standby, and the WAL position it has replayed.
pub fn replica_facts(conn: &mut PgConnection) -> Result<ReplicaFacts, diesel::result::Error> {
    let row: ReplicaRow = diesel::sql_query(
        "SELECT pg_is_in_recovery() AS in_recovery, \
                pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint AS replayed",
    )
    .get_result(conn)?;
    Ok(ReplicaFacts {
        in_recovery: row.in_recovery,
        replayed: row.replayed,
    })
}

/// Waits until the replica behind `replica` has replayed everything the
/// primary behind `primary` had when called (at most `limit`): a read made
/// afterwards sees every write acknowledged before. Returns how long it took.
pub fn wait_until_caught_up(
    primary: &mut PgConnection,
    replica: &mut PgConnection,
    limit: Duration,
) -> Result<Duration, crate::DbError> {
    let started = Instant::now();
    let target = primary_lsn(primary)?;
    loop {
        let facts = replica_facts(replica)?;
        if !facts.in_recovery || facts.replayed.is_some_and(|r| r >= target) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            return Err(crate::DbError::Unavailable(format!(
                "the replica has not replayed the primary's writes within {limit:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Replica {
    /// Asks the replica for its facts on the probe's connection (made again
    /// when missing or broken); `None` when it cannot be reached.
    fn probe_facts(&self) -> Option<ReplicaFacts> {
        let mut conn = self.probe_conn.lock().ok()?;
        if conn.is_none() {
            *conn = PgConnection::establish(&self.probe_url).ok();
        }
        let facts = conn.as_mut().map(replica_facts)?.ok();
        if facts.is_none() {
            *conn = None;
        }
        facts
    }
}

impl ReadReplicas {
    /// Pools for `urls` (none: every read goes to the primary), each of at
    /// most `pool_size` connections, made lazily; a replica serves once a
    /// probe found it within `max_lag` of the primary.
    pub fn new(urls: &[String], pool_size: u32, max_lag: Duration) -> ReadReplicas {
        let replicas = urls
            .iter()
            .map(|url| {
                let label = label(url);
                Replica {
                    status: Mutex::new(ReplicaStatus {
                        label: label.clone(),
                        up: false,
                        promoted: false,
                        lag: None,
                        usable: false,
                    }),
                    label,
                    probe_url: with_connect_timeout(url, PROBE_CONNECT_TIMEOUT_SECONDS),
                    probe_conn: Mutex::new(None),
                    pool: Pool::builder()
                        .max_size(pool_size)
                        .min_idle(Some(0))
                        .connection_timeout(Duration::from_secs(2))
                        .test_on_check_out(true)
                        .connection_customizer(Box::new(ReadOnlyAppRole))
                        .build_unchecked(ConnectionManager::<PgConnection>::new(
                            with_connect_timeout(url, PROBE_CONNECT_TIMEOUT_SECONDS),
                        )),
                }
            })
            .collect();
        ReadReplicas {
            replicas,
            max_lag,
            history: Mutex::new(LsnHistory::default()),
            primary_up: AtomicBool::new(true),
            next: AtomicUsize::new(0),
            served_replica: AtomicU64::new(0),
            served_primary: AtomicU64::new(0),
        }
    }

    /// No replicas: every read goes to the primary.
    pub fn none() -> ReadReplicas {
        ReadReplicas::new(&[], 1, Duration::from_secs(5))
    }

    /// Whether any replica is configured.
    pub fn configured(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// The lag bound beyond which a replica is skipped.
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    /// One probe round: the primary's WAL position through `primary` (a
    /// connection the prober keeps; made again from `primary_url` when
    /// missing or broken), then each replica's, and the verdicts. Never
    /// fails: an unreachable server is recorded as down.
    pub fn probe(&self, primary: &mut Option<PgConnection>, primary_url: &str, now: Instant) {
        if primary.is_none() {
            *primary = PgConnection::establish(&with_connect_timeout(
                primary_url,
                PROBE_CONNECT_TIMEOUT_SECONDS,
            ))
            .ok();
        }
        let sampled = primary.as_mut().map(primary_lsn);
        let primary_up = match sampled {
            Some(Ok(lsn)) => {
                if let Ok(mut h) = self.history.lock() {
                    h.record(now, lsn, self.max_lag.saturating_mul(2));
                }
                true
            }
            _ => {
                *primary = None;
                false
            }
        };
        self.primary_up.store(primary_up, Ordering::Relaxed);
        for replica in &self.replicas {
            let facts = replica.probe_facts();
            let verdict = match self.history.lock() {
                Ok(h) => assess(facts, &h, primary_up, now, self.max_lag),
                Err(_) => continue,
            };
            if let Ok(mut status) = replica.status.lock() {
                *status = ReplicaStatus {
                    label: replica.label.clone(),
                    up: facts.is_some(),
                    promoted: facts.is_some_and(|f| !f.in_recovery),
                    lag: verdict.lag,
                    usable: verdict.usable,
                };
            }
        }
    }

    /// Whether the last probe reached the primary (true until a probe says
    /// otherwise, and always with no replicas configured).
    pub fn primary_up(&self) -> bool {
        self.primary_up.load(Ordering::Relaxed)
    }

    fn usable(&self) -> Option<&Replica> {
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .filter_map(|i| self.replicas.get((start + i) % n.max(1)))
            .find(|r| r.status.lock().is_ok_and(|s| s.usable))
    }

    /// The pool a heavy read should use: a usable replica (in turn), else
    /// `primary`. Counted for the metrics.
    pub fn read_pool<'a>(&'a self, primary: &'a PgPool) -> (&'a PgPool, ReadTarget) {
        match self.usable() {
            Some(replica) => {
                self.served_replica.fetch_add(1, Ordering::Relaxed);
                (&replica.pool, ReadTarget::Replica)
            }
            None => {
                self.served_primary.fetch_add(1, Ordering::Relaxed);
                (primary, ReadTarget::Primary)
            }
        }
    }

    /// A usable replica's pool, for reading while the primary is down.
    pub fn replica_pool(&self) -> Option<&PgPool> {
        self.usable().map(|r| &r.pool)
    }

    /// Every replica's status from the last probe.
    pub fn statuses(&self) -> Vec<ReplicaStatus> {
        self.replicas
            .iter()
            .filter_map(|r| r.status.lock().ok().map(|s| s.clone()))
            .collect()
    }

    /// Heavy reads served so far: (from replicas, from the primary).
    pub fn served(&self) -> (u64, u64) {
        (
            self.served_replica.load(Ordering::Relaxed),
            self.served_primary.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_hosts_never_credentials() {
        assert_eq!(
            label("postgres://ebr:secret@10.0.0.1:5432,10.0.0.2:5433/ebr?target_session_attrs=read-write"),
            "10.0.0.1:5432,10.0.0.2:5433"
        );
        assert_eq!(
            label("host=db2 port=5433 user=ebr password=secret"),
            "db2:5433"
        );
    }

    #[test]
    fn connect_timeout_is_added_once() {
        assert_eq!(
            with_connect_timeout("postgres://a@h/db", 2),
            "postgres://a@h/db?connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://a@h/db?sslmode=require", 2),
            "postgres://a@h/db?sslmode=require&connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://a@h/db?connect_timeout=9", 2),
            "postgres://a@h/db?connect_timeout=9"
        );
        assert_eq!(
            with_connect_timeout("host=h", 2),
            "host=h connect_timeout=2"
        );
    }
}
