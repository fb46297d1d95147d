//! The label sheet (R49, R50): every label numbered, with its readable text
//! and a QR code (vector modules) encoding the identifiers on it, laid out
//! two across and five down on A4, PDF/A-3b like every document ebr makes.

use chrono::{DateTime, Utc};
use ebr_domain::custody::labels::LabelContent;
use printpdf::{Color, PdfDocument, Rgb};
use qrcode::{EcLevel, QrCode};

use super::layout::Layout;
use super::{archival, assemble, fonts};

const LABEL_W: f32 = 88.0;
const LABEL_H: f32 = 48.0;
const GAP: f32 = 4.0;
const PER_PAGE: usize = 10;
const QR_SIZE: f32 = 24.0;

/// The dark modules of the QR code for `text` as (column, row) cells, with
/// the code's width in modules (ECC level M).
pub fn qr_modules(text: &str) -> Result<(usize, Vec<(usize, usize)>), String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot encode the barcode: {e}"))?;
    let width = code.width();
    let cells = code
        .to_colors()
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == qrcode::Color::Dark)
        .map(|(i, _)| (i % width, i / width))
        .collect();
    Ok((width, cells))
}

fn black() -> Color {
    Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None))
}

/// Renders a sheet of labels for batch `batch_number`, printed at
/// `printed_at` by `printed_by` (`reprint`: the reason, for a reprint).
pub fn render(
    batch_number: &str,
    labels: &[LabelContent],
    printed_at: DateTime<Utc>,
    printed_by: &str,
    reprint: Option<&str>,
) -> Result<Vec<u8>, String> {
    let title = format!("Labels {batch_number}");
    let mut pdf = PdfDocument::new(&title);
    let fonts = fonts::Fonts::load(&mut pdf)?;
    let mut l = Layout::new(&fonts);
    for (i, label) in labels.iter().enumerate() {
        if i > 0 && i % PER_PAGE == 0 {
            l.page_break();
        }
        let slot = i % PER_PAGE;
        let x = 15.0 + (slot % 2) as f32 * (LABEL_W + GAP);
        let top = 273.0 - (slot / 2) as f32 * (LABEL_H + GAP);
        draw(&mut l, x, top, label)?;
    }
    let note = match reprint {
        Some(reason) => format!("REPRINT — reason: {reason}"),
        None => "First print".to_string(),
    };
    let pages = l.finish(
        &format!("Labels — batch {batch_number} — {} label(s)", labels.len()),
        false,
        &format!(
            "Printed {} by {printed_by} from the effective MBR template — {note}",
            printed_at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        "ebr label sheet — every label numbered; scan each applied label back against its vial",
    );
    let subject = format!("Labels of batch {batch_number}");
    let identity = archival::Identity {
        title: &title,
        author: "ebr",
        subject: &subject,
        creator: "ebr",
        producer: "ebr_record (printpdf, lopdf)",
        date: printed_at,
        document_id: ebr_domain::canonical::sha256_hex(
            format!(
                "{batch_number}/{}",
                labels.first().map_or(0, |l| l.label_number)
            )
            .as_bytes(),
        )
        .as_bytes()
        .get(..16)
        .map(<[u8]>::to_vec)
        .unwrap_or_default(),
    };
    assemble(pdf, &pages, &identity, &[])
}

fn draw(l: &mut Layout<'_>, x: f32, top: f32, label: &LabelContent) -> Result<(), String> {
    l.frame(x, top, LABEL_W, LABEL_H);
    let text_x = x + 2.5;
    let mut y = top - 5.0;
    let product = format!("{}  {}", label.product_code, label.product_name);
    let product = l
        .wrap(&product, 8.0, true, LABEL_W - QR_SIZE - 5.0)
        .into_iter()
        .next()
        .unwrap_or_default();
    l.text_at(text_x, y, 8.0, true, &product, false, black());
    let lines = [
        (true, format!("Batch {}", label.batch_number)),
        (
            true,
            match label.vials_in_box {
                Some(n) => format!("Box of {n} vials"),
                None => format!("Vial {}", label.vial_serial),
            },
        ),
        (false, format!("{} per vial", label.cells_per_vial)),
        (false, format!("Volume {}", label.volume)),
        (false, label.storage.clone()),
        (false, format!("Expiry {}", label.expiry)),
        (false, format!("CoI {}", label.coi)),
    ];
    for (bold, text) in lines {
        y -= 3.9;
        l.text_at(text_x, y, 6.5, bold, &text, false, black());
    }
    y -= 4.2;
    for line in l.wrap(&label.investigational_statement, 6.0, true, LABEL_W - 5.0) {
        l.text_at(text_x, y, 6.0, true, &line, false, black());
        y -= 2.8;
    }
    let (width, cells) = qr_modules(&label.barcode())?;
    let quiet = 4;
    let module = QR_SIZE / (width + 2 * quiet) as f32;
    let qr_x = x + LABEL_W - QR_SIZE - 1.5 + quiet as f32 * module;
    let qr_top = top - 1.5 - quiet as f32 * module;
    l.squares(qr_x, qr_top, module, &cells);
    l.text_at(
        x + LABEL_W - QR_SIZE - 1.0,
        top - QR_SIZE - 5.0,
        7.0,
        true,
        &format!("Label {}", label.label_number),
        false,
        black(),
    );
    Ok(())
}
