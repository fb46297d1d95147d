//! What a batch record PDF says: built from the export (so the printed hash
//! is the export's hash), section by section.
#![allow(
    clippy::indexing_slicing,
    reason = "serde_json::Value indexing by key yields Null and never panics"
)]

use ebr_domain::mbr::{Field, FieldKind};
use ebr_domain::signature::Factors;
use serde_json::Value;

use super::layout::{Cell, Layout, WIDTH};

pub(super) fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The elements of a JSON array (none when it is absent or not an array).
pub(super) fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// A UTC time as printed: `2026-11-25 08:00:00 UTC`.
pub(super) fn when(v: &Value) -> String {
    let t = s(v);
    match chrono::DateTime::parse_from_rfc3339(&t) {
        Ok(dt) => dt.to_utc().format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => t,
    }
}

fn date(v: &Value) -> String {
    when(v).get(..10).map(str::to_string).unwrap_or_default()
}

pub(super) struct Ctx<'a> {
    pub(super) doc: &'a Value,
}

impl Ctx<'_> {
    pub(super) fn section(&self, name: &str) -> &Value {
        &self.doc["sections"][name]
    }
    /// A section that is a list (empty when absent).
    fn list(&self, name: &str) -> &[Value] {
        self.section(name)
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    pub(super) fn person(&self, id: &Value) -> String {
        let id = s(id);
        let key = id.strip_prefix("person:").unwrap_or(&id);
        let p = &self.section("people")[key];
        if p.is_null() {
            id
        } else {
            s(&p["full_name"])
        }
    }
}

fn value_text(ctx: &Ctx<'_>, entry: &Value) -> String {
    let text = recorded_text(ctx, entry);
    match entry["transcribed_from"].as_str() {
        // R27: a value re-entered from a paper form says so.
        Some(serial) => format!("{text} — TRANSCRIBED from paper form {serial}"),
        None => text,
    }
}

fn recorded_text(ctx: &Ctx<'_>, entry: &Value) -> String {
    let v = &entry["value"];
    let lots = &ctx.section("materials_and_equipment")["lots"];
    let equipment = &ctx.section("materials_and_equipment")["equipment"];
    match s(&v["kind"]).as_str() {
        "number" => {
            let typed = v.get("as_typed").map_or_else(|| s(&v["value"]), s);
            format!("{typed} {}", s(&v["unit"]))
        }
        // A computed value prints as its calculation: the formula with the
        // recorded values substituted, then the result (issue 16).
        "computed" => s(&v["calculation"]),
        "text" => s(&v["text"]),
        "choice" => s(&v["option"]),
        "check" => {
            if v["passed"] == Value::Bool(true) {
                "pass".into()
            } else {
                "FAIL".into()
            }
        }
        "material" => {
            let lot = &lots[s(&entry["material_lot_id"])];
            format!(
                "lot {} (exp. {})",
                s(&v["lot_number"]),
                date(&lot["expires_at"])
            )
        }
        "equipment" => {
            let eq = &equipment[s(&entry["equipment_id"])];
            format!(
                "{} (calibration due {})",
                s(&v["code"]),
                date(&eq["calibration_due"])
            )
        }
        "date_time" => when(&v["at"]),
        _ => v.to_string(),
    }
}

pub(super) fn limits_text(field: &Field) -> String {
    match &field.kind {
        FieldKind::Number {
            unit,
            target,
            alert,
            action,
            aim,
        } => {
            let mut parts = Vec::new();
            if let Some(t) = target {
                parts.push(format!("target {t} {unit}"));
            }
            if let Some(aim) = aim {
                parts.push(format!(
                    "aim {} ± {} %",
                    aim.computed, aim.tolerance_percent
                ));
            }
            if let Some(a) = alert {
                parts.push(format!("alert {a} {unit}"));
            }
            if let Some(a) = action {
                parts.push(format!("spec {a} {unit}"));
            }
            parts.join("; ")
        }
        FieldKind::Choice {
            acceptable: Some(a),
            ..
        } => format!("acceptable: {}", a.join(", ")),
        FieldKind::Check {} => "pass".into(),
        FieldKind::Material { material } => format!("material {material}, released, unexpired"),
        FieldKind::Equipment { equipment_type } => format!("{equipment_type}, calibrated"),
        _ => String::new(),
    }
}

