//! The signature ceremony and MBR approval (R10, R12, R13, R15, R16, R17,
//! R19, R28, R44).

use chrono::Duration;
use ebr_domain::identity::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp, PASSWORD};

struct Scene {
    app: TestApp,
    author: reqwest::Client,
    mbr: String,
}

async fn scene() -> Scene {
    let mut app = TestApp::spawn();
    app.person("sam.okafor", &[Role::MbrAuthor, Role::QaReviewer]);
    app.person("wang.fang", &[Role::QaReviewer]);
    let author = app.login("sam.okafor").await;
    let mbr = app.import_reference(&author).await;
    Scene { app, author, mbr }
}

async fn sign(
    app: &TestApp,
    client: &reqwest::Client,
    mbr: &str,
    body: Value,
) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/v1/mbrs/{mbr}/signatures")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// R28/R12: approval by QA makes the version effective; the signature shows
/// printed name, UTC time and meaning, and binds the record hash.
#[tokio::test]
async fn r28_r12_qa_approval_makes_the_mbr_effective_with_a_full_manifestation() {
    let s = scene().await;
    let qa = s.app.login("wang.fang").await;
    let response = sign(&s.app, &qa, &s.mbr, json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD, "comment": "审核通过" })).await;
    assert_eq!(response.status(), 201);
    let approval: Value = response.json().await.unwrap();
    let sig = &approval["signature"];
    assert_eq!(sig["printed_name"], "wang fang");
    assert_eq!(sig["meaning"], "approved");
    assert_eq!(
        sig["meaning_statement"],
        "I approve this master batch record for use."
    );
    assert_eq!(sig["comment"], "审核通过");
    assert!(sig["signed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(sig["record_hash"].as_str().unwrap().len(), 64);

    let detail: Value = qa
        .get(s.app.url(&format!("/api/v1/mbrs/{}", s.mbr)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "effective");
    assert_eq!(detail["signatures"].as_array().unwrap().len(), 1);
}

/// R44: the author cannot approve their own MBR (even holding qa_reviewer);
/// nothing is stored but the attempt.
#[tokio::test]
async fn r44_author_approving_own_mbr_is_403_and_stores_no_signature() {
    let s = scene().await;
    let response = sign(
        &s.app,
        &s.author,
        &s.mbr,
        json!({ "meaning": "approved", "username": "sam.okafor", "password": PASSWORD }),
    )
    .await;
    assert_problem(response, 403, "self_approval_forbidden").await;
    assert_eq!(s.app.record_signatures(), 0);
    let detail: Value = s
        .author
        .get(s.app.url(&format!("/api/v1/mbrs/{}", s.mbr)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "draft");
    assert_eq!(s.app.audit_actions("mbr.approve.refused").len(), 1);
}

/// R16: a wrong password → 401, no signature, the failed attempt audited and
/// counted toward the lockout.
#[tokio::test]
async fn r16_wrong_password_is_401_stores_no_signature_and_is_audited() {
    let s = scene().await;
    let qa = s.app.login("wang.fang").await;
    let before = s.app.count("auth_attempts");
    let response = sign(
        &s.app,
        &qa,
        &s.mbr,
        json!({ "meaning": "approved", "username": "wang.fang", "password": "not my password" }),
    )
    .await;
    assert_problem(response, 401, "password_incorrect").await;
    assert_eq!(s.app.record_signatures(), 0);
    assert_eq!(s.app.count("auth_attempts"), before + 1);
    assert_eq!(s.app.audit_actions("security.signature_failed").len(), 1);
    let metrics = s.app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("ebr_signature_failures_total 1"),
        "{metrics}"
    );
}

/// R18 through signing: five wrong signature passwords lock the account and end its session.
#[tokio::test]
async fn r18_five_wrong_signature_passwords_lock_the_account() {
    let s = scene().await;
    let qa = s.app.login("wang.fang").await;
    for _ in 0..4 {
        let r = sign(
            &s.app,
            &qa,
            &s.mbr,
            json!({ "meaning": "approved", "username": "wang.fang", "password": "nope nope nope" }),
        )
        .await;
        assert_problem(r, 401, "password_incorrect").await;
    }
    let r = sign(
        &s.app,
        &qa,
        &s.mbr,
        json!({ "meaning": "approved", "username": "wang.fang", "password": "nope nope nope" }),
    )
    .await;
    assert_problem(r, 401, "account_locked").await;
    assert_eq!(s.app.audit_actions("security.account_locked").len(), 1);
    assert_eq!(
        qa.get(s.app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// R16/R19: the first signature needs both components; later ones in the same
/// continuous session the password only; after an idle lock both again.
#[tokio::test]
async fn r16_r19_two_components_first_then_password_only_until_idle_lock() {
    let mut app = TestApp::spawn();
    app.person("sam.okafor", &[Role::MbrAuthor]);
    app.person("wang.fang", &[Role::QaReviewer]);
    let author = app.login("sam.okafor").await;
    let v1 = app.import_reference(&author).await;
    let qa = app.login("wang.fang").await;
    assert_problem(
        sign(
            &app,
            &qa,
            &v1,
            json!({ "meaning": "approved", "password": PASSWORD }),
        )
        .await,
        401,
        "two_components_required",
    )
    .await;
    assert_eq!(app.record_signatures(), 0);
    let first = sign(
        &app,
        &qa,
        &v1,
        json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD }),
    )
    .await;
    assert_eq!(first.status(), 201);
    let me: Value = qa
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["signing"]["next_signature_needs"], "password_only");

    // A second version: password alone suffices, and it supersedes version 1 (R28).
    let v2 = import_changed(&app, &author, "Rev. 2").await;
    let second = sign(
        &app,
        &qa,
        &v2,
        json!({ "meaning": "approved", "password": PASSWORD }),
    )
    .await;
    assert_eq!(second.status(), 201);
    let approval: Value = second.json().await.unwrap();
    assert_eq!(approval["superseded"], json!([v1]));

    // Idle past the signing lock (5 min) but within the session timeout (15 min).
    app.clock.advance(Duration::minutes(6));
    let v3 = import_changed(&app, &author, "Rev. 3").await;
    let locked = sign(
        &app,
        &qa,
        &v3,
        json!({ "meaning": "approved", "password": PASSWORD }),
    )
    .await;
    assert_problem(locked, 401, "two_components_required").await;
    let again = sign(
        &app,
        &qa,
        &v3,
        json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD }),
    )
    .await;
    assert_eq!(again.status(), 201);
}

