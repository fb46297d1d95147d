use ebr_testdb::TestDatabase;

use crate::helpers::{assert_problem, TestApp};

#[tokio::test]
async fn healthz_answers_without_touching_the_database() {
    let app = TestApp::spawn_without_database();
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ready_on_a_migrated_database() {
    let app = TestApp::spawn();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_503_problem_when_the_database_is_unreachable() {
    let app = TestApp::spawn_without_database();
    assert_problem(app.get("/readyz").await, 503, "service_unavailable").await;
}

#[tokio::test]
async fn readyz_is_503_problem_naming_pending_migrations() {
    let app = TestApp::spawn_on(TestDatabase::empty());
    let body = assert_problem(app.get("/readyz").await, 503, "service_unavailable").await;
    assert!(
        body["detail"].as_str().unwrap().contains("ebr migrate"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_routes_answer_problem_json_404() {
    let app = TestApp::spawn_without_database();
    let body = assert_problem(app.get("/api/v1/no-such-thing").await, 404, "not_found").await;
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("/api/v1/no-such-thing"));
}

/// `/metrics` counts requests per route pattern, with latency histograms.
#[tokio::test]
async fn metrics_count_requests_by_route_in_prometheus_format() {
    let app = TestApp::spawn_without_database();
    for _ in 0..2 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    app.get("/api/v1/no-such-thing").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            "ebr_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "ebr_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE ebr_http_request_duration_seconds histogram"));
    assert!(text
        .contains("ebr_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"));
    assert!(text.contains("ebr_signature_failures_total 0"));
    assert!(text.contains("ebr_account_lockouts_total 0"));
}
