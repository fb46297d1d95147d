//! R4, R7: every registered route has an authorization rule, and the rule is
//! what the running server enforces, for every role and without a session.

use ebr_domain::identity::Role;
use ebr_web::auth::rules::{is_page, rule_for, Access, RULES};
use ebr_web::routes::{registered, ApiDoc};
use serde_json::Value;
use utoipa::OpenApi;

use crate::helpers::TestApp;

/// Every registered route has a rule, every rule a route, and every route is
/// in the OpenAPI document.
#[test]
fn r4_every_registered_route_has_a_rule_and_is_documented() {
    let routes = registered();
    let missing: Vec<String> = routes
        .iter()
        .filter(|(m, p)| rule_for(m, p).is_none())
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an authorization rule in auth::rules::RULES: {missing:?}"
    );
    for rule in RULES {
        assert!(
            routes
                .iter()
                .any(|(m, p)| m.as_str() == rule.method && *p == rule.path),
            "stale rule for an unregistered route: {} {}",
            rule.method,
            rule.path
        );
    }
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    for (method, path) in routes.iter().filter(|(_, p)| !is_page(p)) {
        let documented = doc["paths"][*path][method.as_str().to_lowercase()].is_object();
        assert!(
            documented,
            "{method} {path} is missing from the OpenAPI document"
        );
    }
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or("")
}

/// R4, R7: the table walked against the real server: no session → 401 on
/// every non-public API route and a redirect to the login on every page; a
/// role outside the rule → 403 `role_forbidden` (and the denial is
/// audited); a role inside it gets past authorization.
#[tokio::test]
async fn r7_route_by_role_table_is_enforced_for_every_route_and_role() {
    let mut app = TestApp::spawn();
    let people: Vec<(Role, String)> = Role::ALL
        .iter()
        .map(|role| {
            let username = format!("pat.{}", role.as_str().replace('_', "-"));
            app.person(&username, &[*role]);
            (*role, username)
        })
        .collect();
    let some_id = uuid::Uuid::new_v4().to_string();
    let mut denials = 0;
    for (method, pattern) in registered() {
        let rule = rule_for(&method, pattern).unwrap();
        let path = pattern
            .replace("{id}", &some_id)
            .replace("{entry}", &some_id)
            .replace("{step}", "s0-issue-record")
            .replace("{serial}", "NO-SUCH-VIAL")
            .replace("{code}", "NO-SUCH-BOX")
            .replace("{number}", "1");
        let send = |client: reqwest::Client| {
            let request = client.request(
                reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
                app.url(&path),
            );
            let request = if method == actix_web::http::Method::GET {
                request
            } else {
                request.json(&serde_json::json!({}))
            };
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let text = response.text().await.unwrap_or_default();
                // Pages answer HTML that names the rule in `data-code`.
                let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| {
                    let code = text
                        .split("data-code=\"")
                        .nth(1)
                        .and_then(|rest| rest.split('"').next())
                        .unwrap_or("");
                    serde_json::json!({ "code": code, "location": location })
                });
                (status, body)
            }
        };
        let anonymous = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let (status, body) = send(anonymous).await;
        match rule.access {
            Access::Public => assert!(
                status != 401 && status != 403,
                "{method} {pattern} public but {status} {body}"
            ),
            _ if is_page(pattern) => assert_eq!(
                (status, body["location"].as_str().unwrap_or("")),
                (303, format!("/login?next={path}").as_str()),
                "{method} {pattern} without a session goes to the login"
            ),
            _ => assert_eq!(
                (status, code(&body)),
                (401, "authentication_required"),
                "{method} {pattern} without a session"
            ),
        }
        for (role, username) in &people {
            let (status, body) = send(app.login(username).await).await;
            let allowed = match rule.access {
                Access::Public | Access::Session => true,
                Access::Roles(roles) => roles.contains(role),
            };
            if allowed {
                assert!(
                    status < 500 && code(&body) != "role_forbidden" && status != 401,
                    "{method} {pattern} as {role}: expected past authorization, got {status} {body}"
                );
            } else {
                assert_eq!(
                    (status, code(&body)),
                    (403, "role_forbidden"),
                    "{method} {pattern} as {role}"
                );
                denials += 1;
            }
        }
    }
    assert!(denials > 0);
    assert_eq!(
        app.audit_actions("access.denied").len(),
        denials,
        "every denial is audited"
    );
}

#[tokio::test]
async fn a_method_a_route_does_not_have_is_a_405_problem() {
    let app = TestApp::spawn();
    let response = app
        .client
        .put(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(response, 405, "method_not_allowed").await;
}
