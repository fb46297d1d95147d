//! The periodic access review (R25, R31): generated for a period by QA,
//! listing role grants and findings, signed `reviewed`, downloadable as PDF.

use chrono::Duration;
use ebr_domain::identity::Role;
use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp, PASSWORD};

/// R25: the review lists the period's role grants, flags an administrator
/// who has not logged in for 85 days, is signed by QA (the signature is in
/// the audit trail and listed with the review) and prints as a PDF with
/// the finding and the signature.
#[tokio::test]
async fn r25_qa_generates_signs_and_prints_the_access_review() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    app.person("wang.fang", &[Role::QaReviewer]);
    app.person("zhang.wei", &[Role::Operator]);
    let start = app.clock.now().date_naive();
    let _ = app.login("chen.jie").await;
    app.clock.advance(Duration::days(85));
    let qa = app.login("wang.fang").await;
    let _ = app.login("zhang.wei").await;
    let today = app.clock.now().date_naive();
    let backwards = qa
        .post(app.url("/api/v1/access-reviews"))
        .json(&json!({ "from": today, "to": start }))
        .send()
        .await
        .unwrap();
    assert_problem(backwards, 422, "access_review_period_invalid").await;
    let r = qa
        .post(app.url("/api/v1/access-reviews"))
        .json(&json!({ "from": start, "to": today }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let review: Value = r.json().await.unwrap();
    let text = review["report"].to_string();
    assert!(text.contains("role granted: operator"), "{text}");
    let findings = review["report"]["findings"].as_array().unwrap();
    let dormant_admin = findings
        .iter()
        .find(|f| f["rule"] == "dormant_privileged_account")
        .unwrap();
    assert_eq!(dormant_admin["username"], "chen.jie");
    assert!(dormant_admin["detail"]
        .as_str()
        .unwrap()
        .contains("85 days"));
    assert!(!findings.iter().any(|f| f["username"] == "zhang.wei"));
    assert!(review["report"]["privileged"]
        .as_array()
        .unwrap()
        .contains(&json!("wang.fang")));

    let id = review["id"].as_str().unwrap();
    let signed = qa
        .post(app.url(&format!("/api/v1/access-reviews/{id}/signatures")))
        .json(&json!({ "meaning": "reviewed", "username": "wang.fang", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 201, "{}", signed.text().await.unwrap());
    let listed: Vec<Value> = qa
        .get(app.url("/api/v1/access-reviews"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["signatures"][0]["meaning"], "reviewed");
    assert_eq!(listed[0]["period_from"], start.to_string());
    let events = app.audit_actions("signature.created");
    assert!(
        events.iter().any(|e| e["new_value"]
            .as_str()
            .unwrap_or_default()
            .contains("access_review")),
        "QA's signature is in the audit trail: {events:?}"
    );
    let pdf = qa
        .get(app.url(&format!("/api/v1/access-reviews/{id}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    let printed = crate::pdf::pdftotext(&bytes, &["-raw"]).replace('\n', " ");
    assert!(printed.contains("dormant_privileged_account"), "{printed}");
    assert!(printed.contains("reviewed by wang fang"), "{printed}");
    // The whole trail still verifies, the new rows and signature included.
    let mut conn = app.db().connection();
    let check = ebr_db::repo::integrity::check_records(&mut conn).unwrap();
    assert!(
        check.altered.is_empty() && check.unvouched.is_empty(),
        "{check:?}"
    );
    assert!(ebr_db::repo::integrity::verify_signatures(&mut conn)
        .unwrap()
        .is_empty());
}
