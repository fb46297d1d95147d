//! `make bench`: the system measured end to end, and the one table.
//!
//! Against the release `ebr serve` (production argon2 parameters) on the
//! `make test` PostgreSQL cluster, in a private database seeded with the demo
//! data and the benchmark MBR:
//! - unsigned step entry at 1, 4 and 16 concurrent clients (throughput,
//!   p50/p95), and pgbench running the same statements in the same
//!   transaction shape at the same client counts, as a ratio;
//! - signed entry (record a value, then sign the step with the password):
//!   p50/p95 of the signature request, and the share of it argon2 takes;
//! - reading a full batch record (JSON) with 400 entries;
//! - the SQL statements of one request (recording a four-field step, signing
//!   a step), counted from PostgreSQL's own statement log;
//! - entry latency in an empty batch and in one with 1,000 entries;
//! - the server's peak RSS over the whole run;
//! - when `EBR_BASELINE_BIN` names the server of an earlier commit (`make
//!   bench` builds the one before the batch command path), unsigned-entry
//!   throughput at 16 clients on that server, on its own database migrated
//!   and seeded by it, measured between two runs of this commit's: the
//!   ratio compares figures of the same run on the same machine.
//!
//! Then it prints one table with these rows and those the PDF and audit-verify
//! benchmarks saved earlier in the same `make bench` run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs,
    reason = "a benchmark program"
)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ebr_evidence::bench_mbr::{entry_field, sign_step, ENTRY_FIELDS, ENTRY_STEP, SIGN_STEPS};
use ebr_evidence::floor::{self, Floor};
use ebr_evidence::operator::{Operator, Outcome, DEMO_PASSWORD};
use ebr_evidence::report::{self, Row};
use ebr_evidence::server::{server_binary, workspace_root, Server};
use ebr_evidence::stats::Latencies;
use ebr_testdb::TestDatabase;
use serde_json::{json, Map, Value};
use tokio::sync::Mutex;

const LEVELS: [usize; 3] = [1, 4, 16];
const SECONDS_PER_LEVEL: u64 = 8;
const ENTRY_BATCHES: usize = 48;
const SIGNED_BATCHES: usize = 2;
const RECORD_READS: usize = 30;

