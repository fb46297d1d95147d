//! The rule holes found when the landed system was tried as a new user would
//! (issue 13), each proven closed through the HTTP API and named by the
//! requirement it breaks: every refusal names its rule and stores nothing but
//! the attempt.

use chrono::Duration;
use ebr_domain::identity::Role;
use ebr_web::clock::Clock;
use futures::future::join_all;
use serde_json::{json, Value};

use crate::batch_helpers::{good_values, reference, Floor};
use crate::helpers::{assert_problem, PASSWORD};

fn step(key: &str) -> ebr_domain::mbr::Step {
    reference().step(key).unwrap().clone()
}

/// Audit events of a chain with this action.
fn events(floor: &Floor, chain: &str, action: &str) -> usize {
    let mut conn = floor.app.db().connection();
    ebr_db::repo::audit::chain_events(&mut conn, chain)
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// R20, R42: the person who recorded an entry of a critical step (here the
/// line clearance, recorded by María, signed performed by Zhang Wei) cannot
/// then verify it; a third person who took no part can.
#[tokio::test]
async fn r42_r20_a_person_who_recorded_in_a_critical_step_cannot_verify_it() {
    let mut floor = Floor::new().await;
    floor.app.person("priya.nair", &[Role::Operator]);
    let batch = floor.issue("BR-R42-PART").await;
    floor.complete(&batch, &step("s0-issue-record")).await;
    let clearance = step("s0-line-clearance");
    let r = floor
        .verifier
        .post(floor.app.url(&format!(
            "/api/v1/batches/{batch}/steps/{}/entries",
            clearance.key
        )))
        .json(&json!({ "values": good_values(&clearance) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let performed = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            &clearance.key,
            "performed",
        )
        .await;
    assert_eq!(performed.status(), 201);
    let signatures = floor.app.count("signatures");
    let r = floor
        .sign(
            &floor.verifier,
            "maria.garcia",
            &batch,
            &clearance.key,
            "verified",
        )
        .await;
    assert_problem(r, 403, "step_participant_cannot_verify").await;
    assert_eq!(floor.app.count("signatures"), signatures);
    assert_eq!(
        events(&floor, &format!("batch:{batch}"), "step.sign.refused"),
        1
    );
    let third = floor.app.login("priya.nair").await;
    let r = floor
        .sign(&third, "priya.nair", &batch, &clearance.key, "verified")
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// R44: a deviation's owner who reassigns it to a colleague in a revision
/// still cannot close it, nor can the colleague who investigated it; QA who
/// took no part closes it.
#[tokio::test]
async fn r44_reassigning_a_deviation_does_not_let_its_owner_close_it() {
    let mut floor = Floor::new().await;
    floor.app.person("ines.moreau", &[Role::QaReviewer]);
    floor.app.person("kofi.mensah", &[Role::QaReviewer]);
    let batch = floor.issue("BR-R44").await;
    let owner = floor.app.login("ines.moreau").await;
    let opened: Value = owner
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/deviations")))
        .json(&json!({ "title": "Seal of a media bottle broken", "description": "Found at receipt in the cleanroom." }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dev = opened["id"].as_str().unwrap().to_string();
    let colleague_id = {
        let mut conn = floor.app.db().connection();
        ebr_db::repo::people::find_by_username(&mut conn, "wang.fang")
            .unwrap()
            .unwrap()
            .id
    };
    let r = owner
        .post(
            floor
                .app
                .url(&format!("/api/v1/deviations/{dev}/revisions")),
        )
        .json(&json!({ "owner_id": colleague_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = floor
        .qa
        .post(floor.app.url(&format!("/api/v1/deviations/{dev}/revisions")))
        .json(&json!({ "classification": "minor", "investigation": "bottle quarantined", "root_cause": "transport damage", "impact": "none: not used", "start_investigation": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let revisions = floor.app.count("deviation_revisions");
    for (client, username) in [(&owner, "ines.moreau"), (&floor.qa, "wang.fang")] {
        let r = client
            .post(
                floor
                    .app
                    .url(&format!("/api/v1/deviations/{dev}/signatures")),
            )
            .json(&json!({ "meaning": "closed", "username": username, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_problem(r, 403, "deviation_owner_cannot_close").await;
    }
    assert_eq!(floor.app.count("deviation_revisions"), revisions);
    assert_eq!(
        events(&floor, &format!("batch:{batch}"), "deviation.close.refused"),
        2
    );
    let closer = floor.app.login("kofi.mensah").await;
    let r = closer
        .post(
            floor
                .app
                .url(&format!("/api/v1/deviations/{dev}/signatures")),
        )
        .json(&json!({ "meaning": "closed", "username": "kofi.mensah", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// R32: a QC result cannot be dated after the moment it is entered (a
/// 14-day sterility result entered on day 1 and dated day 14); nothing is
/// stored and the attempt is audited.
#[tokio::test]
async fn r32_a_qc_result_dated_in_the_future_is_refused() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R32-QC").await;
    floor.complete(&batch, &step("s0-issue-record")).await;
    let analyst = floor.app.login("li.na").await;
    let day_14 = floor.app.clock.now() + Duration::days(13);
    let r = analyst
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/qc-results")),
        )
        .json(&json!({ "test_key": "sterility", "outcome": "No growth", "tested_at": day_14 }))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "qc_tested_in_future").await;
    assert_eq!(floor.app.count("qc_results"), 0);
    assert_eq!(
        events(
            &floor,
            &format!("batch:{batch}"),
            "qc_result.record.refused"
        ),
        1
    );
    let today = floor.app.clock.now();
    let r = analyst
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/qc-results")),
        )
        .json(&json!({ "test_key": "sterility", "outcome": "No growth", "tested_at": today }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// R35: `hid-a-0001` cannot be issued while `HID-A-0001` exists: one record
/// per batch number, regardless of case and surrounding spaces; the batch is
/// found under either spelling.
#[tokio::test]
async fn r35_batch_numbers_differing_only_in_case_are_one_batch() {
    let floor = Floor::new().await;
    let first = floor.issue("HID-A-0001").await;
    for spelling in ["hid-a-0001", " Hid-A-0001 "] {
        let r = floor
            .qa
            .post(floor.app.url("/api/v1/batches"))
            .json(&json!({ "batch_number": spelling, "mbr_version_id": floor.mbr_id, "wcb_lot_number": crate::batch_helpers::lot_of("WCB-IPSC"), "wcb_vial": "WCB-0042-V18" }))
            .send()
            .await
            .unwrap();
        let body = assert_problem(r, 409, "batch_number_taken").await;
        assert!(
            body["detail"].as_str().unwrap().contains("HID-A-0001"),
            "{body}"
        );
    }
    assert_eq!(floor.app.count("batches"), 1);
    let mut conn = floor.app.db().connection();
    let found = ebr_db::repo::batches::find_by_number(&mut conn, "hid-a-0001").unwrap();
    assert_eq!(found.id.to_string(), first);
    // The database refuses a second spelling even past the application.
    let bypass = diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO batches SELECT gen_random_uuid(), 'hid-a-0001', mbr_version_id, mbr_content_sha256, product_code, wcb_lot_id, wcb_vial, created_at, created_by FROM batches",
        ),
        &mut conn,
    );
    assert!(bypass.is_err(), "the unique index must refuse it");
}

/// R34 (original), R20 (accurate): a number is kept and printed as typed
/// (`37.0 °C` stays `37.0 °C`), and a number with more digits than the exact
/// type keeps is refused naming the limit, never rounded.
#[tokio::test]
async fn r34_numbers_are_kept_as_typed_and_over_precise_ones_refused() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-R34-TYPED").await;
    floor.complete_until(&batch, "s1-thaw").await;
    let thaw = step("s1-thaw");
    let mut values = good_values(&thaw);
    values["thaw_temperature"] = json!("37.000000000000000000000000000000000000001");
    let entries = floor.app.count("entries");
    let r = floor.record(&batch, &thaw.key, values.clone()).await;
    let body = assert_problem(r, 422, "invalid_value").await;
    assert!(body["detail"].as_str().unwrap().contains("28"), "{body}");
    assert_eq!(floor.app.count("entries"), entries);
    values["thaw_temperature"] = json!("37.0");
    values["thaw_time"] = json!("2.50");
    let r = floor.record(&batch, &thaw.key, values).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let detail = floor.batch(&batch).await;
    let typed: Vec<String> = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["key"] == "s1-thaw")
        .flat_map(|s| s["entries"].as_array().unwrap().clone())
        .filter_map(|e| e["value"]["as_typed"].as_str().map(str::to_string))
        .collect();
    assert!(typed.contains(&"37.0".to_string()), "{typed:?}");
    assert!(typed.contains(&"2.50".to_string()), "{typed:?}");
    let pdf = floor
        .qa
        .get(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/record.pdf")),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = crate::pdf::pdftotext(&pdf, &["-raw"]);
    assert!(
        text.contains("37.0 °C"),
        "the PDF prints the value as typed"
    );
    assert!(
        text.contains("2.50 min"),
        "the PDF prints the value as typed"
    );
}

/// R44, R38: two simultaneous revisions of a deviation made on the same
/// revision: one applies, the other is told a colleague revised it
/// meanwhile (409), never a 500 or a lost update. Two simultaneous
/// second-analyst reviews of one QC result: one signature, one 409.
#[tokio::test]
async fn r44_r42_simultaneous_revisions_and_qc_reviews_one_wins_the_other_409() {
    let mut floor = Floor::new().await;
    floor.app.person("lena.vogel", &[Role::QcAnalyst]);
    let batch = floor.issue("BR-CONC-DEV").await;
    floor.complete(&batch, &step("s0-issue-record")).await;
    let opened: Value = floor
        .qa
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/deviations")))
        .json(&json!({ "title": "Incubator door alarm", "description": "Door open alarm for 2 min." }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dev = opened["id"].as_str().unwrap().to_string();
    let base = opened["revisions"].as_i64().unwrap();
    let attempts = [
        ("door left ajar", &floor.operator),
        ("sensor fault", &floor.verifier),
    ]
    .into_iter()
    .map(|(text, client)| {
        let url = floor
            .app
            .url(&format!("/api/v1/deviations/{dev}/revisions"));
        let client = client.clone();
        async move {
            client
                .post(url)
                .json(&json!({ "investigation": text, "base_revision": base }))
                .send()
                .await
                .unwrap()
        }
    });
    let mut statuses = Vec::new();
    for r in join_all(attempts).await {
        let status = r.status().as_u16();
        if status == 409 {
            assert_problem(r, 409, "deviation_revision_stale").await;
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409]);

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
    let reviewers = [
        ("tom.becker", floor.app.login("tom.becker").await),
        ("lena.vogel", floor.app.login("lena.vogel").await),
    ];
    let reviews = reviewers.iter().map(|(username, client)| {
        let url = floor
            .app
            .url(&format!("/api/v1/qc-results/{id}/signatures"));
        async move {
            client
                .post(url)
                .json(&json!({ "meaning": "verified", "username": username, "password": PASSWORD }))
                .send()
                .await
                .unwrap()
        }
    });
    let mut statuses = Vec::new();
    for r in join_all(reviews).await {
        let status = r.status().as_u16();
        if status == 409 {
            assert_problem(r, 409, "qc_result_already_reviewed").await;
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![201, 409]);
}
