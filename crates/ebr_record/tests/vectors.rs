//! The record test vectors in `fixtures/records/` (R1, R2, R13): the good
//! record verifies offline, each tampered copy is refused with its message.
//! No database: this is what an outside auditor's verifier does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly; helpers outside #[test] functions included"
)]

use std::path::PathBuf;

use ebr_record::checkpoint::PublicKey;
use ebr_record::verify::{render_report, verify_bytes};
use serde_json::Value;

/// R1, R2, R13: every vector gives its expected verdict and message. After a
/// change to the record format or the PDF layout, `make record-vectors`
/// regenerates them.
#[test]
fn r1_r2_r13_record_vectors_give_their_verdicts() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/records");
    let key =
        PublicKey::from_file_text(&std::fs::read_to_string(dir.join("checkpoint.pub")).unwrap())
            .unwrap();
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let report = verify_bytes(&std::fs::read(dir.join(file)).unwrap(), Some(&key));
        let text = render_report(&report);
        assert_eq!(
            report.passed(),
            case["verified"].as_bool().unwrap(),
            "{file} (if the record format or PDF layout changed on purpose, run `make record-vectors`):\n{text}"
        );
        if let Some(message) = case["message"].as_str() {
            assert!(
                text.contains(message),
                "{file} must say `{message}`:\n{text}"
            );
        }
    }
}
