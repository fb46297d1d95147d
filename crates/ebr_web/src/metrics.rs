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
