//! The second factor at signing (TOTP, RFC 6238): enrolment with the
//! password and a current code, signatures refused without a code, with a
//! wrong or a replayed one, accepted with a current one and stated in the
//! record; failed codes count toward the lockout; a lost factor is reset
//! by two administrators and the person's sessions end (R16, R18).

use chrono::Duration;
use ebr_domain::identity::Role;
use ebr_domain::second_factor::{code_at, SecondFactorSetting};
use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::batch_helpers::{good_values, reference, Floor};
use crate::helpers::{assert_problem, with_second_factor, TestApp, PASSWORD};

/// Enrols `client`'s person through the API; returns the secret and the
/// recovery codes.
async fn enrol(app: &TestApp, client: &reqwest::Client) -> (String, Vec<String>) {
    let offer: Value = client
        .get(app.url("/api/v1/session/second-factor/offer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = offer["secret_base32"].as_str().unwrap().to_string();
    assert!(offer["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/ebr:"));
    assert!(offer["qr_svg"].as_str().unwrap().contains("<svg"));
    let wrong = client
        .post(app.url("/api/v1/session/second-factor"))
        .json(&json!({ "secret_base32": secret, "code": "000000", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "second_factor_invalid").await;
    let code = code_at(&secret, app.clock.now()).unwrap();
    let r = client
        .post(app.url("/api/v1/session/second-factor"))
        .json(&json!({ "secret_base32": secret, "code": code, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret, codes)
}

async fn approve(
    app: &TestApp,
    qa: &reqwest::Client,
    mbr: &str,
    otp: Option<&str>,
) -> reqwest::Response {
    qa.post(app.url(&format!("/api/v1/mbrs/{mbr}/signatures")))
        .json(&json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD, "otp": otp }))
        .send()
        .await
        .unwrap()
}

/// R16: with `signing` set, a signature needs the password and a current
/// code of the enrolled authenticator: refused before enrolment, without a
/// code, with a wrong code (a failed check, counted toward the lockout) and
/// with a code already used; accepted with a current code, and its
/// manifestation says two factors were used. Enrolling ends the person's
/// other sessions.
#[tokio::test]
async fn r16_a_signature_needs_a_current_unused_authenticator_code() {
    with_second_factor(SecondFactorSetting::Signing);
    let mut app = TestApp::spawn();
    app.person("sam.okafor", &[Role::MbrAuthor]);
    app.person("wang.fang", &[Role::QaReviewer]);
    let author = app.login("sam.okafor").await;
    let mbr = app.import_reference(&author).await;
    let qa = app.login("wang.fang").await;
    let other = app.login("wang.fang").await;
    assert_problem(
        approve(&app, &qa, &mbr, None).await,
        403,
        "second_factor_not_enrolled",
    )
    .await;

    let (secret, recovery) = enrol(&app, &qa).await;
    assert_eq!(recovery.len(), 10);
    assert_eq!(
        app.session_status(&other).await,
        401,
        "the other session ended"
    );
    assert_eq!(
        app.session_status(&qa).await,
        200,
        "the enrolling session stays"
    );
    let me: Value = qa
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["signing"]["second_factor"], "signing");
    assert_eq!(me["signing"]["second_factor_enrolled"], true);

    app.clock.advance(Duration::seconds(30));
    assert_problem(
        approve(&app, &qa, &mbr, None).await,
        401,
        "second_factor_required",
    )
    .await;
    assert_problem(
        approve(&app, &qa, &mbr, Some("123456")).await,
        401,
        "second_factor_invalid",
    )
    .await;
    // The wrong code at enrolment and this one.
    assert_eq!(app.audit_actions("security.second_factor_failed").len(), 2);
    assert_eq!(app.record_signatures(), 0);

    let code = code_at(&secret, app.clock.now()).unwrap();
    let signed = approve(&app, &qa, &mbr, Some(&code)).await;
    assert_eq!(signed.status(), 201, "{}", signed.text().await.unwrap());
    let manifest: Value = signed.json().await.unwrap();
    assert_eq!(
        manifest["signature"]["factors"], "password+totp",
        "{manifest}"
    );

    let v2 = ebr_testdb::fixtures::REFERENCE_MBR.replacen("title = \"", "title = \"[v2] ", 1);
    let draft: Value = author
        .post(app.url("/api/v1/mbrs"))
        .header("content-type", "application/toml")
        .body(v2)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v2_id = draft["id"].as_str().unwrap();
    assert_problem(
        approve(&app, &qa, v2_id, Some(&code)).await,
        401,
        "second_factor_reused",
    )
    .await;
    let by_recovery = approve(&app, &qa, v2_id, Some(&recovery[0].to_uppercase())).await;
    assert_eq!(
        by_recovery.status(),
        201,
        "a recovery code stands in for the app once"
    );
    assert_eq!(app.record_signatures(), 2);
}

/// R18: wrong authenticator codes count toward the lockout like wrong
/// passwords: the fifth locks the account.
#[tokio::test]
async fn r18_wrong_codes_lock_the_account() {
    with_second_factor(SecondFactorSetting::Signing);
    let mut app = TestApp::spawn();
    app.person("sam.okafor", &[Role::MbrAuthor]);
    app.person("wang.fang", &[Role::QaReviewer]);
    let author = app.login("sam.okafor").await;
    let mbr = app.import_reference(&author).await;
    let qa = app.login("wang.fang").await;
    enrol(&app, &qa).await;
    app.clock.advance(Duration::seconds(30));
    for _ in 0..4 {
        assert_problem(
            approve(&app, &qa, &mbr, Some("999999")).await,
            401,
            "second_factor_invalid",
        )
        .await;
    }
    assert_problem(
        approve(&app, &qa, &mbr, Some("999999")).await,
        401,
        "account_locked",
    )
    .await;
    assert_eq!(app.audit_actions("security.account_locked").len(), 1);
}

/// R16, R12: a step signed with two factors says so in the batch record,
/// in its JSON manifestation and in the PDF.
#[tokio::test]
async fn r16_the_record_states_that_two_factors_were_used() {
    with_second_factor(SecondFactorSetting::Signing);
    let floor = Floor::new().await;
    let batch = floor.issue("BR-2FA-0001").await;
    let first = &reference().stages[0].steps[0];
    let r = floor.record(&batch, &first.key, good_values(first)).await;
    assert_eq!(r.status(), 201);
    let r = floor
        .sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            &first.key,
            "performed",
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let json = floor.record_json(&batch).await;
    assert!(json.contains("\"factors\":\"password+totp\""), "{json}");
    let pdf = floor.record_pdf(&batch).await;
    let text = crate::pdf::pdftotext(&pdf, &["-raw"]).replace('\n', " ");
    assert!(
        text.contains("two factors: password and authenticator code"),
        "{text}"
    );
}

/// R18: a lost factor is reset by two administrators (the one who asked
/// cannot confirm); the reset ends every session of the person and is
/// audited; the person then enrols again.
#[tokio::test]
async fn r18_a_factor_reset_needs_a_second_admin_and_ends_the_sessions() {
    with_second_factor(SecondFactorSetting::Signing);
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    app.person("priya.nair", &[Role::Admin]);
    let qa_person = app.person("wang.fang", &[Role::QaReviewer]);
    let qa = app.login("wang.fang").await;
    enrol(&app, &qa).await;
    let first = app.login("chen.jie").await;
    let second = app.login("priya.nair").await;
    let id = qa_person.person.id;
    let asked: Value = first
        .post(app.url(&format!("/api/v1/users/{id}/second-factor/reset-requests")))
        .json(&json!({ "reason": "phone lost; identity checked in person" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = asked["request_id"].as_str().unwrap();
    let own = first
        .post(app.url(&format!("/api/v1/users/{id}/second-factor/resets")))
        .json(&json!({ "request_id": request }))
        .send()
        .await
        .unwrap();
    assert_problem(own, 403, "factor_reset_needs_second_admin").await;
    assert_eq!(app.session_status(&qa).await, 200);
    let confirmed = second
        .post(app.url(&format!("/api/v1/users/{id}/second-factor/resets")))
        .json(&json!({ "request_id": request }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    assert_eq!(
        app.session_status(&qa).await,
        401,
        "the person's sessions ended"
    );
    assert_eq!(app.audit_actions("second_factor.reset").len(), 1);
    assert_eq!(app.audit_actions("account.sessions_revoked").len(), 2);
    let again = app.login("wang.fang").await;
    let me: Value = again
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["signing"]["second_factor_enrolled"], false);
    enrol(&app, &again).await;
}

/// R16: with `signing_and_login`, an enrolled person logs in with the
/// password and a current code; the password alone is refused.
#[tokio::test]
async fn r16_signing_and_login_asks_enrolled_people_for_a_code_at_login() {
    with_second_factor(SecondFactorSetting::SigningAndLogin);
    let mut app = TestApp::spawn();
    app.person("wang.fang", &[Role::QaReviewer]);
    let qa = app.login("wang.fang").await;
    let (secret, _) = enrol(&app, &qa).await;
    app.clock.advance(Duration::seconds(30));
    let login = |otp: Option<String>| {
        app.client
            .post(app.url("/api/v1/session"))
            .json(&json!({ "username": "wang.fang", "password": PASSWORD, "otp": otp }))
            .send()
    };
    assert_problem(login(None).await.unwrap(), 401, "second_factor_required").await;
    assert_problem(
        login(Some("000000".into())).await.unwrap(),
        401,
        "second_factor_invalid",
    )
    .await;
    let code = code_at(&secret, app.clock.now()).unwrap();
    assert_eq!(login(Some(code.clone())).await.unwrap().status(), 201);
    assert_problem(
        login(Some(code)).await.unwrap(),
        401,
        "second_factor_reused",
    )
    .await;
}
