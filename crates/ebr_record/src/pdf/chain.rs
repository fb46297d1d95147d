//! The record's chain of identity and custody (R47–R49), printed when the
//! export carries it (records exported before these sections existed
//! re-render unchanged): the donor's eligibility and the banks' release,
//! the label reconciliation, where each vial is stored, and the custody
//! chain of each shipped vial down to its recipient.

use serde_json::Value;

use super::content::{list, s, when, Ctx};
use super::layout::{Cell, Layout, WIDTH};

fn signed(decision: &Value) -> String {
    if decision.is_null() {
        return "none signed".into();
    }
    // (row, signature) pairs serialise as two-element arrays.
    let (row, sig) = (&decision[0], &decision[1]);
    let what = [&row["determination"], &row["decision"]]
        .into_iter()
        .map(s)
        .find(|x| !x.is_empty())
        .unwrap_or_default();
    format!(
        "{} — signed {} by {} at {}",
        what.to_uppercase(),
        s(&sig["meaning"]),
        s(&sig["printed_name"]),
        when(&sig["signed_at"])
    )
}

/// The cover's words for the bank's qualification: donor eligibility and
/// both bank releases, as signed.
pub(super) fn qualification_summary(coi: &Value) -> String {
    let decision = |v: &Value| {
        if v.is_null() {
            "NOT SIGNED".to_string()
        } else {
            s(&v[0]["decision"]).to_uppercase()
        }
    };
    let eligibility = if coi["eligibility"].is_null() {
        "NOT DETERMINED".to_string()
    } else {
        s(&coi["eligibility"][0]["determination"]).to_uppercase()
    };
    format!(
        "donor {eligibility}, MCB {}, WCB {} (signed; see Chain of identity and custody)",
        decision(&coi["mcb_release"]),
        decision(&coi["wcb_release"])
    )
}

