//! The batch record PDF, read back with poppler (pdftotext, pdftoppm).

use std::process::Command;

use serde_json::{json, Value};

use crate::batch_helpers::{reference, Floor};
use crate::helpers::PASSWORD;

/// The text poppler extracts from `pdf` with `args` (e.g. `-raw`).
pub(crate) fn pdftotext(pdf: &[u8], args: &[&str]) -> String {
    let path = std::env::temp_dir().join(format!("ebr-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(args)
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; `make test` installs it)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pages(pdf: &[u8]) -> usize {
    let path = std::env::temp_dir().join(format!("ebr-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdfinfo").arg(&path).output().unwrap();
    let info = String::from_utf8(out.stdout).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// R2, R12, R23, R34: the PDF holds every step and field, each signature's
/// printed name, UTC time and meaning, the corrected entry's original and new
/// value with its reason, a Chinese signer and comment, "Page N of N" and
/// NOT RELEASED on every page, and the export's hash; the same bytes every
/// time and from the command line. Pages are rendered to PNG for people to
/// look at (target/pdf-pages).
#[tokio::test]
async fn r2_r12_r23_r34_pdf_is_complete_legible_and_traceable() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-PDF-1").await;
    floor.manufacture(&batch).await;
    // A correction with a reason in Chinese, and a step signed again with a Chinese comment.
    let detail = floor.batch(&batch).await;
    let thaw = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "s1-thaw")
        .unwrap()
        .clone();
    let entry = thaw["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "thaw_time")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = floor
        .operator
        .post(floor.app.url(&format!(
            "/api/v1/batches/{batch}/entries/{entry}/corrections"
        )))
        .json(&json!({ "value": "2.4", "reason": "计时器读数错误 timer misread" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = floor
        .operator
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/steps/s1-thaw/signatures")))
        .json(&json!({ "meaning": "performed", "username": "zhang.wei", "password": PASSWORD, "comment": "复核后重新签名" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let url = floor
        .app
        .url(&format!("/api/v1/batches/{batch}/record.pdf"));
    let first = floor.qa.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    let pdf = first.bytes().await.unwrap().to_vec();
    let again = floor
        .qa
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert_eq!(pdf, again, "the same record gives the same bytes");
    assert!(pdf.len() < 2_000_000, "{} bytes", pdf.len());

    let export: Value = floor
        .qa
        .get(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/record.json")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sha = export["manifest"]["record_sha256"]
        .as_str()
        .unwrap()
        .to_string();

    let raw = squash(&pdftotext(&pdf, &["-raw"]));
    for (_, step) in reference().steps() {
        assert!(
            raw.contains(&format!("{} — {}", step.key, step.name)),
            "step {} missing",
            step.key
        );
        for field in &step.fields {
            assert!(
                raw.contains(&squash(&field.label)),
                "field {} of {} missing",
                field.label,
                step.key
            );
        }
    }
    // R12: printed name, date and time with zone, meaning.
    assert!(
        raw.contains("performed 张伟 2026-11-25 08:00:00 UTC"),
        "Chinese signer with UTC time and meaning"
    );
    assert!(raw.contains("verified maria garcia 2026-11-25 08:00:00 UTC"));
    assert!(raw.contains("comment: 复核后重新签名"));
    // R23/R34: the original value (struck through, still readable), the new value, who, when, why.
    assert!(raw.contains("Thaw time 2 min"), "original value");
    assert!(raw.contains("Thaw time 2.4 min"), "new value");
    assert!(raw.contains("CORRECTION, reason: 计时器读数错误 timer misread"));
    assert!(
        raw.contains("SUPERSEDED"),
        "superseded signatures are shown as such"
    );
    assert!(
        raw.contains("µ")
            && raw.contains("±")
            && raw.contains("≤")
            && raw.contains("°C")
            && raw.contains("× 10⁷"),
        "symbols extract as text"
    );
    // The hash on the cover is the export's.
    assert!(raw.contains(&format!("Record SHA-256 {sha}")));
    assert!(raw.contains(&format!("Record SHA-256 {}…", &sha[..16])));
    // Every page: NOT RELEASED (manufacturing complete, not released), and Page X of N.
    let n = pages(&pdf);
    assert!(n > 10);
    assert_eq!(raw.matches("NOT RELEASED").count(), n);
    let last = pdftotext(&pdf, &["-f", &n.to_string(), "-l", &n.to_string()]);
    assert!(last.contains(&format!("Page {n} of {n}")), "{last}");
    assert!(raw.contains("Appendix: audit trail of the batch"));

    // The command line writes the same bytes.
    let out = std::env::temp_dir().join(format!("ebr-pdf-{}.pdf", uuid::Uuid::new_v4()));
    let cli = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["batch", "pdf", "BR-PDF-1", "-o", out.to_str().unwrap()])
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
        pdf,
        "ebr batch pdf writes the bytes the auditor downloads"
    );

    // Pages as images, for people to look at: cover, a step page, the corrections, the audit appendix.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pdf-pages");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("record.pdf"), &pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", "70", "-png"])
        .arg(dir.join("record.pdf"))
        .arg(dir.join("page"))
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::read_dir(&dir).unwrap().count() > n);

    // Who may download: auditors, QA, release authority; not operators (R7).
    assert_eq!(floor.operator.get(&url).send().await.unwrap().status(), 403);
}