fn mark(evaluation: &Value) -> String {
    match s(evaluation).as_str() {
        "within_specification" => "✓ within".into(),
        "alert" => "! ALERT".into(),
        "out_of_specification" => "✗ OUT OF SPEC".into(),
        _ => "—".into(),
    }
}

fn signature_row(ctx: &Ctx<'_>, sig: &Value, superseded: &Value) -> Vec<Cell> {
    let mut status = if superseded.is_null() {
        "valid".to_string()
    } else {
        format!(
            "SUPERSEDED {} ({})",
            when(&superseded["superseded_at"]),
            s(&superseded["reason"])
        )
    };
    if sig["factors"].as_str() == Some(Factors::PasswordAndTotp.as_str()) {
        status.push_str(&format!("; {}", Factors::PasswordAndTotp.describe()));
    }
    if !sig["comment"].is_null() {
        status.push_str(&format!("; comment: {}", s(&sig["comment"])));
    }
    let strike = !superseded.is_null();
    let cell = |t: String| Cell {
        text: t,
        strike,
        bold: false,
    };
    let _ = ctx;
    vec![
        cell(s(&sig["meaning"])),
        cell(s(&sig["printed_name"])),
        cell(when(&sig["signed_at"])),
        Cell::new(status),
        cell(
            s(&sig["record_hash"])
                .get(..12)
                .unwrap_or_default()
                .to_string(),
        ),
    ]
}

const SIG_COLS: [(&str, f32); 5] = [
    ("Meaning", 20.0),
    ("Printed name", 36.0),
    ("Date and time", 42.0),
    ("Status", 58.0),
    ("Signed hash", WIDTH - 156.0),
];

/// Lays out the whole record.
pub fn build(layout: &mut Layout<'_>, doc: &Value, record_sha256: &str) {
    let ctx = Ctx { doc };
    cover(layout, &ctx, record_sha256);
    steps(layout, &ctx);
    review_and_release(layout, &ctx);
    super::chain::chain_of_identity(layout, &ctx);
    audit_appendix(layout, &ctx);
}

fn cover(l: &mut Layout<'_>, ctx: &Ctx<'_>, record_sha256: &str) {
    let batch = ctx.section("batch");
    let mbr = ctx.section("mbr");
    let start = ctx.section("starting_material");
    let cb = &start["cell_bank"];
    let trail = ctx.list("audit_trail");
    let as_of = trail
        .last()
        .map(|e| when(&e["occurred_at"]))
        .unwrap_or_default();
    let status = s(&batch["status"]);
    let key_dates: Vec<String> = trail
        .iter()
        .filter_map(|e| {
            let action = s(&e["action"]);
            let label = match action.as_str() {
                "batch.in_progress" => "started",
                "batch.manufacturing_complete" => "manufacturing complete (quarantine)",
                "batch.under_review" => "under QA review",
                "batch.released" => "released",
                "batch.rejected" => "rejected",
                "batch.on_hold" => "on hold",
                "batch.aborted" => "aborted",
                _ => return None,
            };
            Some(format!("{label} {}", when(&e["occurred_at"])))
        })
        .collect();
    l.heading("Electronic batch record", 18.0);
    l.paragraph(&s(&batch["product_name"]), 11.0, true);
    let disposition = ctx.list("disposition");
    let disp = disposition
        .last()
        .map(|d| {
            format!(
                "{} by {} at {}",
                s(&d["meaning"]).to_uppercase(),
                s(&d["printed_name"]),
                when(&d["signed_at"])
            )
        })
        .unwrap_or_else(|| "no disposition yet".into());
    let lineage = if cb.is_null() {
        "not recorded".to_string()
    } else {
        format!(
            "donor {} → iPSC line {} → MCB {} → WCB lot {} vial {}",
            s(&cb["donor_id"]),
            s(&cb["ipsc_line"]),
            s(&cb["mcb_lot"]),
            s(&start["wcb_lot"]["lot_number"]),
            s(&start["wcb_vial"])
        )
    };
    let coi = ctx.section("chain_of_identity");
    let lineage = if coi.is_null() {
        lineage
    } else {
        format!("{lineage}; {}", super::chain::qualification_summary(coi))
    };
    l.fields(&[
        ("Batch number", s(&batch["batch_number"])),
        (
            "Product",
            format!(
                "{} — {}",
                s(&batch["product_code"]),
                s(&batch["product_name"])
            ),
        ),
        ("Status", status.replace('_', " ")),
        ("Disposition", disp),
        (
            "Master batch record",
            format!(
                "{} version {} — {}",
                s(&mbr["code"]),
                s(&mbr["version"]),
                s(&mbr["title"])
            ),
        ),
        ("MBR content SHA-256", s(&mbr["content_sha256"])),
        (
            "Starting material",
            format!(
                "WCB lot {} (exp. {}), vial {}",
                s(&start["wcb_lot"]["lot_number"]),
                date(&start["wcb_lot"]["expires_at"]),
                s(&start["wcb_vial"])
            ),
        ),
        ("Lineage", lineage),
        (
            "Issued",
            format!(
                "{} by {}",
                when(&batch["issued_at"]),
                ctx.person(&batch["issued_by"])
            ),
        ),
        (
            "Key dates",
            if key_dates.is_empty() {
                "not started".into()
            } else {
                key_dates.join("; ")
            },
        ),
        ("Record as of", as_of),
        ("Generated by", s(&ctx.doc["generator"])),
        ("Record SHA-256", record_sha256.to_string()),
    ]);
    l.paragraph("The record SHA-256 is the hash of the machine-readable export of this record (GET /api/v1/batches/{id}/record.json, manifest.record_sha256); a printed copy is matched to the data through it. All times are UTC, from the server clock.", 7.5, false);
    let vials: Vec<String> = ctx.list("vials").iter().map(|v| s(&v["serial"])).collect();
    if !vials.is_empty() {
        l.fields(&[("Vials", vials.join(", "))]);
    }
}

