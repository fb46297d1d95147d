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

/// The official OpenAPI 3.1 schema (2022-10-07), vendored: OAI's
/// `schemas/v3.1/schema.json` as shipped in openapi-spec-validator 0.9.0
/// (PyPI), Apache-2.0 (see `openapi-3.1-schema.NOTICE`).
const OPENAPI_31_SCHEMA: &str = include_str!("openapi-3.1-schema.json");

/// The served document is valid OpenAPI 3.1: it validates against the
/// official schema (every response has its required `description`), every
/// operation id is unique, and every route that needs a session lists the
/// refusals it shares with the others (401, 403 for roles, 503).
#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1() {
    let app = TestApp::spawn_without_database();
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let schema: serde_json::Value = serde_json::from_str(OPENAPI_31_SCHEMA).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{} problems: {errors:#?}", errors.len());
    let mut ids = std::collections::BTreeSet::new();
    let mut responses = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "operationId {id} repeats");
            for (status, response) in op["responses"].as_object().unwrap() {
                responses += 1;
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
            if path.starts_with("/api/v1/batches") {
                for status in ["401", "403", "503"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
    assert!(responses > 97, "{responses} responses");
    // The check can fail: the same document without a description is refused.
    let mut broken = doc.clone();
    let first_path = broken["paths"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let op = broken["paths"][&first_path]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    let response = op["responses"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    response.as_object_mut().unwrap().remove("description");
    assert!(!validator.is_valid(&broken));
}
