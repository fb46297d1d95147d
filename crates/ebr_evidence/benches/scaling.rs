//! `make scaling`: what one PostgreSQL primary carries for this workload,
//! the figures `docs/SCALING.md` is built on.
//!
//! A primary (fsync on) with a hot standby it commits to synchronously
//! (`synchronous_commit = remote_apply`), both on loopback under `.pg/`, and
//! one release `ebr serve` reading records from the standby:
//! - the operators' mix (readings, step entries, step signatures with the
//!   password) at 16 concurrent sessions: entries/s and signatures/s with the
//!   synchronous standby, then with commits that wait for the local disk only;
//! - storage: rows, table and index bytes of the audit trail, entries and
//!   signatures after the run, per row; and what the demo's released batch of
//!   the reference process holds (events, entries, signatures);
//! - `ebr audit verify --replica` over everything, timed (and by the build
//!   `EBR_COMPARE_BIN` names, when set, on the same data).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs,
    reason = "a benchmark program"
)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use ebr_evidence::bench_mbr::{entry_field, ENTRY_FIELDS, ENTRY_STEP};
use ebr_evidence::cluster::ReplicatedPair;
use ebr_evidence::floor::{self, Floor};
use ebr_evidence::operator::{Operator, Outcome, DEMO_PASSWORD};
use ebr_evidence::report::{self, Row};
use ebr_evidence::server::{server_binary, Server};
use ebr_evidence::stats::Latencies;
use ebr_evidence::workload::{self, Tally};
use serde_json::json;

const PRIMARY: &str = "scale-primary";
const PRIMARY_PORT: &str = "54334";
const STANDBY: &str = "scale-standby";
const STANDBY_PORT: &str = "54335";
const CLIENTS: usize = 16;
const SECONDS: u64 = 20;

fn sql(url: &str, statement: &str) {
    ebr_evidence::cluster::sql(url, statement).unwrap();
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = BigInt)]
    rows: i64,
    #[diesel(sql_type = BigInt)]
    table_bytes: i64,
    #[diesel(sql_type = BigInt)]
    index_bytes: i64,
}

fn main() {
    let bin = server_binary("release").unwrap();
    let pair = ReplicatedPair::create((PRIMARY, PRIMARY_PORT), (STANDBY, STANDBY_PORT)).unwrap();
    let (db_url, primary_only, replica) = (&pair.db_url, &pair.primary_url, &pair.replica_url);
    floor::seed(&bin, db_url).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rows = runtime.block_on(measure(&bin, db_url, primary_only, replica));
    report::save("scaling", &rows).unwrap();
    pair.delete().unwrap();
    println!();
    println!("ebr scaling (one run of `make scaling`, release build; docs/SCALING.md)");
    println!();
    let table = report::table(&["scaling"], &report::machine().replace(
        "PostgreSQL on loopback (the `make test` cluster: fsync off).",
        "PostgreSQL 15 primary (fsync on) and synchronous hot standby on the same machine, loopback.",
    ));
    println!("{table}");
    std::fs::write(report::results_dir().join("SCALING.md"), &table).unwrap();
    println!("(also in target/bench-results/SCALING.md)");
}

/// `CLIENTS` logged-in sessions, alternating the two demo operators, each
/// with `batches_each` new batches of its own numbered `<prefix>-<i>-…`.
async fn sessions(
    floor: &Floor,
    base: &str,
    prefix: &str,
    batches_each: usize,
) -> Vec<(Operator, Vec<String>)> {
    let mut sessions = Vec::new();
    for i in 0..CLIENTS {
        let name = if i % 2 == 0 {
            "zhang.wei"
        } else {
            "maria.garcia"
        };
        let op = Operator::login(base, name, DEMO_PASSWORD).await.unwrap();
        let batches = floor
            .issue_many(&format!("{prefix}-{i:02}"), batches_each)
            .await
            .unwrap();
        sessions.push((op, batches));
    }
    sessions
}

async fn mix(floor: &Floor, base: &str, prefix: &str) -> (Tally, f64) {
    let groups = sessions(floor, base, prefix, 6)
        .await
        .into_iter()
        .map(|(op, batches)| (vec![op], batches))
        .collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(SECONDS);
    let tally = workload::run_groups(
        groups,
        DEMO_PASSWORD,
        deadline,
        Arc::new(AtomicBool::new(false)),
    )
    .await
    .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(
        tally.refused.is_empty() && tally.server_errors.is_empty(),
        "the mix was refused or failed: {:?} {:?}",
        tally.refused.first(),
        tally.server_errors.first()
    );
    (tally, secs)
}

/// Readings only (no signature, so argon2 does not set the pace): each
/// session records into its own batch until the time is up.
async fn entries_only(floor: &Floor, base: &str, prefix: &str) -> (usize, Latencies, f64) {
    let sessions = sessions(floor, base, prefix, 3).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|(op, batches)| {
            tokio::spawn(async move {
                let mut latencies = Latencies::default();
                let fields = batches
                    .iter()
                    .flat_map(|b| (0..ENTRY_FIELDS).map(move |i| (b.clone(), i)));
                for (batch, i) in fields {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let (outcome, took) = op
                        .record(&batch, ENTRY_STEP, json!({ entry_field(i): "42.5" }))
                        .await;
                    assert!(matches!(outcome, Outcome::Acked(_)), "{outcome:?}");
                    latencies.push(took);
                }
                latencies
            })
        })
        .collect();
    let mut all = Latencies::default();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all.len(), all, started.elapsed().as_secs_f64())
}

