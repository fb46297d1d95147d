//! The access review as an archival PDF (PDF/A-3b, the report embedded as
//! `access-review.json`): findings first, then every account with its
//! roles, what changed in the period, training gaps, and QA's signatures.

use ebr_domain::signature::{Factors, SignatureManifest};
use printpdf::PdfDocument;
use serde_json::Value;

use super::content::{list, s};
use super::layout::{Cell, Layout, WIDTH};
use super::{archival, assemble, fonts};

/// The embedded report's file name.
pub const EMBEDDED_REPORT: &str = "access-review.json";

fn events(l: &mut Layout<'_>, title: &str, rows: &Value, empty: &str) {
    l.heading(title, 12.0);
    let rows: Vec<Vec<Cell>> = list(rows)
        .iter()
        .map(|e| {
            vec![
                Cell::new(s(&e["at"])),
                Cell::new(s(&e["username"])),
                Cell::new(s(&e["what"])),
                Cell::new(s(&e["by"])),
            ]
        })
        .collect();
    l.table_or(
        &[
            ("When (UTC)", 40.0),
            ("Account", 30.0),
            ("What", WIDTH - 100.0),
            ("By", 30.0),
        ],
        &rows,
        empty,
    );
}

/// Renders the report (its canonical JSON text, embedded as given) with the
/// signatures QA put on it.
pub fn render(report_json: &str, signatures: &[SignatureManifest]) -> Result<Vec<u8>, String> {
    let report: Value =
        serde_json::from_str(report_json).map_err(|e| format!("not an access review: {e}"))?;
    let sha = ebr_domain::canonical::sha256_hex(report_json.as_bytes());
    let period = format!(
        "{} to {}",
        s(&report["period_from"]),
        s(&report["period_to"])
    );
    let title = format!("Access review {period}");
    let mut pdf = PdfDocument::new(&title);
    let fonts = fonts::Fonts::load(&mut pdf)?;
    let mut l = Layout::new(&fonts);
    l.heading(&title, 16.0);
    let status = if signatures.is_empty() {
        "NOT YET SIGNED: QA signs it in ebr (Access reviews), meaning reviewed".to_string()
    } else {
        signatures
            .iter()
            .map(|s| {
                format!(
                    "{} by {} at {}",
                    s.meaning.as_str(),
                    s.printed_name,
                    s.signed_at.format("%Y-%m-%d %H:%M:%S UTC")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    l.fields(&[
        ("Period (UTC days)", period.clone()),
        ("Generated", s(&report["generated_at"])),
        (
            "Dormant after",
            format!("{} days without a login", s(&report["dormant_days"])),
        ),
        ("Report SHA-256", sha.clone()),
        ("Review", status),
    ]);

    l.heading("Findings", 12.0);
    let findings: Vec<Vec<Cell>> = list(&report["findings"])
        .iter()
        .map(|f| {
            vec![
                Cell::new(s(&f["rule"])),
                Cell::new(s(&f["username"])),
                Cell::new(s(&f["detail"])),
            ]
        })
        .collect();
    l.table_or(
        &[("Rule", 45.0), ("Account", 30.0), ("Finding", WIDTH - 75.0)],
        &findings,
        "No findings.",
    );

    l.heading("Active accounts and their roles", 12.0);
    let accounts: Vec<Vec<Cell>> = list(&report["accounts"])
        .iter()
        .map(|a| {
            let roles: Vec<String> = list(&a["roles"]).iter().map(s).collect();
            let login = match &a["last_login"] {
                Value::Null => "never".to_string(),
                t => s(t),
            };
            vec![
                Cell::new(s(&a["username"])),
                Cell::new(s(&a["full_name"])),
                Cell::new(roles.join(", ")),
                Cell::new(login),
                Cell::new(if a["second_factor_enrolled"] == true {
                    "yes"
                } else {
                    "no"
                }),
                Cell::new(if a["locked"] == true { "LOCKED" } else { "" }),
            ]
        })
        .collect();
    l.table_or(
        &[
            ("Username", 28.0),
            ("Name", 30.0),
            ("Roles", WIDTH - 136.0),
            ("Last login (UTC)", 40.0),
            ("2nd factor", 18.0),
            ("Locked", 20.0),
        ],
        &accounts,
        "No active accounts.",
    );
    let names = |key: &str| -> String {
        let all: Vec<String> = list(&report[key]).iter().map(s).collect();
        if all.is_empty() {
            "none".into()
        } else {
            all.join(", ")
        }
    };
    l.fields(&[
        ("Privileged accounts", names("privileged")),
        ("Dormant accounts", names("dormant")),
        ("Locked accounts", names("locked")),
    ]);
    events(
        &mut l,
        "Role grants and revocations in the period",
        &report["role_changes"],
        "No role was granted or revoked in the period.",
    );
    events(
        &mut l,
        "Lockouts in the period",
        &report["lockouts"],
        "No account was locked in the period.",
    );
    events(
        &mut l,
        "Identity verifications in the period",
        &report["identity_verifications"],
        "No identity was verified in the period.",
    );
    events(
        &mut l,
        "Second factors enrolled and reset in the period",
        &report["factor_events"],
        "No second factor was enrolled or reset in the period.",
    );
    l.heading("Training gaps of active people", 12.0);
    let gaps: Vec<Vec<Cell>> = list(&report["training_gaps"])
        .iter()
        .map(|g| {
            vec![
                Cell::new(s(&g["username"])),
                Cell::new(s(&g["curriculum"])),
                Cell::new(s(&g["status"]).replace('_', " ")),
            ]
        })
        .collect();
    l.table_or(
        &[
            ("Account", 40.0),
            ("Curriculum", 60.0),
            ("Status", WIDTH - 100.0),
        ],
        &gaps,
        "No training gaps.",
    );
    l.heading("Signatures", 12.0);
    let sigs: Vec<Vec<Cell>> = signatures
        .iter()
        .map(|s| {
            vec![
                Cell::new(s.meaning.as_str()),
                Cell::new(s.printed_name.clone()),
                Cell::new(s.signed_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
                Cell::new(if s.factors == Factors::PasswordAndTotp {
                    Factors::PasswordAndTotp.describe()
                } else {
                    Factors::Password.describe()
                }),
            ]
        })
        .collect();
    l.table_or(
        &[
            ("Meaning", 25.0),
            ("Printed name", 45.0),
            ("Date and time (UTC)", 45.0),
            ("Factors", WIDTH - 115.0),
        ],
        &sigs,
        "Not yet signed.",
    );
    let pages = l.finish(
        &title,
        false,
        &format!("Report SHA-256 {sha}"),
        "ebr access review — PDF/A-3b — times in UTC — access-review.json embedded",
    );
    let date = report["generated_at"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(chrono::DateTime::UNIX_EPOCH, |t| {
            t.with_timezone(&chrono::Utc)
        });
    let subject = format!("Access review {period}, report SHA-256 {sha}");
    let identity = archival::Identity {
        title: &title,
        author: "ebr",
        subject: &subject,
        creator: "ebr",
        producer: "ebr_record (printpdf, lopdf)",
        date,
        document_id: hex::decode(sha.get(..32).unwrap_or_default()).unwrap_or_default(),
    };
    let attachments = [archival::Attachment {
        name: EMBEDDED_REPORT,
        mime: "application/json",
        description: "The access review this PDF prints (canonical JSON)",
        relationship: "Data",
        bytes: report_json.as_bytes(),
        deflated: None,
    }];
    assemble(pdf, &pages, &identity, &attachments)
}
