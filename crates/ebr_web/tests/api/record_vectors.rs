//! Test vectors for offline record verification (R1, R2, R13): a released
//! record (PDF and JSON, with its release checkpoint) and tampered copies,
//! each with the failure the verifier must name. The test builds them
//! afresh on every run and checks each against the verifier; with
//! `EBR_WRITE_RECORD_VECTORS=1` (`make record-vectors`) it also writes them
//! to `fixtures/records/`, where `ebr_record`'s own tests and anyone with
//! `ebr-verify` can use them without a database.

use std::path::PathBuf;

use ebr_domain::audit::GENESIS_HASH;
use ebr_record::verify::verify_bytes;
use ebr_record::{Manifest, RecordExport};
use serde_json::{json, Value};

use crate::batch_helpers::Floor;
use crate::helpers::TestApp;

fn reseal(mut export: RecordExport) -> RecordExport {
    export.manifest = Manifest::of(&export.sections);
    export
}

fn bytes(export: &RecordExport) -> Vec<u8> {
    export.to_canonical_json().into_bytes()
}

fn with_section(export: &RecordExport, name: &str, f: impl FnOnce(&mut Value)) -> RecordExport {
    let mut copy = export.clone();
    if let Some(section) = copy.sections.get_mut(name) {
        f(section);
    }
    copy
}

/// Rewrites the chain consistently from `from_seq` on with ebr's own hashing.
fn rehash(trail: &mut Value) {
    let mut prev = GENESIS_HASH.to_string();
    for event in trail.as_array_mut().unwrap() {
        event["prev_hash"] = json!(prev);
        let chained = ebr_domain::audit::ChainedEvent {
            chain: event["chain"].as_str().unwrap().into(),
            seq: event["seq"].as_i64().unwrap(),
            occurred_at: event["occurred_at"].as_str().unwrap().parse().unwrap(),
            draft: ebr_domain::audit::AuditDraft {
                actor: event["actor"].as_str().unwrap().into(),
                action: event["action"].as_str().unwrap().into(),
                entity_type: event["entity_type"].as_str().unwrap().into(),
                entity_id: event["entity_id"].as_str().unwrap().into(),
                old_value: event["old_value"].as_str().map(str::to_string),
                new_value: event["new_value"].as_str().map(str::to_string),
                reason: event["reason"].as_str().map(str::to_string),
                record_hash: event["record_hash"].as_str().map(str::to_string),
            },
            prev_hash: prev.clone(),
        };
        prev = chained.hash();
        event["hash"] = json!(prev);
    }
}

/// Replaces `from` with `to` once in the first page content stream that holds
/// it (decompressed), leaving the embedded record alone: on a page whose text
/// is drawn as glyph ids, replacing `<00` by `<01` changes a printed glyph.
fn edit_page_text(pdf: &[u8], from: &str, to: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(pdf).unwrap();
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().values().copied().collect();
    for page in pages {
        for id in doc.get_page_contents(page) {
            let stream = doc.get_object_mut(id).unwrap().as_stream_mut().unwrap();
            let content = stream
                .decompressed_content()
                .unwrap_or(stream.content.clone());
            let text = String::from_utf8_lossy(&content).into_owned();
            if text.contains(from) {
                stream.dict.remove(b"Filter");
                stream.set_content(text.replacen(from, to, 1).into_bytes());
                let mut out = Vec::new();
                doc.save_to(&mut out).unwrap();
                return out;
            }
        }
    }
    panic!("`{from}` is on no page");
}

