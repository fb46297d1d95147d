//! R5, R7: every state-changing route, sent an input a rule refuses, answers
//! the refusal and leaves exactly one audit event of the attempt, however
//! the handler was written. The route list comes from the server's own
//! route table, so a new route without a probe here fails the test.

use std::collections::BTreeSet;

use actix_web::http::Method;
use chrono::Duration;
use ebr_domain::identity::Role;
use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::batch_helpers::{good_values, lot_of, reference, Floor};
use crate::helpers::PASSWORD;

/// Routes whose refusals need no probe, and why.
const NOT_PROBED: &[(&str, &str, &str)] = &[
    (
        "DELETE",
        "/api/v1/session",
        "logging out takes no input and refuses nothing",
    ),
    (
        "POST",
        "/api/v1/batches/{id}/steps/{step}/preview",
        "evaluates a value and stores nothing: a read with a body",
    ),
];

/// Every audit event that records a refused or failed attempt, on every chain.
fn attempts(floor: &Floor) -> Vec<(String, String)> {
    let mut conn = floor.app.db().connection();
    let mut out = Vec::new();
    for chain in ebr_db::repo::audit::chains(&mut conn).unwrap() {
        for e in ebr_db::repo::audit::chain_events(&mut conn, &chain).unwrap() {
            let is_attempt = e.action.ends_with(".refused")
                || e.action == "access.denied"
                || (e.action.starts_with("security.") && e.action.ends_with("_failed"));
            if is_attempt {
                out.push((chain.clone(), e.action.clone()));
            }
        }
    }
    out
}

struct Walk<'a> {
    floor: &'a Floor,
    probed: BTreeSet<(String, String)>,
}

impl Walk<'_> {
    /// Sends `body` to `pattern` (with `params` filled in) as `client`;
    /// asserts the refusal's status and code, and that exactly one audit
    /// event of the attempt was added.
    #[allow(clippy::too_many_arguments)]
    async fn probe(
        &mut self,
        client: &reqwest::Client,
        method: Method,
        pattern: &str,
        params: &[(&str, &str)],
        body: Value,
        status: u16,
        code: &str,
    ) {
        let mut path = pattern.to_string();
        for (name, value) in params {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let before = attempts(self.floor);
        let url = self.floor.app.url(&path);
        let request = match method {
            Method::DELETE => client.delete(url),
            _ => client.post(url),
        };
        let response = request.json(&body).send().await.unwrap();
        let actual = response.status().as_u16();
        let problem: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(actual, status, "{method} {pattern}: {problem}");
        assert_eq!(problem["code"], code, "{method} {pattern}: {problem}");
        let after = attempts(self.floor);
        assert_eq!(
            after.len(),
            before.len() + 1,
            "{method} {pattern} ({code}) must leave exactly one audit event of the attempt; new: {:?}",
            &after[before.len().min(after.len())..]
        );
        self.probed
            .insert((method.to_string(), pattern.to_string()));
    }
}

