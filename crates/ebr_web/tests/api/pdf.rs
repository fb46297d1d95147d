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

    let export: Value = serde_json::from_str(&floor.record_json(&batch).await).unwrap();
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
    // The hash of the data is printed in full on every page, and it is the export's.
    let n = pages(&pdf);
    assert!(raw.matches(&format!("Record SHA-256 {sha}")).count() > n);
    // Every page: NOT RELEASED (manufacturing complete, not released), and Page X of N.
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

fn resolve<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> &'a lopdf::Object {
    match o {
        lopdf::Object::Reference(id) => doc.get_object(*id).unwrap(),
        other => other,
    }
}

fn dict<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> &'a lopdf::Dictionary {
    match resolve(doc, o) {
        lopdf::Object::Dictionary(d) => d,
        lopdf::Object::Stream(s) => &s.dict,
        other => panic!("not a dictionary: {other:?}"),
    }
}

/// The embedded files of a PDF, by name, decompressed.
fn embedded_files(doc: &lopdf::Document) -> Vec<(String, String, Vec<u8>)> {
    let catalog = doc.catalog().unwrap();
    let af = catalog.get(b"AF").unwrap().as_array().unwrap();
    af.iter()
        .map(|spec| {
            let spec = dict(doc, spec);
            let name =
                String::from_utf8(spec.get(b"F").unwrap().as_str().unwrap().to_vec()).unwrap();
            let relationship = String::from_utf8(
                spec.get(b"AFRelationship")
                    .unwrap()
                    .as_name()
                    .unwrap()
                    .to_vec(),
            )
            .unwrap();
            assert!(
                spec.get(b"UF").is_ok(),
                "PDF/A-3: a file specification has UF"
            );
            let ef = dict(doc, spec.get(b"EF").unwrap());
            let lopdf::Object::Stream(stream) = resolve(doc, ef.get(b"F").unwrap()) else {
                panic!("embedded file is not a stream")
            };
            assert_eq!(
                stream.dict.get(b"Subtype").unwrap().as_name().unwrap(),
                b"application/json",
                "PDF/A-3: an embedded file names its MIME type"
            );
            (
                name,
                relationship,
                stream
                    .decompressed_content()
                    .unwrap_or_else(|_| stream.content.clone()),
            )
        })
        .collect()
}

/// R2, R13: the record PDF is archival PDF/A-3b and carries the data it
/// prints: PDF 1.7, XMP metadata identifying PDF/A-3B (unfiltered, agreeing
/// with the information dictionary), an sRGB output intent, every font
/// embedded, no encryption, `record.json` (byte for byte the export) and
/// `manifest.json` embedded as associated files, a document id from the
/// record hash; the same record rendered in this process and in another
/// process gives identical bytes.
#[tokio::test]
async fn r2_r13_pdf_is_pdfa3b_carrying_its_record_and_deterministic() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-PDFA-1").await;
    floor.manufacture(&batch).await;
    let pdf = floor.record_pdf(&batch).await;
    let export = floor.record_json(&batch).await;
    let manifest = serde_json::from_str::<Value>(&export).unwrap()["manifest"].clone();
    let sha = manifest["record_sha256"].as_str().unwrap().to_string();

    assert!(
        pdf.starts_with(b"%PDF-1.7\n%"),
        "PDF 1.7 header with a binary comment"
    );
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    assert!(doc.trailer.get(b"Encrypt").is_err(), "no encryption");
    let ids = doc.trailer.get(b"ID").unwrap().as_array().unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(hex::encode(ids[0].as_str().unwrap()), sha[..32]);

    let catalog = doc.catalog().unwrap();
    let lopdf::Object::Stream(xmp) = resolve(&doc, catalog.get(b"Metadata").unwrap()) else {
        panic!("no XMP metadata stream")
    };
    assert!(
        xmp.dict.get(b"Filter").is_err(),
        "the metadata stream is not filtered"
    );
    assert_eq!(xmp.dict.get(b"Subtype").unwrap().as_name().unwrap(), b"XML");
    let xmp = String::from_utf8(xmp.content.clone()).unwrap();
    assert!(xmp.contains("<pdfaid:part>3</pdfaid:part>"), "{xmp}");
    assert!(xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
    assert!(xmp.contains(&format!("Batch record BR-PDFA-1, record SHA-256 {sha}")));
    let info = dict(&doc, doc.trailer.get(b"Info").unwrap());
    assert!(info.get(b"CreationDate").is_ok() && info.get(b"Title").is_ok());
    assert!(info.get(b"GTS_PDFXVersion").is_err(), "not claiming PDF/X");

    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    assert_eq!(intents.len(), 1);
    let intent = dict(&doc, &intents[0]);
    assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFA1");
    let profile = dict(&doc, intent.get(b"DestOutputProfile").unwrap());
    assert_eq!(
        profile.get(b"N").unwrap().as_i64().unwrap(),
        3,
        "an RGB profile"
    );

    // Every font is embedded (a font program for each descendant font).
    let mut fonts = 0;
    for (_, object) in doc.objects.iter() {
        if let Ok(d) = object.as_dict() {
            if d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"FontDescriptor".as_slice()) {
                fonts += 1;
                assert!(
                    d.get(b"FontFile2").is_ok()
                        || d.get(b"FontFile3").is_ok()
                        || d.get(b"FontFile").is_ok(),
                    "a font is not embedded: {d:?}"
                );
            }
        }
    }
    assert!(fonts >= 2, "{fonts} font descriptors");

    let files = embedded_files(&doc);
    let names: Vec<&str> = files.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["manifest.json", "record.json"]);
    let record = &files.iter().find(|f| f.0 == "record.json").unwrap();
    assert_eq!(record.1, "Data");
    assert_eq!(
        record.2,
        export.as_bytes(),
        "record.json is the export, byte for byte"
    );
    let embedded_manifest: Value =
        serde_json::from_slice(&files.iter().find(|f| f.0 == "manifest.json").unwrap().2).unwrap();
    assert_eq!(embedded_manifest, manifest);

    // Deterministic in one process and across processes.
    let here = ebr_record::pdf::render(&export).unwrap();
    assert_eq!(here, ebr_record::pdf::render(&export).unwrap());
    assert_eq!(here, pdf, "the server's bytes re-render identically");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .arg("render-pdf")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), export.as_bytes()).unwrap();
    let other = child.wait_with_output().unwrap();
    assert!(other.status.success());
    assert_eq!(other.stdout, pdf, "another process renders the same bytes");
}
