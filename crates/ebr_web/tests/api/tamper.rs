//! Tamper tests (R1, R5): a database superuser edits or deletes recorded data
//! behind the application's back; `ebr audit verify` catches each edit and
//! names it.

use std::process::Command;

use serde_json::Value;

use crate::batch_helpers::{reference, Floor};
use crate::checkpoints::{checkpoint_now, released, verify as anchored_verify, workdir};
use crate::helpers::TestApp;

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

/// R1, R13: a released batch's status row changed to rejected out of band,
/// with the triggers bypassed, is named by `ebr audit verify --checkpoints`
/// (status rows carry their own audit event and hash); before, it verifies.
#[tokio::test]
async fn r1_flipped_batch_status_row_is_named_by_audit_verify() {
    let dir = workdir();
    let floor = Floor::on(TestApp::spawn_with_checkpoints(&dir)).await;
    let batch = released(&floor, "BR-TAMPER-ST").await;
    checkpoint_now(&floor, &dir);
    let (ok, out) = anchored_verify(&floor, &dir, true);
    assert!(ok, "{out}");
    let db = floor.app.db();
    let status_row: String = {
        use diesel::prelude::*;
        use ebr_db::schema::batch_status_events as s;
        s::table
            .filter(s::batch_id.eq(batch.parse::<uuid::Uuid>().unwrap()))
            .filter(s::status.eq("released"))
            .select(s::id)
            .first::<uuid::Uuid>(&mut db.connection())
            .unwrap()
            .to_string()
    };
    db.execute("ALTER TABLE batch_status_events DISABLE TRIGGER USER");
    db.execute(&format!(
        "UPDATE batch_status_events SET status = 'rejected' WHERE id = '{status_row}'"
    ));
    assert_eq!(floor.batch(&batch).await["status"], "rejected");
    let (ok, out) = anchored_verify(&floor, &dir, true);
    assert!(!ok);
    assert!(
        out.contains(&format!("batch_status {status_row}")) && out.contains("altered"),
        "{out}"
    );
}

/// R1: an entry inserted into an unsigned step without any audit event (it
/// would appear in the record and be signed later) is named by
/// `ebr audit verify --checkpoints`; before, it verifies.
#[tokio::test]
async fn r1_entry_inserted_without_event_is_named_by_audit_verify() {
    let dir = workdir();
    let floor = Floor::on(TestApp::spawn_with_checkpoints(&dir)).await;
    let batch = batch_with_work(&floor).await;
    checkpoint_now(&floor, &dir);
    let (ok, out) = anchored_verify(&floor, &dir, true);
    assert!(ok, "{out}");
    let template = first_entry(&floor, &batch);
    let forged = uuid::Uuid::new_v4();
    floor.app.db().execute(&format!(
        "INSERT INTO entries (id, batch_id, step_key, field_key, value, unit, evaluation, material_lot_id, equipment_id, activity_at, recorded_at, recorded_by, late_reason, corrects_entry_id, correction_reason)
         SELECT '{forged}', batch_id, 's1-dilute-spin', 'y27632_concentration', '{{\"as_typed\":\"10\",\"kind\":\"number\",\"unit\":\"µM\",\"value\":\"10\"}}', 'µM', 'within_specification', NULL, NULL, activity_at, recorded_at, recorded_by, NULL, NULL, NULL
         FROM entries WHERE id = '{template}'"
    ));
    let (ok, out) = anchored_verify(&floor, &dir, true);
    assert!(!ok);
    assert!(
        out.contains(&format!("entry {forged}")) && out.contains("no audit event"),
        "{out}"
    );
}

/// R1, R25: a role granted out of band (an operator made release authority)
/// is named by `ebr audit verify --checkpoints`; before, it verifies.
#[tokio::test]
async fn r25_role_granted_out_of_band_is_named_by_audit_verify() {
    let dir = workdir();
    let floor = Floor::on(TestApp::spawn_with_checkpoints(&dir)).await;
    checkpoint_now(&floor, &dir);
    let (ok, out) = anchored_verify(&floor, &dir, true);
    assert!(ok, "{out}");
    let person = {
        let mut conn = floor.app.db().connection();
        ebr_db::repo::people::find_by_username(&mut conn, "zhang.wei")
            .unwrap()
            .unwrap()
            .id
    };
    let forged = uuid::Uuid::new_v4();
    floor.app.db().execute(&format!(
        "INSERT INTO role_changes (id, person_id, role, granted, occurred_at, actor)
         VALUES ('{forged}', '{person}', 'release_authority', true, now(), 'system:cli:root')"
    ));
    let (ok, out) = anchored_verify(&floor, &dir, true);
    assert!(!ok);
    assert!(
        out.contains(&format!("role_change {forged}")) && out.contains("no audit event"),
        "{out}"
    );
}
