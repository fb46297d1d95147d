//! Checkpoints signed outside the database (R1, R5, R13): what a database
//! superuser can hide from `ebr audit verify` alone (a cut tail, a whole
//! chain rewritten consistently) is named against the checkpoint log.

use std::path::{Path, PathBuf};
use std::process::Command;

use ebr_domain::audit::GENESIS_HASH;
use serde_json::Value;

use crate::batch_helpers::Floor;
use crate::helpers::TestApp;

pub(crate) fn workdir() -> PathBuf {
    std::env::temp_dir().join(format!("ebr-checkpoints-{}", uuid::Uuid::new_v4()))
}

/// `ebr audit verify` (with `--checkpoints DIR` when given): success and stderr.
pub(crate) fn verify(floor: &Floor, dir: &Path, with_checkpoints: bool) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ebr"));
    cmd.args(["audit", "verify"]);
    if with_checkpoints {
        cmd.arg("--checkpoints")
            .arg(dir.join("log"))
            .arg("--public-key")
            .arg(dir.join("checkpoint.pub"));
    }
    let out = cmd
        .env("DATABASE_URL", floor.app.db().url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `ebr checkpoint now` with the test server's key and log.
pub(crate) fn checkpoint_now(floor: &Floor, dir: &Path) {
    let now = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["checkpoint", "now"])
        .env("DATABASE_URL", floor.app.db().url())
        .env("EBR__CHECKPOINT__KEY_FILE", dir.join("checkpoint.key"))
        .env("EBR__CHECKPOINT__LOG_DIR", dir.join("log"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        now.status.success(),
        "{}",
        String::from_utf8_lossy(&now.stderr)
    );
}

/// Issues, manufactures, tests, reviews and releases a batch.
pub(crate) async fn released(floor: &Floor, number: &str) -> String {
    let batch = floor.issue(number).await;
    floor.manufacture(&batch).await;
    floor.qc(&batch, &[], &[], &[]).await;
    let r = floor
        .sign_batch("wang.fang", &batch, "reviewed", Some("reviewed"))
        .await;
    assert_eq!(r.status(), 201);
    let r = floor
        .sign_batch("anna.schmidt", &batch, "released", None)
        .await;
    assert_eq!(r.status(), 201);
    batch
}

fn log_lines(dir: &Path) -> Vec<Value> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir.join("log")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        lines.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    lines
}

/// R1, R13: review and release each sign a checkpoint into the log outside
/// the database, the release's travels in the export; cutting the release off
/// the end of the batch's chain (its events, signature and status row, so the
/// record reads "under review") passes `ebr audit verify` alone and is named
/// by `ebr audit verify --checkpoints`.
#[tokio::test]
async fn r1_r13_checkpoint_catches_a_release_cut_off_the_chain() {
    let dir = workdir();
    let floor = Floor::on(TestApp::spawn_with_checkpoints(&dir)).await;
    let batch = released(&floor, "BR-CP-1").await;

    let lines = log_lines(&dir);
    let reasons: Vec<&str> = lines
        .iter()
        .map(|l| l["checkpoint"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["batch.reviewed BR-CP-1", "batch.released BR-CP-1"]
    );
    let export: Value = serde_json::from_str(&floor.record_json(&batch).await).unwrap();
    let carried = export["sections"]["checkpoints"].as_array().unwrap();
    assert_eq!(carried.len(), 2);
    assert_eq!(
        carried[1], lines[1],
        "the release checkpoint travels in the export"
    );

    let pdf = floor.record_pdf(&batch).await;
    let text = crate::pdf::pdftotext(&pdf, &["-raw"]);
    let key_id = lines[1]["checkpoint"]["key_id"].as_str().unwrap();
    assert!(
        text.contains("Checkpoints signed outside the database")
            && text.contains("batch.released BR-CP-1")
            && text.contains(key_id),
        "the PDF prints the release checkpoint"
    );
    let (ok, out) = verify(&floor, &dir, true);
    assert!(ok, "{out}");
    assert!(
        out.contains("every chain extends all 2 signed checkpoint(s)"),
        "{out}"
    );

    // Cut the release off: the events after the review's checkpoint and
    // every row they vouch for (the release signature, the released status
    // row, the successful password check).
    let chain = format!("batch:{batch}");
    let reviewed_head = lines[0]["checkpoint"]["chains"][&chain]["seq"]
        .as_i64()
        .unwrap();
    let db = floor.app.db();
    let mut conn = db.connection();
    let cut: Vec<(String, String)> = ebr_db::repo::audit::chain_events(&mut conn, &chain)
        .unwrap()
        .into_iter()
        .filter(|e| e.seq > reviewed_head && e.record_hash.is_some())
        .map(|e| (e.entity_type, e.entity_id))
        .collect();
    assert!(!cut.is_empty());
    for table in [
        "audit_events",
        "signatures",
        "batch_status_events",
        "auth_attempts",
    ] {
        db.execute(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"));
    }
    for (kind, id) in &cut {
        let table = match kind.as_str() {
            "signature" => "signatures",
            "batch_status" => "batch_status_events",
            "auth_attempt" => "auth_attempts",
            other => panic!("the release vouched for an unexpected {other}"),
        };
        db.execute(&format!("DELETE FROM {table} WHERE id = '{id}'"));
    }
    db.execute(&format!(
        "DELETE FROM audit_events WHERE chain = '{chain}' AND seq > {reviewed_head}"
    ));
    assert_eq!(floor.batch(&batch).await["status"], "under_review");

    let (ok, out) = verify(&floor, &dir, false);
    assert!(ok, "without checkpoints the cut is invisible: {out}");
    let (ok, out) = verify(&floor, &dir, true);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("chain `{chain}`"))
            && out.contains("events were removed from its end")
            && out.contains("batch.released BR-CP-1"),
        "{out}"
    );
}

