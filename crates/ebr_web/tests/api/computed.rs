//! Issue 16: calculations the operator no longer does by hand. The dose
//! step of the reference MBR computes the CS10 volume from the harvest
//! count and the whole vials it fills; the record keeps each result with
//! its calculation and evaluates it against its limits.

use serde_json::{json, Value};

use crate::batch_helpers::{good_values, reference, Floor};
use crate::helpers::assert_problem;

/// Runs a batch to the dose step with `total_viable_cells` harvested.
async fn at_dose_step(floor: &Floor, number: &str, total_viable_cells: &str) -> String {
    let batch = floor.issue(number).await;
    floor.complete_until(&batch, "s6-harvest-count").await;
    let harvest = reference().step("s6-harvest-count").unwrap().clone();
    let mut values = good_values(&harvest);
    values["total_viable_cells"] = json!(total_viable_cells);
    let r = floor.record(&batch, &harvest.key, values).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    floor.sign_off(&batch, &harvest).await;
    floor
        .complete(&batch, reference().step("s6-cold-hold").unwrap())
        .await;
    batch
}

/// Step `key` of a batch as `GET /api/v1/batches/{id}` shows it.
fn step_of(detail: &Value, key: &str) -> Value {
    detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap()
        .clone()
}

/// The entries of step `key`, oldest first.
fn entries_of(detail: &Value, key: &str) -> Vec<Value> {
    step_of(detail, key)["entries"].as_array().unwrap().clone()
}

