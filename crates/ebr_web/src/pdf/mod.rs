//! The batch record PDF (R2, R12, R23, R34): built with printpdf from the
//! machine-readable export, so the record hash printed on every page is the
//! export's. A4; header and footer on every page with batch number, "Page X of
//! Y" and the record hash; NOT RELEASED on every page of a batch that is not
//! released; fonts embedded and subset.
//!
//! printpdf names objects from a process-wide counter, so one document per
//! process gives the same bytes for the same record: the server renders in a
//! short-lived `ebr render-pdf` child process (`render_in_child`).
#![allow(
    clippy::indexing_slicing,
    reason = "serde_json::Value indexing by key yields Null and never panics"
)]

mod content;
mod fonts;
mod layout;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};
use serde_json::Value;

/// Renders the PDF of an export document (canonical JSON text).
pub fn render(export_json: &str) -> Result<Vec<u8>, String> {
    let doc: Value =
        serde_json::from_str(export_json).map_err(|e| format!("not an ebr record export: {e}"))?;
    let record_sha256 = doc["manifest"]["record_sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let batch = &doc["sections"]["batch"];
    let number = batch["batch_number"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let released = batch["status"] == "released";
    let as_of = doc["sections"]["audit_trail"]
        .as_array()
        .and_then(|a| a.last())
        .and_then(|e| e["occurred_at"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp());

    let mut pdf = PdfDocument::new(&format!("Batch record {number}"));
    pdf.metadata.info.author = "ebr".into();
    pdf.metadata.info.creator = doc["generator"].as_str().unwrap_or("ebr").into();
    pdf.metadata.info.producer = "ebr (printpdf)".into();
    pdf.metadata.info.subject = format!("Batch record {number}, record SHA-256 {record_sha256}");
    let fixed = printpdf::OffsetDateTime::from_unix_timestamp(as_of).map_err(str::to_string)?;
    pdf.metadata.info.creation_date = fixed;
    pdf.metadata.info.modification_date = fixed;
    pdf.metadata.info.metadata_date = fixed;
    let t0 = std::time::Instant::now();
    let fonts = fonts::Fonts::load(&mut pdf)?;
    let t1 = std::time::Instant::now();
    let mut l = layout::Layout::new(&fonts);
    content::build(&mut l, &doc, &record_sha256);
    let t2 = std::time::Instant::now();
    let short = record_sha256.get(..16).unwrap_or_default();
    let header = format!(
        "Batch record {number} — {}",
        batch["product_code"].as_str().unwrap_or_default()
    );
    let pages = l.finish(
        &header,
        !released,
        &format!("Record SHA-256 {short}…"),
        "ebr electronic batch record — times in UTC — full record hash on the cover",
    );
    let pages: Vec<PdfPage> = pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops))
        .collect();
    let ops: usize = pages.iter().map(|p| p.ops.len()).sum();
    let n = pages.len();
    let mut warnings = Vec::new();
    let t3 = std::time::Instant::now();
    let pdf = &pdf.with_pages(pages);
    let options = PdfSaveOptions {
        subset_fonts: true,
        optimize: false,
        ..Default::default()
    };
    let mut lo = printpdf::serialize::to_lopdf_doc(pdf, &options, &mut warnings);
    compress_streams(&mut lo);
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| format!("cannot write the PDF: {e}"))?;
    if std::env::var_os("EBR_PDF_TIMING").is_some() {
        eprintln!(
            "fonts {:?} layout {:?} pages {:?} save {:?}; {n} pages, {ops} ops",
            t1 - t0,
            t2 - t1,
            t3 - t2,
            t3.elapsed()
        );
    }
    Ok(bytes)
}

/// Renders in a fresh `ebr render-pdf` process (same bytes for the same
/// record, and a renderer failure cannot take the server down).
pub fn render_in_child(ebr: &Path, export_json: &str) -> Result<Vec<u8>, String> {
    let mut child = Command::new(ebr)
        .arg("render-pdf")
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the PDF renderer {}: {e}", ebr.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(export_json.as_bytes())
            .map_err(|e| format!("cannot feed the PDF renderer: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("the PDF renderer failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the PDF renderer failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Deflates every stream not yet compressed, on all cores, at a fast level
/// (printpdf's own pass uses the slowest level on one core).
fn compress_streams(doc: &mut lopdf::Document) {
    use std::io::Write;
    let mut streams: Vec<&mut lopdf::Stream> = doc
        .objects
        .values_mut()
        .filter_map(|o| match o {
            lopdf::Object::Stream(s) if s.dict.get(b"Filter").is_err() => Some(s),
            _ => None,
        })
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let chunk = streams.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        for part in streams.chunks_mut(chunk) {
            scope.spawn(move || {
                for stream in part.iter_mut() {
                    let mut encoder =
                        flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
                    if encoder.write_all(&stream.content).is_err() {
                        continue;
                    }
                    if let Ok(compressed) = encoder.finish() {
                        if compressed.len() + 19 < stream.content.len() {
                            stream.dict.set("Filter", "FlateDecode");
                            stream.set_content(compressed);
                        }
                    }
                }
            });
        }
    });
}
