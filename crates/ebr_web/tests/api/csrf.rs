//! Cross-site request forgery: a state-changing request that a browser marks
//! as coming from another site is refused, and a browser request with the
//! session cookie must carry the page's token. Nothing is stored by a
//! refused request.

use ebr_domain::identity::Role;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp, PASSWORD};

/// A login posted by another web site is refused before it is looked at.
#[tokio::test]
async fn a_login_from_another_site_is_refused_and_opens_no_session() {
    let mut app = TestApp::spawn();
    app.person("zhang.wei", &[Role::Operator]);
    let sessions = app.count("sessions");
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .header("origin", "https://evil.example")
        .json(&json!({ "username": "zhang.wei", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "csrf_origin_mismatch").await;
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "username": "zhang.wei", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "csrf_origin_mismatch").await;
    assert_eq!(app.count("sessions"), sessions, "no session was opened");
}

/// A browser request with the session cookie needs the page's token; the
/// same request from this site with the token passes; a program that is not
/// a browser (no Origin, no Sec-Fetch-Site) is not asked for it.
#[tokio::test]
async fn a_browser_change_needs_the_pages_token() {
    let mut app = TestApp::spawn();
    app.person("zhang.wei", &[Role::Operator]);
    let client = app.login("zhang.wei").await;
    let origin = app.address.clone();
    let choose = |token: Option<String>| {
        let mut request = client
            .post(app.url("/api/v1/session/language"))
            .header("origin", origin.clone())
            .header("sec-fetch-site", "same-origin")
            .json(&json!({ "language": "zh" }));
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        request.send()
    };
    assert_problem(choose(None).await.unwrap(), 403, "csrf_token_invalid").await;
    assert_problem(
        choose(Some("0".repeat(64))).await.unwrap(),
        403,
        "csrf_token_invalid",
    )
    .await;
    assert_eq!(app.count("language_preferences"), 0, "nothing stored");
    // The page hands its script the token in a meta element.
    let page = client
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 64);
    assert_eq!(choose(Some(token)).await.unwrap().status(), 204);
    assert_eq!(app.count("language_preferences"), 1);
    let plain = client
        .post(app.url("/api/v1/session/language"))
        .json(&json!({ "language": "en" }))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 204, "a program without browser headers");
}