/// Prints the chain-of-identity sections present in the export.
pub(super) fn chain_of_identity(l: &mut Layout<'_>, ctx: &Ctx<'_>) {
    let coi = ctx.section("chain_of_identity");
    if coi.is_null() {
        return;
    }
    l.page_break();
    l.heading("Chain of identity and custody", 13.0);
    l.fields(&[
        ("Donor (ISBT 128 DIN)", s(&coi["donor_din"])),
        ("Donor eligibility", signed(&coi["eligibility"])),
        ("Master cell bank", signed(&coi["mcb_release"])),
        ("Working cell bank", signed(&coi["wcb_release"])),
        (
            "Bank qualified for manufacture",
            if coi["qualified"] == true {
                "yes"
            } else {
                "NO"
            }
            .into(),
        ),
    ]);
    let labels = ctx.section("labels");
    if !labels.is_null() {
        let r = &labels["reconciliation"];
        l.heading("Label reconciliation (R49)", 12.0);
        l.paragraph(
            &format!(
                "Printed {} = applied {} + destroyed {}; {} reprint(s); {} unaccounted for; vials without a label: {}.",
                s(&r["printed"]),
                s(&r["applied"]),
                s(&r["destroyed"]),
                s(&r["reprints"]),
                s(&r["open"]),
                r["unlabelled"].as_array().map_or(0, Vec::len)
            ),
            9.0,
            true,
        );
        let rows: Vec<Vec<Cell>> = list(&labels["labels"])
            .iter()
            .map(|x| {
                let event = &x["event"];
                let outcome = match s(&x["state"]).as_str() {
                    "applied" => format!("applied, scanned {}", when(&event["occurred_at"])),
                    "destroyed" => format!("destroyed: {}", s(&event["reason"])),
                    other => other.to_string(),
                };
                let printed = match s(&x["reprint_of"]).as_str() {
                    "" => when(&x["printed_at"]),
                    n => format!(
                        "{} (reprint of {n}: {})",
                        when(&x["printed_at"]),
                        s(&x["reason"])
                    ),
                };
                vec![
                    Cell::new(s(&x["number"])),
                    Cell::new(s(&x["applied_to"])),
                    Cell::new(printed),
                    Cell::new(outcome),
                ]
            })
            .collect();
        l.table(
            &[
                ("Label", 14.0),
                ("On (vial or box)", 40.0),
                ("Printed", 60.0),
                ("Outcome", WIDTH - 114.0),
            ],
            &rows,
            true,
        );
    }
    let storage = ctx.section("storage");
    if let Some(vials) = storage.as_array() {
        l.heading("Storage (LN₂ vapour phase)", 12.0);
        let rows: Vec<Vec<Cell>> = vials
            .iter()
            .map(|v| {
                let history: Vec<String> = list(&v["events"])
                    .iter()
                    .map(|e| {
                        let at = s(&e["position"]);
                        let reason = s(&e["reason"]);
                        let mut line = format!("{} {}", s(&e["kind"]), when(&e["occurred_at"]));
                        if !at.is_empty() {
                            line.push_str(&format!(" at {at}"));
                        }
                        if !reason.is_empty() {
                            line.push_str(&format!(" ({reason})"));
                        }
                        line
                    })
                    .collect();
                vec![
                    Cell::new(s(&v["serial"])),
                    Cell::new(match s(&v["stored_at"]).as_str() {
                        "" => s(&v["state"]).replace('_', " "),
                        at => at.to_string(),
                    }),
                    Cell::new(s(&v["thaws"])),
                    Cell::new(history.join("; ")),
                ]
            })
            .collect();
        l.table(
            &[
                ("Vial", 40.0),
                ("Now", 34.0),
                ("Thaws", 12.0),
                ("Events", WIDTH - 86.0),
            ],
            &rows,
            true,
        );
    }
    let custody = ctx.section("custody");
    if custody.is_null() {
        return;
    }
    l.heading("Custody: shipments and recipients (R47, R48)", 12.0);
    for shipment in list(&custody["shipments"]) {
        let sh = &shipment["shipment"];
        l.paragraph(
            &format!(
                "Shipment {} — {} → {} — {} — courier {}, dry shipper {}, seal {}",
                s(&sh["shipment_number"]),
                s(&sh["from_site"]),
                s(&sh["to_site"]),
                s(&shipment["status"]).replace('_', " ").to_uppercase(),
                s(&sh["shipper"]),
                s(&sh["dry_shipper_id"]),
                s(&sh["seal_id"])
            ),
            9.0,
            true,
        );
        let vials: Vec<String> = list(&shipment["vials"]).iter().map(s).collect();
        l.paragraph(&format!("Vials: {}", vials.join(", ")), 8.5, false);
        let rows: Vec<Vec<Cell>> = list(&shipment["events"])
            .iter()
            .map(|pair| {
                let (e, sigs) = (&pair[0], &pair[1]);
                let signed: Vec<String> = list(sigs)
                    .iter()
                    .map(|g| {
                        format!(
                            "{} by {} at {}",
                            s(&g["meaning"]),
                            s(&g["printed_name"]),
                            when(&g["signed_at"])
                        )
                    })
                    .collect();
                let logger = if s(&e["logger_sha256"]).is_empty() {
                    String::new()
                } else {
                    format!(
                        "logger {} ({} readings, {} to {} °C, SHA-256 {})",
                        s(&e["logger_file_name"]),
                        s(&e["logger_readings"]),
                        s(&e["logger_min_c"]),
                        s(&e["logger_max_c"]),
                        s(&e["logger_sha256"])
                    )
                };
                let findings: Vec<Value> =
                    serde_json::from_str(&s(&e["findings"])).unwrap_or_default();
                let findings: Vec<String> = findings.iter().map(|f| s(&f["detail"])).collect();
                vec![
                    Cell::new(s(&e["kind"]).replace('_', " ")),
                    Cell::new(when(&e["occurred_at"])),
                    Cell::new(format!(
                        "seal {} {}; {logger}{}",
                        s(&e["seal_id"]),
                        if e["seal_intact"] == true {
                            "intact"
                        } else {
                            "BROKEN"
                        },
                        if findings.is_empty() {
                            String::new()
                        } else {
                            format!("; DISCREPANCIES: {}", findings.join("; "))
                        }
                    )),
                    Cell::new(if signed.is_empty() {
                        "NOT SIGNED".into()
                    } else {
                        signed.join("; ")
                    }),
                ]
            })
            .collect();
        l.table(
            &[
                ("Event", 22.0),
                ("When", 38.0),
                ("Checked", WIDTH - 110.0),
                ("Signed", 50.0),
            ],
            &rows,
            true,
        );
    }
    let rows: Vec<Vec<Cell>> = list(&custody["administrations"])
        .iter()
        .map(|a| {
            let x = &a["administration"];
            vec![
                Cell::new(s(&a["vial"])),
                Cell::new(s(&x["subject_id"])),
                Cell::new(s(&x["site"])),
                Cell::new(when(&x["administered_at"])),
                Cell::new(ctx.person(&x["recorded_by"])),
            ]
        })
        .collect();
    l.heading("Administered", 11.0);
    l.table_or(
        &[
            ("Vial", 40.0),
            ("Subject", 28.0),
            ("Site", WIDTH - 146.0),
            ("Administered", 38.0),
            ("Recorded by", 40.0),
        ],
        &rows,
        "No vial administered yet.",
    );
}