async fn import_changed(app: &TestApp, author: &reqwest::Client, title: &str) -> String {
    let text = ebr_testdb::fixtures::REFERENCE_MBR.replacen(
        "title = \"",
        &format!("title = \"{title}: "),
        1,
    );
    let response = author
        .post(app.url("/api/v1/mbrs"))
        .header("content-type", "application/toml")
        .body(text)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// R17: no one signs for another: a username other than the session's is refused.
#[tokio::test]
async fn r17_signing_as_another_person_is_403() {
    let s = scene().await;
    let qa = s.app.login("wang.fang").await;
    let response = sign(
        &s.app,
        &qa,
        &s.mbr,
        json!({ "meaning": "approved", "username": "sam.okafor", "password": PASSWORD }),
    )
    .await;
    assert_problem(response, 403, "signer_not_session_user").await;
    assert_eq!(s.app.record_signatures(), 0);
    assert_eq!(s.app.audit_actions("signature.refused").len(), 1);
}

/// R10: signing is refused until the accountability statement is acknowledged.
/// R15: and until a second admin verified the person's identity.
#[tokio::test]
async fn r10_r15_signing_needs_acknowledgment_and_identity_verification() {
    let mut app = TestApp::spawn();
    app.person("sam.okafor", &[Role::MbrAuthor]);
    app.person("chen.jie", &[Role::Admin]);
    let newcomer = app.bare_person("wang.fang", &[Role::QaReviewer]);
    let author = app.login("sam.okafor").await;
    let mbr = app.import_reference(&author).await;
    let qa = app.login("wang.fang").await;
    let body = json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD });
    assert_problem(
        sign(&app, &qa, &mbr, body.clone()).await,
        403,
        "signature_acknowledgment_required",
    )
    .await;

    let me: Value = qa
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["signing"]["enabled"], false);
    let hash = me["signing"]["statement_sha256"].as_str().unwrap();
    let wrong = qa
        .post(app.url("/api/v1/session/acknowledgment"))
        .json(&json!({ "statement_sha256": "00" }))
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 422, "statement_mismatch").await;
    let ack = qa
        .post(app.url("/api/v1/session/acknowledgment"))
        .json(&json!({ "statement_sha256": hash }))
        .send()
        .await
        .unwrap();
    assert_eq!(ack.status(), 200);

    assert_problem(
        sign(&app, &qa, &mbr, body.clone()).await,
        403,
        "identity_not_verified",
    )
    .await;
    let admin = app.login("chen.jie").await;
    let verified = admin
        .post(app.url(&format!(
            "/api/v1/users/{}/identity-verification",
            newcomer.person.id
        )))
        .json(&json!({ "method": "passport checked in person" }))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    assert_eq!(app.record_signatures(), 0);
    assert_eq!(sign(&app, &qa, &mbr, body).await.status(), 201);
}

