//! The record is complete and consistent (R2, R12, R29): every signature of
//! the batch with its manifestation, the gate as it stood at the release,
//! and refused attempts on the batch's records in the batch's own trail.

use serde_json::{json, Value};

use crate::batch_helpers::Floor;
use crate::helpers::PASSWORD;

/// R2, R12, R29: a released batch whose deviation QA closed: its export and
/// PDF list every signature (step performed and verified, QC review, the
/// deviation's closing, batch review, release) with printed name, UTC time
/// and meaning; the released record shows the gate as it stood at the
/// release (no `batch_not_ready`); a step signature attempted with another
/// person's username and one with a wrong password are in the batch's own
/// audit trail, its export and its PDF.
#[tokio::test]
async fn r2_r12_r29_released_record_is_complete_and_consistent() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-COMPLETE-1").await;
    floor.complete_until(&batch, "s1-thaw").await;

    // Two refused attempts on a step of the batch.
    let impersonation = floor
        .operator
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/steps/s1-thaw/signatures")),
        )
        .json(&json!({ "meaning": "performed", "username": "maria.garcia", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(impersonation.status().is_client_error());
    let wrong = floor
        .operator
        .post(floor.app.url(&format!(
            "/api/v1/batches/{batch}/steps/s1-thaw/signatures"
        )))
        .json(&json!({ "meaning": "performed", "username": "zhang.wei", "password": "not-the-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let mbr = crate::batch_helpers::reference();
    for (_, step) in mbr.steps().skip_while(|(_, s)| s.key != "s1-thaw") {
        floor.complete(&batch, step).await;
    }
    floor.qc(&batch, &[], &[], &[]).await;
    // A deviation opened and investigated by the operator, closed by QA.
    let dev: Value = floor
        .operator
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/deviations")))
        .json(&json!({ "title": "Incubator door alarm", "description": "Door open 40 s during feed", "classification": "minor" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dev = dev["id"].as_str().unwrap().to_string();
    let r = floor
        .operator
        .post(floor.app.url(&format!("/api/v1/deviations/{dev}/revisions")))
        .json(&json!({ "investigation": "door log reviewed", "root_cause": "door not latched", "impact": "none: temperature held", "start_investigation": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    floor.close_deviation(&dev).await;
    assert_eq!(
        floor
            .sign_batch("wang.fang", &batch, "reviewed", Some("exceptions reviewed"))
            .await
            .status(),
        201
    );
    assert_eq!(
        floor
            .sign_batch("anna.schmidt", &batch, "released", None)
            .await
            .status(),
        201
    );

    let export: Value = serde_json::from_str(&floor.record_json(&batch).await).unwrap();
    let sections = &export["sections"];
    let signatures = sections["signatures"].as_array().unwrap();
    let has = |signed: &str, meaning: &str, name: &str| {
        signatures.iter().any(|x| {
            x["signed"].as_str().unwrap().starts_with(signed)
                && x["signature"]["meaning"] == meaning
                && x["signature"]["printed_name"] == name
                && x["signature"]["signed_at"].as_str().unwrap().ends_with('Z')
        })
    };
    assert!(has("step s1-thaw", "performed", "张伟"));
    assert!(has("step s0-line-clearance", "verified", "maria garcia"));
    assert!(has("QC result", "verified", "tom becker"));
    assert!(has("deviation Incubator door alarm", "closed", "wang fang"));
    assert!(has("batch", "reviewed", "wang fang"));
    assert!(has("batch", "released", "anna schmidt"));

    let gate = &sections["release_gate"];
    assert_eq!(gate["decision"], "released");
    assert_eq!(gate["findings"], json!([]));

    let trail = sections["audit_trail"].as_array().unwrap();
    let refused_username = trail.iter().any(|e| {
        e["action"] == "signature.refused" && e["entity_id"].as_str().unwrap().contains("s1-thaw")
    });
    let refused_password = trail.iter().any(|e| {
        e["action"] == "security.signature_failed"
            && e["reason"].as_str().unwrap_or_default().contains("s1-thaw")
    });
    assert!(
        refused_username,
        "another person's username is in the batch trail"
    );
    assert!(refused_password, "a wrong password is in the batch trail");

    let pdf = floor.record_pdf(&batch).await;
    let text = crate::pdf::pdftotext(&pdf, &["-raw"]);
    let squashed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(squashed.contains("Every signature of this record"));
    assert!(
        squashed.contains("deviation Incubator door alarm closed wang fang"),
        "the deviation's closing signature is printed with its meaning"
    );
    assert!(squashed.contains("As it stood at the decision (released)"));
    assert!(
        !squashed.contains("batch_not_ready"),
        "a released record does not contradict itself"
    );
    assert!(squashed.contains("security.signature_failed"));
    assert!(squashed.contains("signature.refused"));
}
