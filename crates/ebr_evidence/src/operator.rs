//! A person at a browser or tablet, as an HTTP client with a session cookie.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The demo people's password (`ebr demo`).
pub const DEMO_PASSWORD: &str = "ebr-demo-2026!";

/// What one write request came back with.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 2xx: the server acknowledged the write; the ids it stored.
    Acked(Vec<String>),
    /// 4xx: refused, with status and body.
    Refused(u16, String),
    /// 5xx: the server failed, with status and body.
    ServerError(u16, String),
    /// No HTTP answer (connection refused or reset, e.g. the server was killed).
    NoAnswer(String),
}

/// A logged-in person: a cookie-holding client and the node it talks to.
#[derive(Clone)]
pub struct Operator {
    client: reqwest::Client,
    /// The username.
    pub username: String,
    base: String,
}

impl Operator {
    /// Logs `username` in on `base` with `password`; fails unless 201.
    pub async fn login(
        base: &str,
        username: &str,
        password: &str,
    ) -> Result<Operator, crate::Error> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(60))
            .build()?;
        let r = client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?;
        let status = r.status();
        if status != 201 {
            anyhow::bail!(
                "login of {username} on {base}: {status} {}",
                r.text().await?
            );
        }
        Ok(Operator {
            client,
            username: username.to_string(),
            base: base.to_string(),
        })
    }

    /// The same session, talking to another node (cookies are per host, not per port).
    pub fn on(&self, base: &str) -> Operator {
        Operator {
            client: self.client.clone(),
            username: self.username.clone(),
            base: base.to_string(),
        }
    }

    /// The HTTP client holding this session's cookie.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The node this operator talks to.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `path`; status and body (status 0 when there was no answer).
    pub async fn get(&self, path: &str) -> (u16, String) {
        match self.client.get(format!("{}{path}", self.base)).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.text().await.unwrap_or_default())
            }
            Err(e) => (0, e.to_string()),
        }
    }

    /// POST `body` of `content_type` to `path`; status and body text.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<(u16, String), crate::Error> {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.text().await?))
    }

    /// POST JSON to `path`, timed; `ids` picks the stored ids out of a 2xx body.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        ids: fn(&Value) -> Vec<String>,
    ) -> (Outcome, Duration) {
        let started = Instant::now();
        let sent = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await;
        let outcome = match sent {
            Err(e) => Outcome::NoAnswer(e.to_string()),
            Ok(r) => {
                let status = r.status().as_u16();
                match r.text().await {
                    Err(e) => Outcome::NoAnswer(e.to_string()),
                    Ok(text) if (200..300).contains(&status) => {
                        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        Outcome::Acked(ids(&value))
                    }
                    Ok(text) if status >= 500 => Outcome::ServerError(status, text),
                    Ok(text) => Outcome::Refused(status, text),
                }
            }
        };
        (outcome, started.elapsed())
    }

    /// Records `values` in `step` of `batch`; Acked carries the entry ids.
    pub async fn record(&self, batch: &str, step: &str, values: Value) -> (Outcome, Duration) {
        self.post(
            &format!("/api/v1/batches/{batch}/steps/{step}/entries"),
            &json!({ "values": values }),
            |v| {
                v.get("entries")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|e| e.get("id").and_then(Value::as_str).map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            },
        )
        .await
    }

    /// Signs `step` of `batch` with `meaning`; Acked carries the signature id.
    pub async fn sign(
        &self,
        batch: &str,
        step: &str,
        meaning: &str,
        password: &str,
    ) -> (Outcome, Duration) {
        self.post(
            &format!("/api/v1/batches/{batch}/steps/{step}/signatures"),
            &json!({ "meaning": meaning, "username": self.username, "password": password }),
            |v| {
                v.get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .into_iter()
                    .collect()
            },
        )
        .await
    }
}
