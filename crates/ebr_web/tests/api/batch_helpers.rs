//! Driving a batch of the reference MBR through the HTTP API.

use chrono::Duration;
use ebr_domain::identity::Role;
use ebr_domain::limits::Range;
use ebr_domain::mbr::{parse_toml, FieldKind, MasterBatchRecord, Step};
use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{TestApp, PASSWORD};

/// The reference MBR.
pub fn reference() -> MasterBatchRecord {
    parse_toml(ebr_testdb::fixtures::REFERENCE_MBR).unwrap()
}

/// The lot number registered for a material.
pub fn lot_of(material: &str) -> String {
    format!("LOT-{material}")
}

/// The asset code registered for an equipment type.
pub fn equipment_of(kind: &str) -> String {
    format!("{kind}-01")
}

/// The DIN of the floor's donor (ISBT 128's own example).
pub const DONOR_DIN: &str = "G123498654321H";
/// The floor's MCB lot.
pub const MCB_LOT: &str = "MCB-2024-003";

/// POSTs `body` to `path` as `who` and returns the 201 answer's JSON.
pub async fn created(app: &TestApp, who: &reqwest::Client, path: &str, body: Value) -> Value {
    let r = who.post(app.url(path)).json(&body).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 201, "{path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// R47: qualifies the bank of WCB lot `wcb_lot` as QA (wang.fang) does
/// through the API: the donor registered by DIN and determined eligible
/// (signed), the lineage recorded, the MCB and WCB released (signed).
pub async fn qualify_bank(app: &TestApp, qa: &reqwest::Client, wcb_lot: &str, din: &str) {
    let sign = |meaning: &str| json!({ "meaning": meaning, "username": "wang.fang", "password": PASSWORD, "otp": app.otp("wang.fang") });
    let donor = created(app, qa, "/api/v1/donors", json!({ "din": din })).await;
    let determination = created(
        app,
        qa,
        &format!("/api/v1/donors/{}/eligibility", donor["id"].as_str().unwrap()),
        json!({ "determination": "eligible", "screening_complete": true, "testing_complete": true, "basis": "DSQ-0007, IDT-2023-118 all negative" }),
    )
    .await;
    created(
        app,
        qa,
        &format!(
            "/api/v1/donor-eligibility/{}/signatures",
            determination["id"].as_str().unwrap()
        ),
        sign("approved"),
    )
    .await;
    created(
        app,
        qa,
        &format!("/api/v1/materials/{wcb_lot}/lineage"),
        json!({ "donor_id": din, "ipsc_line": "XS-iPSC-07", "mcb_lot": MCB_LOT }),
    )
    .await;
    for (level, lot) in [("mcb", MCB_LOT.to_string()), ("wcb", lot_of("WCB-IPSC"))] {
        let decision = created(
            app,
            qa,
            "/api/v1/cell-bank-releases",
            json!({ "level": level, "lot_number": lot, "decision": "released" }),
        )
        .await;
        created(
            app,
            qa,
            &format!(
                "/api/v1/cell-bank-releases/{}/signatures",
                decision["id"].as_str().unwrap()
            ),
            sign("released"),
        )
        .await;
    }
}

/// A factory floor: people, an approved reference MBR, released lots of every
/// material and calibrated equipment of every type, and logged-in clients.
pub struct Floor {
    /// The app.
    pub app: TestApp,
    /// The MBR version id.
    pub mbr_id: String,
    /// Operator zhang.wei.
    pub operator: reqwest::Client,
    /// Second operator maria.garcia (verifier).
    pub verifier: reqwest::Client,
    /// QA (issues batches, manages registries).
    pub qa: reqwest::Client,
}

impl Floor {
    /// Sets the floor up.
    pub async fn new() -> Floor {
        Floor::on(TestApp::spawn()).await
    }

    /// Sets the floor up on a given server.
    pub async fn on(mut app: TestApp) -> Floor {
        app.person("sam.okafor", &[Role::MbrAuthor]);
        app.person("wang.fang", &[Role::QaReviewer]);
        app.person("zhang.wei", &[Role::Operator]);
        app.person("maria.garcia", &[Role::Operator]);
        app.person("li.na", &[Role::QcAnalyst]);
        app.person("tom.becker", &[Role::QcAnalyst]);
        app.person("anna.schmidt", &[Role::ReleaseAuthority]);
        if app.second_factor_on() {
            for who in [
                "sam.okafor",
                "wang.fang",
                "zhang.wei",
                "maria.garcia",
                "li.na",
                "tom.becker",
                "anna.schmidt",
            ] {
                app.enrol(who);
            }
        }
        let author = app.login("sam.okafor").await;
        let mbr_id = app.import_reference(&author).await;
        let qa = app.login("wang.fang").await;
        let approve = qa
            .post(app.url(&format!("/api/v1/mbrs/{mbr_id}/signatures")))
            .json(&json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD, "otp": app.otp("wang.fang") }))
            .send()
            .await
            .unwrap();
        assert_eq!(approve.status(), 201);
        let mbr = reference();
        let expiry = app.clock.now() + Duration::days(365);
        let mut wcb_lot = String::new();
        for m in &mbr.materials {
            let r = qa
                .post(app.url("/api/v1/materials"))
                .json(&json!({ "material_code": m.code, "lot_number": lot_of(&m.code), "supplier": "Acme Bio", "status": "released", "expires_at": expiry }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            assert_eq!(status, 201, "{body}");
            if m.code == "WCB-IPSC" {
                wcb_lot = body["id"].as_str().unwrap().to_string();
            }
        }
        qualify_bank(&app, &qa, &wcb_lot, DONOR_DIN).await;
        let due = app.clock.now() + Duration::days(180);
        for e in &mbr.equipment_types {
            let r = qa
                .post(app.url("/api/v1/equipment"))
                .json(&json!({ "code": equipment_of(&e.code), "equipment_type": e.code, "name": e.name, "calibration_due": due }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
        let operator = app.login("zhang.wei").await;
        let verifier = app.login("maria.garcia").await;
        Floor {
            app,
            mbr_id,
            operator,
            verifier,
            qa,
        }
    }

    /// Logs everyone in again (after the clock jumped past the idle timeout).
    pub async fn relogin(&mut self) {
        self.operator = self.app.login("zhang.wei").await;
        self.verifier = self.app.login("maria.garcia").await;
        self.qa = self.app.login("wang.fang").await;
    }

    /// Issues a batch; returns its id.
    pub async fn issue(&self, number: &str) -> String {
        let r = self
            .qa
            .post(self.app.url("/api/v1/batches"))
            .json(&json!({ "batch_number": number, "mbr_version_id": self.mbr_id, "wcb_lot_number": lot_of("WCB-IPSC"), "wcb_vial": "WCB-0042-V17" }))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// POSTs values of a step.
    pub async fn record(&self, batch: &str, step: &str, values: Value) -> reqwest::Response {
        self.operator
            .post(
                self.app
                    .url(&format!("/api/v1/batches/{batch}/steps/{step}/entries")),
            )
            .json(&json!({ "values": values }))
            .send()
            .await
            .unwrap()
    }

    /// Signs a step as `who` with both components.
    pub async fn sign(
        &self,
        who: &reqwest::Client,
        username: &str,
        batch: &str,
        step: &str,
        meaning: &str,
    ) -> reqwest::Response {
        who.post(
            self.app
                .url(&format!("/api/v1/batches/{batch}/steps/{step}/signatures")),
        )
        .json(&json!({ "meaning": meaning, "username": username, "password": PASSWORD, "otp": self.app.otp(username) }))
        .send()
        .await
        .unwrap()
    }

    /// Records good values for every field of `step`, signs it performed
    /// and, if critical, verified.
    pub async fn complete(&self, batch: &str, step: &Step) {
        let r = self.record(batch, &step.key, good_values(step)).await;
        assert_eq!(r.status(), 201, "{}: {}", step.key, r.text().await.unwrap());
        self.sign_off(batch, step).await;
    }

    /// R49: prints the batch's labels and scans each back against its vial.
    pub async fn label_all(&self, batch: &str) {
        let r = self
            .operator
            .post(self.app.url(&format!("/api/v1/batches/{batch}/labels")))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "print: {}", r.text().await.unwrap());
        for label in self.labels(batch).await["labels"].as_array().unwrap() {
            let r = self
                .operator
                .post(
                    self.app
                        .url(&format!("/api/v1/batches/{batch}/labels/scans")),
                )
                .json(&json!({ "label": label["label"]["barcode"], "vial": label["applied_to"] }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "scan: {}", r.text().await.unwrap());
        }
    }

    /// The batch's labels and their reconciliation.
    pub async fn labels(&self, batch: &str) -> Value {
        self.operator
            .get(self.app.url(&format!("/api/v1/batches/{batch}/labels")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Signs a recorded step performed (and verified when critical); at a
    /// labelling step whose labels are not printed yet, prints them and
    /// scans each back against its vial first.
    pub async fn sign_off(&self, batch: &str, step: &Step) {
        if !step.prints_labels.is_empty()
            && self.labels(batch).await["labels"]
                .as_array()
                .is_none_or(Vec::is_empty)
        {
            self.label_all(batch).await;
        }
        let r = self
            .sign(&self.operator, "zhang.wei", batch, &step.key, "performed")
            .await;
        assert_eq!(
            r.status(),
            201,
            "{} performed: {}",
            step.key,
            r.text().await.unwrap()
        );
        if step.critical {
            let r = self
                .sign(&self.verifier, "maria.garcia", batch, &step.key, "verified")
                .await;
            assert_eq!(
                r.status(),
                201,
                "{} verified: {}",
                step.key,
                r.text().await.unwrap()
            );
        }
    }

    /// Completes every step before `until` (exclusive).
    pub async fn complete_until(&self, batch: &str, until: &str) {
        let mbr = reference();
        for (_, step) in mbr.steps() {
            if step.key == until {
                return;
            }
            self.complete(batch, step).await;
        }
    }

    /// GET the batch.
    pub async fn batch(&self, batch: &str) -> Value {
        self.qa
            .get(self.app.url(&format!("/api/v1/batches/{batch}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn inside(range: &Range) -> Option<String> {
    if let Some(min) = range.min {
        return Some(min.to_string());
    }
    if let Some(max) = range.max {
        return Some(max.to_string());
    }
    if let Some(below) = range.below {
        return Some((below.value() - rust_decimal_one()).to_string());
    }
    range
        .above
        .map(|a| (a.value() + rust_decimal_one()).to_string())
}

fn rust_decimal_one() -> rust_decimal::Decimal {
    rust_decimal::Decimal::ONE
}

/// A value within specification (and inside the alert range) for every
/// field a person records (not the computed ones).
pub fn good_values(step: &Step) -> Value {
    let mut values = serde_json::Map::new();
    for field in &step.fields {
        let v = match &field.kind {
            FieldKind::Number {
                target,
                alert,
                action,
                ..
            } => {
                let text = target
                    .map(|t| t.to_string())
                    .or_else(|| alert.as_ref().and_then(inside))
                    .or_else(|| action.as_ref().and_then(inside))
                    .unwrap_or_else(|| "1".into());
                json!(text)
            }
            FieldKind::Text { max_length } => {
                let text = format!("记录 µ±≤°C {}", field.label);
                json!(text
                    .chars()
                    .take(max_length.map_or(200, |m| m as usize))
                    .collect::<String>())
            }
            FieldKind::Choice {
                options,
                acceptable,
            } => json!(acceptable
                .as_ref()
                .and_then(|a| a.first())
                .or(options.first())
                .unwrap()),
            FieldKind::Check {} => json!(true),
            FieldKind::Material { material } => json!(lot_of(material)),
            FieldKind::Equipment { equipment_type } => json!(equipment_of(equipment_type)),
            FieldKind::DateTime {} => json!("2026-11-25T07:30:00Z"),
            // The server computes it from the values it reads.
            FieldKind::Computed { .. } => continue,
        };
        values.insert(field.key.clone(), v);
    }
    Value::Object(values)
}

impl Floor {
    /// Completes every step of the batch (manufacturing complete).
    pub async fn manufacture(&self, batch: &str) {
        for (_, step) in reference().steps() {
            self.complete(batch, step).await;
        }
    }

    /// Enters a passing result for every release test except `skip`, as li.na;
    /// tom.becker reviews each one except `unreviewed`. Tests in `failing` get
    /// a failing result. Returns the result ids by test key.
    pub async fn qc(
        &self,
        batch: &str,
        skip: &[&str],
        unreviewed: &[&str],
        failing: &[&str],
    ) -> Vec<(String, String)> {
        let analyst = self.app.login("li.na").await;
        let reviewer = self.app.login("tom.becker").await;
        let mut ids = Vec::new();
        for test in &reference().release_panel {
            if skip.contains(&test.key.as_str()) {
                continue;
            }
            let fail = failing.contains(&test.key.as_str());
            let body = match &test.spec {
                ebr_domain::mbr::QcSpecification::Numeric { unit, acceptance } => {
                    let good = inside(acceptance).unwrap();
                    let value = if fail { bad_value(acceptance) } else { good };
                    json!({ "test_key": test.key, "value": value, "unit": unit, "tested_at": "2026-11-20T10:00:00Z", "sample_id": "QC-S-1" })
                }
                ebr_domain::mbr::QcSpecification::Expected { expected, outcomes } => {
                    let outcome = if fail {
                        outcomes.iter().find(|o| *o != expected).unwrap().clone()
                    } else {
                        expected.clone()
                    };
                    json!({ "test_key": test.key, "outcome": outcome, "tested_at": "2026-11-20T10:00:00Z", "sample_id": "QC-S-1" })
                }
            };
            let r = analyst
                .post(self.app.url(&format!("/api/v1/batches/{batch}/qc-results")))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let v: Value = r.json().await.unwrap();
            assert_eq!(status, 201, "{}: {v}", test.key);
            let id = v["result"]["id"].as_str().unwrap().to_string();
            if !unreviewed.contains(&test.key.as_str()) {
                let r = reviewer
                    .post(self.app.url(&format!("/api/v1/qc-results/{id}/signatures")))
                    .json(&json!({ "meaning": "verified", "username": "tom.becker", "password": PASSWORD }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "review of {}", test.key);
            }
            ids.push((test.key.clone(), id));
        }
        ids
    }

    /// Signs the batch as `username` (logged in fresh).
    pub async fn sign_batch(
        &self,
        username: &str,
        batch: &str,
        meaning: &str,
        comment: Option<&str>,
    ) -> reqwest::Response {
        let client = self.app.login(username).await;
        client
            .post(self.app.url(&format!("/api/v1/batches/{batch}/signatures")))
            .json(&json!({ "meaning": meaning, "username": username, "password": PASSWORD, "comment": comment }))
            .send()
            .await
            .unwrap()
    }

    /// QA (wang.fang) closes the deviation with an electronic signature.
    pub async fn close_deviation(&self, dev: &str) {
        let r = self
            .qa
            .post(
                self.app
                    .url(&format!("/api/v1/deviations/{dev}/signatures")),
            )
            .json(&json!({ "meaning": "closed", "username": "wang.fang", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    /// The batch's record PDF as QA downloads it.
    pub async fn record_pdf(&self, batch: &str) -> Vec<u8> {
        self.download(&format!("/api/v1/batches/{batch}/record.pdf"))
            .await
    }

    /// The batch's record export (JSON text, byte for byte) as QA downloads it.
    pub async fn record_json(&self, batch: &str) -> String {
        String::from_utf8(
            self.download(&format!("/api/v1/batches/{batch}/record.json"))
                .await,
        )
        .unwrap()
    }

    async fn download(&self, path: &str) -> Vec<u8> {
        let r = self.qa.get(self.app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.bytes().await.unwrap().to_vec()
    }

    /// The release gate's finding codes.
    pub async fn findings(&self, batch: &str) -> Vec<String> {
        let gate: Value = self
            .qa
            .get(
                self.app
                    .url(&format!("/api/v1/batches/{batch}/release-gate")),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        gate["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    }
}

fn bad_value(range: &Range) -> String {
    if let Some(max) = range.max.or(range.below) {
        return (max.value() + rust_decimal::Decimal::from(100)).to_string();
    }
    let min = range.min.or(range.above).unwrap();
    (min.value() - rust_decimal::Decimal::from(100)).to_string()
}