/// R1, R5: one value changed in an early event and every later hash of the
/// chain recomputed with ebr's own algorithm passes `ebr audit verify` alone;
/// against a checkpoint signed before (`ebr checkpoint now`) the rewrite is
/// named. A checkpoint line altered in the log is refused by its signature.
#[tokio::test]
async fn r1_r5_checkpoint_catches_a_consistently_rewritten_chain() {
    let dir = workdir();
    let floor = Floor::on(TestApp::spawn_with_checkpoints(&dir)).await;
    let batch = floor.issue("BR-CP-2").await;
    floor.complete_until(&batch, "s1-thaw").await;
    checkpoint_now(&floor, &dir);
    // The public key defaults to the configured key's.
    let ok = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["audit", "verify", "--checkpoints"])
        .arg(dir.join("log"))
        .env("DATABASE_URL", floor.app.db().url())
        .env("EBR__CHECKPOINT__KEY_FILE", dir.join("checkpoint.key"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // Rewrite: the second event's new value changes; every hash from there on
    // is recomputed so the chain is internally consistent again.
    let chain = format!("batch:{batch}");
    let mut conn = floor.app.db().connection();
    let events = ebr_db::repo::audit::chain_events(&mut conn, &chain).unwrap();
    floor
        .app
        .db()
        .execute("ALTER TABLE audit_events DISABLE TRIGGER USER");
    let mut prev = GENESIS_HASH.to_string();
    for row in &events {
        let mut event = row.to_chained();
        event.prev_hash = prev.clone();
        if event.seq == 2 {
            event.draft.reason = Some("rewritten out of band".into());
        }
        let hash = event.hash();
        let reason = event.draft.reason.as_ref().map_or("NULL".to_string(), |r| {
            format!("'{}'", r.replace('\'', "''"))
        });
        floor.app.db().execute(&format!(
            "UPDATE audit_events SET reason = {reason}, prev_hash = '{prev}', hash = '{hash}' WHERE chain = '{chain}' AND seq = {}",
            event.seq
        ));
        prev = hash;
    }
    let (ok, out) = verify(&floor, &dir, false);
    assert!(ok, "a consistent rewrite passes without checkpoints: {out}");
    let (ok, out) = verify(&floor, &dir, true);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("chain `{chain}`"))
            && out.contains("rewritten")
            && out.contains("(manual)"),
        "{out}"
    );

    // A checkpoint edited in the log no longer verifies.
    let log = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replace("\"manual\"", "\"periodic\"")).unwrap();
    let (ok, out) = verify(&floor, &dir, true);
    assert!(!ok);
    assert!(
        out.contains("altered or forged") && out.contains("line 1"),
        "{out}"
    );
}
