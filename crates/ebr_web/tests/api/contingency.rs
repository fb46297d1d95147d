//! Business continuity (R27): serial-numbered paper forms printed from the
//! MBR, re-entered once, flagged as transcribed in the record and its PDF.

use chrono::Duration;
use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::batch_helpers::{good_values, reference, Floor};
use crate::helpers::assert_problem;

/// R27: a paper form of a step is printed with its serial; its values are
/// re-entered against the serial (a late entry with its reason), flagged
/// "transcribed" in the record JSON and PDF; the same serial a second time,
/// or an unknown serial, is refused.
#[tokio::test]
async fn r27_a_paper_form_is_printed_transcribed_once_and_flagged_in_the_record() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-CF-1").await;
    let r = floor
        .operator
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/contingency-forms")),
        )
        .json(&json!({ "step": "s0-issue-record" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let serial = r.headers()["x-ebr-form-serial"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(serial, "CF-BR-CF-1-001");
    let pdf = r.bytes().await.unwrap();
    let text = crate::pdf::pdftotext(&pdf, &["-raw"]);
    assert!(text.contains("Contingency form CF-BR-CF-1-001"), "{text}");
    assert!(text.contains("Planned WCB vial ID"), "{text}");

    let step = reference();
    let step = step.step("s0-issue-record").unwrap();
    let paper_time = floor.app.clock.now() - Duration::hours(3);
    let transcribe = |serial: &str| {
        floor
            .operator
            .post(floor.app.url(&format!("/api/v1/batches/{batch}/steps/s0-issue-record/entries")))
            .json(&json!({ "values": good_values(step), "activity_at": paper_time, "late_reason": "system outage: recorded on paper form", "transcribed_from": serial }))
            .send()
    };
    assert_problem(
        transcribe("CF-BR-CF-1-999").await.unwrap(),
        422,
        "contingency_form_unknown",
    )
    .await;
    let r = transcribe(&serial).await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_problem(
        transcribe(&serial).await.unwrap(),
        409,
        "contingency_form_transcribed",
    )
    .await;

    let export: Value = serde_json::from_str(&floor.record_json(&batch).await).unwrap();
    let entries = export["sections"]["steps"][0]["entries"]
        .as_array()
        .unwrap();
    assert!(!entries.is_empty());
    assert!(
        entries
            .iter()
            .all(|e| e["transcribed_from"] == serial.as_str()),
        "{entries:?}"
    );
    let text = crate::pdf::pdftotext(&floor.record_pdf(&batch).await, &["-raw"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("TRANSCRIBED from paper form CF-BR-CF-"),
        "the PDF flags it"
    );
}
