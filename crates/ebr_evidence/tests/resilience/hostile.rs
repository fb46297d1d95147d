//! Hostile input, made by hand: every kind the issue names, each answered
//! with a 4xx problem, or stored verbatim when it is valid.

use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_evidence::bench_mbr::{ENTRY_STEP, NOTE_MAX_LENGTH};
use ebr_evidence::operator::{Operator, Outcome};
use serde_json::{json, Value};

use crate::common::{save_result, Site};

async fn send(
    op: &Operator,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, String, String) {
    let url = format!("{}{path}", op.base());
    let request = match method {
        "GET" => op.client().get(url),
        _ => op.client().post(url),
    };
    let r = request
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, ct, r.text().await.unwrap_or_default())
}

fn assert_4xx_problem(what: &str, (status, ct, body): (u16, String, String)) {
    assert!(
        (400..500).contains(&status),
        "{what}: expected a 4xx, got {status}: {body}"
    );
    assert_eq!(ct, "application/problem+json", "{what}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert!(
        v["code"].is_string() && v["detail"].is_string(),
        "{what}: not a problem: {body}"
    );
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    value: String,
}

/// The text stored for entry `id` (the entry's value object, parsed).
fn stored_text(url: &str, id: &str) -> String {
    let mut conn = PgConnection::establish(url).unwrap();
    let row: Stored = diesel::sql_query("SELECT value FROM entries WHERE id::text = $1")
        .bind::<Text, _>(id)
        .get_result(&mut conn)
        .unwrap();
    let v: Value = serde_json::from_str(&row.value).unwrap();
    v["text"]
        .as_str()
        .unwrap_or_else(|| panic!("not a text value: {v}"))
        .to_string()
}

/// R21, R5: malformed, oversized, SQL-looking, control-character and very
/// long Unicode input never gets a 5xx; invalid input gets a 4xx problem and
/// stores nothing, valid input is stored exactly as sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r21_hostile_input_gets_4xx_or_is_stored_verbatim() {
    let site = Site::new("hostile").await;
    let op = site.operators(&site.server.base(), 1).await.remove(0);
    let batch = site.floor.issue("BR-HOSTILE-0001").await.unwrap();
    let entries = format!("/api/v1/batches/{batch}/steps/{ENTRY_STEP}/entries");
    let before = site.db.as_ref().unwrap().table_counts();

    // Refused, storing nothing.
    assert_4xx_problem(
        "malformed JSON",
        send(
            &op,
            "POST",
            &entries,
            "application/json",
            b"{\"values\": {\"v001\": ".to_vec(),
        )
        .await,
    );
    assert_4xx_problem(
        "wrong content type",
        send(&op, "POST", &entries, "text/plain", b"v001=1".to_vec()).await,
    );
    assert_4xx_problem(
        "unknown member",
        send(
            &op,
            "POST",
            &entries,
            "application/json",
            br#"{"values":{},"drop":"table"}"#.to_vec(),
        )
        .await,
    );
    let oversized = format!(
        r#"{{"values":{{"note":"{}"}}}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    let (status, ct, body) = send(
        &op,
        "POST",
        &entries,
        "application/json",
        oversized.into_bytes(),
    )
    .await;
    assert_eq!(status, 413, "oversized body: {body}");
    assert_4xx_problem("oversized body", (status, ct, body));
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_4xx_problem(
        "deeply nested JSON",
        send(
            &op,
            "POST",
            &entries,
            "application/json",
            nested.into_bytes(),
        )
        .await,
    );
    let too_long: String = "雪🧪".repeat(NOTE_MAX_LENGTH);
    assert_4xx_problem(
        "Unicode text over the field's length",
        send(
            &op,
            "POST",
            &entries,
            "application/json",
            serde_json::to_vec(&json!({ "values": { "note": too_long } })).unwrap(),
        )
        .await,
    );
    for control in [
        "before\u{0}after",
        "bell\u{7}",
        "escape\u{1b}[31m",
        "DEL\u{7f}",
        "C1\u{85}",
    ] {
        assert_4xx_problem(
            "control character in text",
            send(
                &op,
                "POST",
                &entries,
                "application/json",
                serde_json::to_vec(&json!({ "values": { "note": control } })).unwrap(),
            )
            .await,
        );
    }
    assert_4xx_problem(
        "SQL-looking number",
        send(
            &op,
            "POST",
            &entries,
            "application/json",
            serde_json::to_vec(&json!({ "values": { "v001": "1; DROP TABLE entries" } })).unwrap(),
        )
        .await,
    );
    assert_4xx_problem(
        "not a batch id",
        send(
            &op,
            "GET",
            "/api/v1/batches/'%20OR%201=1--",
            "application/json",
            vec![],
        )
        .await,
    );
    assert_4xx_problem(
        "SQL-looking step",
        send(
            &op,
            "POST",
            &format!("/api/v1/batches/{batch}/steps/x'%20OR%20'1'='1/entries"),
            "application/json",
            serde_json::to_vec(&json!({ "values": { "v001": "1" } })).unwrap(),
        )
        .await,
    );
    let anonymous = reqwest::Client::new();
    for username in ["' OR '1'='1' --", &"用户".repeat(50_000), "zhang.wei\u{0}"] {
        let r = anonymous
            .post(format!("{}/api/v1/session", site.server.base()))
            .json(&json!({ "username": username, "password": "x' OR 'x'='x" }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "login as {:.40}: {status}",
            username
        );
    }
    let after = site.db.as_ref().unwrap().table_counts();
    for table in [
        "entries",
        "batch_exceptions",
        "deviations",
        "signatures",
        "sessions",
    ] {
        assert_eq!(
            before[table], after[table],
            "{table} changed after refused input"
        );
    }

    // Valid, stored verbatim.
    let valid = [
        "'; DROP TABLE entries; -- \" OR 1=1 /* */".to_string(),
        "tab\there, line\nbreak,\r\nCRLF; zero-width\u{200b}joiner\u{200d}".to_string(),
        "雪🧪".repeat(NOTE_MAX_LENGTH / 2),
        "مرحبا עולם \u{202e}reversed\u{202c} e\u{301} Z\u{335}\u{321}a\u{36b}".to_string(),
    ];
    for (i, note) in valid.iter().enumerate() {
        let batch = site
            .floor
            .issue(&format!("BR-HOSTILE-{:04}", i + 2))
            .await
            .unwrap();
        let (outcome, _) = op.record(&batch, ENTRY_STEP, json!({ "note": note })).await;
        let Outcome::Acked(ids) = outcome else {
            panic!("valid note {i} was not stored: {outcome:?}");
        };
        assert_eq!(
            &stored_text(&site.url, &ids[0]),
            note,
            "note {i} was not stored verbatim"
        );
    }
    ebr_evidence::checks::nothing_half_written(&site.url).unwrap();
    save_result(
        "hostile",
        "hostile input by hand",
        "malformed JSON, wrong content type, unknown member, 3 MB body (413), 100,000-deep nesting, over-long Unicode, 5 control characters, SQL-looking values and paths, 3 hostile logins: all 4xx problems, nothing stored; 4 valid hostile texts stored byte for byte".into(),
        "4xx or stored verbatim; never 5xx",
    );
}