fn main() {
    let bin = server_binary("release").unwrap();
    let db = TestDatabase::new();
    floor::seed(&bin, db.url()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rows = runtime.block_on(measure(&bin, &db));
    report::save("system", &rows).unwrap();
    println!();
    println!("ebr benchmarks (one run of `make bench`, release build)");
    println!();
    let table = report::table(
        &["pdf", "audit_verify", "trend", "system"],
        &report::machine(),
    );
    println!("{table}");
    std::fs::write(report::results_dir().join("TABLE.md"), &table).unwrap();
    println!("(also in target/bench-results/TABLE.md)");
}

async fn measure(bin: &Path, db: &TestDatabase) -> Vec<Row> {
    let server = Server::start(bin, db.url(), "bench").await.unwrap();
    let log = std::fs::read_to_string(workspace_root().join("target/evidence-logs/bench.log"))
        .unwrap_or_default();
    assert!(
        !log.contains("insecure test parameters"),
        "{} hashes with the test suite's argon2 parameters: `make bench` builds the production binary",
        bin.display()
    );
    eprintln!("bench: importing and approving the benchmark MBR");
    let floor = Floor::prepare(&server.base()).await.unwrap();
    let mut rows = Vec::new();

    eprintln!("bench: issuing {ENTRY_BATCHES} batches for unsigned entries");
    let batches = floor.issue_many("BR-BENCH-E", ENTRY_BATCHES).await.unwrap();
    let queue = Arc::new(Mutex::new(batches.into_iter().collect::<VecDeque<_>>()));
    eprintln!(
        "bench: logging in {} sessions",
        LEVELS.iter().max().unwrap()
    );
    let mut sessions = Vec::new();
    for i in 0..*LEVELS.iter().max().unwrap() {
        let name = if i % 2 == 0 {
            "zhang.wei"
        } else {
            "maria.garcia"
        };
        sessions.push(
            Operator::login(&server.base(), name, DEMO_PASSWORD)
                .await
                .unwrap(),
        );
    }
    let mut http = Vec::new();
    for clients in LEVELS {
        eprintln!("bench: unsigned entries, {clients} client(s), {SECONDS_PER_LEVEL} s");
        let (count, latencies, secs) = unsigned_entries(&sessions[..clients], queue.clone()).await;
        http.push((clients, count as f64 / secs, latencies));
    }
    let baseline = match std::env::var_os("EBR_BASELINE_BIN") {
        Some(path) => {
            let tps = baseline_throughput(Path::new(&path)).await;
            eprintln!("bench: unsigned entries, 16 client(s) again on this commit");
            let more = floor
                .issue_many("BR-BENCH-F", ENTRY_BATCHES / 2)
                .await
                .unwrap();
            let again = Arc::new(Mutex::new(more.into_iter().collect::<VecDeque<_>>()));
            let (count, _, secs) = unsigned_entries(&sessions[..16], again).await;
            Some((PathBuf::from(path), tps, count as f64 / secs))
        }
        None => None,
    };
    eprintln!("bench: pgbench with the same statements");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/unsigned_entry.pgbench.sql");
    for (clients, tps, latencies) in &http {
        let pg_tps = pgbench(db.url(), &script, *clients);
        let ratio = tps / pg_tps;
        let measure = format!("unsigned step entry, {clients} client(s): throughput (p50 / p95)");
        let result = format!(
            "{tps:.0} entries/s ({:.1} / {:.1} ms); pgbench {pg_tps:.0} tx/s; ratio {:.0} %",
            latencies.percentile(50.0),
            latencies.percentile(95.0),
            ratio * 100.0
        );
        rows.push(if *clients == 16 {
            Row::new(measure, result, "≥ 50 % of pgbench", ratio >= 0.5)
        } else {
            Row::info(measure, result)
        });
    }

    rows.push(match baseline {
        Some((path, baseline_tps, again)) => {
            let now = http.last().map_or(0.0, |(_, tps, _)| *tps).min(again);
            let ratio = now / baseline_tps;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            Row::new(
                "unsigned step entry, 16 clients: this commit against the baseline server, same run",
                format!("{now:.0} entries/s (the lower of two runs) vs {baseline_tps:.0} entries/s ({name}): {ratio:.2}×"),
                "≥ 1.5×",
                ratio >= 1.5,
            )
        }
        None => Row::info(
            "unsigned step entry, 16 clients: this commit against the baseline server, same run",
            "not measured: EBR_BASELINE_BIN not set (`make bench` sets it)",
        ),
    });

    eprintln!("bench: signed entries");
    let (signing, argon2_ms) = signed_entries(&floor, &server).await;
    let p95 = signing.percentile(95.0);
    rows.push(Row::new(
        format!(
            "signed entry (signature with password, {} signatures): p50 / p95",
            signing.len()
        ),
        format!(
            "{:.1} / {p95:.1} ms; argon2 verify {argon2_ms:.1} ms = {:.0} % of p50",
            signing.percentile(50.0),
            100.0 * argon2_ms / signing.percentile(50.0)
        ),
        "p95 ≤ 80 ms",
        p95 <= 80.0,
    ));

    eprintln!("bench: reading a batch record with {ENTRY_FIELDS} entries");
    let reads = record_reads(&floor, &server).await;
    rows.push(Row::info(
        format!("batch record JSON with {ENTRY_FIELDS} entries, GET record.json ({RECORD_READS} reads): p50 / p95"),
        format!("{:.1} / {:.1} ms", reads.percentile(50.0), reads.percentile(95.0)),
    ));

    eprintln!("bench: entry latency with 0 and 1,000 prior entries");
    rows.push(flat_entries(&floor, &server).await);

    eprintln!("bench: statements per request, from PostgreSQL's statement log");
    rows.push(statements_per_request(bin, db, &floor).await);

    let rss_mib = server.peak_rss_kib().unwrap_or(0) as f64 / 1024.0;
    rows.push(Row::new(
        "server peak RSS over the whole run (VmHWM of `ebr serve`)",
        format!("{rss_mib:.1} MiB"),
        "≤ 100 MB",
        rss_mib * 1.048_576 <= 100.0,
    ));
    rows
}

/// Entries recorded one per request: latency in a fresh batch, and in a batch
/// that already holds 1,000 entries (350 readings, each corrected, 300 of
/// them corrected again). The cost of an entry must not grow with the batch.
async fn flat_entries(floor: &Floor, server: &Server) -> Row {
    const MEASURED: usize = 50;
    let op = Operator::login(&server.base(), "zhang.wei", DEMO_PASSWORD)
        .await
        .unwrap();
    let entry_ids = |v: &Value| -> Vec<String> {
        v.get("entries")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let fresh = floor.issue("BR-BENCH-FLAT-0").await.unwrap();
    let full = floor.issue("BR-BENCH-FLAT-1").await.unwrap();
    let mut newest = Vec::new();
    for chunk in 0..7 {
        let mut values = Map::new();
        for i in chunk * 50..(chunk + 1) * 50 {
            values.insert(entry_field(i), json!("42.5"));
        }
        let (o, _) = op.record(&full, ENTRY_STEP, Value::Object(values)).await;
        let Outcome::Acked(ids) = o else {
            panic!("{o:?}")
        };
        newest.extend(ids);
    }
    for round in 0..2 {
        let take = if round == 0 { newest.len() } else { 300 };
        let mut next = Vec::new();
        for id in newest.iter().take(take) {
            let (o, _) = op
                .post(
                    &format!("/api/v1/batches/{full}/entries/{id}/corrections"),
                    &json!({ "value": "43.5", "reason": "re-read (benchmark)" }),
                    entry_ids,
                )
                .await;
            let Outcome::Acked(ids) = o else {
                panic!("{o:?}")
            };
            next.extend(ids);
        }
        newest = next;
    }
    // Alternate between the two batches, so a burst of noise on this shared
    // machine (or the autovacuum the corrections above provoke) falls on
    // both measurements alike instead of on whichever ran second.
    let mut empty = Latencies::default();
    let mut loaded = Latencies::default();
    for i in 0..MEASURED {
        let (o, took) = op
            .record(&fresh, ENTRY_STEP, json!({ entry_field(i): "42.5" }))
            .await;
        assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
        empty.push(took);
        let (o, took) = op
            .record(
                &full,
                ENTRY_STEP,
                json!({ entry_field(400 - MEASURED + i): "42.5" }),
            )
            .await;
        assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
        loaded.push(took);
    }
    let ratio = loaded.percentile(50.0) / empty.percentile(50.0);
    Row::new(
        format!("entry latency, {MEASURED} single-field entries: empty batch vs 1,000 prior entries (p50 / p95)"),
        format!(
            "{:.1} / {:.1} ms vs {:.1} / {:.1} ms: {ratio:.2}×",
            empty.percentile(50.0),
            empty.percentile(95.0),
            loaded.percentile(50.0),
            loaded.percentile(95.0)
        ),
        "≤ 1.3× of an empty batch",
        ratio <= 1.3,
    )
}

/// The statements one request runs, whole request included (session check,
/// connection checks, transaction), counted from PostgreSQL's statement log:
/// a second server on the same database after `log_statement = 'all'` is set
/// for it, a warm-up request on each path, then one measured request each.
async fn statements_per_request(bin: &Path, db: &TestDatabase, floor: &Floor) -> Row {
    use diesel::RunQueryDsl;
    use ebr_evidence::statements::{local_cluster_log, StatementLog};
    let measure = "SQL statements per request (PostgreSQL's statement log): record a four-field step / sign a step";
    let Some(log) = local_cluster_log() else {
        return Row::info(
            measure,
            "not measured: the database is not the local `make test` cluster, whose log this reads",
        );
    };
    let mut conn = db.connection();
    diesel::sql_query(format!(
        "ALTER DATABASE \"{}\" SET log_statement = 'all'",
        db.name()
    ))
    .execute(&mut conn)
    .unwrap();
    let server = Server::start(bin, db.url(), "bench-statements")
        .await
        .unwrap();
    let op = Operator::login(&server.base(), "zhang.wei", DEMO_PASSWORD)
        .await
        .unwrap();
    let warm = floor.issue("BR-BENCH-SQL-0").await.unwrap();
    let measured = floor.issue("BR-BENCH-SQL-1").await.unwrap();
    let four = |from: usize| {
        let mut values = Map::new();
        for i in from..from + 4 {
            values.insert(entry_field(i), json!("42.5"));
        }
        Value::Object(values)
    };
    let _ = op.record(&warm, ENTRY_STEP, four(0)).await;
    let _ = op.sign(&warm, ENTRY_STEP, "performed", DEMO_PASSWORD).await;
    let _ = op.record(&warm, &sign_step(0), json!({ "v": "55" })).await;
    // The batch's first entry also starts it (a status event): measure a
    // recording in a batch already in progress, as on the floor.
    let _ = op
        .record(&measured, ENTRY_STEP, json!({ entry_field(399): "42.5" }))
        .await;
    let mut counter = StatementLog::at_end(&log).unwrap();
    let (o, _) = op.record(&measured, ENTRY_STEP, four(0)).await;
    assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let record = counter.count_since().unwrap();
    let (o, _) = op
        .sign(&measured, ENTRY_STEP, "performed", DEMO_PASSWORD)
        .await;
    assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sign = counter.count_since().unwrap();
    drop(server);
    diesel::sql_query(format!(
        "ALTER DATABASE \"{}\" RESET log_statement",
        db.name()
    ))
    .execute(&mut conn)
    .unwrap();
    // Signing's budget grew by the one statement of the training gate
    // (issue 15: curricula and the signer's training, read with the batch's
    // MBR version); recording absorbed it within its budget.
    Row::new(
        measure,
        format!("{record} / {sign} (at 9ae47d2, before the batch command path: 47 / 47, counted the same way by hand)"),
        "≤ 12 / ≤ 17",
        record <= 12 && sign <= 17,
    )
}

/// Unsigned-entry throughput at 16 clients on the server `bin` of an
/// earlier commit, on a database of its own that it migrated and seeded.
async fn baseline_throughput(bin: &Path) -> f64 {
    eprintln!(
        "bench: baseline server {}: seeding its own database",
        bin.display()
    );
    let db = TestDatabase::empty();
    floor::seed(bin, db.url()).unwrap();
    let server = Server::start_baseline(bin, db.url(), "bench-baseline")
        .await
        .unwrap();
    let floor = Floor::prepare_with(
        &server.base(),
        ebr_evidence::bench_mbr::toml_for_baseline().unwrap(),
    )
    .await
    .unwrap();
    let batches = floor
        .issue_many("BR-BASE-E", ENTRY_BATCHES / 2)
        .await
        .unwrap();
    let queue = Arc::new(Mutex::new(batches.into_iter().collect::<VecDeque<_>>()));
    let mut sessions = Vec::new();
    for i in 0..16 {
        let name = if i % 2 == 0 {
            "zhang.wei"
        } else {
            "maria.garcia"
        };
        sessions.push(
            Operator::login(&server.base(), name, DEMO_PASSWORD)
                .await
                .unwrap(),
        );
    }
    eprintln!("bench: unsigned entries, 16 client(s), {SECONDS_PER_LEVEL} s, baseline server");
    let (count, _, secs) = unsigned_entries(&sessions, queue).await;
    count as f64 / secs
}

/// Each client records one field per request, batch after batch, for the set time.
async fn unsigned_entries(
    sessions: &[Operator],
    queue: Arc<Mutex<VecDeque<String>>>,
) -> (usize, Latencies, f64) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(SECONDS_PER_LEVEL);
    let tasks: Vec<_> = sessions
        .iter()
        .cloned()
        .map(|op| {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut latencies = Latencies::default();
                let mut count = 0usize;
                'outer: while Instant::now() < deadline {
                    let Some(batch) = queue.lock().await.pop_front() else {
                        eprintln!("bench: out of batches; the measurement is shorter than planned");
                        break;
                    };
                    for i in 0..ENTRY_FIELDS {
                        if Instant::now() >= deadline {
                            // Give the rest of the batch back for the next level.
                            if i < ENTRY_FIELDS / 2 {
                                queue.lock().await.push_back(batch.clone());
                            }
                            break 'outer;
                        }
                        let (outcome, took) = op
                            .record(&batch, ENTRY_STEP, json!({ entry_field(i): "42.5" }))
                            .await;
                        match outcome {
                            Outcome::Acked(_) => {
                                latencies.push(took);
                                count += 1;
                            }
                            // A batch given back half-used: skip its recorded fields.
                            Outcome::Refused(409, _) => {}
                            other => panic!("unsigned entry failed: {other:?}"),
                        }
                    }
                }
                (count, latencies)
            })
        })
        .collect();
    let mut total = 0;
    let mut all = Latencies::default();
    for t in tasks {
        let (count, latencies) = t.await.unwrap();
        total += count;
        all.extend(latencies);
    }
    (total, all, started.elapsed().as_secs_f64())
}

