//! The standalone `ebr-verify` binary (R1, R2, R13), run as an auditor runs
//! it: no database, no server, no environment.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly; helpers outside #[test] functions included"
)]

use std::path::PathBuf;
use std::process::Command;

fn run(file: &str, key: Option<&str>) -> (bool, String) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/records");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ebr-verify"));
    cmd.env_clear().arg(dir.join(file));
    if let Some(key) = key {
        cmd.arg("--public-key").arg(dir.join(key));
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// R1, R2, R13: the good record PDF verifies with the site's public key and
/// says what it checked; a PDF with edited pages and a rewritten chain are
/// refused naming the failure; without the key the checkpoint is not
/// taken on trust.
#[test]
fn r1_r2_r13_ebr_verify_checks_a_record_offline() {
    let (ok, out) = run("good.pdf", Some("checkpoint.pub"));
    assert!(ok, "{out}");
    for checked in [
        "manifest",
        "audit chain",
        "record hashes",
        "signatures",
        "checkpoints",
        "pages",
        "record VERIFIED",
    ] {
        assert!(out.contains(checked), "{checked}: {out}");
    }
    let (ok, out) = run("edited-text.pdf", Some("checkpoint.pub"));
    assert!(!ok);
    assert!(
        out.contains("FAIL pages") && out.contains("record NOT verified"),
        "{out}"
    );
    let (ok, out) = run("rewritten-chain.json", Some("checkpoint.pub"));
    assert!(!ok);
    assert!(
        out.contains("FAIL checkpoints") && out.contains("rewritten"),
        "{out}"
    );
    let (ok, out) = run("good.json", None);
    assert!(!ok);
    assert!(out.contains("--public-key"), "{out}");
}

/// R1, R2, R13: the binary gives every test vector its verdict and message
/// (exit status 0 for the good record, 1 naming the failure for each
/// tampered copy).
#[test]
fn r1_r2_r13_ebr_verify_refuses_every_tampered_vector() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/records");
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let (ok, out) = run(file, Some("checkpoint.pub"));
        assert_eq!(ok, case["verified"].as_bool().unwrap(), "{file}:\n{out}");
        if let Some(message) = case["message"].as_str() {
            assert!(out.contains(message), "{file} must say `{message}`:\n{out}");
            assert!(out.contains("record NOT verified"), "{out}");
        }
    }
}
