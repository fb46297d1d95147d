//! Training gates (R9): curricula, training records signed by the trainee,
//! read-and-understood of a new MBR version, expiry and revocation, and the
//! qualification matrix.

use chrono::Duration;
use ebr_domain::identity::Role;
use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::batch_helpers::{good_values, lot_of, reference, Floor};
use crate::helpers::{assert_problem, PASSWORD};

/// The floor with a trainer (olga.ivanova) and the operators' process
/// curriculum `TRN-MNP-OPS` (MBR-MNP-001, any version) defined by QA.
async fn floor_with_process_curriculum() -> (Floor, reqwest::Client, String) {
    let mut floor = Floor::new().await;
    floor.app.person("olga.ivanova", &[Role::Trainer]);
    let trainer = floor.app.login("olga.ivanova").await;
    let r = floor
        .qa
        .post(floor.app.url("/api/v1/curricula"))
        .json(&json!({ "code": "TRN-MNP-OPS", "title": "MNP process, operators", "role": "operator", "mbr_code": "MBR-MNP-001" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let curriculum: Value = r.json().await.unwrap();
    (
        floor,
        trainer,
        curriculum["id"].as_str().unwrap().to_string(),
    )
}

fn person_id(floor: &Floor, username: &str) -> String {
    let mut conn = floor.app.db().connection();
    ebr_db::repo::people::find_by_username(&mut conn, username)
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// The trainer records `username`'s training on `curriculum`, and the
/// trainee signs it (meaning `trained`) in their own session.
async fn train(
    floor: &Floor,
    trainer: &reqwest::Client,
    trainee: &reqwest::Client,
    username: &str,
    curriculum: &str,
    valid_until: Option<chrono::DateTime<chrono::Utc>>,
) {
    let r = trainer
        .post(floor.app.url("/api/v1/training-records"))
        .json(&json!({ "person_id": person_id(floor, username), "curriculum_id": curriculum, "valid_until": valid_until }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let record: Value = r.json().await.unwrap();
    let signed = trainee
        .post(floor.app.url(&format!(
            "/api/v1/training-records/{}/signatures",
            record["id"].as_str().unwrap()
        )))
        .json(&json!({ "meaning": "trained", "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 201, "{}", signed.text().await.unwrap());
}

fn exceptions_of_kind(floor: &Floor, kind: &str) -> i64 {
    let mut conn = floor.app.db().connection();
    use diesel::prelude::*;
    ebr_db::schema::batch_exceptions::table
        .filter(ebr_db::schema::batch_exceptions::kind.eq(kind))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

/// R9: an operator not trained on the process is refused with
/// `training_not_current` naming the curriculum; nothing but the attempt
/// (audited) and an exception on the batch is stored. Trained (the record
/// signed by the trainee), they record; the training revoked, they are
/// refused again.
#[tokio::test]
async fn r9_untrained_operator_is_refused_until_trained_and_again_after_revocation() {
    let (floor, trainer, curriculum) = floor_with_process_curriculum().await;
    let batch = floor.issue("BR-TRN-0001").await;
    let first = &reference().stages[0].steps[0];
    let entries = floor.app.count("entries");
    let refused = assert_problem(
        floor.record(&batch, &first.key, good_values(first)).await,
        403,
        "training_not_current",
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("TRN-MNP-OPS"),
        "{refused}"
    );
    assert_eq!(floor.app.count("entries"), entries);
    assert_eq!(exceptions_of_kind(&floor, "training_not_current"), 1);
    let trail: Value = floor
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
    let text = trail.to_string();
    assert!(text.contains("entry.record.refused"), "{text}");
    assert!(text.contains("exception.training_not_current"), "{text}");

    train(
        &floor,
        &trainer,
        &floor.operator,
        "zhang.wei",
        &curriculum,
        None,
    )
    .await;
    let r = floor.record(&batch, &first.key, good_values(first)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let revoke = trainer
        .post(floor.app.url("/api/v1/training-records/revocations"))
        .json(&json!({ "person_id": person_id(&floor, "zhang.wei"), "curriculum_id": curriculum, "reason": "failed the observed re-assessment" }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 201);
    let signed = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            &first.key,
            "performed",
        )
        .await;
    assert_problem(signed, 403, "training_not_current").await;
    assert_eq!(exceptions_of_kind(&floor, "training_not_current"), 2);
}

/// R9: trained on version 1 of an MBR that requires read-and-understood,
/// an operator is refused on a batch of version 2 until they sign the
/// read-and-understood record of version 2.
#[tokio::test]
async fn r9_a_new_mbr_version_needs_read_and_understood() {
    let (floor, trainer, curriculum) = floor_with_process_curriculum().await;
    train(
        &floor,
        &trainer,
        &floor.operator,
        "zhang.wei",
        &curriculum,
        None,
    )
    .await;
    let author = floor.app.login("sam.okafor").await;
    let v2 = ebr_testdb::fixtures::REFERENCE_MBR.replacen("title = \"", "title = \"[v2] ", 1);
    let imported: Value = author
        .post(floor.app.url("/api/v1/mbrs"))
        .header("content-type", "application/toml")
        .body(v2)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(imported["version"], 2, "{imported}");
    let v2_id = imported["id"].as_str().unwrap();
    let approve = floor
        .qa
        .post(floor.app.url(&format!("/api/v1/mbrs/{v2_id}/signatures")))
        .json(&json!({ "meaning": "approved", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 201, "{}", approve.text().await.unwrap());
    let issued: Value = floor
        .qa
        .post(floor.app.url("/api/v1/batches"))
        .json(&json!({ "batch_number": "BR-TRN-0002", "mbr_version_id": v2_id, "wcb_lot_number": lot_of("WCB-IPSC"), "wcb_vial": "WCB-0042-V18" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let batch = issued["id"].as_str().unwrap();
    let first = &reference().stages[0].steps[0];
    let refused = assert_problem(
        floor.record(batch, &first.key, good_values(first)).await,
        403,
        "training_not_current",
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("read-and-understood of MBR-MNP-001 version 2"),
        "{refused}"
    );
    let read = floor
        .operator
        .post(floor.app.url(&format!(
            "/api/v1/curricula/{curriculum}/versions/2/signatures"
        )))
        .json(&json!({ "meaning": "read_and_understood", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 201, "{}", read.text().await.unwrap());
    let r = floor.record(batch, &first.key, good_values(first)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// R9: a verifier whose skill expired is refused verifying a step that
/// needs it, naming the skill's curriculum and the date; the step stays
/// unverified and the attempt leaves an exception.
#[tokio::test]
async fn r9_a_verifier_with_an_expired_skill_is_refused() {
    let mut floor = Floor::new().await;
    floor.app.person("olga.ivanova", &[Role::Trainer]);
    let trainer = floor.app.login("olga.ivanova").await;
    let curriculum = {
        let mut conn = floor.app.db().connection();
        floor
            .app
            .skill_curriculum(&mut conn, "cell_count", Role::Operator)
            .to_string()
    };
    let soon = floor.app.clock.now() + Duration::days(1);
    train(
        &floor,
        &trainer,
        &floor.verifier,
        "maria.garcia",
        &curriculum,
        Some(soon),
    )
    .await;
    let batch = floor.issue("BR-TRN-0003").await;
    floor.complete_until(&batch, "s1-post-thaw-count").await;
    let count = reference()
        .steps()
        .find(|(_, s)| s.key == "s1-post-thaw-count")
        .unwrap()
        .1
        .clone();
    assert_eq!(count.skills, vec!["cell_count".to_string()]);
    let r = floor.record(&batch, &count.key, good_values(&count)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            &count.key,
            "performed",
        )
        .await;
    assert_eq!(r.status(), 201);
    floor.app.clock.advance(Duration::days(2));
    floor.relogin().await;
    let signatures = floor.app.count("signatures");
    let refused = assert_problem(
        floor
            .sign(
                &floor.verifier,
                "maria.garcia",
                &batch,
                &count.key,
                "verified",
            )
            .await,
        403,
        "training_not_current",
    )
    .await;
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("TRN-CELL_COUNT-OPERATOR") && detail.contains("expired"),
        "{detail}"
    );
    assert_eq!(floor.app.count("signatures"), signatures);
    assert_eq!(exceptions_of_kind(&floor, "training_not_current"), 1);
}

/// R9: the qualification matrix lists people × curricula with their
/// status, filters by status, and downloads as CSV.
#[tokio::test]
async fn r9_the_qualification_matrix_shows_status_and_exports_csv() {
    let (floor, _trainer, _curriculum) = floor_with_process_curriculum().await;
    let all: Vec<Value> = floor
        .qa
        .get(floor.app.url("/api/v1/training/matrix"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zhang_process = all
        .iter()
        .find(|c| c["username"] == "zhang.wei" && c["curriculum"] == "TRN-MNP-OPS")
        .unwrap();
    assert_eq!(zhang_process["status"], "missing");
    assert!(all
        .iter()
        .any(|c| c["username"] == "zhang.wei" && c["status"] == "current"));
    let missing: Vec<Value> = floor
        .qa
        .get(floor.app.url("/api/v1/training/matrix?status=missing"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(missing.iter().all(|c| c["status"] == "missing"));
    assert_eq!(
        missing.len(),
        2,
        "both operators miss TRN-MNP-OPS: {missing:?}"
    );
    let csv = floor
        .qa
        .get(
            floor
                .app
                .url("/api/v1/training/matrix?format=csv&status=missing"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        csv.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("username,full_name,curriculum,status,valid_until\n"));
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(
        text.contains("zhang.wei,张伟,TRN-MNP-OPS,missing,"),
        "{text}"
    );
}

/// R9: the batch-level activities are gated too: with a curriculum for QC
/// analysts and one for QA reviewers defined, an untrained analyst's QC
/// result and an untrained reviewer's batch review are refused with
/// `training_not_current`, nothing signed or stored but the attempt and an
/// exception each; trained, the analyst passes the gate.
#[tokio::test]
async fn r9_qc_entry_and_batch_review_need_current_training() {
    let (floor, trainer, _) = floor_with_process_curriculum().await;
    let mut ids = Vec::new();
    for (code, role) in [("TRN-QC-MNP", "qc_analyst"), ("TRN-QA-MNP", "qa_reviewer")] {
        let r = floor
            .qa
            .post(floor.app.url("/api/v1/curricula"))
            .json(&json!({ "code": code, "title": code, "role": role, "mbr_code": "MBR-MNP-001" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let c: Value = r.json().await.unwrap();
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let batch = floor.issue("BR-TRN-0004").await;
    let analyst = floor.app.login("li.na").await;
    let result = json!({ "test_key": "sterility", "outcome": "No growth", "tested_at": "2026-11-20T10:00:00Z", "sample_id": "QC-S-1" });
    let refused = analyst
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/qc-results")),
        )
        .json(&result)
        .send()
        .await
        .unwrap();
    let body = assert_problem(refused, 403, "training_not_current").await;
    assert!(
        body["detail"].as_str().unwrap().contains("TRN-QC-MNP"),
        "{body}"
    );
    assert_eq!(floor.app.count("qc_results"), 0);
    let signatures = floor.app.record_signatures();
    let review = floor
        .qa
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/signatures")),
        )
        .json(&json!({ "meaning": "reviewed", "username": "wang.fang", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(review, 403, "training_not_current").await;
    assert_eq!(
        floor.app.record_signatures(),
        signatures,
        "nothing was signed"
    );
    assert_eq!(exceptions_of_kind(&floor, "training_not_current"), 2);
    train(&floor, &trainer, &analyst, "li.na", &ids[0], None).await;
    let entered = analyst
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/qc-results")),
        )
        .json(&result)
        .send()
        .await
        .unwrap();
    // Trained, the analyst passes the gate; the next rule decides (the
    // batch is still planned, so it takes no result yet).
    assert_problem(entered, 409, "batch_closed").await;
}