/// Runs the pgbench script at `clients` for the same time; returns tx/s.
fn pgbench(db_url: &str, script: &Path, clients: usize) -> f64 {
    // postgres://user:password@host:port/database
    let rest = db_url
        .strip_prefix("postgres://")
        .or_else(|| db_url.strip_prefix("postgresql://"))
        .unwrap();
    let (auth, location) = rest.split_once('@').unwrap();
    let (user, password) = auth.split_once(':').unwrap();
    let (hostport, database) = location.split_once('/').unwrap();
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    let out = Command::new(pgbench_binary())
        .args(["-n", "-M", "prepared", "-D", "ready=0", "-f"])
        .arg(script)
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .args(["-T", &SECONDS_PER_LEVEL.to_string()])
        .args(["-h", host, "-p", port, "-U", user, database])
        .env("PGPASSWORD", password)
        .output()
        .expect("run pgbench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench's output:\n{stdout}"))
}

fn pgbench_binary() -> PathBuf {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("pgbench").is_file() {
            return dir.join("pgbench");
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path().join("bin/pgbench"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| PathBuf::from("pgbench"))
}

/// Records and signs every sign step of fresh batches; returns the signature
/// latencies and argon2's own verify time with the production parameters.
async fn signed_entries(floor: &Floor, server: &Server) -> (Latencies, f64) {
    let op = Operator::login(&server.base(), "zhang.wei", DEMO_PASSWORD)
        .await
        .unwrap();
    let mut signing = Latencies::default();
    for b in 0..SIGNED_BATCHES {
        let batch = floor.issue(&format!("BR-BENCH-S-{b:04}")).await.unwrap();
        let (o, _) = op
            .sign(&batch, ENTRY_STEP, "performed", DEMO_PASSWORD)
            .await;
        assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
        for i in 0..SIGN_STEPS {
            let step = sign_step(i);
            let (o, _) = op.record(&batch, &step, json!({ "v": "55" })).await;
            assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
            let (o, took) = op.sign(&batch, &step, "performed", DEMO_PASSWORD).await;
            assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
            signing.push(took);
        }
    }
    (signing, argon2_verify_ms())
}

/// The median time of one argon2id verify with the production parameters
/// (19 MiB, t=2, p=1), measured in this process.
fn argon2_verify_ms() -> f64 {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let phc = hasher
        .hash_password(DEMO_PASSWORD.as_bytes())
        .unwrap()
        .to_string();
    let mut times = Latencies::default();
    for _ in 0..15 {
        let t = Instant::now();
        hasher
            .verify_password(DEMO_PASSWORD.as_bytes(), phc.as_str())
            .unwrap();
        times.push(t.elapsed());
    }
    times.percentile(50.0)
}

/// Fills one batch with every entry field, then reads its record as an auditor.
async fn record_reads(floor: &Floor, server: &Server) -> Latencies {
    let op = Operator::login(&server.base(), "maria.garcia", DEMO_PASSWORD)
        .await
        .unwrap();
    let batch = floor.issue("BR-BENCH-R-0001").await.unwrap();
    for chunk in (0..ENTRY_FIELDS).collect::<Vec<_>>().chunks(50) {
        let values: Map<String, Value> = chunk
            .iter()
            .map(|i| (entry_field(*i), json!("42.5")))
            .collect();
        let (o, _) = op.record(&batch, ENTRY_STEP, Value::Object(values)).await;
        assert!(matches!(o, Outcome::Acked(_)), "{o:?}");
    }
    let auditor = Operator::login(&server.base(), "audrey.martin", DEMO_PASSWORD)
        .await
        .unwrap();
    let mut reads = Latencies::default();
    for _ in 0..RECORD_READS {
        let t = Instant::now();
        let (status, body) = auditor
            .get(&format!("/api/v1/batches/{batch}/record.json"))
            .await;
        reads.push(t.elapsed());
        assert_eq!(status, 200, "{body}");
        assert!(
            body.len() > 10_000,
            "a record with {ENTRY_FIELDS} entries is larger: {} bytes",
            body.len()
        );
    }
    reads
}
