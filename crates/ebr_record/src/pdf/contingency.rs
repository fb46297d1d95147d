//! The contingency paper form of a step (R27): printed from the batch's
//! MBR when ebr cannot be used, its serial on every page; every field with
//! its limits and a blank to write the value, who and when, and the
//! signature lines. Its values are re-entered later against the serial.

use chrono::{DateTime, Utc};
use ebr_domain::mbr::Step;
use printpdf::PdfDocument;

use super::content::limits_text;
use super::layout::{Cell, Layout, WIDTH};
use super::{archival, assemble, fonts};

/// Renders form `serial` of `step` for batch `batch_number`.
pub fn render(
    serial: &str,
    batch_number: &str,
    product_code: &str,
    step: &Step,
    printed_at: DateTime<Utc>,
) -> Result<Vec<u8>, String> {
    let title = format!("Contingency form {serial}");
    let mut pdf = PdfDocument::new(&title);
    let fonts = fonts::Fonts::load(&mut pdf)?;
    let mut l = Layout::new(&fonts);
    l.heading(&title, 16.0);
    l.fields(&[
        ("Batch", batch_number.to_string()),
        ("Product", product_code.to_string()),
        ("Step", format!("{} — {}", step.key, step.name)),
        (
            "Critical",
            if step.critical {
                "yes: a second person verifies and signs".into()
            } else {
                "no".to_string()
            },
        ),
        (
            "Printed",
            printed_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        ),
    ]);
    l.paragraph(
        "Use only while ebr is unavailable. Write in indelible ink; correct by a single line through, with the new value, initials, date and reason. Re-enter every value into ebr against this serial as soon as ebr is available: the record shows each value as transcribed from this form.",
        9.0,
        true,
    );
    l.heading("Instructions", 12.0);
    l.paragraph(&step.instructions, 10.0, false);
    l.heading("Values", 12.0);
    let rows: Vec<Vec<Cell>> = step
        .fields
        .iter()
        .map(|f| {
            vec![
                Cell::new(f.label.clone()),
                Cell::new(limits_text(f)),
                Cell::new(""),
                Cell::new(""),
            ]
        })
        .collect();
    l.table(
        &[
            ("Field", 50.0),
            ("Limits", 55.0),
            ("Value (with unit)", WIDTH - 140.0),
            ("Initials, date, time", 35.0),
        ],
        &rows,
        true,
    );
    l.heading("Signatures", 12.0);
    l.table(
        &[
            ("Meaning", 40.0),
            ("Printed name", 50.0),
            ("Signature", WIDTH - 130.0),
            ("Date and time", 40.0),
        ],
        &[
            vec![
                Cell::new("Performed"),
                Cell::new(""),
                Cell::new(""),
                Cell::new(""),
            ],
            vec![
                Cell::new("Verified"),
                Cell::new(""),
                Cell::new(""),
                Cell::new(""),
            ],
            vec![
                Cell::new("Transcribed into ebr"),
                Cell::new(""),
                Cell::new(""),
                Cell::new(""),
            ],
        ],
        true,
    );
    let pages = l.finish(
        &format!("{serial} — batch {batch_number} — {}", step.key),
        false,
        &format!("Contingency form {serial}: re-enter into ebr against this serial"),
        "ebr contingency form (R27) — one serial, transcribed once",
    );
    let subject = format!("Contingency form {serial} of batch {batch_number}");
    let identity = archival::Identity {
        title: &title,
        author: "ebr",
        subject: &subject,
        creator: "ebr",
        producer: "ebr_record (printpdf, lopdf)",
        date: printed_at,
        document_id: ebr_domain::canonical::sha256_hex(serial.as_bytes())
            .as_bytes()
            .get(..16)
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
    };
    assemble(pdf, &pages, &identity, &[])
}
