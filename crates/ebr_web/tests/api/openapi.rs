use crate::helpers::TestApp;

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let app = TestApp::spawn_without_database();
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/healthz", "/readyz"] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"].get("Problem").is_some());
}

/// The interactive docs work with no internet: the page and every asset it
/// references are served by ebr itself.
#[tokio::test]
async fn api_docs_are_served_locally_with_every_asset() {
    let app = TestApp::spawn_without_database();
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        .collect();
    assert!(assets.len() >= 3, "{html}");
    for asset in assets {
        assert!(!asset.starts_with("http"), "external asset {asset}");
        let path = format!("/api/docs/{}", asset.trim_start_matches("./"));
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
    }
    let init = app
        .get("/api/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/v1/openapi.json"), "{init}");
}
