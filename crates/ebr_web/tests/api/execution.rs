//! Each refusal of batch execution, named with its requirement: the response
//! names the rule, and nothing but the attempt is stored.

use chrono::Duration;
use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::batch_helpers::{good_values, reference, Floor};
use crate::helpers::assert_problem;

fn step(key: &str) -> ebr_domain::mbr::Step {
    reference().step(key).unwrap().clone()
}

fn count(floor: &Floor, table: &str) -> i64 {
    floor.app.count(table)
}

fn refusals(floor: &Floor, batch: &str, action: &str) -> usize {
    let mut conn = floor.app.db().connection();
    ebr_db::repo::audit::chain_events(&mut conn, &format!("batch:{batch}"))
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// R6: a step before its predecessor is complete → 409, nothing stored.
#[tokio::test]
async fn r6_out_of_sequence_step_is_409_and_stores_nothing() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R6").await;
    let r = floor
        .record(
            &batch,
            "s0-line-clearance",
            good_values(&step("s0-line-clearance")),
        )
        .await;
    let body = assert_problem(r, 409, "step_out_of_sequence").await;
    assert!(
        body["detail"].as_str().unwrap().contains("s0-issue-record"),
        "{body}"
    );
    assert_eq!(count(&floor, "entries"), 0);
    assert_eq!(refusals(&floor, &batch, "entry.record.refused"), 1);
    // A performed signature out of sequence is refused too.
    let r = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            "s0-em-setup",
            "performed",
        )
        .await;
    assert_problem(r, 409, "step_out_of_sequence").await;
    // R45: a critical step performed but not verified blocks the next step.
    floor.complete(&batch, &step("s0-issue-record")).await;
    let clearance = step("s0-line-clearance");
    assert_eq!(
        floor
            .record(&batch, &clearance.key, good_values(&clearance))
            .await
            .status(),
        201
    );
    assert_eq!(
        floor
            .sign(
                &floor.operator,
                "zhang.wei",
                &batch,
                &clearance.key,
                "performed"
            )
            .await
            .status(),
        201
    );
    let r = floor
        .record(&batch, "s0-em-setup", good_values(&step("s0-em-setup")))
        .await;
    assert_problem(r, 409, "step_out_of_sequence").await;
}

