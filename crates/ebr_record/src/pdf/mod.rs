//! The batch record PDF (R2, R12, R23, R34): built with printpdf from the
//! machine-readable export, so the record hash printed on every page is the
//! export's. A4; header and footer on every page with batch number, "Page X of
//! Y" and the record hash; NOT RELEASED on every page of a batch that is not
//! released; fonts embedded and subset.
//!
//! Archival and deterministic: PDF/A-3b with the export (`record.json`) and
//! its manifest (`manifest.json`) embedded as associated files, vendored
//! fonts, fixed resource names, times taken from the record and a document
//! identifier derived from its hash. The same record renders to the same
//! bytes in any process on any host, so a verifier can re-render a PDF and
//! compare.
#![allow(
    clippy::indexing_slicing,
    reason = "serde_json::Value indexing by key yields Null and never panics"
)]

pub mod access_review;
pub mod archival;
mod chain;
mod content;
pub mod contingency;
mod fonts;
pub mod icc;
pub mod labels;
mod layout;
mod stream;
pub mod trace;

use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};
use serde_json::Value;

/// The names of the files embedded in every record PDF.
pub const EMBEDDED_RECORD: &str = "record.json";
/// The embedded manifest's file name.
pub const EMBEDDED_MANIFEST: &str = "manifest.json";

/// Renders the archival PDF of an export document (its canonical JSON text,
/// which is embedded as it is given).
pub fn render(export_json: &str) -> Result<Vec<u8>, String> {
    // The embedded record is deflated on the second core from the start,
    // while the record is parsed, laid out and its pages written.
    std::thread::scope(|scope| {
        let deflating = scope.spawn(|| archival::deflate(export_json.as_bytes()));
        render_with(export_json, move || deflating.join().ok().flatten())
    })
}

