//! Process metrics in the Prometheus text format (`GET /metrics`): requests
//! and their latency per route, signature failures and account lockouts.
//! Counters are per process; Prometheus sums them across ebr nodes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Route {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
    by_status: BTreeMap<u16, u64>,
}

/// The metrics of this process.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), Route>>,
    signature_failures: AtomicU64,
    lockouts: AtomicU64,
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut routes) = self.routes.lock() {
            let r = routes
                .entry((method.to_string(), route.to_string()))
                .or_default();
            r.count += 1;
            r.sum += seconds;
            for (bucket, bound) in r.buckets.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *bucket += 1;
                }
            }
            *r.by_status.entry(status).or_default() += 1;
        }
    }

    /// Counts a failed signature (wrong password).
    pub fn signature_failed(&self) {
        self.signature_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an account locked after repeated failures.
    pub fn account_locked(&self) {
        self.lockouts.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the pool's current state.
    pub fn render(&self, pool_connections: u32, pool_idle: u32) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP ebr_http_requests_total HTTP requests answered, by method, route and status."
        );
        let _ = writeln!(out, "# TYPE ebr_http_requests_total counter");
        let routes = self
            .routes
            .lock()
            .map(|r| {
                r.iter()
                    .map(|(k, v)| (k.clone(), v.count, v.sum, v.buckets, v.by_status.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for ((method, route), _, _, _, by_status) in &routes {
            for (status, n) in by_status {
                let _ = writeln!(out, "ebr_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        let _ = writeln!(out, "# HELP ebr_http_request_duration_seconds Time to answer a request, by method and route.");
        let _ = writeln!(out, "# TYPE ebr_http_request_duration_seconds histogram");
        for ((method, route), count, sum, buckets, _) in &routes {
            for (bound, n) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(out, "ebr_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "ebr_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(out, "ebr_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\"}} {sum}");
            let _ = writeln!(out, "ebr_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "# HELP ebr_signature_failures_total Signatures refused for a wrong password."
        );
        let _ = writeln!(out, "# TYPE ebr_signature_failures_total counter");
        let _ = writeln!(
            out,
            "ebr_signature_failures_total {}",
            self.signature_failures.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP ebr_account_lockouts_total Accounts locked after repeated failed password checks.");
        let _ = writeln!(out, "# TYPE ebr_account_lockouts_total counter");
        let _ = writeln!(
            out,
            "ebr_account_lockouts_total {}",
            self.lockouts.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP ebr_db_pool_connections Database connections of this process's pool."
        );
        let _ = writeln!(out, "# TYPE ebr_db_pool_connections gauge");
        let _ = writeln!(
            out,
            "ebr_db_pool_connections{{state=\"open\"}} {pool_connections}"
        );
        let _ = writeln!(out, "ebr_db_pool_connections{{state=\"idle\"}} {pool_idle}");
        out
    }
}

/// The read-replica series: whether the primary answered the last probe,
/// each replica's state and lag, and heavy reads by where they were served.
pub fn render_replicas(reads: &ebr_db::replicas::ReadReplicas) -> String {
    let mut out = String::new();
    if !reads.configured() {
        return out;
    }
    let _ = writeln!(
        out,
        "# HELP ebr_db_primary_up Whether the primary answered the last replica probe."
    );
    let _ = writeln!(out, "# TYPE ebr_db_primary_up gauge");
    let _ = writeln!(out, "ebr_db_primary_up {}", u8::from(reads.primary_up()));
    let _ = writeln!(
        out,
        "# HELP ebr_db_replica_up Whether the replica answered the last probe."
    );
    let _ = writeln!(out, "# TYPE ebr_db_replica_up gauge");
    let _ = writeln!(out, "# HELP ebr_db_replica_serving Whether the replica serves reads (up and within the lag bound).");
    let _ = writeln!(out, "# TYPE ebr_db_replica_serving gauge");
    let _ = writeln!(out, "# HELP ebr_db_replica_lag_seconds How far behind the primary the replica was at the last probe (absent when unknown).");
    let _ = writeln!(out, "# TYPE ebr_db_replica_lag_seconds gauge");
    for r in reads.statuses() {
        let label = &r.label;
        let _ = writeln!(
            out,
            "ebr_db_replica_up{{replica=\"{label}\"}} {}",
            u8::from(r.up)
        );
        let _ = writeln!(
            out,
            "ebr_db_replica_serving{{replica=\"{label}\"}} {}",
            u8::from(r.usable)
        );
        if let Some(lag) = r.lag {
            let _ = writeln!(
                out,
                "ebr_db_replica_lag_seconds{{replica=\"{label}\"}} {}",
                lag.as_secs_f64()
            );
        }
    }
    let (replica, primary) = reads.served();
    let _ = writeln!(out, "# HELP ebr_db_heavy_reads_total Record, export and audit-trail reads, by where they were sent.");
    let _ = writeln!(out, "# TYPE ebr_db_heavy_reads_total counter");
    let _ = writeln!(
        out,
        "ebr_db_heavy_reads_total{{target=\"replica\"}} {replica}"
    );
    let _ = writeln!(
        out,
        "ebr_db_heavy_reads_total{{target=\"primary\"}} {primary}"
    );
    out
}
