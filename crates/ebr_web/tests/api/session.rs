//! Login sessions, passwords and lockout (R4, R17, R18, R19).

use chrono::Duration;
use ebr_domain::identity::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp, PASSWORD};

async fn login_with(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_and_logout_ends_the_session() {
    let mut app = TestApp::spawn();
    app.person("zhang.wei", &[Role::Operator]);
    let response = login_with(&app, "Zhang.Wei", PASSWORD).await;
    assert_eq!(response.status(), 201);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("ebr_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["person"]["username"], "zhang.wei");
    assert_eq!(
        body["signing"]["next_signature_needs"],
        "username_and_password"
    );

    let client = app.login("zhang.wei").await;
    assert_eq!(
        client
            .get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .delete(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let after = client.get(app.url("/api/v1/session")).send().await.unwrap();
    assert_eq!(after.status(), 401);
}

/// R4: anonymous requests are refused; a deactivated person cannot log in and
/// loses their open sessions.
#[tokio::test]
async fn r4_anonymous_and_deactivated_users_get_401() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    let operator = app.person("zhang.wei", &[Role::Operator]);
    assert_problem(
        app.get("/api/v1/mbrs").await,
        401,
        "authentication_required",
    )
    .await;
    let open = app.login("zhang.wei").await;
    let admin = app.login("chen.jie").await;
    let response = admin
        .post(app.url(&format!("/api/v1/users/{}/deactivate", operator.person.id)))
        .json(&json!({ "reason": "left the company" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_problem(
        login_with(&app, "zhang.wei", PASSWORD).await,
        401,
        "account_deactivated",
    )
    .await;
    assert_eq!(
        open.get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// R18: five consecutive failures lock the account and write a security
/// event; the right password is then refused until an admin unlocks. The
/// locked username answers exactly like an unknown one (status, code and
/// detail), so nobody learns which usernames exist; the person is told at
/// their next login instead.
#[tokio::test]
async fn r18_five_failures_lock_the_account_and_answer_like_an_unknown_username() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    let operator = app.person("zhang.wei", &[Role::Operator]);
    for _ in 0..4 {
        assert_problem(
            login_with(&app, "zhang.wei", "wrong password!!").await,
            401,
            "credentials_invalid",
        )
        .await;
    }
    assert!(app.audit_actions("security.account_locked").is_empty());
    let locking = assert_problem(
        login_with(&app, "zhang.wei", "wrong password!!").await,
        401,
        "credentials_invalid",
    )
    .await;
    let locked = app.audit_actions("security.account_locked");
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0]["entity_id"], operator.person.id.to_string());
    assert_eq!(app.audit_actions("security.login_failed").len(), 5);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("ebr_account_lockouts_total 1"),
        "{metrics}"
    );
    let locked_answer = assert_problem(
        login_with(&app, "zhang.wei", PASSWORD).await,
        401,
        "credentials_invalid",
    )
    .await;
    let unknown_answer = assert_problem(
        login_with(&app, "nobody.here", PASSWORD).await,
        401,
        "credentials_invalid",
    )
    .await;
    assert_eq!(locked_answer, unknown_answer);
    assert_eq!(locking, unknown_answer);

    let admin = app.login("chen.jie").await;
    let unlock = admin
        .post(app.url(&format!("/api/v1/users/{}/unlock", operator.person.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(unlock.status(), 200);
    let back = login_with(&app, "zhang.wei", PASSWORD).await;
    assert_eq!(back.status(), 201);
    let view: Value = back.json().await.unwrap();
    let notice = view["security_notice"].as_str().unwrap();
    assert!(notice.contains("locked"), "{notice}");
    let again: Value = login_with(&app, "zhang.wei", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert!(again.get("security_notice").is_none(), "{again}");
}

/// R18: changing your own password ends every other session of yours (a
/// stolen session would otherwise keep full access); the session that made
/// the change stays open; the revocation is an audited account event.
#[tokio::test]
async fn r18_a_password_change_ends_the_other_sessions() {
    let mut app = TestApp::spawn();
    app.person("zhang.wei", &[Role::Operator]);
    let tablet = app.login("zhang.wei").await;
    let stolen = app.login("zhang.wei").await;
    let changed = tablet
        .post(app.url("/api/v1/session/password"))
        .json(&json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(app.session_status(&stolen).await, 401);
    assert_eq!(app.session_status(&tablet).await, 200);
    let revoked = app.audit_actions("account.sessions_revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["reason"], "password changed");
}

/// R18: an administrator's password reset ends every session of the person.
#[tokio::test]
async fn r18_a_password_reset_ends_every_session() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    let operator = app.person("zhang.wei", &[Role::Operator]);
    let a = app.login("zhang.wei").await;
    let b = app.login("zhang.wei").await;
    let admin = app.login("chen.jie").await;
    let reset = admin
        .post(app.url(&format!("/api/v1/users/{}/password", operator.person.id)))
        .json(&json!({ "temporary_password": "temporary passphrase 1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(app.session_status(&a).await, 401);
    assert_eq!(app.session_status(&b).await, 401);
    assert_eq!(app.session_status(&admin).await, 200);
    let revoked = app.audit_actions("account.sessions_revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["reason"], "password reset by an administrator");
}

/// Unknown usernames get the same answer as a wrong password, and the attempt is recorded.
#[tokio::test]
async fn unknown_usernames_answer_like_wrong_passwords() {
    let mut app = TestApp::spawn();
    app.person("zhang.wei", &[Role::Operator]);
    let unknown = assert_problem(
        login_with(&app, "nobody.here", PASSWORD).await,
        401,
        "credentials_invalid",
    )
    .await;
    let wrong = assert_problem(
        login_with(&app, "zhang.wei", "not the password").await,
        401,
        "credentials_invalid",
    )
    .await;
    assert_eq!(unknown["detail"], wrong["detail"]);
    assert_eq!(app.count("auth_attempts"), 2);
}

/// R17: a password set by an admin is temporary: the person must change it
/// before doing anything else, and the new password must follow the policy.
#[tokio::test]
async fn r17_admin_set_password_is_temporary_and_must_be_changed() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    let admin = app.login("chen.jie").await;
    let created = admin
        .post(app.url("/api/v1/users"))
        .json(&json!({ "username": "li.na", "full_name": "李娜", "roles": ["qc_analyst"], "temporary_password": "temporary-pass-123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["password_temporary"], true);

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "username": "li.na", "password": "temporary-pass-123" }))
        .send()
        .await
        .unwrap();
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["must_change_password"], true);
    assert_problem(
        client.get(app.url("/api/v1/mbrs")).send().await.unwrap(),
        403,
        "password_change_required",
    )
    .await;

    let change = |current: &'static str, new: &'static str| {
        client
            .post(app.url("/api/v1/session/password"))
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
    };
    assert_problem(
        change("temporary-pass-123", "short").await.unwrap(),
        422,
        "password_too_short",
    )
    .await;
    assert_problem(
        change("temporary-pass-123", "my-li.na-password")
            .await
            .unwrap(),
        422,
        "password_contains_username",
    )
    .await;
    assert_problem(
        change("wrong-current-pass", "a much better password")
            .await
            .unwrap(),
        401,
        "password_incorrect",
    )
    .await;
    let ok = change("temporary-pass-123", "a much better password")
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        client
            .get(app.url("/api/v1/mbrs"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// R18: an expired password forces a change.
#[tokio::test]
async fn r18_expired_password_forces_a_change() {
    let mut app = TestApp::spawn();
    app.person("zhang.wei", &[Role::Operator]);
    app.clock.advance(Duration::days(91));
    let client = app.login("zhang.wei").await;
    let me: Value = client
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["must_change_password"], true);
    assert_problem(
        client.get(app.url("/api/v1/mbrs")).send().await.unwrap(),
        403,
        "password_change_required",
    )
    .await;
}

/// Idle timeout (15 min) and absolute lifetime (12 h) end sessions.
#[tokio::test]
async fn sessions_end_after_idle_timeout_and_absolute_lifetime() {
    let mut app = TestApp::spawn();
    app.person("zhang.wei", &[Role::Operator]);
    let client = app.login("zhang.wei").await;
    app.clock.advance(Duration::minutes(14));
    assert_eq!(
        client
            .get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.clock.advance(Duration::minutes(16));
    assert_problem(
        client.get(app.url("/api/v1/session")).send().await.unwrap(),
        401,
        "session_expired",
    )
    .await;

    // Active every 14 minutes: the idle timeout never hits, the 12 h lifetime does.
    let client = app.login("zhang.wei").await;
    let mut minutes = 0;
    let expired = loop {
        app.clock.advance(Duration::minutes(14));
        minutes += 14;
        let response = client.get(app.url("/api/v1/session")).send().await.unwrap();
        if response.status() == 401 {
            break response;
        }
        assert!(minutes < 12 * 60, "still open after {minutes} minutes");
    };
    assert!(minutes >= 12 * 60);
    let body = assert_problem(expired, 401, "session_expired").await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("maximum lifetime"));
}

/// R18: an admin can revoke every session of a person.
#[tokio::test]
async fn r18_admin_revokes_all_sessions() {
    let mut app = TestApp::spawn();
    app.person("chen.jie", &[Role::Admin]);
    let operator = app.person("zhang.wei", &[Role::Operator]);
    let a = app.login("zhang.wei").await;
    let b = app.login("zhang.wei").await;
    let admin = app.login("chen.jie").await;
    let revoked: Value = admin
        .delete(app.url(&format!("/api/v1/users/{}/sessions", operator.person.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["revoked"], 2);
    assert_eq!(
        a.get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        b.get(app.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