fn steps(l: &mut Layout<'_>, ctx: &Ctx<'_>) {
    let steps = ctx.list("steps");
    let mut stage = String::new();
    l.page_break();
    for step in steps {
        let stage_name = s(&step["stage"]["name"]);
        if stage_name != stage {
            l.heading(&stage_name, 13.0);
            stage = stage_name;
        }
        let critical = if step["critical"] == Value::Bool(true) {
            " — critical (second-person verification)"
        } else {
            ""
        };
        l.heading(
            &format!("{} — {}{critical}", s(&step["key"]), s(&step["name"])),
            9.5,
        );
        l.paragraph(
            &format!(
                "Instructions: {}   State: {}",
                s(&step["instructions"]),
                s(&step["state"]).replace('_', " ")
            ),
            7.5,
            false,
        );
        let fields: Vec<Field> = serde_json::from_value(step["fields"].clone()).unwrap_or_default();
        let entries = step["entries"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut rows = Vec::new();
        for field in &fields {
            let of_field: Vec<&Value> = entries
                .iter()
                .filter(|e| s(&e["field"]) == field.key)
                .collect();
            if of_field.is_empty() {
                rows.push(vec![
                    Cell::new(&field.label),
                    Cell::new("— not recorded —"),
                    Cell::new(limits_text(field)),
                    Cell::new("—"),
                    Cell::new(""),
                ]);
            }
            for e in of_field {
                let corrected = e["corrected"] == Value::Bool(true);
                let mut who = format!(
                    "{} {}",
                    ctx.person(&e["recorded_by"]),
                    when(&e["recorded_at"])
                );
                if !e["correction_reason"].is_null() {
                    who.push_str(&format!(
                        "; CORRECTION, reason: {}",
                        s(&e["correction_reason"])
                    ));
                }
                if !e["late_reason"].is_null() {
                    who.push_str(&format!(
                        "; LATE (activity {}), reason: {}",
                        when(&e["activity_at"]),
                        s(&e["late_reason"])
                    ));
                }
                let value = value_text(ctx, e);
                rows.push(vec![
                    Cell::new(&field.label),
                    if corrected {
                        Cell::struck(value)
                    } else {
                        Cell::new(value)
                    },
                    Cell::new(limits_text(field)),
                    Cell::new(if corrected {
                        "corrected".to_string()
                    } else {
                        mark(&e["evaluation"])
                    }),
                    Cell::new(who),
                ]);
            }
        }
        l.table(
            &[
                ("Field", 38.0),
                ("Value", 36.0),
                ("Target / limits", 40.0),
                ("Evaluation", 22.0),
                ("Recorded by, when, why", WIDTH - 136.0),
            ],
            &rows,
            true,
        );
        let sigs: Vec<Vec<Cell>> = step["signatures"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|x| signature_row(ctx, &x["signature"], &x["superseded"]))
            .collect();
        if !sigs.is_empty() {
            l.table(&SIG_COLS, &sigs, true);
        }
    }
}

fn review_and_release(l: &mut Layout<'_>, ctx: &Ctx<'_>) {
    l.page_break();
    l.heading("Exceptions (review by exception)", 13.0);
    let rows: Vec<Vec<Cell>> = ctx
        .list("exceptions")
        .iter()
        .map(|x| {
            vec![
                Cell::new(s(&x["kind"]).replace('_', " ")),
                Cell::new(s(&x["severity"])),
                Cell::new(s(&x["step_key"])),
                Cell::new(s(&x["detail"])),
                Cell::new(when(&x["occurred_at"])),
            ]
        })
        .collect();
    l.table_or(
        &[
            ("Kind", 28.0),
            ("Severity", 16.0),
            ("Step", 30.0),
            ("Detail", WIDTH - 112.0),
            ("When", 38.0),
        ],
        &rows,
        "No exceptions.",
    );
    l.heading("Deviations", 13.0);
    let rows: Vec<Vec<Cell>> = ctx
        .list("deviations")
        .iter()
        .map(|d| {
            let last = d["revisions"]
                .as_array()
                .and_then(|r| r.last())
                .cloned()
                .unwrap_or(Value::Null);
            vec![
                Cell::new(s(&d["deviation"]["title"])),
                Cell::new(s(&d["status"]).replace('_', " ")),
                Cell::new(s(&last["classification"])),
                Cell::new(format!(
                    "{} Root cause: {} Impact: {} CAPA: {}",
                    s(&d["deviation"]["description"]),
                    s(&last["root_cause"]),
                    s(&last["impact"]),
                    s(&last["capa_ref"])
                )),
            ]
        })
        .collect();
    l.table_or(
        &[
            ("Title", 45.0),
            ("Status", 24.0),
            ("Class", 16.0),
            ("Description, root cause, impact", WIDTH - 85.0),
        ],
        &rows,
        "No deviations.",
    );
    l.heading("QC release results", 13.0);
    let panel = ctx.section("mbr")["release_panel"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let rows: Vec<Vec<Cell>> = ctx
        .list("qc_results")
        .iter()
        .map(|r| {
            let row = &r["row"];
            let test = panel
                .iter()
                .find(|t| t["key"] == row["test_key"])
                .cloned()
                .unwrap_or(Value::Null);
            let spec = if test["spec"] == "numeric" {
                format!("{} {}", spec_range(&test["acceptance"]), s(&test["unit"]))
            } else {
                s(&test["expected"])
            };
            let outcome: Value = serde_json::from_str(&s(&row["outcome"])).unwrap_or(Value::Null);
            let result = if outcome["kind"] == "numeric" {
                format!("{} {}", s(&outcome["value"]), s(&outcome["unit"]))
            } else {
                s(&outcome["outcome"])
            };
            let reviewers: Vec<String> = r["reviews"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|x| format!("{} {}", s(&x["printed_name"]), when(&x["signed_at"])))
                .collect();
            let invalid = !r["invalidation"].is_null();
            vec![
                Cell::new(s(&test["name"])),
                if invalid {
                    Cell::struck(result)
                } else {
                    Cell::new(result)
                },
                Cell::new(spec),
                Cell::new(if invalid {
                    format!("INVALIDATED: {}", s(&r["invalidation"]["reason"]))
                } else {
                    mark(&row["evaluation"])
                }),
                Cell::new(format!(
                    "{}; reviewed: {}",
                    ctx.person(&row["recorded_by"]),
                    if reviewers.is_empty() {
                        "no".into()
                    } else {
                        reviewers.join(", ")
                    }
                )),
            ]
        })
        .collect();
    l.table_or(
        &[
            ("Test", 42.0),
            ("Result", 26.0),
            ("Specification", 34.0),
            ("Evaluation", 26.0),
            ("Analyst, reviewer", WIDTH - 128.0),
        ],
        &rows,
        "No QC results.",
    );
    l.heading("QA review of exceptions and audit trail", 13.0);
    let review = ctx.section("review");
    l.paragraph(
        &format!("Review state: {}", s(&review["state"])),
        8.0,
        false,
    );
    let sigs: Vec<Vec<Cell>> = review["signatures"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|x| signature_row(ctx, x, &Value::Null))
        .collect();
    if !sigs.is_empty() {
        l.table(&SIG_COLS, &sigs, true);
    }
    l.heading("Release gate", 13.0);
    let gate = ctx.section("release_gate");
    let decision = s(&gate["decision"]);
    if !decision.is_empty() {
        l.paragraph(
            &format!(
                "As it stood at the decision ({decision}) at {}.",
                when(&gate["as_of"])
            ),
            8.0,
            false,
        );
    }
    let findings = gate["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if gate["findings"].is_null() && !decision.is_empty() {
        l.paragraph(
            "The findings at the decision were not recorded.",
            8.0,
            false,
        );
    } else if findings.is_empty() {
        l.paragraph("No finding blocks release.", 8.0, false);
    } else {
        let rows: Vec<Vec<Cell>> = findings
            .iter()
            .map(|f| {
                vec![
                    Cell::new(s(&f["code"])),
                    Cell::new(s(&f["subject"])),
                    Cell::new(s(&f["detail"])),
                ]
            })
            .collect();
        l.table(
            &[
                ("Finding", 40.0),
                ("Subject", 45.0),
                ("Detail", WIDTH - 85.0),
            ],
            &rows,
            true,
        );
    }
    l.heading("Disposition", 13.0);
    let sigs: Vec<Vec<Cell>> = ctx
        .list("disposition")
        .iter()
        .map(|x| signature_row(ctx, x, &Value::Null))
        .collect();
    if sigs.is_empty() {
        l.paragraph("Not yet released or rejected.", 8.0, false);
    } else {
        l.table(&SIG_COLS, &sigs, true);
    }
    every_signature(l, ctx);
    checkpoints(l, ctx);
}

/// Every signature of the record in one table, oldest first: what was
/// signed, the meaning, the printed name and the UTC time (R2, R12).
fn every_signature(l: &mut Layout<'_>, ctx: &Ctx<'_>) {
    l.heading("Every signature of this record", 13.0);
    let rows: Vec<Vec<Cell>> = ctx
        .list("signatures")
        .iter()
        .map(|x| {
            let mut row = vec![Cell::new(s(&x["signed"]))];
            row.extend(signature_row(ctx, &x["signature"], &x["superseded"]));
            row.truncate(5);
            row
        })
        .collect();
    if rows.is_empty() {
        l.paragraph("No signatures yet.", 8.0, false);
        return;
    }
    l.table(
        &[
            ("Signed record", 46.0),
            ("Meaning", 20.0),
            ("Printed name", 36.0),
            ("Date and time (UTC)", 38.0),
            ("Status", WIDTH - 140.0),
        ],
        &rows,
        true,
    );
}

/// The checkpoints signed for the batch's review, release or rejection: the
/// batch chain's head each one vouches for, and its Ed25519 signature, so a
/// reader holding the public key can check the printed record against them.
fn checkpoints(l: &mut Layout<'_>, ctx: &Ctx<'_>) {
    l.heading("Checkpoints signed outside the database", 13.0);
    let chain = format!("batch:{}", s(&ctx.section("batch")["id"]));
    let list = ctx.list("checkpoints");
    if list.is_empty() {
        l.paragraph(
            "No checkpoint was signed for this batch (none is made before QA review, or no checkpoint key is configured).",
            8.0,
            false,
        );
        return;
    }
    for signed in list {
        let c = &signed["checkpoint"];
        let head = &c["chains"][chain.as_str()];
        l.fields(&[
            ("Signed at", when(&c["at"])),
            ("Reason", s(&c["reason"])),
            ("Key id", s(&c["key_id"])),
            (
                "Batch chain head",
                format!("event #{} hash {}", head["seq"], s(&head["hash"])),
            ),
            (
                "Chains covered",
                c["chains"].as_object().map_or(0, |m| m.len()).to_string(),
            ),
            ("Ed25519 signature", s(&signed["signature"])),
        ]);
    }
}

fn spec_range(r: &Value) -> String {
    serde_json::from_value::<ebr_domain::limits::Range>(r.clone())
        .map(|x| x.to_string())
        .unwrap_or_default()
}

/// A one-line reading of the rows whose full content adds nothing a reader
/// needs in the appendix (the export carries them in full).
fn summary(kind: &str, new_value: &Value) -> Option<String> {
    let row: Value = serde_json::from_str(new_value.as_str()?).ok()?;
    match kind {
        "batch_status" => Some(format!("status → {}", s(&row["status"]).replace('_', " "))),
        "auth_attempt" => Some(format!(
            "{} password check of {} {}",
            s(&row["purpose"]),
            s(&row["username"]),
            if row["succeeded"] == true {
                "succeeded"
            } else {
                "FAILED"
            }
        )),
        "vial" => Some(format!("vial {}", s(&row["serial"]))),
        _ => None,
    }
}

fn audit_appendix(l: &mut Layout<'_>, ctx: &Ctx<'_>) {
    l.page_break();
    l.heading("Appendix: audit trail of the batch", 13.0);
    l.paragraph("Every event of the batch's hash chain, in order. Each event's hash covers its content and the previous event's hash. Old and new values are printed; signatures, exceptions, deviations and QC results, printed in full in the sections above, are referenced by their record hash. Ids and hashes are shortened here; the embedded record.json holds every value in full.", 7.5, false);
    let rows: Vec<Vec<Cell>> = ctx
        .list("audit_trail")
        .iter()
        .map(|e| {
            let mut detail = String::new();
            // Records printed in full in the body are referenced by their
            // hash instead of being repeated; every other value is printed.
            let printed_in = match s(&e["entity_type"]).as_str() {
                "signature" if s(&e["action"]) == "signature.created" => {
                    Some("the signature tables")
                }
                "batch_exception" => Some("Exceptions"),
                "deviation" | "deviation_revision" => Some("Deviations"),
                "qc_result" if s(&e["action"]) == "qc_result.recorded" => {
                    Some("QC release results")
                }
                "qc_invalidation" | "qc_result_deviation" => Some("QC release results"),
                "signature_supersession" => Some("the signature tables"),
                _ => None,
            };
            let summary = summary(&s(&e["entity_type"]), &e["new_value"]);
            let keys: &[(&str, &str)] = if printed_in.is_some() || summary.is_some() {
                &[("old_value", "old"), ("reason", "reason")]
            } else {
                &[
                    ("old_value", "old"),
                    ("new_value", "new"),
                    ("reason", "reason"),
                ]
            };
            for (k, label) in keys {
                if !e[*k].is_null() {
                    detail.push_str(&format!("{label}: {} ", readable(&s(&e[*k]))));
                }
            }
            if let Some(summary) = &summary {
                detail.push_str(summary);
                detail.push(' ');
            }
            if let Some(section) = printed_in {
                detail.push_str(&format!(
                    "printed under {section} (sha256 {})",
                    s(&e["record_hash"]).get(..12).unwrap_or_default()
                ));
            }
            // Ids are shortened to their first 8 characters (the export
            // holds them in full); times are UTC, as the heading says.
            let id = s(&e["entity_id"]);
            let short_id = if id.len() > 12 {
                format!("{}…", id.get(..8).unwrap_or_default())
            } else {
                id
            };
            vec![
                Cell::new(s(&e["seq"])),
                Cell::new(when(&e["occurred_at"]).trim_end_matches(" UTC").to_string()),
                Cell::new(ctx.person(&e["actor"])),
                Cell::new(format!("{} {short_id}", s(&e["action"]))),
                Cell::new(detail.trim().to_string()),
                Cell::new(s(&e["hash"]).get(..10).unwrap_or_default().to_string()),
            ]
        })
        .collect();
    l.table_sized(
        &[
            ("#", 9.0),
            ("Time (UTC)", 25.0),
            ("Who", 22.0),
            ("Action and record", 42.0),
            ("Values, reason", WIDTH - 116.0),
            ("Hash", 18.0),
        ],
        &rows,
        true,
        6.5,
    );
}

/// A canonical-JSON value as compact readable text: `key=value` pairs without
/// JSON punctuation, nothing left out.
fn readable(json: &str) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                for (i, (k, x)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    walk(x, out);
                }
            }
            Value::Array(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    walk(x, out);
                }
                out.push(']');
            }
            Value::String(t) => out.push_str(t),
            Value::Null => out.push('-'),
            other => out.push_str(&other.to_string()),
        }
    }
    match serde_json::from_str::<Value>(json) {
        Ok(v) => {
            let mut out = String::new();
            walk(&v, &mut out);
            out
        }
        Err(_) => json.to_string(),
    }
}
