//! Heavy reads on read replicas (`EBR__DATABASE__REPLICA_URL`): the probe
//! thread that keeps each replica's verdict current, and the routes whose
//! reads a replica may serve. The verdicts themselves are
//! [`ebr_db::replicas`]'s.

use std::sync::Arc;
use std::time::Instant;

use ebr_db::replicas::{ReadReplicas, PROBE_INTERVAL};

/// The GET routes a replica serves (record PDF and export, audit trail). They
/// stay readable while the primary is down: the session is then checked on
/// the replica and its activity not recorded.
pub const REPLICA_ROUTES: [&str; 3] = [
    "/api/v1/batches/{id}/record.pdf",
    "/api/v1/batches/{id}/record.json",
    "/api/v1/batches/{id}/audit-trail",
];

/// Whether a replica may serve this request.
pub fn served_by_replica(method: &actix_web::http::Method, pattern: &str) -> bool {
    method == actix_web::http::Method::GET && REPLICA_ROUTES.contains(&pattern)
}

/// Probes once now (so replicas serve from the first request), then every
/// [`PROBE_INTERVAL`] on a thread of its own, logging each replica that
/// starts or stops serving and the primary going away or coming back.
pub fn spawn_probe(reads: Arc<ReadReplicas>, primary_url: String) {
    if !reads.configured() {
        return;
    }
    let mut primary = None;
    reads.probe(&mut primary, &primary_url, Instant::now());
    log_changes(&reads, &[], true);
    let spawned = std::thread::Builder::new()
        .name("ebr-replica-probe".into())
        .spawn(move || {
            let mut before = reads.statuses();
            let mut primary_was_up = reads.primary_up();
            loop {
                std::thread::sleep(PROBE_INTERVAL);
                reads.probe(&mut primary, &primary_url, Instant::now());
                log_changes(&reads, &before, primary_was_up);
                before = reads.statuses();
                primary_was_up = reads.primary_up();
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the replica probe: heavy reads go to the primary");
    }
}

fn log_changes(
    reads: &ReadReplicas,
    before: &[ebr_db::replicas::ReplicaStatus],
    primary_was_up: bool,
) {
    if primary_was_up != reads.primary_up() {
        if reads.primary_up() {
            tracing::info!("the primary database answers again");
        } else {
            tracing::warn!("the primary database does not answer: writes are refused with 503; record reads go to an up-to-date replica");
        }
    }
    for now in reads.statuses() {
        let was = before.iter().find(|b| b.label == now.label);
        if was.map(|w| w.usable) == Some(now.usable) {
            continue;
        }
        if now.usable {
            tracing::info!(replica = %now.label, lag = ?now.lag, promoted = now.promoted, "replica serves reads");
        } else {
            tracing::warn!(replica = %now.label, up = now.up, lag = ?now.lag, max_lag = ?reads.max_lag(), "replica skipped: reads go to the primary");
        }
    }
}