fn computed(detail: &Value) -> Vec<(String, String)> {
    entries_of(detail, "s7-dose-calculation")
        .into_iter()
        .filter(|e| e["value"]["kind"] == "computed")
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["value"]["calculation"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The CS10 volume and the vials are computed when the dose step is first
/// recorded, exactly and rounded as declared, each with its calculation;
/// they cannot be typed; a computed dose out of specification opens a
/// deviation like any value.
#[tokio::test]
async fn r45_the_dose_is_computed_with_its_calculation_and_evaluated() {
    let floor = Floor::new().await;
    let batch = at_dose_step(&floor, "BR-CALC-1", "1.01e9").await;

    let typed = floor
        .record(
            &batch,
            "s7-dose-calculation",
            json!({ "cs10_volume": "40" }),
        )
        .await;
    assert_problem(typed, 422, "computed_by_server").await;

    let r = floor
        .record(
            &batch,
            "s7-dose-calculation",
            json!({ "count_read_back": true }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let recorded: Value = r.json().await.unwrap();
    assert_eq!(
        recorded["entries"].as_array().unwrap().len(),
        3,
        "{recorded}"
    );
    assert!(recorded["deviations"].as_array().unwrap().is_empty());

    let detail = floor.batch(&batch).await;
    assert_eq!(
        computed(&detail),
        vec![
            (
                "cs10_volume".to_string(),
                "1.01e9 cells ÷ 2.5e7 cells/mL = 40.4 mL".to_string()
            ),
            (
                "planned_vials".to_string(),
                "40.4 mL ÷ 2.0 mL × 1 vials = 20 vials".to_string()
            ),
        ]
    );
    floor
        .sign_off(&batch, reference().step("s7-dose-calculation").unwrap())
        .await;
    // The PDF prints each computed value as its calculation.
    let pdf = floor
        .qa
        .get(
            floor
                .app
                .url(&format!("/api/v1/batches/{batch}/record.pdf")),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = crate::pdf::pdftotext(&pdf, &["-raw"]).replace('\n', " ");
    assert!(
        text.contains("1.01e9 cells ÷ 2.5e7 cells/mL = 40.4 mL"),
        "the PDF prints the calculation"
    );

    // The count is corrected after the dose step was signed: the dose and
    // the vials are computed again as corrections of the old values, which
    // stay; the dose step's signatures are superseded.
    let count_entry = entries_of(&detail, "s6-harvest-count")
        .into_iter()
        .find(|e| e["field"] == "total_viable_cells")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = floor
        .operator
        .post(floor.app.url(&format!(
            "/api/v1/batches/{batch}/entries/{count_entry}/corrections"
        )))
        .json(&json!({ "value": "8.0e8", "reason": "transcription: the counter printout reads 8.0e8" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let corrected: Value = r.json().await.unwrap();
    // The correction, then the harvest yield (same step), the CS10 volume
    // and the vials (the dose step), each recomputed.
    let fields: Vec<&str> = corrected["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "total_viable_cells",
            "harvest_yield",
            "cs10_volume",
            "planned_vials"
        ],
        "{corrected}"
    );
    let detail = floor.batch(&batch).await;
    let dose = step_of(&detail, "s7-dose-calculation");
    let values: Vec<(String, bool)> = dose["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["value"]["kind"] == "computed")
        .map(|e| {
            (
                e["value"]["calculation"].as_str().unwrap().to_string(),
                e["corrected"] == true,
            )
        })
        .collect();
    assert!(
        values.contains(&("1.01e9 cells ÷ 2.5e7 cells/mL = 40.4 mL".to_string(), true)),
        "{values:?}"
    );
    assert!(
        values.contains(&("8.0e8 cells ÷ 2.5e7 cells/mL = 32.0 mL".to_string(), false)),
        "{values:?}"
    );
    assert!(
        values.contains(&("32.0 mL ÷ 2.0 mL × 1 vials = 16 vials".to_string(), false)),
        "{values:?}"
    );
    assert_eq!(
        dose["state"], "in_progress",
        "the dose step must be signed again: {dose}"
    );

    // Ten times the cells: 404 mL and 202 vials, both out of specification.
    let big = at_dose_step(&floor, "BR-CALC-2", "1.01e10").await;
    let r = floor
        .record(
            &big,
            "s7-dose-calculation",
            json!({ "count_read_back": true }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let recorded: Value = r.json().await.unwrap();
    assert_eq!(
        recorded["deviations"].as_array().unwrap().len(),
        2,
        "{recorded}"
    );
}

/// Issue 16: the induction medium shows the stock volume of each small
/// molecule computed from the medium volume; the operator records what was
/// added; an addition beyond the tolerance of its computed volume is an
/// exception, and the final concentration computed from it is evaluated
/// (3.6 µM CHIR99021 is out of specification: a deviation).
#[tokio::test]
async fn r38_an_addition_missing_its_computed_volume_is_flagged() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-CALC-3").await;
    floor.complete_until(&batch, "s3-induction-medium").await;
    let step = reference().step("s3-induction-medium").unwrap().clone();
    let mut values = good_values(&step);
    values["chir99021_added"] = json!("60");
    let r = floor.record(&batch, &step.key, values).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let recorded: Value = r.json().await.unwrap();
    let kinds: Vec<&str> = recorded["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "target_missed").count(),
        1,
        "{recorded}"
    );
    assert_eq!(
        recorded["deviations"].as_array().unwrap().len(),
        1,
        "{recorded}"
    );
    let detail = floor.batch(&batch).await;
    let calculations: Vec<String> = entries_of(&detail, "s3-induction-medium")
        .into_iter()
        .filter_map(|e| e["value"]["calculation"].as_str().map(str::to_string))
        .collect();
    assert!(
        calculations.contains(&"50 mL × 3 µM ÷ 3 mM = 50.0 µL".to_string()),
        "{calculations:?}"
    );
    assert!(
        calculations.contains(&"60 µL × 3 mM ÷ 50 mL = 3.60 µM".to_string()),
        "{calculations:?}"
    );
}

/// Issue 16: the post-thaw count gives the viable concentration; seeding
/// computes the volume of suspension to seed; correcting the count after
/// seeding recomputes both (the old values stay, struck through) and
/// supersedes the signatures of both steps.
#[tokio::test]
async fn r24_a_corrected_count_recomputes_the_seeding_volume() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-CALC-4").await;
    floor.complete_until(&batch, "s1-post-thaw-count").await;
    let count = reference().step("s1-post-thaw-count").unwrap().clone();
    let mut values = good_values(&count);
    values["viable_cells"] = json!("3.0e6");
    values["resuspension_volume"] = json!("2");
    let r = floor.record(&batch, &count.key, values).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    floor.sign_off(&batch, &count).await;
    let seed = reference().step("s1-seed").unwrap().clone();
    let mut values = good_values(&seed);
    values["seeding_density"] = json!("15000");
    values["vessel_area"] = json!("25");
    let r = floor.record(&batch, &seed.key, values).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    floor.sign_off(&batch, &seed).await;
    let calculations = |detail: &Value, step: &str| -> Vec<(String, bool)> {
        entries_of(detail, step)
            .into_iter()
            .filter_map(|e| {
                e["value"]["calculation"]
                    .as_str()
                    .map(|c| (c.to_string(), e["corrected"] == true))
            })
            .collect()
    };
    let detail = floor.batch(&batch).await;
    assert_eq!(
        calculations(&detail, "s1-seed"),
        vec![(
            "15000 cells/cm² × 25 cm² ÷ 1500000 cells/mL = 0.25 mL".to_string(),
            false
        )]
    );
    let entry = entries_of(&detail, "s1-post-thaw-count")
        .into_iter()
        .find(|e| e["field"] == "viable_cells")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = floor
        .operator
        .post(floor.app.url(&format!(
            "/api/v1/batches/{batch}/entries/{entry}/corrections"
        )))
        .json(&json!({ "value": "2.5e6", "reason": "recount of the aliquot" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let detail = floor.batch(&batch).await;
    let seeding = calculations(&detail, "s1-seed");
    assert!(
        seeding.contains(&(
            "15000 cells/cm² × 25 cm² ÷ 1500000 cells/mL = 0.25 mL".to_string(),
            true
        )) && seeding.contains(&(
            "15000 cells/cm² × 25 cm² ÷ 1250000 cells/mL = 0.30 mL".to_string(),
            false
        )),
        "{seeding:?}"
    );
    for step in ["s1-post-thaw-count", "s1-seed"] {
        let state = step_of(&detail, step)["state"].clone();
        assert_eq!(state, "in_progress", "{step} must be signed again");
    }
}
