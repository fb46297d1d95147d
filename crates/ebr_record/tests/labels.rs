//! R49, R50: the label sheet shows readable text and a barcode that
//! decodes, from the printed page, to the identifiers on the label.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly; helpers outside #[test] functions included"
)]

use std::process::Command;

use ebr_domain::custody::labels::{coi_identifier, LabelContent};

fn label(n: i32) -> LabelContent {
    let serial = format!("BR-2026-0001-V{n:03}");
    LabelContent {
        label_number: n,
        product_code: "MNP-ALS".into(),
        product_name: "Motor-neuron progenitors".into(),
        batch_number: "BR-2026-0001".into(),
        kind: "vial".into(),
        vials_in_box: None,
        cells_per_vial: "5.00e7 cells/vial".into(),
        volume: "2.0 mL".into(),
        storage: "Store at ≤ −150 °C (LN₂ vapour phase)".into(),
        expiry: "2027-12-01".into(),
        investigational_statement:
            "CAUTION: New Drug — Limited by Federal (or United States) law to investigational use."
                .into(),
        coi: coi_identifier("G123498654321H", &serial),
        vial_serial: serial,
    }
}

/// Reads a binary PGM (P5) as pdftoppm writes it.
fn pgm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8(bytes[start..i].to_vec()).unwrap());
    }
    i += 1;
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, bytes[i..i + w * h].to_vec())
}

/// R49, R50: every label on the sheet (three vials and their box) is
/// numbered and readable, and each
/// QR code, rendered from the PDF at print resolution, decodes to exactly
/// the identifiers printed beside it.
#[test]
fn r49_r50_the_label_barcode_decodes_to_the_identifiers_on_the_label() {
    let mut labels: Vec<LabelContent> = (1..=3).map(label).collect();
    labels.push(LabelContent {
        kind: "box".into(),
        vial_serial: String::new(),
        vials_in_box: Some(10),
        coi: coi_identifier("G123498654321H", "BR-2026-0001"),
        ..label(4)
    });
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let pdf =
        ebr_record::pdf::labels::render("BR-2026-0001", &labels, at, "Zhang Wei", None).unwrap();
    let dir = std::env::temp_dir().join(format!("ebr-labels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("labels.pdf");
    std::fs::write(&file, &pdf).unwrap();

    let text = Command::new("pdftotext")
        .args(["-layout", file.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by make test");
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Box of 10 vials"), "{text}");
    for l in &labels[..3] {
        for expected in [
            format!("Label {}", l.label_number),
            format!("Vial {}", l.vial_serial),
            format!("CoI {}", l.coi),
            "Expiry 2027-12-01".to_string(),
            "5.00e7 cells/vial per vial".to_string(),
            "−150 °C".to_string(),
            "investigational use".to_string(),
        ] {
            assert!(text.contains(&expected), "{expected} missing from:\n{text}");
        }
    }

    let prefix = dir.join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-f", "1", "-l", "1"])
        .arg(&file)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success());
    let page = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pgm"))
        .unwrap();
    let (w, h, pixels) = pgm(&std::fs::read(&page).unwrap());
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let mut decoded: Vec<String> = image
        .detect_grids()
        .into_iter()
        .map(|g| g.decode().expect("a QR code that decodes").1)
        .collect();
    decoded.sort();
    let mut expected: Vec<String> = labels.iter().map(LabelContent::barcode).collect();
    expected.sort();
    assert_eq!(decoded, expected);
    assert!(decoded
        .iter()
        .any(|d| d.contains("SN:BR-2026-0001-V001|COI:G123498654321H/BR-2026-0001-V001")));
    assert!(decoded.iter().any(|d| d.contains("|BOX:10|")));
    if std::env::var_os("EBR_KEEP_LABELS").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
