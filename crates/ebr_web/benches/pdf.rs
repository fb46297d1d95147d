//! `make bench`: batch-record PDF generation for a large batch, measured.
//!
//! Builds, in a private database, a batch of the reference MBR with at least
//! 400 entries and 3,000 audit events (every step performed and verified, then
//! hundreds of corrections, each superseding and re-signing its step), then
//! times the export and the PDF rendering and reports the PDF size.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    missing_docs,
    reason = "a benchmark program"
)]

use std::process::Command;
use std::time::Instant;

use chrono::{Duration, Utc};
use ebr_db::repo::execution::{self, RecordRequest};
use ebr_db::repo::{audit, batches, mbr, people, record};
use ebr_domain::mbr::{parse_toml, FieldKind};
use ebr_domain::signature::SignatureMeaning;
use ebr_evidence::report::{self, Row};
use ebr_testdb::TestDatabase;
use ebr_web::commands::demo::floor::{good_values, lot_of};

fn main() {
    let db = TestDatabase::new();
    let demo = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .arg("demo")
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let mut conn = db.connection();
    ebr_db::act_as_app(&mut conn).unwrap();
    #[expect(
        clippy::disallowed_methods,
        reason = "a benchmark takes the wall clock as its server clock"
    )]
    let now = Utc::now();
    let mbr_doc = parse_toml(ebr_testdb::fixtures::REFERENCE_MBR).unwrap();
    let version = mbr::list(&mut conn)
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
        .0
        .id;
    let who = |conn: &mut ebr_db::PgConnection, u: &str| {
        let id = people::find_by_username(conn, u).unwrap().unwrap().id;
        people::state(conn, id).unwrap()
    };
    let (qa, op, ver) = (
        who(&mut conn, "wang.fang"),
        who(&mut conn, "zhang.wei"),
        who(&mut conn, "maria.garcia"),
    );
    let batch = batches::issue(
        &mut conn,
        "BR-BENCH-0001",
        version,
        &lot_of("WCB-IPSC"),
        "WCB-0042-V99",
        &ebr_db::repo::person_actor(qa.person.id),
        now,
    )
    .unwrap();
    let sign = |conn: &mut ebr_db::PgConnection, step: &ebr_domain::mbr::Step| {
        execution::sign_step(
            conn,
            batch.id,
            &step.key,
            SignatureMeaning::Performed,
            &op.signatory(None, now),
        )
        .unwrap();
        if step.critical {
            execution::sign_step(
                conn,
                batch.id,
                &step.key,
                SignatureMeaning::Verified,
                &ebr_domain::signature::Signatory {
                    factors: ebr_domain::signature::Factors::PasswordAndTotp,
                    ..ver.signatory(Some("独立复核 ✓".into()), now)
                },
            )
            .unwrap();
        }
    };
    let seed_start = Instant::now();
    for (_, step) in mbr_doc.steps() {
        let request = RecordRequest {
            step_key: step.key.clone(),
            inputs: good_values(step, now),
            activity_at: None,
            late_reason: None,
        };
        execution::record(
            &mut conn,
            batch.id,
            &request,
            op.person.id,
            Duration::minutes(30),
            now,
        )
        .unwrap();
        if !step.prints_labels.is_empty() {
            ebr_web::commands::demo::custody::label_vials(&mut conn, batch.id, &op, now).unwrap();
        }
        sign(&mut conn, step);
    }
    // Corrections of number fields, round-robin over the steps, each re-signed
    // (steps without second-person verification: a verifier whose signature a
    // correction superseded may not verify the step again, R42).
    // Only fields no formula reads: correcting an input of a computed field
    // would supersede later steps' signatures too.
    let formulas: Vec<String> = mbr_doc
        .steps()
        .flat_map(|(_, s)| s.fields.iter())
        .filter_map(|f| match &f.kind {
            FieldKind::Computed { formula, .. } => Some(formula.clone()),
            _ => None,
        })
        .collect();
    let read_by_formula = |key: &str| {
        formulas
            .iter()
            .any(|f| f.contains(&format!("{{{key}}}")) || f.contains(&format!(".{key}}}")))
    };
    let numeric: Vec<(String, String)> = mbr_doc
        .steps()
        .filter(|(_, s)| !s.critical)
        .flat_map(|(_, s)| {
            s.fields
                .iter()
                .filter(|f| matches!(f.kind, FieldKind::Number { .. }))
                .filter(|f| !read_by_formula(&f.key))
                .map(move |f| (s.key.clone(), f.key.clone()))
        })
        .collect();
    let mut i = 0;
    loop {
        let state = execution::load(&mut conn, batch.id).unwrap();
        let events = audit::chain_events(&mut conn, &ebr_db::repo::audit::batch_chain(batch.id))
            .unwrap()
            .len();
        if state.entries.len() >= 400 && events >= 3000 {
            break;
        }
        let (step_key, field) = &numeric[i % numeric.len()];
        i += 1;
        let entry = state.current_entry(step_key, field).unwrap().clone();
        let value: serde_json::Value = serde_json::from_str(&entry.value).unwrap();
        execution::correct(
            &mut conn,
            batch.id,
            entry.id,
            &value["value"],
            "re-read from the instrument print-out (benchmark)",
            op.person.id,
            now,
        )
        .unwrap();
        sign(&mut conn, mbr_doc.step(step_key).unwrap());
    }
    let state = execution::load(&mut conn, batch.id).unwrap();
    let events = audit::chain_events(&mut conn, &ebr_db::repo::audit::batch_chain(batch.id))
        .unwrap()
        .len();
    let seeded = seed_start.elapsed();

    let export_start = Instant::now();
    let doc =
        ebr_record::RecordExport::seal("ebr bench", record::sections(&mut conn, batch.id).unwrap());
    let export_ms = export_start.elapsed().as_secs_f64() * 1000.0;
    let json = doc.to_canonical_json();
    let dump = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-large-export.json");
    std::fs::write(&dump, &json).unwrap();

    let runs = 7;
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let pdf = ebr_record::pdf::render(&json).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        size = pdf.len();
    }
    times.sort_by(f64::total_cmp);
    let median = times[runs / 2];
    let again = ebr_record::pdf::render(&json).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ebr"))
        .arg("render-pdf")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(json.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap()
        .stdout;
    let pages = lopdf::Document::load_mem(&child)
        .map(|d| d.get_pages().len())
        .unwrap_or(0);
    // The same record through this commit's `ebr render-pdf` process and the
    // baseline server's (before PDF/A and the embedded record), in this run:
    // the machine's speed cancels out.
    let render_in = |exe: &str| {
        let mut times = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let out = std::process::Command::new(exe)
                .arg("render-pdf")
                .env("RUST_LOG", "error")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(json.as_bytes())?;
                    c.wait_with_output()
                })
                .unwrap();
            assert!(out.status.success(), "{exe} render-pdf failed");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        times[1]
    };
    let baseline = std::env::var("EBR_BASELINE_BIN").ok().map(|exe| {
        let theirs = render_in(&exe);
        let ours = render_in(env!("CARGO_BIN_EXE_ebr"));
        (exe, theirs, ours)
    });

    let mut rows = vec![
        Row::new(
            format!(
                "PDF generation, large batch ({} entries, {events} audit events; median of {runs})",
                state.entries.len()
            ),
            format!("{median:.0} ms"),
            "≤ 300 ms",
            median <= 300.0,
        ),
        Row::new(
            "The same record rendered again in this process and in an `ebr render-pdf` process",
            if again == child {
                "identical bytes"
            } else {
                "DIFFERENT bytes"
            },
            "identical",
            again == child,
        ),
        Row::new(
            "PDF size, large batch",
            format!(
                "{:.2} MB ({size} bytes, {pages} pages)",
                size as f64 / 1_000_000.0
            ),
            "≤ 2 MB",
            size <= 2_000_000,
        ),
        Row::info(
            "record export (JSON) of the large batch from the database",
            format!("{export_ms:.0} ms"),
        ),
    ];
    if let Some((exe, theirs, ours)) = baseline {
        let name = std::path::Path::new(&exe)
            .file_name()
            .map_or(exe.clone(), |n| n.to_string_lossy().into_owned());
        rows.push(Row::new(
            "PDF of the same record in an `ebr render-pdf` process: this commit (PDF/A-3b, record embedded) against the baseline server (plain PDF), same run (median of 3)",
            format!("{ours:.0} ms vs {theirs:.0} ms ({name}): {:.2}×", ours / theirs),
            "≤ 1.0× (no slower than before PDF/A)",
            ours <= theirs,
        ));
    }
    report::save("pdf", &rows).unwrap();
    println!(
        "PDF: {median:.0} ms, {:.2} MB (seeded in {:.1} s); the table comes at the end of `make bench`",
        size as f64 / 1_000_000.0,
        seeded.as_secs_f64()
    );
}
