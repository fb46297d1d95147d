//! A site for one test: a private database seeded with the demo data, one
//! server, the approved benchmark MBR and logged-in operators.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use ebr_evidence::floor::{self, Floor};
use ebr_evidence::operator::{Operator, DEMO_PASSWORD};
use ebr_evidence::server::{server_binary, Server};
use ebr_evidence::workload::{self, Tally};
use ebr_testdb::TestDatabase;

/// Whether this is `make resilience` (full length) rather than `make test`.
pub fn full() -> bool {
    std::env::var("EBR_RESILIENCE").is_ok_and(|v| v == "full")
}

/// The server binary: `$EBR_BIN` (the release build under `make resilience`),
/// else the debug build that `make test` just made.
pub fn bin() -> PathBuf {
    server_binary("debug").unwrap()
}

/// One test's world.
pub struct Site {
    /// The private database, when the site has one (dropped with the site).
    pub db: Option<TestDatabase>,
    /// The database URL.
    pub url: String,
    pub bin: PathBuf,
    pub server: Server,
    pub floor: Floor,
}

impl Site {
    /// Seeds a private database and starts one server on it.
    pub async fn new(name: &str) -> Site {
        let db = TestDatabase::new();
        let url = db.url().to_string();
        Self::on(Some(db), url, name).await
    }

    /// Seeds the database at `url` and starts one server on it.
    pub async fn on(db: Option<TestDatabase>, url: String, name: &str) -> Site {
        let bin = bin();
        floor::seed(&bin, &url).unwrap();
        let server = Server::start(&bin, &url, name).await.unwrap();
        let floor = Floor::prepare(&server.base()).await.unwrap();
        Site {
            db,
            url,
            bin,
            server,
            floor,
        }
    }

    /// `n` operator sessions on `base`, alternating between the two demo operators.
    pub async fn operators(&self, base: &str, n: usize) -> Vec<Operator> {
        let mut ops = Vec::new();
        for i in 0..n {
            let name = if i % 2 == 0 {
                "zhang.wei"
            } else {
                "maria.garcia"
            };
            ops.push(Operator::login(base, name, DEMO_PASSWORD).await.unwrap());
        }
        ops
    }

    /// One group per operator session on this site's server, each with its
    /// own `batches_each` new batches numbered `<prefix>-<i>-…`.
    pub async fn solo_groups(
        &self,
        operators: usize,
        prefix: &str,
        batches_each: usize,
    ) -> Vec<(Vec<Operator>, Vec<String>)> {
        let mut groups = Vec::new();
        for (i, op) in self
            .operators(&self.server.base(), operators)
            .await
            .into_iter()
            .enumerate()
        {
            let batches = self
                .floor
                .issue_many(&format!("{prefix}-{i:02}"), batches_each)
                .await
                .unwrap();
            groups.push((vec![op], batches));
        }
        groups
    }

    /// The three checks every test ends with: acknowledged writes present,
    /// nothing half-written, `ebr audit verify` passes.
    pub fn assert_intact(&self, tally: &Tally) {
        ebr_evidence::checks::acknowledged_present(&self.url, &tally.entries, &tally.signatures)
            .unwrap();
        ebr_evidence::checks::nothing_half_written(&self.url).unwrap();
        let report = ebr_evidence::checks::audit_verifies(&self.bin, &self.url).unwrap();
        assert!(report.contains("intact"), "{report}");
    }
}

/// Runs one workload task per session group until `deadline` or `stop`, and
/// merges the tallies.
pub async fn run_workload(
    groups: Vec<(Vec<Operator>, Vec<String>)>,
    deadline: Instant,
    stop: Arc<AtomicBool>,
) -> Tally {
    workload::run_groups(groups, DEMO_PASSWORD, deadline, stop)
        .await
        .unwrap()
}

/// Fails on any 5xx other than those in `allowed`, and on any refusal.
pub fn assert_no_failures(tally: &Tally, allowed: &[u16]) {
    let failures: Vec<_> = tally
        .server_errors
        .iter()
        .filter(|(status, _)| !allowed.contains(status))
        .collect();
    assert!(failures.is_empty(), "5xx: {:?}", failures.first());
    assert!(
        tally.refused.is_empty(),
        "refused: {:?}",
        tally.refused.first()
    );
}

/// A short human summary of a tally, printed with the test's output.
pub fn summary(what: &str, tally: &Tally, secs: f64) -> String {
    format!(
        "{what}: {} entries and {} signatures acknowledged in {secs:.1} s ({:.0} writes/s), \
         {} already done after a lost answer, {} without answer, {} 5xx, {} other refusals; \
         p50 {:.1} ms, p95 {:.1} ms",
        tally.entries.len(),
        tally.signatures.len(),
        tally.acknowledged() as f64 / secs.max(0.001),
        tally.already_done,
        tally.no_answer,
        tally.server_errors.len(),
        tally.refused.len(),
        tally.latencies.percentile(50.0),
        tally.latencies.percentile(95.0)
    )
}

/// Saves this test's line for the `make resilience` table (written only when
/// every assertion before it passed).
pub fn save_result(name: &str, test: &str, result: String, criterion: &str) {
    ebr_evidence::report::save(
        &format!("resilience-{name}"),
        &[ebr_evidence::report::Row::new(
            format!(
                "{test} ({})",
                if full() {
                    "full"
                } else {
                    "short, as in `make test`"
                }
            ),
            result,
            criterion,
            true,
        )],
    )
    .unwrap();
}

/// Runs `scripts/pg.sh` with `args`; fails the test unless it succeeds.
pub fn pg(args: &[&str]) -> String {
    ebr_evidence::cluster::pg(args).unwrap()
}