fn render_with(
    export_json: &str,
    deflated: impl FnOnce() -> Option<Vec<u8>>,
) -> Result<Vec<u8>, String> {
    let doc: Value =
        serde_json::from_str(export_json).map_err(|e| format!("not an ebr record export: {e}"))?;
    let record_sha256 = doc["manifest"]["record_sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let manifest_json = ebr_domain::canonical::to_canonical_json(&doc["manifest"])
        .map_err(|e| format!("cannot write the manifest: {e}"))?;
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
        .map_or(chrono::DateTime::UNIX_EPOCH, |t| {
            t.with_timezone(&chrono::Utc)
        });

    let t0 = std::time::Instant::now();
    let title = format!("Batch record {number}");
    let mut pdf = PdfDocument::new(&title);
    let fonts = fonts::Fonts::load(&mut pdf)?;
    let mut l = layout::Layout::new(&fonts);
    content::build(&mut l, &doc, &record_sha256);
    let header = format!(
        "Batch record {number} — {}",
        batch["product_code"].as_str().unwrap_or_default()
    );
    let pages = l.finish(
        &header,
        !released,
        &format!("Record SHA-256 {record_sha256}"),
        "ebr electronic batch record — PDF/A-3b — times in UTC — record.json embedded",
    );
    let t1 = std::time::Instant::now();
    // The record's deflation (on the other core) overlaps the pages'
    // serialisation and compression; it is joined only for the attachments.
    let lo = write_pages(pdf, &pages)?;
    let deflated_record = deflated();
    let creator = doc["generator"].as_str().unwrap_or("ebr").to_string();
    let subject = format!("Batch record {number}, record SHA-256 {record_sha256}");
    let identity = archival::Identity {
        title: &title,
        author: "ebr",
        subject: &subject,
        creator: &creator,
        producer: "ebr_record (printpdf, lopdf)",
        date: as_of,
        document_id: hex::decode(record_sha256.get(..32).unwrap_or_default()).unwrap_or_default(),
    };
    let attachments = [
        archival::Attachment {
            name: EMBEDDED_RECORD,
            mime: "application/json",
            description: "The batch record this PDF prints (ebr.batch-record/1, canonical JSON)",
            relationship: "Data",
            bytes: export_json.as_bytes(),
            deflated: deflated_record.as_deref(),
        },
        archival::Attachment {
            name: EMBEDDED_MANIFEST,
            mime: "application/json",
            description: "SHA-256 of each section of record.json and of the whole",
            relationship: "Data",
            bytes: manifest_json.as_bytes(),
            deflated: None,
        },
    ];
    let bytes = archive(lo, &identity, &attachments)?;
    if std::env::var_os("EBR_PDF_TIMING").is_some() {
        eprintln!("layout {:?} assemble {:?}", t1 - t0, t1.elapsed());
    }
    Ok(bytes)
}

/// Writes laid-out pages as an archival PDF/A-3b ([`write_pages`], then
/// [`archive`]).
pub(crate) fn assemble(
    pdf: PdfDocument,
    pages: &[Vec<printpdf::Op>],
    identity: &archival::Identity<'_>,
    attachments: &[archival::Attachment<'_>],
) -> Result<Vec<u8>, String> {
    archive(write_pages(pdf, pages)?, identity, attachments)
}

/// The pages as a PDF document: printpdf embeds and subsets the fonts from
/// one sample page showing every character used, the pages themselves are
/// written directly, and every stream is deflated.
fn write_pages(
    mut pdf: PdfDocument,
    pages: &[Vec<printpdf::Op>],
) -> Result<lopdf::Document, String> {
    let chars = stream::chars_by_font(pages);
    let sample = PdfPage::new(Mm(210.0), Mm(297.0), stream::sample_page(&chars));
    let mut warnings = Vec::new();
    let pdf = &pdf.with_pages(vec![sample]);
    let options = PdfSaveOptions {
        subset_fonts: true,
        optimize: false,
        ..Default::default()
    };
    let mut lo = printpdf::serialize::to_lopdf_doc(pdf, &options, &mut warnings);
    replace_pages(&mut lo, pages, &chars)?;
    compress_streams(&mut lo);
    Ok(lo)
}

/// Makes the document archival (identity, output intent, attachments) and
/// writes it.
fn archive(
    mut lo: lopdf::Document,
    identity: &archival::Identity<'_>,
    attachments: &[archival::Attachment<'_>],
) -> Result<Vec<u8>, String> {
    archival::make_archival(&mut lo, identity, attachments)?;
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| format!("cannot write the PDF: {e}"))?;
    Ok(bytes)
}

/// Replaces printpdf's single sample page with the record's pages, written
/// directly with the codes printpdf chose for each character.
fn replace_pages(
    lo: &mut lopdf::Document,
    pages: &[Vec<printpdf::Op>],
    chars: &stream::CharsByFont,
) -> Result<(), String> {
    let (_, sample_id) = lo
        .get_pages()
        .into_iter()
        .next()
        .ok_or("printpdf wrote no page")?;
    let mut sample_content = Vec::new();
    for id in lo.get_page_contents(sample_id) {
        let stream = lo
            .get_object(id)
            .and_then(lopdf::Object::as_stream)
            .map_err(|e| format!("cannot read the font sample page: {e}"))?;
        sample_content.extend(
            stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone()),
        );
    }
    let (codes, names) = stream::codes_from_sample(&sample_content, chars)?;
    let template = lo
        .get_dictionary(sample_id)
        .map_err(|e| format!("cannot read the sample page: {e}"))?
        .clone();
    for content_id in lo.get_page_contents(sample_id) {
        lo.objects.remove(&content_id);
    }
    lo.objects.remove(&sample_id);
    let parent = template
        .get(b"Parent")
        .and_then(lopdf::Object::as_reference)
        .map_err(|e| format!("the sample page has no parent: {e}"))?;
    let mut kids = Vec::with_capacity(pages.len());
    for ops in pages {
        let content = stream::encode_page(ops, &codes, &names);
        let content_id = lo.add_object(lopdf::Stream::new(lopdf::Dictionary::new(), content));
        let mut page = template.clone();
        page.set("Contents", content_id);
        kids.push(lopdf::Object::Reference(lo.add_object(page)));
    }
    let count = i64::try_from(kids.len()).unwrap_or(i64::MAX);
    let tree = lo
        .get_dictionary_mut(parent)
        .map_err(|e| format!("the page tree cannot be read: {e}"))?;
    tree.set("Kids", kids);
    tree.set("Count", count);
    Ok(())
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
