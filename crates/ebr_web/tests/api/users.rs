//! People and roles (R14, R15, R25, R30, R31).

use ebr_domain::identity::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

async fn create(
    client: &reqwest::Client,
    app: &TestApp,
    username: &str,
    roles: &[&str],
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/users"))
        .json(&json!({ "username": username, "full_name": "Some Person", "roles": roles, "temporary_password": "temporary-pass-123" }))
        .send()
        .await
        .unwrap()
}

/// R31: an administrator holds no GMP role, at creation or by a later grant;
/// the refusal stores nothing but the attempt.
#[tokio::test]
async fn r31_admin_given_a_gmp_role_is_refused() {
    let mut app = TestApp::spawn();
    let admin_person = app.person("chen.jie", &[Role::Admin]);
    let admin = app.login("chen.jie").await;
    let before = app.count("people");
    assert_problem(
        create(&admin, &app, "new.admin", &["admin", "operator"]).await,
        422,
        "admin_cannot_hold_gmp_role",
    )
    .await;
    assert_eq!(app.count("people"), before);
    let grant = admin
        .post(app.url(&format!("/api/v1/users/{}/roles", admin_person.person.id)))
        .json(&json!({ "grant": ["qa_reviewer"] }))
        .send()
        .await
        .unwrap();
    assert_problem(grant, 422, "admin_cannot_hold_gmp_role").await;
    assert_eq!(
        app.count("role_changes"),
        1,
        "only the original admin grant"
    );
    assert_eq!(app.audit_actions("person.create.refused").len(), 1);
    assert_eq!(app.audit_actions("role.change.refused").len(), 1);
}

/// R14: a username is never reused, even after its account was deactivated.
#[tokio::test]
async fn r14_deactivated_then_recreated_username_is_refused() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    let admin = app.login("chen.jie").await;
    let first: Value = create(&admin, &app, "maria.garcia", &["operator"])
        .await
        .json()
        .await
        .unwrap();
    let deactivate = admin
        .post(app.url(&format!(
            "/api/v1/users/{}/deactivate",
            first["id"].as_str().unwrap()
        )))
        .json(&json!({ "reason": "left" }))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivate.status(), 200);
    let again = create(&admin, &app, "maria.garcia", &["operator"]).await;
    let body = assert_problem(again, 409, "username_taken").await;
    assert!(body["detail"].as_str().unwrap().contains("never reissued"));
    // Deactivated, never deleted (R4).
    let everyone: Value = admin
        .get(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let maria = everyone
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["username"] == "maria.garcia")
        .unwrap();
    assert_eq!(maria["active"], false);
}

/// R30: shared or generic accounts cannot be created.
#[tokio::test]
async fn r30_generic_account_is_refused() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    let admin = app.login("chen.jie").await;
    assert_problem(
        create(&admin, &app, "cleanroom-1", &["operator"]).await,
        422,
        "generic_account_forbidden",
    )
    .await;
    assert_problem(
        create(&admin, &app, "qc", &["qc_analyst"]).await,
        422,
        "generic_account_forbidden",
    )
    .await;
}

/// R25: every grant and revocation is audited naming the granting admin.
#[tokio::test]
async fn r25_role_grant_and_revocation_are_audited_with_the_admin() {
    let mut app = TestApp::spawn();
    let admin_person = app.person("chen.jie", &[Role::Admin]);
    let operator = app.person("zhang.wei", &[Role::Operator]);
    let admin = app.login("chen.jie").await;
    let response = admin
        .post(app.url(&format!("/api/v1/users/{}/roles", operator.person.id)))
        .json(&json!({ "grant": ["qc_analyst"], "revoke": ["operator"] }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["roles"], json!(["qc_analyst"]));
    let admin_actor = format!("person:{}", admin_person.person.id);
    let granted: Vec<Value> = app
        .audit_actions("role.granted")
        .into_iter()
        .filter(|e| {
            e["new_value"]
                .as_str()
                .is_some_and(|v| v.contains(&operator.person.id.to_string()))
                && e["actor"] == admin_actor
        })
        .collect();
    assert_eq!(granted.len(), 1);
    assert!(granted[0]["new_value"]
        .as_str()
        .unwrap()
        .contains("qc_analyst"));
    let revoked: Vec<Value> = app
        .audit_actions("role.revoked")
        .into_iter()
        .filter(|e| e["actor"] == admin_actor)
        .collect();
    assert_eq!(revoked.len(), 1);
}

/// R15: identity is verified by a second administrator: not the person, not
/// the admin who created the account.
#[tokio::test]
async fn r15_identity_is_verified_by_a_second_admin() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    app.person("priya.nair", &[Role::Admin]);
    let creator = app.login("chen.jie").await;
    let created: Value = create(&creator, &app, "tom.becker", &["qc_analyst"])
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let verify = |client: reqwest::Client| {
        let url = app.url(&format!("/api/v1/users/{id}/identity-verification"));
        async move {
            client
                .post(url)
                .json(&json!({ "method": "passport checked in person" }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_problem(
        verify(creator.clone()).await,
        403,
        "identity_verifier_not_independent",
    )
    .await;
    let second = app.login("priya.nair").await;
    let ok: Value = verify(second).await.json().await.unwrap();
    assert_eq!(ok["identity_verified"], true);
}
