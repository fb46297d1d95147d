//! The machine-readable batch record: deterministic, self-verifying, and the
//! same bytes from the API and the command line (R2, R11).

use std::process::Command;

use chrono::{DateTime, Utc};
use ebr_domain::audit::{verify_chain, AuditDraft, ChainedEvent};
use ebr_domain::canonical::{sha256_hex, to_canonical_json};
use serde_json::Value;

use crate::batch_helpers::Floor;

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// R2: the export is deterministic, its manifest recomputes, and its audit
/// chain verifies from the export alone; the CLI writes the same bytes.
#[tokio::test]
async fn r2_export_is_deterministic_self_verifying_and_equal_from_cli_and_api() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-EXP-1").await;
    floor.complete_until(&batch, "s1-dilute-spin").await;
    let url = floor
        .app
        .url(&format!("/api/v1/batches/{batch}/record.json"));
    let first = floor.qa.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let header = first
        .headers()
        .get("x-ebr-record-sha256")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let first = first.bytes().await.unwrap();
    let second = floor
        .qa
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(first, second, "same record, same bytes");

    let doc: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(doc["format"], "ebr.batch-record/1");
    assert!(
        doc["generator"].as_str().unwrap().starts_with("ebr "),
        "R11: the software version is on the export"
    );
    let sections = doc["sections"].as_object().unwrap();
    for (name, section) in sections {
        let hash = sha256_hex(to_canonical_json(section).unwrap().as_bytes());
        assert_eq!(
            doc["manifest"]["sections"][name],
            hash.as_str(),
            "section {name}"
        );
    }
    let whole = sha256_hex(
        to_canonical_json(&doc["manifest"]["sections"])
            .unwrap()
            .as_bytes(),
    );
    assert_eq!(doc["manifest"]["record_sha256"], whole.as_str());
    assert_eq!(header, whole);

    let events: Vec<(ChainedEvent, String)> = sections["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let at: DateTime<Utc> = serde_json::from_value(e["occurred_at"].clone()).unwrap();
            (
                ChainedEvent {
                    chain: text(&e["chain"]).unwrap(),
                    seq: e["seq"].as_i64().unwrap(),
                    occurred_at: at,
                    draft: AuditDraft {
                        actor: text(&e["actor"]).unwrap(),
                        action: text(&e["action"]).unwrap(),
                        entity_type: text(&e["entity_type"]).unwrap(),
                        entity_id: text(&e["entity_id"]).unwrap(),
                        old_value: text(&e["old_value"]),
                        new_value: text(&e["new_value"]),
                        reason: text(&e["reason"]),
                        record_hash: text(&e["record_hash"]),
                    },
                    prev_hash: text(&e["prev_hash"]).unwrap(),
                },
                text(&e["hash"]).unwrap(),
            )
        })
        .collect();
    assert!(events.len() > 10, "{} events", events.len());
    assert_eq!(
        verify_chain(events.iter().map(|(e, h)| (e, h.as_str()))).unwrap(),
        events.len() as u64
    );
    let step_sigs = sections["steps"][0]["signatures"].as_array().unwrap();
    assert_eq!(
        step_sigs[0]["signature"]["record_hash"]
            .as_str()
            .unwrap()
            .len(),
        64
    );

    let out = std::env::temp_dir().join(format!("ebr-export-{}.json", uuid::Uuid::new_v4()));
    let cli = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["batch", "export", "BR-EXP-1", "-o", out.to_str().unwrap()])
        .env("DATABASE_URL", floor.app.db().url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        first.to_vec(),
        "the CLI writes the same bytes"
    );

    // An operator may not download records (R7).
    let refused = floor.operator.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 403);
}