/// R5, R7: a refused input on every state-changing route is audited once.
#[tokio::test]
async fn r5_r7_every_state_changing_route_audits_its_refused_attempts() {
    let mut floor = Floor::new().await;
    floor.app.person("chen.jie", &[Role::Admin]);
    floor.app.person("olga.ivanova", &[Role::Trainer]);
    let admin = floor.app.login("chen.jie").await;
    let trainer = floor.app.login("olga.ivanova").await;
    let (skill, own_training) = {
        let mut conn = floor.app.db().connection();
        let skill = floor
            .app
            .skill_curriculum(&mut conn, "cell_count", Role::Operator);
        let zhang = ebr_db::repo::people::find_by_username(&mut conn, "zhang.wei")
            .unwrap()
            .unwrap()
            .id;
        let record = ebr_db::repo::training::records(&mut conn, Some(zhang))
            .unwrap()
            .into_iter()
            .find(|r| r.signed)
            .unwrap();
        (skill.to_string(), record.row.id.to_string())
    };
    let reset_request = {
        let mut conn = floor.app.db().connection();
        let admin = ebr_db::repo::people::find_by_username(&mut conn, "chen.jie")
            .unwrap()
            .unwrap()
            .id;
        let zhang = ebr_db::repo::people::find_by_username(&mut conn, "zhang.wei")
            .unwrap()
            .unwrap()
            .id;
        ebr_db::repo::second_factor::request_reset(
            &mut conn,
            zhang,
            admin,
            "phone lost",
            floor.app.clock.now(),
        )
        .unwrap()
        .id
        .to_string()
    };
    let analyst = floor.app.login("li.na").await;
    let author = floor.app.login("sam.okafor").await;
    let (operator_id, admin_id) = {
        let mut conn = floor.app.db().connection();
        let find = |conn: &mut ebr_db::PgConnection, u: &str| {
            ebr_db::repo::people::find_by_username(conn, u)
                .unwrap()
                .unwrap()
                .id
                .to_string()
        };
        (find(&mut conn, "zhang.wei"), find(&mut conn, "chen.jie"))
    };
    let batch = floor.issue("BR-REFUSALS").await;
    floor
        .complete(
            &batch,
            &reference().step("s0-issue-record").unwrap().clone(),
        )
        .await;
    let batch_detail = floor.batch(&batch).await;
    let entry = batch_detail["steps"][0]["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lots: Vec<Value> = floor
        .qa
        .get(floor.app.url("/api/v1/materials"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lot = lots[0]["id"].as_str().unwrap().to_string();
    let equipment: Vec<Value> = floor
        .qa
        .get(floor.app.url("/api/v1/equipment"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let asset = equipment[0]["id"].as_str().unwrap().to_string();
    let deviation: Value = floor
        .operator
        .post(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/deviations")),
        )
        .json(&json!({ "title": "Spill in the BSC", "description": "Medium spilled; cleaned." }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dev = deviation["id"].as_str().unwrap().to_string();
    let result: Value = analyst
        .post(floor.app.url(&format!("/api/v1/batches/{batch}/qc-results")))
        .json(&json!({ "test_key": "endotoxin", "value": "0.4", "unit": "EU/mL", "tested_at": "2026-11-24T09:00:00Z" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let qc = result["result"]["id"].as_str().unwrap().to_string();
    let future = floor.app.clock.now() + Duration::days(13);
    let anonymous = reqwest::Client::new();
    let mut walk = Walk {
        floor: &floor,
        probed: BTreeSet::new(),
    };
    use Method as M;

    walk.probe(
        &anonymous,
        M::POST,
        "/api/v1/session",
        &[],
        json!({ "username": "zhang.wei", "password": "wrong" }),
        401,
        "credentials_invalid",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/session/password",
        &[],
        json!({ "current_password": PASSWORD, "new_password": "short" }),
        422,
        "password_too_short",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/session/acknowledgment",
        &[],
        json!({ "statement_sha256": "00" }),
        422,
        "statement_mismatch",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/session/language",
        &[],
        json!({ "language": "fr" }),
        422,
        "language_unsupported",
    )
    .await;
    walk.probe(&admin, M::POST, "/api/v1/users", &[], json!({ "username": "admin", "full_name": "Shared", "roles": ["operator"], "temporary_password": "a-temporary-password" }), 422, "generic_account_forbidden").await;
    walk.probe(
        &admin,
        M::POST,
        "/api/v1/users/{id}/roles",
        &[("id", &operator_id)],
        json!({ "grant": ["admin"] }),
        422,
        "admin_cannot_hold_gmp_role",
    )
    .await;
    walk.probe(
        &admin,
        M::POST,
        "/api/v1/users/{id}/deactivate",
        &[("id", &operator_id)],
        json!({ "reason": " " }),
        422,
        "reason_required",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/users/{id}/unlock",
        &[("id", &operator_id)],
        json!({}),
        403,
        "role_forbidden",
    )
    .await;
    walk.probe(
        &admin,
        M::POST,
        "/api/v1/users/{id}/password",
        &[("id", &operator_id)],
        json!({ "temporary_password": "short" }),
        422,
        "password_too_short",
    )
    .await;
    walk.probe(
        &admin,
        M::POST,
        "/api/v1/users/{id}/identity-verification",
        &[("id", &admin_id)],
        json!({ "method": "passport checked" }),
        403,
        "identity_verifier_not_independent",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::DELETE,
        "/api/v1/users/{id}/sessions",
        &[("id", &operator_id)],
        json!({}),
        403,
        "role_forbidden",
    )
    .await;
    walk.probe(
        &author,
        M::POST,
        "/api/v1/mbrs",
        &[],
        json!({ "header": {} }),
        422,
        "mbr_invalid",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/mbrs/{id}/signatures",
        &[("id", &floor.mbr_id)],
        json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD }),
        409,
        "illegal_mbr_transition",
    )
    .await;
    walk.probe(&floor.qa, M::POST, "/api/v1/materials", &[], json!({ "material_code": " ", "lot_number": " ", "supplier": "Acme", "expires_at": future }), 422, "lot_identity_required").await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/materials/{id}/status",
        &[("id", &lot)],
        json!({ "status": "rejected", "reason": "" }),
        422,
        "reason_required",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/equipment",
        &[],
        json!({ "code": " ", "equipment_type": " ", "name": "x", "calibration_due": future }),
        422,
        "equipment_identity_required",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/equipment/{id}/status",
        &[("id", &asset)],
        json!({ "status": "out_of_service", "reason": "" }),
        422,
        "reason_required",
    )
    .await;
    walk.probe(&floor.qa, M::POST, "/api/v1/batches", &[], json!({ "batch_number": "br-refusals", "mbr_version_id": floor.mbr_id, "wcb_lot_number": lot_of("WCB-IPSC"), "wcb_vial": "WCB-0042-V19" }), 409, "batch_number_taken").await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/batches/{id}/steps/{step}/entries",
        &[("id", &batch), ("step", "s1-thaw")],
        json!({ "values": good_values(reference().step("s1-thaw").unwrap()) }),
        409,
        "step_out_of_sequence",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/batches/{id}/entries/{entry}/corrections",
        &[("id", &batch), ("entry", &entry)],
        json!({ "value": "x", "reason": " " }),
        422,
        "correction_reason_required",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/batches/{id}/steps/{step}/signatures",
        &[("id", &batch), ("step", "s1-thaw")],
        json!({ "meaning": "performed", "username": "zhang.wei", "password": PASSWORD }),
        409,
        "step_out_of_sequence",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/batches/{id}/deviations",
        &[("id", &batch)],
        json!({ "title": " ", "description": " " }),
        422,
        "deviation_text_required",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/deviations/{id}/revisions",
        &[("id", &dev)],
        json!({ "investigation": "checked", "base_revision": 0 }),
        409,
        "deviation_revision_stale",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/deviations/{id}/signatures",
        &[("id", &dev)],
        json!({ "meaning": "closed", "username": "wang.fang", "password": PASSWORD }),
        422,
        "deviation_incomplete",
    )
    .await;
    walk.probe(
        &analyst,
        M::POST,
        "/api/v1/batches/{id}/qc-results",
        &[("id", &batch)],
        json!({ "test_key": "sterility", "outcome": "No growth", "tested_at": future }),
        422,
        "qc_tested_in_future",
    )
    .await;
    walk.probe(
        &analyst,
        M::POST,
        "/api/v1/qc-results/{id}/signatures",
        &[("id", &qc)],
        json!({ "meaning": "verified", "username": "li.na", "password": PASSWORD }),
        403,
        "analyst_cannot_review",
    )
    .await;
    walk.probe(
        &analyst,
        M::POST,
        "/api/v1/qc-results/{id}/invalidations",
        &[("id", &qc)],
        json!({ "reason": " " }),
        422,
        "reason_required",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/batches/{id}/signatures",
        &[("id", &batch)],
        json!({ "meaning": "reviewed", "username": "wang.fang", "password": PASSWORD }),
        409,
        "illegal_batch_transition",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/materials/{id}/lineage",
        &[("id", &lot)],
        json!({ "donor_id": " ", "ipsc_line": " ", "mcb_lot": " " }),
        422,
        "lineage_incomplete",
    )
    .await;

    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/curricula",
        &[],
        json!({ "code": "x", "title": "bad code", "role": "operator" }),
        422,
        "curriculum_invalid",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/curricula/{id}/versions/{version}/signatures",
        &[("id", &skill), ("version", "1")],
        json!({ "meaning": "read_and_understood", "username": "zhang.wei", "password": PASSWORD }),
        422,
        "curriculum_invalid",
    )
    .await;
    walk.probe(
        &trainer,
        M::POST,
        "/api/v1/training-records",
        &[],
        json!({ "person_id": operator_id, "curriculum_id": skill, "trained_at": future }),
        422,
        "training_dates_invalid",
    )
    .await;
    walk.probe(
        &trainer,
        M::POST,
        "/api/v1/training-records/revocations",
        &[],
        json!({ "person_id": operator_id, "curriculum_id": skill, "reason": " " }),
        422,
        "reason_required",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/training-records/{id}/signatures",
        &[("id", &own_training)],
        json!({ "meaning": "trained", "username": "zhang.wei", "password": PASSWORD }),
        409,
        "training_already_signed",
    )
    .await;

    let review = {
        let mut conn = floor.app.db().connection();
        let day = floor.app.clock.now().date_naive();
        let report = ebr_db::repo::access_review::report(
            &mut conn,
            day,
            day,
            60,
            false,
            floor.app.clock.now(),
        )
        .unwrap();
        ebr_db::repo::access_review::store(&mut conn, &report, "system:test", floor.app.clock.now())
            .unwrap()
            .id
            .to_string()
    };
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/access-reviews",
        &[],
        json!({ "from": "2026-12-31", "to": "2026-01-01" }),
        422,
        "access_review_period_invalid",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/access-reviews/{id}/signatures",
        &[("id", &review)],
        json!({ "meaning": "approved", "username": "wang.fang", "password": PASSWORD }),
        422,
        "meaning_not_allowed",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/session/second-factor",
        &[],
        json!({ "secret_base32": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "code": "000000", "password": "not my password" }),
        401,
        "password_incorrect",
    )
    .await;
    walk.probe(
        &admin,
        M::POST,
        "/api/v1/users/{id}/second-factor/reset-requests",
        &[("id", &operator_id)],
        json!({ "reason": " " }),
        422,
        "reason_required",
    )
    .await;
    walk.probe(
        &admin,
        M::POST,
        "/api/v1/users/{id}/second-factor/resets",
        &[("id", &operator_id)],
        json!({ "request_id": reset_request }),
        403,
        "factor_reset_needs_second_admin",
    )
    .await;

    // Issue 18: the chain of identity and custody.
    let (donor, determination, decision) = {
        use ebr_db::repo::custody::bank;
        use ebr_domain::custody::bank::BankLevel;
        let mut conn = floor.app.db().connection();
        let donor = bank::find_donor(&mut conn, "G123498654321H")
            .unwrap()
            .unwrap();
        let determination = bank::determinations(&mut conn, donor.id).unwrap()[0].0.id;
        let decision = bank::decisions(&mut conn, BankLevel::Mcb, "MCB-2024-003").unwrap()[0]
            .0
            .id;
        (
            donor.id.to_string(),
            determination.to_string(),
            decision.to_string(),
        )
    };
    let qa_sign = |meaning: &str| json!({ "meaning": meaning, "username": "wang.fang", "password": PASSWORD });
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/donors",
        &[],
        json!({ "din": "G123498654321J" }),
        422,
        "din_check_character",
    )
    .await;
    walk.probe(&floor.qa, M::POST, "/api/v1/donors/{id}/eligibility", &[("id", &donor)], json!({ "determination": "eligible", "screening_complete": true, "testing_complete": false, "basis": "DSQ-0007" }), 422, "eligibility_incomplete").await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/donor-eligibility/{id}/signatures",
        &[("id", &determination)],
        qa_sign("approved"),
        409,
        "already_signed",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/cell-bank-releases",
        &[],
        json!({ "level": "mcb", "lot_number": " ", "decision": "released" }),
        422,
        "lot_identity_required",
    )
    .await;
    walk.probe(
        &floor.qa,
        M::POST,
        "/api/v1/cell-bank-releases/{id}/signatures",
        &[("id", &decision)],
        qa_sign("rejected"),
        422,
        "meaning_not_allowed",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/batches/{id}/labels",
        &[("id", &batch)],
        json!({}),
        409,
        "labels_not_printable",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/batches/{id}/labels/scans",
        &[("id", &batch)],
        json!({ "label": "EBR1|LOT:X|SN:Y|N:1", "vial": "Y" }),
        422,
        "label_unknown",
    )
    .await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/batches/{id}/labels/{number}/destructions",
        &[("id", &batch), ("number", "1")],
        json!({ "reason": " " }),
        422,
        "reason_required",
    )
    .await;
    walk.probe(&floor.qa, M::POST, "/api/v1/storage/locations", &[], json!({ "code": "LN2-09-B1", "kind": "box", "name": "a box in no rack", "rows": 9, "columns": 9 }), 422, "storage_invalid").await;
    walk.probe(
        &floor.operator,
        M::POST,
        "/api/v1/vials/{serial}/storage",
        &[("serial", "NO-SUCH-VIAL")],
        json!({ "action": "place", "position": "LN2-01-R1-B01:A1" }),
        422,
        "vial_unknown",
    )
    .await;
    walk.probe(&floor.operator, M::POST, "/api/v1/shipments", &[], json!({ "shipment_number": "SH-X", "from_site": "here", "to_site": "there", "shipper": "courier", "dry_shipper_id": "DS-1", "seal_id": "S-1", "vials": [] }), 409, "shipment_state").await;
    let nowhere = uuid::Uuid::new_v4().to_string();
    walk.probe(
        &analyst,
        M::POST,
        "/api/v1/batches/{id}/contingency-forms",
        &[("id", &batch)],
        json!({ "step": "s0-issue-record" }),
        403,
        "role_forbidden",
    )
    .await;
    walk.probe(
        &analyst,
        M::POST,
        "/api/v1/shipments/{id}/handover",
        &[("id", &nowhere)],
        json!({}),
        403,
        "role_forbidden",
    )
    .await;
    walk.probe(
        &analyst,
        M::POST,
        "/api/v1/shipments/{id}/receipt",
        &[("id", &nowhere)],
        json!({ "seal_id": "S-1", "seal_intact": true, "scanned": [] }),
        403,
        "role_forbidden",
    )
    .await;
    walk.probe(
        &analyst,
        M::POST,
        "/api/v1/shipments/{id}/signatures",
        &[("id", &nowhere)],
        json!({ "meaning": "verified", "password": PASSWORD }),
        403,
        "role_forbidden",
    )
    .await;
    walk.probe(&floor.operator, M::POST, "/api/v1/vials/{serial}/administrations", &[("serial", "NO-SUCH-VIAL")], json!({ "subject_id": "ALS-01-001", "site": "Site 01", "administered_at": "2026-12-01T10:00:00Z" }), 422, "vial_unknown").await;

    let skipped: BTreeSet<(String, String)> = NOT_PROBED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<String> = ebr_web::routes::registered()
        .into_iter()
        .filter(|(m, p)| *m != Method::GET && p.starts_with("/api/"))
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .filter(|r| !walk.probed.contains(r) && !skipped.contains(r))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "state-changing routes without a refusal probe: {missing:?}"
    );
}
