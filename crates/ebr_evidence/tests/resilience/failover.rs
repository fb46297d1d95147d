//! Failover: a synchronous primary and a hot standby, two `ebr serve` nodes,
//! operators writing and signing through both, an auditor downloading record
//! PDFs from the replica; then the primary's machine is lost (kill -9 of
//! every PostgreSQL process) and the standby promoted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ebr_evidence::bench_mbr::{entry_field, ENTRY_STEP};
use ebr_evidence::cluster::ReplicatedPair;
use ebr_evidence::floor::{self, Floor};
use ebr_evidence::operator::{Operator, DEMO_PASSWORD};
use ebr_evidence::server::{ebr, Server};
use ebr_evidence::stats::Latencies;
use serde_json::{json, Value};

use crate::common::{assert_no_failures, bin, full, run_workload, save_result, summary};

const PRIMARY: &str = "repl-primary";
const PRIMARY_PORT: &str = "54332";
const STANDBY: &str = "repl-standby";
const STANDBY_PORT: &str = "54333";

/// PDFs an auditor downloaded, by where they were served from.
#[derive(Debug, Default)]
struct Downloads {
    from_replica: usize,
    from_primary: usize,
    other: Vec<u16>,
    latencies: Latencies,
}

/// Downloads `batch`'s record PDF again and again until `stop`.
async fn download_until(auditor: Operator, batch: String, stop: Arc<AtomicBool>) -> Downloads {
    let mut d = Downloads::default();
    let url = format!("{}/api/v1/batches/{batch}/record.pdf", auditor.base());
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        match auditor.client().get(&url).send().await {
            Ok(r) if r.status() == 200 => {
                let from = r
                    .headers()
                    .get("x-ebr-read-from")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let body = r.bytes().await.unwrap_or_default();
                assert!(body.starts_with(b"%PDF-"), "a record PDF");
                d.latencies.push(started.elapsed());
                match from.as_str() {
                    "replica" => d.from_replica += 1,
                    _ => d.from_primary += 1,
                }
            }
            Ok(r) => {
                d.other.push(r.status().as_u16());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(_) => {
                d.other.push(0);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    d
}

fn checkpoint_lines(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .map(|text| text.lines().count())
                .sum()
        })
        .unwrap_or(0)
}

/// The id of the demo's released batch.
async fn released_demo_batch(auditor: &Operator) -> String {
    let (status, body) = auditor.get("/api/v1/batches").await;
    assert_eq!(status, 200, "{body}");
    let batches: Vec<Value> = serde_json::from_str(&body).unwrap();
    batches
        .iter()
        .find(|b| b["batch_number"] == "BR-2026-0001")
        .and_then(|b| b["id"].as_str())
        .expect("the demo's released batch")
        .to_string()
}

fn sql(url: &str, statement: &str) {
    ebr_evidence::cluster::sql(url, statement).unwrap();
}

/// Where the record export was read from, and whether the metrics say the
/// replica serves.
async fn read_target(reader: &Operator, batch: &str) -> (String, bool) {
    let r = reader
        .client()
        .get(format!("{}/api/v1/batches/{batch}/record.json", reader.base()).as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let from = r.headers()["x-ebr-read-from"].to_str().unwrap().to_string();
    let metrics = reqwest::get(format!("{}/metrics", reader.base()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let serving = metrics
        .lines()
        .any(|l| l.starts_with("ebr_db_replica_serving{") && l.ends_with(" 1"));
    (from, serving)
}

/// The replica stops replaying (commits made asynchronous for the moment, or
/// they would wait for it): once it is further behind than the bound (2 s
/// here) reads go to the primary and the metrics say so; once it has caught
/// up it serves again. Returns the summary.
async fn lagging_replica_is_skipped(
    primary_url: &str,
    replica_url: &str,
    writer: &Operator,
    batch: &str,
    reader: &Operator,
    record_of: &str,
) -> String {
    assert_eq!(
        read_target(reader, record_of).await,
        ("replica".into(), true)
    );
    sql(primary_url, "ALTER SYSTEM SET synchronous_commit = 'local'");
    sql(primary_url, "SELECT pg_reload_conf()");
    // Every backend reads the new setting at its next command after the
    // reload signal; give them a moment, or a commit could still wait for
    // the paused standby.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sql(replica_url, "SELECT pg_wal_replay_pause()");
    let (written, _) = writer
        .record(batch, ENTRY_STEP, json!({ entry_field(1): "42.5" }))
        .await;
    assert!(
        matches!(written, ebr_evidence::operator::Outcome::Acked(_)),
        "{written:?}"
    );
    let paused = Instant::now();
    loop {
        let (from, serving) = read_target(reader, record_of).await;
        if from == "primary" && !serving {
            break;
        }
        assert!(
            paused.elapsed() < Duration::from_secs(15),
            "a replica 15 s behind still serves"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let skipped_after = paused.elapsed();
    sql(replica_url, "SELECT pg_wal_replay_resume()");
    let resumed = Instant::now();
    loop {
        let (from, serving) = read_target(reader, record_of).await;
        if from == "replica" && serving {
            break;
        }
        assert!(
            resumed.elapsed() < Duration::from_secs(15),
            "a replica that caught up is not used again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let back_after = resumed.elapsed();
    sql(primary_url, "ALTER SYSTEM RESET synchronous_commit");
    sql(primary_url, "SELECT pg_reload_conf()");
    format!(
        "replica paused: reads went to the primary {:.1} s later (bound 2 s), back on the replica {:.1} s after it resumed",
        skipped_after.as_secs_f64(),
        back_after.as_secs_f64()
    )
}

/// R5, R1, R13: the primary's machine dies under load (kill -9 of the
/// postmaster and every backend) while two nodes write and sign through it
/// with `synchronous_commit = remote_apply`; while it is gone a record PDF is
/// still served (from the replica) and a write is refused with 503
/// problem+json; the standby is promoted and both nodes write to it without
/// a restart. Afterwards every acknowledged entry and signature is on the
/// promoted standby, the chains are gap-free, and `ebr audit verify
/// --checkpoints` passes against checkpoints signed before and after the
/// failover.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r1_r5_r13_failover_to_the_standby_loses_nothing_acknowledged() {
    let pair = ReplicatedPair::create((PRIMARY, PRIMARY_PORT), (STANDBY, STANDBY_PORT)).unwrap();
    // Both hosts: libpq connects to whichever is the read-write primary.
    let (db_url, primary_only, replica_url) = (
        pair.db_url.clone(),
        pair.primary_url.clone(),
        pair.replica_url.clone(),
    );

    let bin = bin();
    let work_dir: PathBuf = ebr_evidence::server::workspace_root()
        .join("target/evidence-logs")
        .join(format!("failover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work_dir);
    std::fs::create_dir_all(&work_dir).unwrap();
    let key = work_dir.join("checkpoint.key");
    let public_key = work_dir.join("checkpoint.pub");
    let log_dir = work_dir.join("checkpoints");
    let public = ebr(
        &bin,
        &db_url,
        &["checkpoint", "keygen", "-o", key.to_str().unwrap()],
    )
    .unwrap();
    std::fs::write(&public_key, public).unwrap();
    floor::seed(&bin, &db_url).unwrap();

    let env = [
        ("EBR__DATABASE__REPLICA_URL", replica_url.clone()),
        ("EBR__CHECKPOINT__KEY_FILE", key.display().to_string()),
        ("EBR__CHECKPOINT__LOG_DIR", log_dir.display().to_string()),
        ("EBR__CHECKPOINT__INTERVAL_SECONDS", "1".to_string()),
        ("EBR__DATABASE__REPLICA_MAX_LAG_SECONDS", "2".to_string()),
    ];
    let a = Server::start_with(&bin, &db_url, "failover-a", &env)
        .await
        .unwrap();
    let b = Server::start_with(&bin, &db_url, "failover-b", &env)
        .await
        .unwrap();
    let (a_base, b_base) = (a.base(), b.base());
    let floor = Floor::prepare(&a_base).await.unwrap();

    // Operators on both nodes, each group alternating nodes on its own batches.
    let mut groups = Vec::new();
    for i in 0..4 {
        let name = if i % 2 == 0 {
            "zhang.wei"
        } else {
            "maria.garcia"
        };
        let home = if i % 2 == 0 { &a_base } else { &b_base };
        let op = Operator::login(home, name, DEMO_PASSWORD).await.unwrap();
        let other = op.on(if i % 2 == 0 { &b_base } else { &a_base });
        let batches = floor.issue_many(&format!("BR-FAIL-{i}"), 8).await.unwrap();
        groups.push((vec![op, other], batches));
    }
    let prober = Operator::login(&a_base, "zhang.wei", DEMO_PASSWORD)
        .await
        .unwrap();
    let probe_batch = floor
        .issue_many("BR-FAIL-PROBE", 1)
        .await
        .unwrap()
        .remove(0);
    let auditor = Operator::login(&b_base, "audrey.martin", DEMO_PASSWORD)
        .await
        .unwrap();
    let released = released_demo_batch(&auditor).await;
    let lag_phase = lagging_replica_is_skipped(
        &primary_only,
        &replica_url,
        &prober,
        &probe_batch,
        &auditor.on(&a_base),
        &released,
    )
    .await;

    // Phase 1: writers on the primary, the auditor reading from the replica.
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writers = tokio::spawn(run_workload(
        groups,
        started + Duration::from_secs(3600),
        stop.clone(),
    ));
    let stop_reading = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(download_until(
        auditor.clone(),
        released.clone(),
        stop_reading.clone(),
    ));
    let load_secs = if full() { 30 } else { 6 };
    tokio::time::sleep(Duration::from_secs(load_secs)).await;
    stop_reading.store(true, Ordering::Relaxed);
    let downloads = reader.await.unwrap();
    let reading_secs = started.elapsed().as_secs_f64();
    assert!(
        downloads.from_replica > 0 && downloads.from_primary == 0 && downloads.other.is_empty(),
        "record PDFs during the write load: {downloads:?}"
    );
    let checkpoints_before = checkpoint_lines(&log_dir);
    assert!(
        checkpoints_before > 0,
        "no checkpoint was signed before the failover"
    );

    // The primary's machine is lost.
    pair.kill_primary().unwrap();
    let killed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // While no primary exists: the record is still readable (from the
    // replica), a write is refused with 503 problem+json.
    let pdf = auditor
        .client()
        .get(format!("{a_base}/api/v1/batches/{released}/record.pdf").as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200, "record PDF while the primary is down");
    assert_eq!(
        pdf.headers().get("x-ebr-read-from").unwrap(),
        "replica",
        "served from the replica"
    );
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let refused = prober
        .client()
        .post(format!("{b_base}/api/v1/batches/{probe_batch}/steps/{ENTRY_STEP}/entries").as_str())
        .json(&json!({ "values": { entry_field(0): "41.5" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503, "an entry while no primary exists");
    assert_eq!(
        refused.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let outage_checked = killed_at.elapsed();

    // Promote the standby; the nodes find it by themselves.
    pair.promote_standby().unwrap();
    let promoted_at = Instant::now();
    let after = if full() { 15 } else { 4 };
    tokio::time::sleep(Duration::from_secs(after)).await;
    stop.store(true, Ordering::Relaxed);
    let tally = writers.await.unwrap();
    let first_write = tally
        .first_acked_sent_after(killed_at)
        .expect("no write succeeded after the failover");
    let kill_to_write = first_write.saturating_duration_since(killed_at);
    let promote_to_write = first_write.saturating_duration_since(promoted_at);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let checkpoints_after = checkpoint_lines(&log_dir);
    assert!(
        checkpoints_after > checkpoints_before,
        "no checkpoint was signed after the failover ({checkpoints_before} before, {checkpoints_after} after)"
    );

    assert_no_failures(&tally, &[503]);
    ebr_evidence::checks::acknowledged_present(&db_url, &tally.entries, &tally.signatures).unwrap();
    ebr_evidence::checks::nothing_half_written(&db_url).unwrap();
    let report = ebr(
        &bin,
        &db_url,
        &[
            "audit",
            "verify",
            "--checkpoints",
            log_dir.to_str().unwrap(),
            "--public-key",
            public_key.to_str().unwrap(),
        ],
    )
    .unwrap();
    assert!(report.contains("intact"), "{report}");
    assert!(report.contains("every chain extends all"), "{report}");

    let line = format!(
        "{}; primary killed (kill -9, all processes) after {load_secs} s, standby promoted {:.1} s later: first acknowledged write {:.1} s after the kill ({:.2} s after promotion), 0 of {} acknowledged writes lost, chains gap-free, `ebr audit verify --checkpoints` passes across the failover ({checkpoints_before} checkpoints before, {} after); meanwhile {} record PDFs from the replica ({:.1}/s, p50 {:.0} ms) and one more while no primary existed, a write then 503 problem+json",
        summary("2 nodes, synchronous standby", &tally, started.elapsed().as_secs_f64()),
        promoted_at.saturating_duration_since(killed_at).as_secs_f64(),
        kill_to_write.as_secs_f64(),
        promote_to_write.as_secs_f64(),
        tally.acknowledged(),
        checkpoints_after - checkpoints_before,
        downloads.from_replica,
        downloads.from_replica as f64 / reading_secs.max(0.001),
        downloads.latencies.percentile(50.0),
    );
    let line = format!("{line}; {lag_phase}");
    eprintln!(
        "{line} (outage checks took {:.1} s)",
        outage_checked.as_secs_f64()
    );
    drop(a);
    drop(b);
    pair.delete().unwrap();
    let _ = std::fs::remove_dir_all(&work_dir);
    save_result(
        "failover",
        "failover: primary lost, standby promoted",
        line,
        "zero acknowledged writes lost; PDF served and write 503 while no primary; chains and checkpoints verify; nodes reconnect without restart; a lagging replica is skipped",
    );
}
