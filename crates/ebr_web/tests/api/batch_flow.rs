//! A complete batch of the reference MBR through the HTTP API: lots,
//! equipment, verifications, an alert, an out-of-specification value, a
//! correction and a hold-time breach; then the exceptions, the deviation and
//! the audit trail that result.

use chrono::Duration;
use ebr_domain::audit::verify_chain;
use serde_json::{json, Value};

use crate::batch_helpers::{good_values, reference, Floor};

#[tokio::test]
async fn r1_r5_r13_a_complete_batch_through_the_api_leaves_a_verifiable_record() {
    let mut floor = Floor::new().await;
    let batch = floor.issue("BR-2026-0001").await;
    let mbr = reference();
    assert!(mbr.steps().count() >= 40);
    let mut oos_entry = None;
    let mut corrected = false;

    for (_, step) in mbr.steps() {
        let mut values = good_values(step);
        match step.key.as_str() {
            // An alert: particles above the alert limit, within specification.
            "s0-em-setup" => values["particles_0_5um"] = json!("2500"),
            // Out of specification: post-thaw viability 65 % (≥ 70 %).
            "s1-post-thaw-count" => values["viability"] = json!({ "value": "65", "unit": "%" }),
            // A hold-time breach: the freezer starts 50 min after DMSO contact (≤ 45).
            "s8-crf-load" => {
                floor.app.clock.advance(Duration::minutes(50));
                floor.relogin().await;
            }
            _ => {}
        }
        let r = floor.record(&batch, &step.key, values).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{}: {body}", step.key);
        if step.key == "s1-post-thaw-count" {
            let viability = body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["field"] == "viability")
                .unwrap();
            assert_eq!(viability["evaluation"], "out_of_specification");
            assert_eq!(body["deviations"].as_array().unwrap().len(), 1);
            oos_entry = Some(viability["id"].as_str().unwrap().to_string());
        }
        if step.key == "s8-crf-load" {
            assert!(
                body["exceptions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["kind"] == "hold_time_breach"),
                "{body}"
            );
        }
        floor.sign_off(&batch, step).await;

        // A correction of a signed step: its signatures are superseded and it is signed again.
        if step.key == "s1-thaw" && !corrected {
            let detail = floor.batch(&batch).await;
            let thaw = detail["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["key"] == "s1-thaw")
                .unwrap()
                .clone();
            let entry = thaw["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["field"] == "thaw_time")
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
            let r = floor
                .operator
                .post(floor.app.url(&format!("/api/v1/batches/{batch}/entries/{entry}/corrections")))
                .json(&json!({ "value": "2.5", "reason": "timer read wrongly; thawer log shows 2.5 min" }))
                .send()
                .await
                .unwrap();
            let body: Value = r.json().await.unwrap();
            assert!(
                body["exceptions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["kind"] == "signature_superseded"),
                "{body}"
            );
            let detail = floor.batch(&batch).await;
            assert_eq!(
                detail["current_step"], "s1-thaw",
                "the corrected step must be signed again"
            );
            floor.sign_off(&batch, step).await;
            corrected = true;
        }
    }

    let detail = floor.batch(&batch).await;
    assert_eq!(detail["status"], "manufacturing_complete");
    assert!(detail["current_step"].is_null());
    let kinds: Vec<&str> = detail["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "alert",
        "out_of_specification",
        "correction",
        "signature_superseded",
        "hold_time_breach",
    ] {
        assert!(
            kinds.contains(&kind),
            "missing exception {kind} in {kinds:?}"
        );
    }
    let deviations = detail["deviations"].as_array().unwrap();
    assert_eq!(deviations.len(), 1);
    assert_eq!(
        deviations[0]["source_entry_id"].as_str(),
        oos_entry.as_deref()
    );

    // The correction keeps the original visible, struck through, with the new value and reason.
    let thaw = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "s1-thaw")
        .unwrap();
    let times: Vec<&Value> = thaw["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == "thaw_time")
        .collect();
    assert_eq!(times.len(), 2);
    assert_eq!(times[0]["corrected"], true);
    assert_eq!(
        times[1]["correction_reason"],
        "timer read wrongly; thawer log shows 2.5 min"
    );
    let superseded = thaw["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["superseded_at"].is_null())
        .count();
    assert_eq!(superseded, 1);

    // The batch's own chain, every record hash and every signature verify.
    let trail: Vec<Value> = floor
        .qa
        .get(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/audit-trail")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(trail.len() > 150, "{} events", trail.len());
    let seqs: Vec<i64> = trail.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(trail.len()).unwrap()).collect::<Vec<_>>(),
        "gap-free"
    );
    let mut conn = floor.app.db().connection();
    let events = ebr_db::repo::audit::chain_events(&mut conn, &format!("batch:{batch}")).unwrap();
    let chained: Vec<_> = events
        .iter()
        .map(|e| (e.to_chained(), e.hash.clone()))
        .collect();
    assert_eq!(
        verify_chain(chained.iter().map(|(e, h)| (e, h.as_str()))).unwrap(),
        trail.len() as u64
    );
    assert_eq!(
        ebr_db::repo::integrity::verify_record_hashes(&mut conn).unwrap(),
        vec![]
    );
    assert_eq!(
        ebr_db::repo::integrity::verify_signatures(&mut conn).unwrap(),
        vec![]
    );
}