/// R37: an expired lot is refused; the attempt becomes an exception; no entry.
#[tokio::test]
async fn r37_expired_lot_is_refused_and_becomes_an_exception() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R37").await;
    let expired = floor.app.clock.now() - Duration::days(1);
    let r = floor
        .qa
        .post(floor.app.url("/api/v1/materials"))
        .json(&json!({ "material_code": "EM-PLATE", "lot_number": "EM-OLD-1", "supplier": "Acme", "status": "released", "expires_at": expired }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    floor.complete_until(&batch, "s0-em-setup").await;
    let entries_before = count(&floor, "entries");
    let mut values = good_values(&step("s0-em-setup"));
    values["em_plate_lot"] = json!("EM-OLD-1");
    assert_problem(
        floor.record(&batch, "s0-em-setup", values.clone()).await,
        422,
        "lot_expired",
    )
    .await;
    assert_eq!(
        count(&floor, "entries"),
        entries_before,
        "no entry of the request is stored"
    );
    let detail = floor.batch(&batch).await;
    let refused: Vec<&Value> = detail["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "material_refused")
        .collect();
    assert_eq!(refused.len(), 1);
    assert!(refused[0]["detail"].as_str().unwrap().contains("EM-OLD-1"));
    // A lot of another material, and a lot in quarantine, are refused by name too.
    values["em_plate_lot"] = json!("LOT-DPBS");
    assert_problem(
        floor.record(&batch, "s0-em-setup", values.clone()).await,
        422,
        "material_not_on_bom",
    )
    .await;
    values["em_plate_lot"] = json!("NO-SUCH-LOT");
    assert_problem(
        floor.record(&batch, "s0-em-setup", values).await,
        422,
        "lot_unknown",
    )
    .await;
}

/// R8: equipment with overdue calibration is refused and becomes an exception.
#[tokio::test]
async fn r8_overdue_calibration_is_refused_and_becomes_an_exception() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R8").await;
    let overdue = floor.app.clock.now() - Duration::days(2);
    let r = floor
        .qa
        .post(floor.app.url("/api/v1/equipment"))
        .json(&json!({ "code": "BSC-OLD", "equipment_type": "BSC", "name": "Old BSC", "calibration_due": overdue }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    floor.complete_until(&batch, "s0-line-clearance").await;
    let mut values = good_values(&step("s0-line-clearance"));
    values["bsc"] = json!("BSC-OLD");
    assert_problem(
        floor
            .record(&batch, "s0-line-clearance", values.clone())
            .await,
        422,
        "calibration_overdue",
    )
    .await;
    values["bsc"] = json!("CENTRIFUGE-01");
    assert_problem(
        floor
            .record(&batch, "s0-line-clearance", values.clone())
            .await,
        422,
        "wrong_equipment_type",
    )
    .await;
    values["bsc"] = json!("BSC-404");
    assert_problem(
        floor.record(&batch, "s0-line-clearance", values).await,
        422,
        "equipment_unknown",
    )
    .await;
    let detail = floor.batch(&batch).await;
    let refused = detail["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "equipment_refused")
        .count();
    assert_eq!(refused, 3);
}

/// R42: the performer cannot verify their own step.
#[tokio::test]
async fn r42_self_verification_is_403() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R42").await;
    floor.complete(&batch, &step("s0-issue-record")).await;
    let clearance = step("s0-line-clearance");
    assert_eq!(
        floor
            .record(&batch, &clearance.key, good_values(&clearance))
            .await
            .status(),
        201
    );
    assert_eq!(
        floor
            .sign(
                &floor.operator,
                "zhang.wei",
                &batch,
                &clearance.key,
                "performed"
            )
            .await
            .status(),
        201
    );
    let signatures = count(&floor, "signatures");
    let r = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            &clearance.key,
            "verified",
        )
        .await;
    assert_problem(r, 403, "performer_cannot_verify").await;
    assert_eq!(count(&floor, "signatures"), signatures);
    assert_eq!(refusals(&floor, &batch, "step.sign.refused"), 1);
    assert_eq!(
        floor
            .sign(
                &floor.verifier,
                "maria.garcia",
                &batch,
                &clearance.key,
                "verified"
            )
            .await
            .status(),
        201
    );
    // Signing twice is a conflict, not a duplicate.
    let again = floor
        .sign(
            &floor.verifier,
            "maria.garcia",
            &batch,
            &clearance.key,
            "verified",
        )
        .await;
    assert_problem(again, 409, "step_already_signed").await;
}

/// R24: a correction without a reason → 422, nothing stored.
#[tokio::test]
async fn r24_correction_without_reason_is_422() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R24").await;
    let issue = step("s0-issue-record");
    let r: Value = floor
        .record(&batch, &issue.key, good_values(&issue))
        .await
        .json()
        .await
        .unwrap();
    let entry = r["entries"][0]["id"].as_str().unwrap().to_string();
    let before = count(&floor, "entries");
    let url = floor.app.url(&format!(
        "/api/v1/batches/{batch}/entries/{entry}/corrections"
    ));
    for reason in ["", "   "] {
        let r = floor
            .operator
            .post(&url)
            .json(&json!({ "value": true, "reason": reason }))
            .send()
            .await
            .unwrap();
        assert_problem(r, 422, "correction_reason_required").await;
    }
    let r = floor
        .operator
        .post(&url)
        .json(&json!({ "value": true }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "correction_reason_required").await;
    assert_eq!(count(&floor, "entries"), before);
    // With a reason: a new entry; the original stays (R34), and cannot be corrected twice.
    let ok = floor
        .operator
        .post(&url)
        .json(&json!({ "value": true, "reason": "re-checked the version label" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    assert_eq!(count(&floor, "entries"), before + 1);
    let twice = floor
        .operator
        .post(&url)
        .json(&json!({ "value": true, "reason": "again" }))
        .send()
        .await
        .unwrap();
    assert_problem(twice, 409, "entry_already_corrected").await;
}

/// R36: a step with a required field missing cannot be signed as performed.
#[tokio::test]
async fn r36_missing_required_field_blocks_the_performed_signature() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R36").await;
    let r = floor
        .record(
            &batch,
            "s0-issue-record",
            json!({ "mbr_version_confirmed": true }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            "s0-issue-record",
            "performed",
        )
        .await;
    let body = assert_problem(r, 422, "missing_required_fields").await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("planned_wcb_vial"));
    assert_eq!(floor.app.record_signatures(), 1, "only the MBR approval");
    // A field already recorded is not overwritten: a second value is a conflict.
    let r = floor
        .record(
            &batch,
            "s0-issue-record",
            json!({ "mbr_version_confirmed": false }),
        )
        .await;
    assert_problem(r, 409, "field_already_recorded").await;
}

/// R33: an activity declared long before its entry needs a reason and
/// becomes a late-entry exception. R32: the recording time is the server's.
#[tokio::test]
async fn r33_late_entry_needs_a_reason_and_is_listed() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R33").await;
    let earlier = floor.app.clock.now() - Duration::hours(2);
    let url = floor.app.url(&format!(
        "/api/v1/batches/{batch}/steps/s0-issue-record/entries"
    ));
    let values = good_values(&step("s0-issue-record"));
    let r = floor
        .operator
        .post(&url)
        .json(&json!({ "values": values, "activity_at": earlier }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "late_entry_reason_required").await;
    let r = floor
        .operator
        .post(&url)
        .json(&json!({ "values": values, "activity_at": earlier, "late_reason": "tablet battery failed; recorded from the paper log" }))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(
        body["exceptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "late_entry"),
        "{body}"
    );
    assert_eq!(
        body["entries"][0]["recorded_at"], "2026-11-25T08:00:00.000000Z",
        "server time, not the client's"
    );
    let r = floor
        .operator
        .post(&url)
        .json(&json!({ "values": values, "recorded_at": "2020-01-01T00:00:00Z" }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "invalid_json").await;
}

/// R35: one batch record per batch number, and only from an effective MBR.
#[tokio::test]
async fn r35_batch_numbers_are_unique_and_mbrs_must_be_effective() {
    let floor = Floor::new().await;
    floor.issue("BR-R35").await;
    let r = floor
        .qa
        .post(floor.app.url("/api/v1/batches"))
        .json(&json!({ "batch_number": "BR-R35", "mbr_version_id": floor.mbr_id, "wcb_lot_number": "LOT-WCB-IPSC", "wcb_vial": "V2" }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "batch_number_taken").await;
    let author = floor.app.login("sam.okafor").await;
    let text = ebr_testdb::fixtures::REFERENCE_MBR.replacen("title = \"", "title = \"Draft: ", 1);
    let draft: Value = author
        .post(floor.app.url("/api/v1/mbrs"))
        .header("content-type", "application/toml")
        .body(text)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = floor
        .qa
        .post(floor.app.url("/api/v1/batches"))
        .json(&json!({ "batch_number": "BR-R35-B", "mbr_version_id": draft["id"], "wcb_lot_number": "LOT-WCB-IPSC", "wcb_vial": "V3" }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "mbr_not_effective").await;
    assert_eq!(count(&floor, "batches"), 1);
}