#[tokio::test]
async fn only_approved_is_a_meaning_for_an_mbr_and_a_non_draft_cannot_be_approved_again() {
    let s = scene().await;
    let qa = s.app.login("wang.fang").await;
    let wrong = sign(
        &s.app,
        &qa,
        &s.mbr,
        json!({ "meaning": "released", "username": "wang.fang", "password": PASSWORD }),
    )
    .await;
    assert_problem(wrong, 422, "meaning_not_allowed").await;
    assert_eq!(
        sign(
            &s.app,
            &qa,
            &s.mbr,
            json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD })
        )
        .await
        .status(),
        201
    );
    let twice = sign(
        &s.app,
        &qa,
        &s.mbr,
        json!({ "meaning": "approved", "password": PASSWORD }),
    )
    .await;
    let body = assert_problem(twice, 409, "illegal_mbr_transition").await;
    assert!(body["detail"].as_str().unwrap().contains("effective"));
    assert_eq!(s.app.record_signatures(), 1);
}

/// R13/R1: the verification function reports a signature whose signed record
/// was changed by hand in the database, and a signature whose own row was.
#[tokio::test]
async fn r13_changed_record_or_signature_row_is_reported_by_verification() {
    let s = scene().await;
    let qa = s.app.login("wang.fang").await;
    assert_eq!(
        sign(
            &s.app,
            &qa,
            &s.mbr,
            json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD })
        )
        .await
        .status(),
        201
    );
    let mut conn = s.app.db().connection();
    assert!(ebr_db::repo::integrity::verify_signatures(&mut conn)
        .unwrap()
        .is_empty());

    // Out-of-band edit of the signed MBR (content and its hash, consistently).
    s.app
        .db()
        .execute("ALTER TABLE mbr_versions DISABLE TRIGGER mbr_versions_no_update");
    s.app.db().execute("UPDATE mbr_versions SET title = title || ' (edited)', content = replace(content, '\"min\":\"70\"', '\"min\":\"60\"')");
    let problems = ebr_db::repo::integrity::verify_signatures(&mut conn).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].problem.contains("changed after signing"));
    assert_eq!(problems[0].record_id, s.mbr);

    // Out-of-band edit of the signature's meaning.
    s.app
        .db()
        .execute("ALTER TABLE signatures DISABLE TRIGGER signatures_no_update");
    s.app
        .db()
        .execute("UPDATE signatures SET meaning = 'reviewed'");
    let problems = ebr_db::repo::integrity::verify_signatures(&mut conn).unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.problem.contains("signature row was altered")),
        "{problems:?}"
    );
}
