//! `make bench`: `ebr audit verify` over 1,000,000 audit events, measured.
//!
//! Builds, in a private database, 1,000 batch chains of 1,000 correctly
//! chained events each (hashed by the domain's own chain function, the same
//! one `audit::append` uses), then runs the release `ebr audit verify` binary
//! over them and reports events per second. The events carry no record hash,
//! so the figure is the chain check (fetch, recompute, link) that dominates
//! the command; record and signature checks scale with records, not events.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs,
    reason = "a benchmark program"
)]

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use ebr_db::repo::audit::AuditEventRow;
use ebr_db::schema::audit_events;
use ebr_domain::audit::{to_stored_precision, AuditDraft, ChainedEvent, GENESIS_HASH};
use ebr_evidence::report::{self, Row};
use ebr_testdb::TestDatabase;

const CHAINS: usize = 1_000;
const EVENTS_PER_CHAIN: usize = 1_000;
/// 14 bind parameters per row stay under PostgreSQL's 65,535 per statement.
const ROWS_PER_INSERT: usize = 4_000;
const TARGET_EVENTS_PER_SECOND: f64 = 300_000.0;

fn main() {
    let db = TestDatabase::new();
    let mut conn = db.connection();
    #[expect(
        clippy::disallowed_methods,
        reason = "a benchmark takes the wall clock as its server clock"
    )]
    let start = to_stored_precision(Utc::now());
    let seeding = Instant::now();
    let mut pending: Vec<AuditEventRow> = Vec::with_capacity(ROWS_PER_INSERT);
    let mut written = 0usize;
    for c in 0..CHAINS {
        let chain = format!("batch:{}", ebr_db::ids::at(start));
        let mut prev_hash = GENESIS_HASH.to_string();
        for seq in 1..=EVENTS_PER_CHAIN {
            let seq = i64::try_from(seq).unwrap();
            let event = ChainedEvent {
                chain: chain.clone(),
                seq,
                occurred_at: start + Duration::milliseconds(seq),
                draft: AuditDraft {
                    actor: "li.wei".into(),
                    action: "entry.recorded".into(),
                    entity_type: "entry".into(),
                    entity_id: ebr_db::ids::at(start).to_string(),
                    old_value: None,
                    new_value: Some(format!(
                        r#"{{"step":"s{}-expand","field":"viable_cell_density","value":"{}.{:02}","unit":"10^5 cells/mL"}}"#,
                        seq % 12,
                        seq % 9 + 1,
                        seq % 100
                    )),
                    reason: None,
                    record_hash: None,
                },
                prev_hash: prev_hash.clone(),
            };
            let hash = event.hash();
            prev_hash.clone_from(&hash);
            pending.push(AuditEventRow::of(ebr_db::ids::at(start), event, hash));
            if pending.len() == ROWS_PER_INSERT {
                written += insert(&mut conn, &mut pending);
            }
        }
        if (c + 1) % 100 == 0 {
            eprint!(
                "\rseeding audit events: {written} of {}",
                CHAINS * EVENTS_PER_CHAIN
            );
            let _ = std::io::stderr().flush();
        }
    }
    written += insert(&mut conn, &mut pending);
    eprintln!();
    diesel::sql_query("ANALYZE audit_events")
        .execute(&mut conn)
        .unwrap();
    let seeded = seeding.elapsed();

    let runs = 3;
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_ebr"))
            .args(["audit", "verify"])
            .env("DATABASE_URL", db.url())
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        times.push(t.elapsed().as_secs_f64());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(&format!("intact: {written} events")),
            "audit verify did not pass over {written} events:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    times.sort_by(f64::total_cmp);
    let median = times[runs / 2];
    let rate = written as f64 / median;

    report::save(
        "audit_verify",
        &[Row::new(
            format!("`ebr audit verify`, {written} events in {CHAINS} chains (median of {runs}: {median:.2} s)"),
            format!("{rate:.0} events/s"),
            format!("≥ {TARGET_EVENTS_PER_SECOND:.0} events/s"),
            rate >= TARGET_EVENTS_PER_SECOND,
        )],
    )
    .unwrap();
    println!(
        "audit verify: {rate:.0} events/s over {written} events (seeded in {:.1} s); the table comes at the end of `make bench`",
        seeded.as_secs_f64()
    );
}

/// Inserts and empties `rows`; returns how many were written.
fn insert(conn: &mut PgConnection, rows: &mut Vec<AuditEventRow>) -> usize {
    if rows.is_empty() {
        return 0;
    }
    let n = diesel::insert_into(audit_events::table)
        .values(&*rows)
        .execute(conn)
        .unwrap();
    rows.clear();
    n
}
