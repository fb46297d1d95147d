//! Issue 18 through the API: donor eligibility and bank release gate batch
//! issue (R47, R50), labels are printed from the approved template, scanned
//! back and reconciled before the labelling step is signed (R49), and
//! released vials are stored, shipped, received and administered with the
//! chain traced from the subject back to the donor (R47, R48).

use ebr_web::clock::Clock;
use serde_json::{json, Value};

use crate::batch_helpers::{created, good_values, lot_of, reference, Floor, DONOR_DIN};
use crate::helpers::{assert_problem, PASSWORD};

fn din_with_check(data: &str) -> String {
    format!(
        "{data}{}",
        ebr_domain::isbt128::check_character(data).unwrap()
    )
}

fn sign(floor: &Floor, who: &str, meaning: &str) -> Value {
    json!({ "meaning": meaning, "username": who, "password": PASSWORD, "otp": floor.app.otp(who) })
}

async fn post(
    floor: &Floor,
    who: &reqwest::Client,
    path: impl AsRef<str>,
    body: Value,
) -> reqwest::Response {
    who.post(floor.app.url(path.as_ref()))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(floor: &Floor, path: &str) -> Value {
    floor
        .qa
        .get(floor.app.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// R47, R50: the DIN's check character is validated (valid and invalid
/// examples); a batch from a WCB whose donor is ineligible or whose bank is
/// not released is refused with every finding, storing nothing; once the
/// donor is eligible and QA signed the WCB's release, it is issued.
#[tokio::test]
async fn r47_r50_a_batch_from_an_ineligible_donor_or_unreleased_bank_is_refused() {
    let floor = Floor::new().await;
    let r = post(
        &floor,
        &floor.qa,
        "/api/v1/donors",
        json!({ "din": "G123498654321J" }),
    )
    .await;
    let body = assert_problem(r, 422, "din_check_character").await;
    // The expected character is not revealed: the check exists to catch a
    // keying error, not to be keyed from the error message.
    assert!(
        body["detail"].as_str().unwrap().contains("check character"),
        "{body}"
    );
    assert!(
        !body["detail"].as_str().unwrap().contains("54321H"),
        "{body}"
    );
    let r = post(
        &floor,
        &floor.qa,
        "/api/v1/donors",
        json!({ "din": "G12349865432" }),
    )
    .await;
    assert_problem(r, 422, "din_invalid").await;
    let r = post(
        &floor,
        &floor.qa,
        "/api/v1/donors",
        json!({ "din": "g1234 98 654321 h" }),
    )
    .await;
    assert_problem(r, 409, "donor_exists").await;

    let din = din_with_check("G123498654322");
    let donor = created(
        &floor.app,
        &floor.qa,
        "/api/v1/donors",
        json!({ "din": din }),
    )
    .await;
    let donor_id = donor["id"].as_str().unwrap().to_string();
    let ineligible = created(
        &floor.app,
        &floor.qa,
        &format!("/api/v1/donors/{donor_id}/eligibility"),
        json!({ "determination": "ineligible", "screening_complete": true, "testing_complete": true, "basis": "HBV NAT reactive (IDT-2023-119)" }),
    )
    .await;
    created(
        &floor.app,
        &floor.qa,
        &format!(
            "/api/v1/donor-eligibility/{}/signatures",
            ineligible["id"].as_str().unwrap()
        ),
        sign(&floor, "wang.fang", "approved"),
    )
    .await;
    let lot = created(
        &floor.app,
        &floor.qa,
        "/api/v1/materials",
        json!({ "material_code": "WCB-IPSC", "lot_number": "LOT-WCB-2", "supplier": "own bank", "status": "released", "expires_at": floor.app.clock.now() + chrono::Duration::days(365) }),
    )
    .await;
    created(
        &floor.app,
        &floor.qa,
        &format!("/api/v1/materials/{}/lineage", lot["id"].as_str().unwrap()),
        json!({ "donor_id": din, "ipsc_line": "XS-iPSC-09", "mcb_lot": "MCB-2024-003" }),
    )
    .await;
    let issue = |number: &'static str| {
        post(
            &floor,
            &floor.qa,
            "/api/v1/batches",
            json!({ "batch_number": number, "mbr_version_id": floor.mbr_id, "wcb_lot_number": "LOT-WCB-2", "wcb_vial": "WCB-2-V01" }),
        )
    };
    let batches_before = get(&floor, "/api/v1/batches").await;
    let body = assert_problem(issue("BR-INELIGIBLE").await, 409, "cell_bank_not_qualified").await;
    let codes: Vec<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["donor_ineligible", "wcb_not_released"],
        "{body}"
    );

    // Eligible now, but the WCB decision is not signed yet: still refused.
    let eligible = created(
        &floor.app,
        &floor.qa,
        &format!("/api/v1/donors/{donor_id}/eligibility"),
        json!({ "determination": "eligible", "screening_complete": true, "testing_complete": true, "basis": "retest: HBV NAT non-reactive, confirmed false positive (IDT-2023-131)" }),
    )
    .await;
    created(
        &floor.app,
        &floor.qa,
        &format!(
            "/api/v1/donor-eligibility/{}/signatures",
            eligible["id"].as_str().unwrap()
        ),
        sign(&floor, "wang.fang", "approved"),
    )
    .await;
    let decision = created(
        &floor.app,
        &floor.qa,
        "/api/v1/cell-bank-releases",
        json!({ "level": "wcb", "lot_number": "LOT-WCB-2", "decision": "released" }),
    )
    .await;
    let body = assert_problem(issue("BR-UNRELEASED").await, 409, "cell_bank_not_qualified").await;
    assert_eq!(body["problems"][0]["code"], "wcb_not_released", "{body}");
    assert_eq!(
        get(&floor, "/api/v1/batches").await,
        batches_before,
        "a refusal stores nothing"
    );
    let r = post(
        &floor,
        &floor.qa,
        &format!(
            "/api/v1/cell-bank-releases/{}/signatures",
            decision["id"].as_str().unwrap()
        ),
        sign(&floor, "wang.fang", "rejected"),
    )
    .await;
    assert_problem(r, 422, "meaning_not_allowed").await;
    created(
        &floor.app,
        &floor.qa,
        &format!(
            "/api/v1/cell-bank-releases/{}/signatures",
            decision["id"].as_str().unwrap()
        ),
        sign(&floor, "wang.fang", "released"),
    )
    .await;
    let r = issue("BR-QUALIFIED").await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let donors = get(&floor, "/api/v1/donors").await;
    let mine = donors
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["donor"]["din"] == din.as_str())
        .unwrap();
    assert_eq!(mine["eligibility"][0]["determination"], "eligible");
}

