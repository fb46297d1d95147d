//! Release: from quarantine to released through the API alone; each blocking
//! condition named; segregation of duties; terminal states; post-release OOS;
//! lineage both ways.

use ebr_domain::identity::Role;
use futures::future::join_all;
use serde_json::{json, Value};

use crate::batch_helpers::{lot_of, Floor};
use crate::helpers::{assert_problem, PASSWORD};

/// R38, R29, R26, R47: the reference batch from quarantine to released via the
/// API alone, then its lineage both ways, then R39 and R40.
#[tokio::test]
async fn r38_r39_r40_r47_reference_batch_from_quarantine_to_released() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-REL-1").await;
    floor.manufacture(&batch).await;
    assert_eq!(
        floor.batch(&batch).await["status"],
        "manufacturing_complete"
    );
    assert_eq!(
        floor
            .findings(&batch)
            .await
            .iter()
            .filter(|c| *c == "qc_missing")
            .count(),
        15,
        "17 tests, 2 report-only"
    );

    floor.qc(&batch, &[], &[], &[]).await;
    assert_eq!(floor.findings(&batch).await, vec!["review_missing"]);

    // The review-by-exception list, attested by QA.
    let list: Value = floor
        .qa
        .get(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/exceptions")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["review"], "missing");
    assert_eq!(
        floor
            .sign_batch(
                "wang.fang",
                &batch,
                "reviewed",
                Some("exceptions and audit trail reviewed")
            )
            .await
            .status(),
        201
    );
    assert_eq!(floor.batch(&batch).await["status"], "under_review");
    assert!(floor.findings(&batch).await.is_empty());

    let released = floor
        .sign_batch("anna.schmidt", &batch, "released", None)
        .await;
    assert_eq!(released.status(), 201);
    let sig: Value = released.json().await.unwrap();
    assert_eq!(sig["meaning"], "released");
    assert!(sig["printed_name"].as_str().unwrap().contains("anna"));
    assert_eq!(floor.batch(&batch).await["status"], "released");

    // R47: vials serialised at fill; lineage from a vial to the donor and from the lot to the vials.
    let vials: Vec<Value> = floor
        .qa
        .get(floor.app.url(&format!("/api/v1/batches/{batch}/vials")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!vials.is_empty());
    let serial = vials[0]["serial"].as_str().unwrap().to_string();
    assert_eq!(serial, "BR-REL-1-V001");
    let lots: Vec<Value> = floor
        .qa
        .get(floor.app.url("/api/v1/materials"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let wcb = lots
        .iter()
        .find(|l| l["lot_number"] == lot_of("WCB-IPSC"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = floor
        .qa
        .post(floor.app.url(&format!("/api/v1/materials/{wcb}/lineage")))
        .json(&json!({ "donor_id": "G123498654321H", "ipsc_line": "another line", "mcb_lot": "MCB-2024-003" }))
        .send()
        .await
        .unwrap();
    // The floor recorded the lineage before the batch was issued (R47: no
    // batch without it); lineage never changes.
    assert_eq!(r.status(), 409);
    let up: Value = floor
        .qa
        .get(floor.app.url(&format!("/api/v1/vials/{serial}/lineage")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(up["batch_number"], "BR-REL-1");
    assert_eq!(up["wcb_lot"], lot_of("WCB-IPSC"));
    assert_eq!(up["wcb_vial"], "WCB-0042-V17");
    assert_eq!(up["cell_bank"]["mcb_lot"], "MCB-2024-003");
    assert_eq!(up["cell_bank"]["ipsc_line"], "XS-iPSC-07");
    assert_eq!(up["cell_bank"]["donor_id"], "G123498654321H");
    let down: Value = floor
        .qa
        .get(
            floor
                .app
                .url(&format!("/api/v1/materials/{wcb}/descendants")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(down["batches"][0]["batch_number"], "BR-REL-1");
    assert_eq!(down["batches"][0]["vials"][0], serial.as_str());

    // R39: a released batch refuses every change.
    let r = floor
        .record(
            &batch,
            "s0-issue-record",
            json!({ "mbr_version_confirmed": true }),
        )
        .await;
    assert_problem(r, 409, "batch_closed").await;
    let r = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            "s9-record-complete",
            "performed",
        )
        .await;
    assert_problem(r, 409, "batch_closed").await;
    assert_problem(
        floor
            .sign_batch("anna.schmidt", &batch, "rejected", Some("changed my mind"))
            .await,
        409,
        "batch_closed",
    )
    .await;
    assert_problem(
        floor
            .sign_batch("wang.fang", &batch, "reviewed", None)
            .await,
        409,
        "batch_closed",
    )
    .await;
    let entry = floor.batch(&batch).await["steps"][0]["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = floor
        .operator
        .post(floor.app.url(&format!(
            "/api/v1/batches/{batch}/entries/{entry}/corrections"
        )))
        .json(&json!({ "value": false, "reason": "late change" }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "batch_closed").await;

    // R40: a late sterility failure after release is a deviation listing the vials; the disposition stands.
    let analyst = floor.app.login("li.na").await;
    let r = analyst
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/qc-results")))
        .json(&json!({ "test_key": "sterility", "outcome": "Growth", "tested_at": "2026-11-24T09:00:00Z", "sample_id": "RET-1" }))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["exceptions"][0]["kind"], "post_release_oos", "{body}");
    assert!(
        body["deviations"][0]["description"]
            .as_str()
            .unwrap()
            .contains(&serial),
        "{body}"
    );
    assert_eq!(floor.batch(&batch).await["status"], "released");

    let mut conn = floor.app.db().connection();
    assert_eq!(
        ebr_db::repo::integrity::verify_record_hashes(&mut conn).unwrap(),
        vec![]
    );
    assert_eq!(
        ebr_db::repo::integrity::verify_signatures(&mut conn).unwrap(),
        vec![]
    );
}

async fn manufactured(floor: &Floor, numbers: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for n in numbers {
        ids.push(floor.issue(n).await);
    }
    join_all(ids.iter().map(|b| floor.manufacture(b))).await;
    ids
}

async fn refused_naming(floor: &Floor, batch: &str, codes: &[&str]) {
    let r = floor
        .sign_batch("anna.schmidt", batch, "released", None)
        .await;
    let body = assert_problem(r, 409, "release_blocked").await;
    let named: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    for code in codes {
        assert!(named.contains(code), "{code} not named in {named:?}");
    }
    assert_ne!(floor.batch(batch).await["status"], "released");
}

/// R38: each blocking condition on its own is named; several at once are all named.
#[tokio::test]
async fn r38_each_blocking_condition_is_named_and_all_at_once_too() {
    let floor = Floor::new().await;
    let b = manufactured(
        &floor,
        &[
            "BR-G-DEV",
            "BR-G-MISS",
            "BR-G-UNREV",
            "BR-G-OOS",
            "BR-G-NOREV",
            "BR-G-ALL",
        ],
    )
    .await;

    // An open deviation (opened before the review, so the review stays valid).
    floor.qc(&b[0], &[], &[], &[]).await;
    let r = floor
        .operator
        .post(floor.app.url(&format!("/api/v1/batches/{}/deviations", b[0])))
        .json(&json!({ "title": "Door interlock alarm", "description": "BSC door alarm during fill", "classification": "minor" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        floor
            .sign_batch("wang.fang", &b[0], "reviewed", None)
            .await
            .status(),
        201
    );
    assert_eq!(floor.findings(&b[0]).await, vec!["deviation_open"]);
    refused_naming(&floor, &b[0], &["deviation_open"]).await;

    // A missing QC result.
    floor.qc(&b[1], &["sterility"], &[], &[]).await;
    assert_eq!(
        floor
            .sign_batch("wang.fang", &b[1], "reviewed", None)
            .await
            .status(),
        201
    );
    assert_eq!(floor.findings(&b[1]).await, vec!["qc_missing"]);
    refused_naming(&floor, &b[1], &["qc_missing"]).await;

    // An unreviewed QC result.
    floor.qc(&b[2], &[], &["endotoxin"], &[]).await;
    assert_eq!(
        floor
            .sign_batch("wang.fang", &b[2], "reviewed", None)
            .await
            .status(),
        201
    );
    assert_eq!(floor.findings(&b[2]).await, vec!["qc_unreviewed"]);
    refused_naming(&floor, &b[2], &["qc_unreviewed"]).await;

    // An out-of-specification QC result (its deviation closed, so only the result blocks).
    floor.qc(&b[3], &[], &[], &["endotoxin"]).await;
    let devs: Vec<Value> = floor
        .qa
        .get(
            floor
                .app
                .url(&format!("/api/v1/batches/{}/deviations", b[3])),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dev = devs[0]["id"].as_str().unwrap().to_string();
    let analyst = floor.app.login("li.na").await;
    let r = analyst
        .post(floor.app.url(&format!("/api/v1/deviations/{dev}/revisions")))
        .json(&json!({ "classification": "major", "investigation": "retained sample retested", "root_cause": "confirmed contamination of the fill line", "impact": "batch cannot be released", "start_investigation": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    floor.close_deviation(&dev).await;
    assert_eq!(
        floor
            .sign_batch("wang.fang", &b[3], "reviewed", None)
            .await
            .status(),
        201
    );
    assert_eq!(floor.findings(&b[3]).await, vec!["qc_out_of_specification"]);
    refused_naming(&floor, &b[3], &["qc_out_of_specification"]).await;

    // A missing review.
    floor.qc(&b[4], &[], &[], &[]).await;
    assert_eq!(floor.findings(&b[4]).await, vec!["review_missing"]);
    refused_naming(&floor, &b[4], &["review_missing"]).await;

    // All at once (and a review voided by an exception raised after it).
    floor
        .qc(&b[5], &["mycoplasma"], &["viability"], &["endotoxin"])
        .await;
    assert_eq!(
        floor
            .sign_batch("wang.fang", &b[5], "reviewed", None)
            .await
            .status(),
        201
    );
    let r = floor
        .operator
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{}/deviations", b[5])),
        )
        .json(&json!({ "title": "Late observation", "description": "found after review" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    refused_naming(
        &floor,
        &b[5],
        &[
            "deviation_open",
            "qc_missing",
            "qc_unreviewed",
            "qc_out_of_specification",
            "review_voided",
        ],
    )
    .await;
}

/// A step left unverified blocks release, named.
#[tokio::test]
async fn r45_a_step_left_unverified_blocks_release() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-G-STEP").await;
    floor.complete_until(&batch, "s9-record-complete").await;
    let last = crate::batch_helpers::reference()
        .step("s9-record-complete")
        .unwrap()
        .clone();
    assert_eq!(
        floor
            .record(&batch, &last.key, crate::batch_helpers::good_values(&last))
            .await
            .status(),
        201
    );
    assert_eq!(
        floor
            .sign(&floor.operator, "zhang.wei", &batch, &last.key, "performed")
            .await
            .status(),
        201
    );
    floor.qc(&batch, &[], &[], &[]).await;
    refused_naming(&floor, &batch, &["step_unverified"]).await;
}

/// R43: whoever performed, verified or reviewed anything cannot release;
/// R26: a QA reviewer without release authority cannot release; rejection
/// needs a reason and is terminal (R39).
#[tokio::test]
async fn r43_r26_participants_and_reviewers_cannot_release_and_rejection_is_terminal() {
    let mut floor = Floor::new().await;
    floor
        .app
        .person("olga.petrova", &[Role::Operator, Role::ReleaseAuthority]);
    floor
        .app
        .person("ken.ito", &[Role::QaReviewer, Role::ReleaseAuthority]);
    let batch = floor.issue("BR-SOD").await;
    // olga verifies one critical step instead of maria.
    let olga = floor.app.login("olga.petrova").await;
    for (_, step) in crate::batch_helpers::reference().steps() {
        let r = floor
            .record(&batch, &step.key, crate::batch_helpers::good_values(step))
            .await;
        assert_eq!(r.status(), 201);
        if !step.prints_labels.is_empty() {
            floor.label_all(&batch).await;
        }
        assert_eq!(
            floor
                .sign(&floor.operator, "zhang.wei", &batch, &step.key, "performed")
                .await
                .status(),
            201
        );
        if step.critical {
            let (who, name) = if step.key == "s0-line-clearance" {
                (&olga, "olga.petrova")
            } else {
                (&floor.verifier, "maria.garcia")
            };
            assert_eq!(
                floor
                    .sign(who, name, &batch, &step.key, "verified")
                    .await
                    .status(),
                201
            );
        }
    }
    floor.qc(&batch, &[], &[], &[]).await;
    // ken reviews, so he may not release.
    assert_eq!(
        floor
            .sign_batch("ken.ito", &batch, "reviewed", None)
            .await
            .status(),
        201
    );
    assert!(floor.findings(&batch).await.is_empty());
    assert_problem(
        floor
            .sign_batch("olga.petrova", &batch, "released", None)
            .await,
        403,
        "participant_cannot_release",
    )
    .await;
    assert_problem(
        floor.sign_batch("ken.ito", &batch, "released", None).await,
        403,
        "participant_cannot_release",
    )
    .await;
    assert_problem(
        floor
            .sign_batch("wang.fang", &batch, "released", None)
            .await,
        403,
        "role_forbidden",
    )
    .await;
    // A participant cannot review either.
    assert_problem(
        floor
            .sign_batch("zhang.wei", &batch, "reviewed", None)
            .await,
        403,
        "role_forbidden",
    )
    .await;

    assert_problem(
        floor
            .sign_batch("anna.schmidt", &batch, "rejected", None)
            .await,
        422,
        "rejection_reason_required",
    )
    .await;
    assert_eq!(
        floor
            .sign_batch(
                "anna.schmidt",
                &batch,
                "rejected",
                Some("deviation from validated process")
            )
            .await
            .status(),
        201
    );
    assert_eq!(floor.batch(&batch).await["status"], "rejected");
    assert_problem(
        floor
            .sign_batch("anna.schmidt", &batch, "released", None)
            .await,
        409,
        "batch_closed",
    )
    .await;
    let analyst = floor.app.login("li.na").await;
    let r = analyst
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/qc-results")))
        .json(&json!({ "test_key": "sterility", "outcome": "No growth", "tested_at": "2026-11-24T09:00:00Z" }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "batch_closed").await;
}

/// A QC result is reviewed by a second analyst; an invalidated result stays
/// visible and a retest is a new result.
#[tokio::test]
async fn qc_review_needs_a_second_analyst_and_invalidation_keeps_the_result() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-QC").await;
    floor.complete_until(&batch, "s1-thaw").await;
    let analyst = floor.app.login("li.na").await;
    let r: Value = analyst
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/qc-results")))
        .json(&json!({ "test_key": "endotoxin", "value": "0.4", "unit": "EU/mL", "tested_at": "2026-11-24T09:00:00Z" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["result"]["id"].as_str().unwrap().to_string();
    let own = analyst
        .post(
            floor
                .app
                .url(&format!("/api/v1/qc-results/{id}/signatures")),
        )
        .json(&json!({ "meaning": "verified", "username": "li.na", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(own, 403, "analyst_cannot_review").await;
    let inv = analyst
        .post(
            floor
                .app
                .url(&format!("/api/v1/qc-results/{id}/invalidations")),
        )
        .json(&json!({ "reason": "standard curve out of range" }))
        .send()
        .await
        .unwrap();
    assert_eq!(inv.status(), 201);
    let retest = analyst
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/qc-results")))
        .json(&json!({ "test_key": "endotoxin", "value": "0.5", "tested_at": "2026-11-24T12:00:00Z", "retest_of": id }))
        .send()
        .await
        .unwrap();
    assert_eq!(retest.status(), 201);
    let all: Vec<Value> = analyst
        .get(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/qc-results")),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["invalidated_reason"], "standard curve out of range");
    assert_eq!(all[1]["retest_of"], id.as_str());
}

/// R47 on the demo data: `ebr demo` leaves one batch released through the full
/// flow and one in progress with an open deviation, and the lineage queries
/// return the full chain both ways.
#[tokio::test]
async fn r47_demo_data_lineage_both_ways() {
    let db = ebr_testdb::TestDatabase::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ebr"))
        .arg("demo")
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let app = crate::helpers::TestApp::spawn_on(db);
    let auditor = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = auditor
        .post(app.url("/api/v1/session"))
        .json(&json!({ "username": "audrey.martin", "password": "ebr-demo-2026!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 201);
    let batches: Vec<Value> = auditor
        .get(app.url("/api/v1/batches"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status = |n: &str| {
        batches.iter().find(|b| b["batch_number"] == n).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("BR-2026-0001"), "released");
    assert_eq!(status("BR-2026-0002"), "in_progress");
    let in_progress = batches
        .iter()
        .find(|b| b["batch_number"] == "BR-2026-0002")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let list: Value = auditor
        .get(app.url(&format!("/api/v1/batches/{in_progress}/exceptions")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!list["exceptions"].as_array().unwrap().is_empty());
    assert_eq!(list["deviations"][0]["status"], "open");

    let up: Value = auditor
        .get(app.url("/api/v1/vials/BR-2026-0001-V007/lineage"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(up["batch_number"], "BR-2026-0001");
    assert_eq!(up["cell_bank"]["donor_id"], "G123498654321H");
    assert_eq!(up["cell_bank"]["mcb_lot"], "MCB-2024-003");
    let lots: Vec<Value> = auditor
        .get(app.url("/api/v1/materials"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let wcb = lots
        .iter()
        .find(|l| l["material_code"] == "WCB-IPSC")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let down: Value = auditor
        .get(app.url(&format!("/api/v1/materials/{wcb}/descendants")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let made: Vec<&str> = down["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch_number"].as_str().unwrap())
        .collect();
    assert_eq!(made, vec!["BR-2026-0001", "BR-2026-0002"]);
    assert_eq!(down["batches"][0]["vials"].as_array().unwrap().len(), 10);
    assert_eq!(
        down["cell_bank"]["ipsc_line"],
        "XS-iPSC-07 (HLA-homozygous)"
    );
}