/// R1, R2, R13: the released record verifies offline from its PDF and its
/// JSON; every tampered copy is refused naming what is wrong.
#[tokio::test]
async fn r1_r2_r13_record_vectors_verify_and_tampering_is_named() {
    let dir = std::env::temp_dir().join(format!("ebr-vectors-{}", uuid::Uuid::new_v4()));
    let floor = Floor::on(TestApp::spawn_with_checkpoints(&dir)).await;
    let batch = floor.issue("BR-VECTOR-1").await;
    floor.manufacture(&batch).await;
    floor.qc(&batch, &[], &[], &[]).await;
    assert_eq!(
        floor
            .sign_batch("wang.fang", &batch, "reviewed", None)
            .await
            .status(),
        201
    );
    assert_eq!(
        floor
            .sign_batch("anna.schmidt", &batch, "released", None)
            .await
            .status(),
        201
    );
    let pdf = floor.record_pdf(&batch).await;
    let json = floor.record_json(&batch).await.into_bytes();
    let export = RecordExport::parse(std::str::from_utf8(&json).unwrap()).unwrap();
    let public = std::fs::read_to_string(dir.join("checkpoint.pub")).unwrap();
    let key = ebr_record::checkpoint::PublicKey::from_file_text(&public).unwrap();
    let other_key = ebr_record::checkpoint::CheckpointKey::from_seed([7; 32]).public();

    // An entry's value changed in the rows and the steps, manifest resealed.
    let entry_id = export.sections["records"]["entry"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let edited_value = reseal(with_section(&export, "records", |r| {
        let value = r["entry"][&entry_id]["value"].as_str().unwrap().to_string();
        r["entry"][&entry_id]["value"] =
            json!(value.replacen('1', "9", 1).replacen("true", "false", 1) + " ");
    }));
    // A section edited without resealing.
    let edited_section = with_section(&export, "batch", |b| {
        b["product_name"] = json!("Another product")
    });
    // The release cut off the end of the chain, the rest resealed.
    let release_seq = export.sections["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "batch.released")
        .unwrap()["seq"]
        .as_i64()
        .unwrap();
    let cut_at = export.sections["checkpoints"][1]["checkpoint"]["chains"]
        [format!("batch:{batch}")]["seq"]
        .as_i64()
        .unwrap();
    assert!(cut_at >= release_seq);
    let mut truncated = with_section(&export, "audit_trail", |t| {
        let kept: Vec<Value> = t
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["seq"].as_i64().unwrap() < release_seq - 2)
            .cloned()
            .collect();
        *t = Value::Array(kept);
    });
    let kept_vouched: Vec<(String, String)> = truncated.sections["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["record_hash"].is_null())
        .map(|e| {
            (
                e["entity_type"].as_str().unwrap().into(),
                e["entity_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    if let Some(records) = truncated.sections.get_mut("records") {
        for (kind, rows) in records.as_object_mut().unwrap() {
            rows.as_object_mut()
                .unwrap()
                .retain(|id, _| kept_vouched.contains(&(kind.clone(), id.clone())));
        }
    }
    let truncated = reseal(truncated);
    // The whole chain rewritten consistently after one change, resealed.
    let rewritten = reseal(with_section(&export, "audit_trail", |t| {
        t[1]["reason"] = json!("rewritten out of band");
        rehash(t);
    }));
    // The release checkpoint's content changed, resealed.
    let forged_checkpoint = reseal(with_section(&export, "checkpoints", |c| {
        c[1]["checkpoint"]["reason"] = json!("periodic");
    }));
    // A page's printed text edited, the embedded record left alone.
    let edited_text = edit_page_text(&pdf, "<00", "<01");

    let cases: Vec<(&str, Vec<u8>, bool, Option<&str>)> = vec![
        ("good.pdf", pdf.clone(), true, None),
        ("good.json", json.clone(), true, None),
        (
            "edited-value.json",
            bytes(&edited_value),
            false,
            Some("altered"),
        ),
        (
            "edited-section.json",
            bytes(&edited_section),
            false,
            Some("section `batch` does not match its hash"),
        ),
        (
            "truncated-chain.json",
            bytes(&truncated),
            false,
            Some("events were removed"),
        ),
        (
            "rewritten-chain.json",
            bytes(&rewritten),
            false,
            Some("the chain was rewritten"),
        ),
        (
            "forged-checkpoint.json",
            bytes(&forged_checkpoint),
            false,
            Some("altered or forged"),
        ),
        (
            "edited-text.pdf",
            edited_text,
            false,
            Some("the printed record was edited"),
        ),
    ];
    let mut manifest = Vec::new();
    for (name, data, passes, message) in &cases {
        let report = verify_bytes(data, Some(&key));
        let text = ebr_record::verify::render_report(&report);
        assert_eq!(report.passed(), *passes, "{name}:\n{text}");
        if let Some(message) = message {
            assert!(
                text.contains(message),
                "{name} must say `{message}`:\n{text}"
            );
        }
        manifest.push(json!({ "file": name, "verified": passes, "message": message }));
    }
    // The right key is needed: another key is refused, none is asked for.
    let wrong = verify_bytes(&json, Some(&other_key));
    assert!(!wrong.passed());
    assert!(ebr_record::verify::render_report(&wrong).contains("not by the given key"));
    let none = verify_bytes(&json, None);
    assert!(ebr_record::verify::render_report(&none).contains("--public-key"));

    if std::env::var_os("EBR_WRITE_RECORD_VECTORS").is_some() {
        let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/records");
        std::fs::create_dir_all(&out).unwrap();
        for (name, data, _, _) in &cases {
            std::fs::write(out.join(name), data).unwrap();
        }
        std::fs::write(out.join("checkpoint.pub"), public).unwrap();
        std::fs::write(
            out.join("cases.json"),
            serde_json::to_string_pretty(&manifest).unwrap() + "\n",
        )
        .unwrap();
    }
}