/// R49: the labelling step cannot be signed until the labels reconcile; a
/// wrong or duplicate scan is refused; a reprint needs a destroyed label and
/// a reason and is counted. R47, R48: the released vials are stored (a
/// position holds one vial), shipped, and a receipt without logger data
/// raises an exception and quarantines the shipment; a corrupt logger file
/// is refused whole naming its line; a clean receipt lets the site record
/// the subject, and the subject traces back to the donor through the API,
/// the page and the record PDF.
#[tokio::test]
async fn r47_r48_r49_labels_reconcile_and_the_custody_chain_reaches_the_subject() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-COI-1").await;
    floor.complete_until(&batch, "s7-fill").await;
    let mbr = reference();
    let fill = mbr.step("s7-fill").unwrap();
    let mut values = good_values(fill);
    values["vials_filled"] = json!("3");
    assert_eq!(floor.record(&batch, "s7-fill", values).await.status(), 201);
    floor.sign_off(&batch, fill).await;
    let label_step = mbr.step("s7-label").unwrap();
    assert_eq!(
        floor
            .record(&batch, "s7-label", good_values(label_step))
            .await
            .status(),
        201
    );
    let performed = || {
        floor.sign(
            &floor.operator,
            "zhang.wei",
            &batch,
            "s7-label",
            "performed",
        )
    };
    assert_problem(performed().await, 409, "labels_unreconciled").await;

    let r = post(
        &floor,
        &floor.operator,
        &format!("/api/v1/batches/{batch}/labels"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    let r = post(
        &floor,
        &floor.operator,
        &format!("/api/v1/batches/{batch}/labels"),
        json!({}),
    )
    .await;
    assert_problem(r, 409, "labels_not_printable").await;
    let labels = floor.labels(&batch).await;
    let all = labels["labels"].as_array().unwrap().clone();
    assert_eq!(all.len(), 4, "three vials and their box");
    assert_eq!(all[3]["applied_to"], "BR-COI-1");
    assert!(all[3]["label"]["barcode"]
        .as_str()
        .unwrap()
        .contains("|BOX:3|"));
    let barcode = |i: usize| all[i]["label"]["barcode"].as_str().unwrap().to_string();
    let scan = |label: String, vial: &str| {
        post(
            &floor,
            &floor.operator,
            format!("/api/v1/batches/{batch}/labels/scans"),
            json!({ "label": label, "vial": vial }),
        )
    };
    assert_problem(
        scan(barcode(0), "BR-COI-1-V002").await,
        422,
        "label_vial_mismatch",
    )
    .await;
    assert_eq!(scan(barcode(0), "BR-COI-1-V001").await.status(), 201);
    assert_problem(
        scan(barcode(0), "BR-COI-1-V001").await,
        409,
        "label_already_used",
    )
    .await;
    assert_problem(performed().await, 409, "labels_unreconciled").await;
    let r = post(
        &floor,
        &floor.operator,
        &format!("/api/v1/batches/{batch}/labels"),
        json!({ "reprint": [2], "reason": "smudged" }),
    )
    .await;
    assert_problem(r, 409, "labels_not_printable").await;
    let r = post(
        &floor,
        &floor.operator,
        &format!("/api/v1/batches/{batch}/labels/2/destructions"),
        json!({ "reason": "smudged while applying" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post(
        &floor,
        &floor.operator,
        &format!("/api/v1/batches/{batch}/labels"),
        json!({ "reprint": [2], "reason": " " }),
    )
    .await;
    assert_problem(r, 422, "reason_required").await;
    let r = post(
        &floor,
        &floor.operator,
        &format!("/api/v1/batches/{batch}/labels"),
        json!({ "reprint": [2], "reason": "label 2 smudged" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let labels = floor.labels(&batch).await;
    for l in labels["labels"].as_array().unwrap() {
        if l["state"] == "printed" {
            let r = scan(
                l["label"]["barcode"].as_str().unwrap().to_string(),
                l["applied_to"].as_str().unwrap(),
            )
            .await;
            assert_eq!(r.status(), 201);
        }
    }
    let rec = &floor.labels(&batch).await["reconciliation"];
    assert_eq!(
        (
            rec["printed"].as_u64(),
            rec["applied"].as_u64(),
            rec["destroyed"].as_u64(),
            rec["reprints"].as_u64()
        ),
        (Some(5), Some(4), Some(1), Some(1))
    );
    assert_eq!(performed().await.status(), 201);
    let verified = floor
        .sign(
            &floor.verifier,
            "maria.garcia",
            &batch,
            "s7-label",
            "verified",
        )
        .await;
    assert_eq!(verified.status(), 201);

    // The rest of the batch, QC, review and release.
    let mut after = false;
    for (_, step) in mbr.steps() {
        if after {
            floor.complete(&batch, step).await;
        }
        after |= step.key == "s7-label";
    }
    floor.qc(&batch, &[], &[], &[]).await;
    assert_eq!(
        floor
            .sign_batch("wang.fang", &batch, "reviewed", Some("reviewed"))
            .await
            .status(),
        201
    );
    assert_eq!(
        floor
            .sign_batch("anna.schmidt", &batch, "released", None)
            .await
            .status(),
        201
    );

    // Storage map: freezer → rack → box; a position holds one vial.
    for body in [
        json!({ "code": "LN2-01", "kind": "freezer", "name": "LN2 freezer 1" }),
        json!({ "code": "LN2-01-R1", "kind": "rack", "parent": "LN2-01", "name": "Rack 1" }),
        json!({ "code": "LN2-01-R1-B01", "kind": "box", "parent": "LN2-01-R1", "name": "Box 1", "rows": 9, "columns": 9 }),
    ] {
        created(&floor.app, &floor.qa, "/api/v1/storage/locations", body).await;
    }
    let place = |serial: &'static str, position: &'static str| {
        post(
            &floor,
            &floor.operator,
            format!("/api/v1/vials/{serial}/storage"),
            json!({ "action": "place", "position": position }),
        )
    };
    assert_eq!(
        place("BR-COI-1-V001", "LN2-01-R1-B01:A1").await.status(),
        201
    );
    assert_problem(
        place("BR-COI-1-V002", "LN2-01-R1-B01:A1\n").await,
        409,
        "position_occupied",
    )
    .await;
    assert_problem(
        place("BR-COI-1-V002", "LN2-01-R1-B01:J1").await,
        422,
        "storage_invalid",
    )
    .await;
    assert_eq!(
        place("BR-COI-1-V002", "LN2-01-R1-B01:A2").await.status(),
        201
    );
    assert_problem(
        place("BR-COI-1-V002", "LN2-01-R1-B01:A3").await,
        409,
        "vial_storage_state",
    )
    .await;
    let the_box = get(&floor, "/api/v1/storage/boxes/LN2-01-R1-B01").await;
    assert_eq!(the_box["vials"].as_array().unwrap().len(), 2);

    // A shipment received without logger data: exception and quarantine.
    let ship = |number: &str, vials: Value| {
        post(
            &floor,
            &floor.operator,
            "/api/v1/shipments",
            json!({ "shipment_number": number, "from_site": "Plant", "to_site": "Site 01", "shipper": "CryoCourier", "dry_shipper_id": "DS-1", "seal_id": "SEAL-1", "vials": vials }),
        )
    };
    let r = ship("SH-1", json!(["BR-COI-1-V001", "BR-COI-1-V002"])).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    let first = first["shipment"]["id"].as_str().unwrap().to_string();
    assert_problem(
        ship("SH-2", json!(["BR-COI-1-V001"])).await,
        409,
        "vial_not_shippable",
    )
    .await;
    assert_eq!(
        get(&floor, "/api/v1/storage/boxes/LN2-01-R1-B01").await["vials"],
        json!([]),
        "packed vials leave the map"
    );
    let receipt_before_handover = post(
        &floor,
        &floor.verifier,
        &format!("/api/v1/shipments/{first}/receipt"),
        json!({ "seal_id": "SEAL-1", "seal_intact": true, "scanned": [] }),
    )
    .await;
    assert_problem(receipt_before_handover, 409, "shipment_state").await;
    assert_eq!(
        post(
            &floor,
            &floor.operator,
            &format!("/api/v1/shipments/{first}/handover"),
            json!({})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        post(
            &floor,
            &floor.operator,
            &format!("/api/v1/shipments/{first}/signatures"),
            sign(&floor, "zhang.wei", "performed")
        )
        .await
        .status(),
        201
    );
    let r = post(&floor, &floor.verifier, &format!("/api/v1/shipments/{first}/receipt"), json!({ "seal_id": "SEAL-1", "seal_intact": true, "scanned": ["BR-COI-1-V001", "BR-COI-1-V002"] })).await;
    assert_eq!(r.status(), 201);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["quarantined"], true);
    assert_eq!(receipt["findings"][0]["code"], "logger_missing");
    let exceptions = floor.batch(&batch).await["exceptions"].clone();
    assert!(
        exceptions
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "custody_discrepancy" && x["severity"] == "critical"),
        "{exceptions}"
    );
    assert_eq!(
        get(&floor, &format!("/api/v1/shipments/{first}")).await["status"],
        "quarantined"
    );
    let administer = |serial: &'static str| {
        post(
            &floor,
            &floor.verifier,
            format!("/api/v1/vials/{serial}/administrations"),
            json!({ "subject_id": "ALS-01-004", "site": "Site 01", "administered_at": floor.app.clock.now() }),
        )
    };
    assert_problem(
        administer("BR-COI-1-V001").await,
        409,
        "vial_not_administrable",
    )
    .await;

    // A clean shipment: a corrupt logger file is refused whole, naming the line.
    let r = ship("SH-3", json!(["BR-COI-1-V003"])).await;
    let second: Value = r.json().await.unwrap();
    let second = second["shipment"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        post(
            &floor,
            &floor.operator,
            &format!("/api/v1/shipments/{second}/handover"),
            json!({})
        )
        .await
        .status(),
        201
    );
    let receive = |csv: &str| {
        post(
            &floor,
            &floor.verifier,
            format!("/api/v1/shipments/{second}/receipt"),
            json!({ "seal_id": "SEAL-1", "seal_intact": true, "scanned": ["BR-COI-1-V003"], "logger_file_name": "DS-1.csv", "logger_csv": csv }),
        )
    };
    let body = assert_problem(
        receive("time,temp_c\nt1,-190\nt2,-18O\n").await,
        422,
        "logger_file_invalid",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("line 3"),
        "{body}"
    );
    assert_eq!(
        get(&floor, &format!("/api/v1/shipments/{second}")).await["status"],
        "in_transit",
        "nothing stored"
    );
    let r = receive("time,temp_c\nt1,-190.5\nt2,-176.0\n").await;
    let clean: Value = r.json().await.unwrap();
    assert_eq!(clean["quarantined"], false, "{clean}");
    assert_eq!(clean["event"]["logger_max_c"], "-176.0");
    assert_eq!(
        post(
            &floor,
            &floor.verifier,
            &format!("/api/v1/shipments/{second}/signatures"),
            sign(&floor, "maria.garcia", "verified")
        )
        .await
        .status(),
        201
    );
    assert_eq!(administer("BR-COI-1-V003").await.status(), 201);
    assert_problem(
        administer("BR-COI-1-V003").await,
        409,
        "vial_not_administrable",
    )
    .await;

    // R40, R48: a post-release OOS names the shipments and the sites they went to.
    let analyst = floor.app.login("li.na").await;
    let r = post(&floor, &analyst, format!("/api/v1/batches/{batch}/qc-results"), json!({ "test_key": "sterility", "outcome": "Growth", "tested_at": "2026-11-24T09:00:00Z", "sample_id": "RET-1" })).await;
    let oos: Value = r.json().await.unwrap();
    assert_eq!(oos["exceptions"][0]["kind"], "post_release_oos", "{oos}");
    let description = oos["deviations"][0]["description"].as_str().unwrap();
    assert!(
        description.contains("SH-1 to Site 01 (quarantined)")
            && description.contains("SH-3 to Site 01 (received)"),
        "{description}"
    );

    // The subject traces back to the donor: API, page and record PDF.
    let chains = get(&floor, "/api/v1/subjects/ALS-01-004/chain").await;
    let chain = &chains[0];
    assert_eq!(chain["lineage"]["serial"], "BR-COI-1-V003");
    assert_eq!(chain["lineage"]["cell_bank"]["donor_id"], DONOR_DIN);
    assert_eq!(
        chain["qualification"]["eligibility"][0]["determination"],
        "eligible"
    );
    assert_eq!(chain["label"]["state"], "applied");
    assert_eq!(chain["shipment"]["shipment"]["shipment_number"], "SH-3");
    assert_eq!(chain["administration"]["subject_id"], "ALS-01-004");
    let page = floor
        .qa
        .get(floor.app.url("/chain?q=ALS-01-004"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "G1234 98 654321 H",
        "MCB-2024-003",
        &lot_of("WCB-IPSC"),
        "BR-COI-1",
        "BR-COI-1-V003",
        "SH-3",
        "ALS-01-004",
    ] {
        assert!(
            page.contains(expected),
            "{expected} missing from the chain page"
        );
    }
    let down = get(
        &floor,
        &format!(
            "/api/v1/donors/{}/chain",
            chain["qualification"]["donor"]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        down["lots"][0]["recipients"][0][1]["subject_id"],
        "ALS-01-004"
    );
    let auditor_pdf = floor.record_pdf(&batch).await;
    let text = crate::pdf::pdftotext(&auditor_pdf, &["-raw"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "Chain of identity and custody",
        "Printed 5 = applied 4 + destroyed 1; 1 reprint(s)",
        "ALS-01-004",
        "SH-3",
        "QUARANTINED",
        "RECEIVED",
    ] {
        assert!(
            text.contains(expected),
            "{expected} missing from the record PDF"
        );
    }
}
