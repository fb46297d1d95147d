//! Tamper tests (R1, R5): a database superuser edits or deletes recorded data
//! behind the application's back; `ebr audit verify` catches each edit and
//! names it.

use std::process::Command;

use serde_json::Value;

use crate::batch_helpers::{reference, Floor};

async fn batch_with_work(floor: &Floor) -> String {
    let batch = floor.issue("BR-TAMPER").await;
    floor.complete_until(&batch, "s1-thaw").await;
    batch
}

fn verify(floor: &Floor) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", floor.app.db().url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn first_entry(floor: &Floor, batch: &str) -> String {
    let mut conn = floor.app.db().connection();
    let state = ebr_db::repo::execution::load(&mut conn, batch.parse().unwrap()).unwrap();
    state.entries[0].id.to_string()
}

/// R1: changing one entry's value out of band is caught, naming the entry.
#[tokio::test]
async fn r1_altered_entry_value_is_named_by_audit_verify() {
    let floor = Floor::new().await;
    let batch = batch_with_work(&floor).await;
    let (ok, stderr) = verify(&floor);
    assert!(ok, "{stderr}");
    let entry = first_entry(&floor, &batch);
    floor
        .app
        .db()
        .execute("ALTER TABLE entries DISABLE TRIGGER entries_no_update");
    floor.app.db().execute(&format!(
        "UPDATE entries SET value = replace(value, 'true', 'false') WHERE id = '{entry}'"
    ));
    let (ok, stderr) = verify(&floor);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("entry {entry}")) && stderr.contains("altered"),
        "{stderr}"
    );
}

/// R1/R5: deleting one audit event breaks the chain at that point, named.
#[tokio::test]
async fn r1_deleted_audit_event_is_named_by_audit_verify() {
    let floor = Floor::new().await;
    let batch = batch_with_work(&floor).await;
    floor
        .app
        .db()
        .execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update");
    floor.app.db().execute(&format!(
        "DELETE FROM audit_events WHERE chain = 'batch:{batch}' AND seq = 3"
    ));
    let (ok, stderr) = verify(&floor);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("chain `batch:{batch}` event #4")) && stderr.contains("missing"),
        "{stderr}"
    );
}

/// R1/R13: changing one signature's meaning is caught, naming the signature.
#[tokio::test]
async fn r13_changed_signature_meaning_is_named_by_audit_verify() {
    let floor = Floor::new().await;
    let batch = batch_with_work(&floor).await;
    let detail: Value = floor.batch(&batch).await;
    let signature = detail["steps"][0]["signatures"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    floor
        .app
        .db()
        .execute("ALTER TABLE signatures DISABLE TRIGGER signatures_no_update");
    floor.app.db().execute(&format!(
        "UPDATE signatures SET meaning = 'verified' WHERE id = '{signature}'"
    ));
    let (ok, stderr) = verify(&floor);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("signature {signature}")),
        "{stderr}"
    );
    assert!(reference().step("s0-issue-record").is_some());
}