fn entries_row(what: &str, (count, latencies, secs): &(usize, Latencies, f64)) -> Row {
    Row::info(
        format!("readings only (no signatures), {CLIENTS} sessions for {SECONDS} s, {what}"),
        format!(
            "{:.0} entries/s ({count} acknowledged; p50 {:.1} ms, p95 {:.1} ms)",
            *count as f64 / secs,
            latencies.percentile(50.0),
            latencies.percentile(95.0)
        ),
    )
}

fn mix_row(what: &str, tally: &Tally, secs: f64) -> Row {
    Row::info(
        format!("operators' mix, {CLIENTS} sessions for {SECONDS} s, {what}"),
        format!(
            "{:.0} entries/s + {:.0} signatures/s ({} + {} acknowledged; p50 {:.1} ms, p95 {:.1} ms per write)",
            tally.entries.len() as f64 / secs,
            tally.signatures.len() as f64 / secs,
            tally.entries.len(),
            tally.signatures.len(),
            tally.latencies.percentile(50.0),
            tally.latencies.percentile(95.0)
        ),
    )
}

async fn measure(bin: &Path, db_url: &str, primary_only: &str, replica: &str) -> Vec<Row> {
    let env = [("EBR__DATABASE__REPLICA_URL", replica.to_string())];
    let server = Server::start_with(bin, db_url, "scaling", &env)
        .await
        .unwrap();
    let floor = Floor::prepare(&server.base()).await.unwrap();
    let mut rows = Vec::new();

    let synchronous = entries_only(&floor, &server.base(), "BR-ESYNC").await;
    let (tally, secs) = mix(&floor, &server.base(), "BR-SYNC").await;
    rows.push(entries_row(
        "synchronous standby (`remote_apply`)",
        &synchronous,
    ));
    rows.push(mix_row(
        "synchronous standby (`remote_apply`, the GMP setting)",
        &tally,
        secs,
    ));
    sql(
        primary_only,
        "ALTER SYSTEM SET synchronous_commit = 'local'",
    );
    sql(primary_only, "SELECT pg_reload_conf()");
    let local = entries_only(&floor, &server.base(), "BR-ELOCAL").await;
    rows.push(entries_row("local commits", &local));
    let (tally, secs) = mix(&floor, &server.base(), "BR-LOCAL").await;
    rows.push(mix_row(
        "commits wait for the local disk only (`local`)",
        &tally,
        secs,
    ));
    sql(primary_only, "ALTER SYSTEM RESET synchronous_commit");
    sql(primary_only, "SELECT pg_reload_conf()");

    let mut conn = PgConnection::establish(db_url).unwrap();
    for table in ["audit_events", "entries", "signatures"] {
        let s: Size = diesel::sql_query(format!(
            "SELECT (SELECT count(*) FROM {table}) AS rows, \
             pg_table_size('{table}') AS table_bytes, pg_indexes_size('{table}') AS index_bytes"
        ))
        .get_result(&mut conn)
        .unwrap();
        rows.push(Row::info(
            format!("storage: `{table}`"),
            format!(
                "{} rows: table {:.1} MiB, indexes {:.1} MiB = {:.0} + {:.0} bytes per row",
                s.rows,
                s.table_bytes as f64 / 1048576.0,
                s.index_bytes as f64 / 1048576.0,
                s.table_bytes as f64 / s.rows.max(1) as f64,
                s.index_bytes as f64 / s.rows.max(1) as f64
            ),
        ));
    }
    let database: Count = diesel::sql_query("SELECT pg_database_size(current_database()) AS n")
        .get_result(&mut conn)
        .unwrap();
    let count = |conn: &mut PgConnection, q: &str| -> i64 {
        diesel::sql_query(q)
            .bind::<Text, _>("BR-2026-0001")
            .get_result::<Count>(conn)
            .unwrap()
            .n
    };
    let events = count(
        &mut conn,
        "SELECT count(*) AS n FROM audit_events WHERE chain = 'batch:' || \
         (SELECT id::text FROM batches WHERE batch_number = $1)",
    );
    let entries = count(
        &mut conn,
        "SELECT count(*) AS n FROM entries WHERE batch_id = \
         (SELECT id FROM batches WHERE batch_number = $1)",
    );
    let signatures = count(
        &mut conn,
        "SELECT count(*) AS n FROM audit_events WHERE entity_type = 'signature' AND chain = 'batch:' || \
         (SELECT id::text FROM batches WHERE batch_number = $1)",
    );
    rows.push(Row::info(
        "the demo's released batch of the reference process (BR-2026-0001)",
        format!("{events} audit events, {entries} entries, {signatures} signatures"),
    ));
    rows.push(Row::info(
        "whole database after the run",
        format!("{:.1} MiB", database.n as f64 / 1048576.0),
    ));

    let all_events: Count = diesel::sql_query("SELECT count(*) AS n FROM audit_events")
        .get_result(&mut conn)
        .unwrap();
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["audit", "verify", "--replica"])
        .env("DATABASE_URL", db_url)
        .env("EBR__DATABASE__REPLICA_URL", replica)
        .output()
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "ebr audit verify --replica: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(other) = std::env::var_os("EBR_COMPARE_BIN") {
        // The same verification by another build (e.g. the previous
        // commit's), on the same data in the same run.
        let started = Instant::now();
        let out = Command::new(&other)
            .args(["audit", "verify", "--replica"])
            .env("DATABASE_URL", db_url)
            .env("EBR__DATABASE__REPLICA_URL", replica)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        rows.push(Row::info(
            format!(
                "`ebr audit verify --replica`, the same data, by {}",
                Path::new(&other).display()
            ),
            format!("{:.1} s", started.elapsed().as_secs_f64()),
        ));
    }
    rows.push(Row::info(
        "`ebr audit verify --replica` over the whole database",
        format!(
            "{} events (and every row, MBR and signature) in {took:.1} s, read from the standby",
            all_events.n
        ),
    ));
    drop(server);
    rows
}
