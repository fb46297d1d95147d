//! Records are kept and reviewed as recorded, through the API: nothing can
//! be deleted (R3), and the review-by-exception list carries each
//! exception's severity as the domain decides it (R46).

use ebr_domain::exception::ExceptionKind;
use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn demo_app() -> TestApp {
    let db = ebr_testdb::TestDatabase::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ebr"))
        .arg("demo")
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    TestApp::spawn_on(db)
}

async fn login(app: &TestApp, username: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "username": username, "password": "ebr-demo-2026!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    client
}

async fn batch_id(app: &TestApp, who: &reqwest::Client, number: &str) -> String {
    let batches: Vec<Value> = who
        .get(app.url("/api/v1/batches"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    batches
        .iter()
        .find(|b| b["batch_number"] == number)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// R3: no route deletes a record: DELETE on the released batch, its record,
/// its MBR, its QC results, its vials and its shipment is refused (404 or
/// 405, never a 2xx or a 5xx), and the record downloaded afterwards has the
/// same SHA-256 as before.
#[tokio::test]
async fn r3_no_record_can_be_deleted_through_the_api() {
    let app = demo_app().await;
    let qa = login(&app, "wang.fang").await;
    let batch = batch_id(&app, &qa, "BR-2026-0001").await;
    let record_sha = |r: &reqwest::Response| {
        r.headers()["x-ebr-record-sha256"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let before = qa
        .get(app.url(&format!("/api/v1/batches/{batch}/record.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), 200);
    let before = record_sha(&before);
    let mbrs: Vec<Value> = qa
        .get(app.url("/api/v1/mbrs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mbr = mbrs[0]["id"].as_str().unwrap().to_string();
    let shipments: Vec<Value> = qa
        .get(app.url("/api/v1/shipments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shipment = shipments[0]["shipment"]["id"].as_str().unwrap().to_string();
    for path in [
        format!("/api/v1/batches/{batch}"),
        format!("/api/v1/batches/{batch}/record.json"),
        format!("/api/v1/batches/{batch}/record.pdf"),
        format!("/api/v1/batches/{batch}/qc-results"),
        format!("/api/v1/batches/{batch}/audit-trail"),
        format!("/api/v1/batches/{batch}/labels"),
        format!("/api/v1/mbrs/{mbr}"),
        format!("/api/v1/shipments/{shipment}"),
        "/api/v1/vials/BR-2026-0001-V003/chain".to_string(),
    ] {
        let r = qa.delete(app.url(&path)).send().await.unwrap();
        let status = r.status().as_u16();
        assert!(status == 404 || status == 405, "DELETE {path}: {status}");
    }
    let after = qa
        .get(app.url(&format!("/api/v1/batches/{batch}/record.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(record_sha(&after), before, "the record is unchanged");
}

/// R46: QA's review-by-exception list names every exception of the demo's
/// batch in progress with the severity its kind has in the domain (an
/// out-of-specification value is major, an alert minor), never one chosen
/// where it was written.
#[tokio::test]
async fn r46_the_review_list_names_each_exception_with_its_kinds_severity() {
    let app = demo_app().await;
    let qa = login(&app, "wang.fang").await;
    let batch = batch_id(&app, &qa, "BR-2026-0002").await;
    let list: Value = qa
        .get(app.url(&format!("/api/v1/batches/{batch}/exceptions")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exceptions = list["exceptions"].as_array().unwrap();
    let kinds: Vec<&str> = exceptions
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"out_of_specification") && kinds.contains(&"alert"),
        "{kinds:?}"
    );
    for x in exceptions {
        let kind: ExceptionKind = serde_json::from_value(x["kind"].clone()).unwrap();
        assert_eq!(x["severity"], kind.severity().as_str(), "{x}");
    }
    assert_eq!(list["review"], "missing");
    assert!(
        !list["deviations"].as_array().unwrap().is_empty(),
        "the OOS opened a deviation"
    );
}
