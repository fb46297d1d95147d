//! The trace matrix as PDF/A (R51): the coverage, the requirements not
//! proven, and one row per requirement with its risk, its rule functions
//! and every test with its kind and result on the build, from the matrix
//! `ebr validation trace` writes as JSON.

use chrono::{DateTime, Utc};
use printpdf::PdfDocument;
use serde_json::Value;

use super::content::{list, s};
use super::layout::{Cell, Layout, WIDTH};
use super::{archival, assemble, fonts};

/// Renders `matrix` (the `matrix` object of trace.json) for `build`,
/// generated at `at`.
pub fn render(matrix: &Value, build: &str, at: DateTime<Utc>) -> Result<Vec<u8>, String> {
    let title = format!("Trace matrix — {build}");
    let mut pdf = PdfDocument::new(&title);
    let fonts = fonts::Fonts::load(&mut pdf)?;
    let mut l = Layout::new(&fonts);
    l.heading(&title, 16.0);
    let tests = &matrix["tests"];
    l.fields(&[
        (
            "Requirements proven",
            format!("{} of {}", s(&matrix["proven"]), s(&matrix["total"])),
        ),
        (
            "Tests",
            format!(
                "{} run, {} passed, {} failed, {} skipped",
                s(&tests["run"]),
                s(&tests["passed"]),
                s(&tests["failed"]),
                s(&tests["skipped"])
            ),
        ),
        ("Generated", at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
    ]);
    let gaps: Vec<Vec<Cell>> = list(&matrix["rows"])
        .iter()
        .filter(|r| r["proven"] != true)
        .map(|r| {
            vec![
                Cell::new(format!("R{}", s(&r["requirement"]["id"]))),
                Cell::new(s(&r["gap"])),
            ]
        })
        .collect();
    l.heading("Not proven on this build", 12.0);
    l.table_or(
        &[("R", 14.0), ("Gap", WIDTH - 14.0)],
        &gaps,
        "None: every requirement is proven.",
    );
    l.heading("Requirements and their tests", 12.0);
    let rows: Vec<Vec<Cell>> = list(&matrix["rows"])
        .iter()
        .map(|r| {
            let req = &r["requirement"];
            let tests: Vec<String> = list(&r["tests"])
                .iter()
                .map(|t| {
                    let name = s(&t["name"]);
                    format!(
                        "{} ({}: {})",
                        name.rsplit("::").next().unwrap_or(&name),
                        s(&t["kind"]),
                        s(&t["outcome"])
                    )
                })
                .collect();
            vec![
                Cell::new(format!("R{}", s(&req["id"]))),
                Cell::new(format!("{} [{}]", s(&req["text"]), s(&req["risk"]))),
                Cell::new(if tests.is_empty() {
                    "—".to_string()
                } else {
                    tests.join("; ")
                }),
                Cell {
                    text: if r["proven"] == true {
                        "yes".into()
                    } else {
                        "NO".into()
                    },
                    bold: r["proven"] != true,
                    strike: false,
                },
            ]
        })
        .collect();
    l.table(
        &[
            ("R", 12.0),
            ("Requirement [risk]", 60.0),
            ("Tests (kind: result)", WIDTH - 88.0),
            ("Proven", 16.0),
        ],
        &rows,
        true,
    );
    let pages = l.finish(
        &title,
        false,
        "Requirements from docs/REQUIREMENTS.md; results from the build's test run",
        "ebr validation pack — trace matrix (R51)",
    );
    let subject = format!("Trace matrix of {build}");
    let identity = archival::Identity {
        title: &title,
        author: "ebr",
        subject: &subject,
        creator: "ebr",
        producer: "ebr_record (printpdf, lopdf)",
        date: at,
        document_id: ebr_domain::canonical::sha256_hex(subject.as_bytes())
            .as_bytes()
            .get(..16)
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
    };
    assemble(pdf, &pages, &identity, &[])
}
