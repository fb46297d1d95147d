//! The whole life of a batch through the pages, in one browser: operators
//! execute and sign steps and a second person verifies, one QC analyst
//! enters the release results and another reviews them, QA reviews the
//! record by exception, the release authority releases, and an auditor
//! finds the batch and downloads its PDF. The refusals a person meets on
//! the way are tried where they happen: a wrong password, verifying one's
//! own step, an out-of-specification value before it is saved.

use anyhow::{ensure, Context, Result};
use ebr_domain::mbr::{FieldKind, QcSpecification, Step};
use ebr_web::clock::Clock;
use ebr_web::commands::demo::floor::good_values;
use serde_json::Value;
use uuid::Uuid;

use crate::harness::{run, Browser, Site, PASSWORD};
use crate::seed::{batch_until, effective_mbr};

const BATCH: &str = "BR-UI-0001";
const FIRST_STEP: &str = "s8-transfer";

/// Fills the entry form of `step` with values within specification, the way
/// a person does: typing, choosing, and scanning (code, then Enter).
pub async fn fill_step(b: &Browser, site: &Site, step: &Step) -> Result<()> {
    for input in good_values(step, site.clock.now()) {
        let field = step
            .fields
            .iter()
            .find(|f| f.key == input.field_key)
            .context("field of the step")?;
        let css = format!("#f-{}", field.key);
        let text = match &input.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match &field.kind {
            FieldKind::Choice { .. } => {
                b.el(&css).await?.select_by_value(&text).await?;
            }
            FieldKind::Check {} => {
                b.click(&format!(
                    "input[name='values.{}'][value='{text}']",
                    field.key
                ))
                .await?;
            }
            FieldKind::Material { .. } | FieldKind::Equipment { .. } => {
                b.type_into(&css, &format!("{text}\u{E007}")).await?;
            }
            FieldKind::DateTime {} => {
                b.js(&format!(
                    "document.querySelector('{css}').value = new Date('{text}').toISOString().slice(0, 16); return true"
                ))
                .await?;
            }
            _ => b.type_into(&css, &text).await?,
        }
    }
    Ok(())
}

async fn flash(b: &Browser) -> Result<String> {
    b.text("#flash").await
}

async fn state_of_step(b: &Browser) -> Result<String> {
    b.text("#step-state").await
}

async fn operator_performs_first_step(
    site: &Site,
    b: &Browser,
    batch: Uuid,
    step: &Step,
) -> Result<()> {
    b.login(site, "zhang.wei").await?;
    let home = b.text("#work-perform").await?;
    ensure!(
        home.contains(BATCH) && home.contains(&step.name),
        "the operator's worklist offers the step: {home}"
    );
    b.click("#work-perform a").await?;
    b.ready().await?;
    ensure!(b.path().await? == format!("/batches/{batch}/steps/{}", step.key));
    ensure!(b
        .text("#step")
        .await?
        .contains(&step.instructions.chars().take(30).collect::<String>()));
    // Limits are shown before entry.
    let limits = b.text("#entry-form").await?;
    ensure!(
        limits.contains("specification"),
        "limits shown before entry: {limits}"
    );
    // An out-of-specification value is flagged with its consequence before saving.
    let number = step
        .fields
        .iter()
        .find(|f| {
            matches!(
                f.kind,
                FieldKind::Number {
                    action: Some(_),
                    ..
                }
            )
        })
        .context("a number field with a specification")?;
    b.type_into(&format!("#f-{}", number.key), "9999\u{E004}")
        .await?;
    b.wait_until("the out-of-specification warning", &format!(
        "return document.getElementById('hint-f-{}').textContent.includes('Out of specification')", number.key)).await?;
    let warning = b.text(&format!("#hint-f-{}", number.key)).await?;
    ensure!(
        warning.contains("deviation") && warning.contains("cannot be released"),
        "consequence spelled out: {warning}"
    );
    fill_step(b, site, step).await?;
    b.wait_until("the warning cleared", &format!(
        "return document.getElementById('hint-f-{}').textContent.includes('Within specification')", number.key)).await?;
    b.submit_and_wait("#save-entries").await?;
    ensure!(flash(b).await?.contains("Values recorded"));
    ensure!(b.text("table.entries").await?.contains(&number.label));
    // R19/R16: the first signature of the session asks for the username too;
    // a wrong password is refused and nothing is signed.
    b.sign("#sign-performed", "zhang.wei", "not-my-password")
        .await?;
    b.wait_until(
        "the refusal in the dialog",
        "return !document.getElementById('sign-error').hidden",
    )
    .await?;
    let refusal = b.text("#sign-error").await?;
    ensure!(
        refusal.contains("Password incorrect") && refusal.contains("password_incorrect"),
        "{refusal}"
    );
    b.type_into("#sign-password", PASSWORD).await?;
    b.click("#sign-submit").await?;
    b.signed().await?;
    ensure!(flash(b).await?.contains("Signed"));
    ensure!(state_of_step(b).await?.contains("Awaiting verification"));
    // R42: the performer cannot verify their own step.
    b.sign("#sign-verified", "zhang.wei", PASSWORD).await?;
    b.wait_until(
        "the self-verification refusal",
        "return !document.querySelector('#sign-verified .form-error').hidden",
    )
    .await?;
    let refusal = b.text("#sign-verified .form-error").await?;
    ensure!(
        refusal.contains("cannot verify") && refusal.contains("performer_cannot_verify"),
        "{refusal}"
    );
    ensure!(state_of_step(b).await?.contains("Awaiting verification"));
    b.logout().await
}

async fn second_person_verifies(site: &Site, b: &Browser, step: &Step) -> Result<()> {
    b.login(site, "maria.garcia").await?;
    let queue = b.text("#work-verify").await?;
    ensure!(queue.contains(&step.name), "verification queue: {queue}");
    b.click("#work-verify a").await?;
    b.ready().await?;
    let signatures = b.text("#sig-h + ul").await.unwrap_or_default();
    ensure!(
        signatures.contains("张伟"),
        "the performer's signature is shown: {signatures}"
    );
    b.sign("#sign-verified", "maria.garcia", PASSWORD).await?;
    b.signed().await?;
    ensure!(state_of_step(b).await?.contains("Complete"));
    b.logout().await
}

async fn operator_finishes(site: &Site, b: &Browser, batch: Uuid, steps: &[Step]) -> Result<()> {
    b.login(site, "zhang.wei").await?;
    for step in steps {
        b.goto(&site.url(&format!("/batches/{batch}/steps/{}", step.key)))
            .await?;
        fill_step(b, site, step).await?;
        b.submit_and_wait("#save-entries").await?;
        b.sign("#sign-performed", "zhang.wei", PASSWORD).await?;
        b.signed().await?;
        if step.critical {
            b.logout().await?;
            second_person_verifies(site, b, step).await?;
            b.login(site, "zhang.wei").await?;
            b.goto(&site.url(&format!("/batches/{batch}/steps/{}", step.key)))
                .await?;
        }
        ensure!(
            state_of_step(b).await?.contains("Complete"),
            "{} complete",
            step.key
        );
    }
    b.goto(&site.url(&format!("/batches/{batch}"))).await?;
    ensure!(b.text("main").await?.contains("47 of 47 steps complete"));
    b.logout().await
}

fn passing_result(spec: &QcSpecification) -> String {
    match spec {
        QcSpecification::Numeric { acceptance, .. } => acceptance
            .min
            .or(acceptance.max)
            .map(|n| n.to_string())
            .or_else(|| {
                acceptance
                    .below
                    .map(|b| (b.value() / rust_decimal::Decimal::from(2)).to_string())
            })
            .unwrap_or_else(|| "1".into()),
        QcSpecification::Expected { expected, .. } => expected.clone(),
    }
}

async fn qc_enters_and_reviews(site: &Site, b: &Browser, batch: Uuid) -> Result<()> {
    let (_, mbr) = effective_mbr(site)?;
    b.login(site, "li.na").await?;
    b.goto(&site.url(&format!("/batches/{batch}/qc"))).await?;
    for test in &mbr.release_panel {
        let section = format!("#enter-{}", test.key);
        let value = passing_result(&test.spec);
        match &test.spec {
            QcSpecification::Numeric { .. } => {
                b.type_into(&format!("{section} input[name=value]"), &value)
                    .await?
            }
            QcSpecification::Expected { .. } => {
                b.el(&format!("{section} select[name=outcome]"))
                    .await?
                    .select_by_value(&value)
                    .await?;
            }
        }
        b.js(&format!(
            "document.querySelector('{section} input[name=tested_at]').value = new Date(Date.now() - 86400000).toISOString().slice(0, 16); return true"
        ))
        .await?;
        b.type_into(
            &format!("{section} input[name=instrument_id]"),
            "QC-INSTR-01",
        )
        .await?;
        b.type_into(
            &format!("{section} input[name=sample_id]"),
            &format!("{BATCH}-QC-{}", test.key),
        )
        .await?;
        b.submit_and_wait(&format!("{section} button[type=submit]"))
            .await?;
        ensure!(
            flash(b).await?.contains("QC result entered"),
            "{}",
            test.key
        );
    }
    ensure!(b.text("main").await?.contains(&format!(
        "{0} of {0} release tests have a result",
        mbr.release_panel.len()
    )));
    // The analyst who entered a result cannot review it (second-analyst review).
    let first = mbr.release_panel.first().context("a release test")?;
    b.sign(&format!("#review-{}", first.key), "li.na", PASSWORD)
        .await?;
    b.wait_until(
        "the second-analyst refusal",
        &format!(
            "return !document.querySelector('#review-{} .form-error').hidden",
            first.key
        ),
    )
    .await?;
    ensure!(b
        .text(&format!("#review-{} .form-error", first.key))
        .await?
        .contains("analyst_cannot_review"));
    b.logout().await?;
    b.login(site, "tom.becker").await?;
    let queue = b.text("#work-qc").await?;
    ensure!(
        queue.contains(BATCH),
        "the second analyst's worklist: {queue}"
    );
    b.goto(&site.url(&format!("/batches/{batch}/qc"))).await?;
    for test in &mbr.release_panel {
        b.sign(&format!("#review-{}", test.key), "tom.becker", PASSWORD)
            .await?;
        b.signed().await?;
    }
    ensure!(b
        .text("main")
        .await?
        .contains(&format!("{} reviewed", mbr.release_panel.len())));
    b.logout().await
}

async fn qa_reviews(site: &Site, b: &Browser, batch: Uuid) -> Result<()> {
    b.login(site, "wang.fang").await?;
    ensure!(b.text("#work-qa").await?.contains(BATCH));
    b.goto(&site.url(&format!("/batches/{batch}/review")))
        .await?;
    // Before QA signs, the gate names the missing review.
    ensure!(b.text("#release-gate").await?.contains("QA review missing"));
    b.sign("#attest-review", "wang.fang", PASSWORD).await?;
    b.signed().await?;
    ensure!(flash(b).await?.contains("Record reviewed"));
    ensure!(b.text("#qa-review").await?.contains("王芳"));
    b.logout().await
}

async fn release_authority_releases(site: &Site, b: &Browser, batch: Uuid) -> Result<()> {
    b.login(site, "anna.schmidt").await?;
    ensure!(b.text("#work-release").await?.contains(BATCH));
    b.goto(&site.url(&format!("/batches/{batch}/review")))
        .await?;
    ensure!(b
        .text("#gate-state")
        .await?
        .contains("Nothing blocks release"));
    b.sign("#release-batch", "anna.schmidt", PASSWORD).await?;
    b.signed().await?;
    ensure!(flash(b).await?.contains("Batch released"));
    ensure!(b.text(".batch-head").await?.contains("Released"));
    b.logout().await
}

async fn auditor_downloads(site: &Site, b: &Browser, batch: Uuid) -> Result<()> {
    b.login(site, "audrey.martin").await?;
    b.goto(&site.url("/batches")).await?;
    b.type_into("#q", "UI-0001").await?;
    b.el("#status").await?.select_by_value("released").await?;
    b.submit_and_wait("form.filters button[type=submit]")
        .await?;
    let list = b.text("table.list tbody").await?;
    ensure!(
        list.contains(BATCH) && !list.contains("BR-2026-0002"),
        "search result: {list}"
    );
    b.click("table.list tbody a").await?;
    b.ready().await?;
    ensure!(b.path().await? == format!("/batches/{batch}"));
    // The audit trail shows every signature, filterable.
    b.goto(&site.url(&format!("/batches/{batch}/audit?action=signature.created")))
        .await?;
    let trail = b.text("table.audit").await?;
    ensure!(
        trail.contains("signature.created") && !trail.contains("entry.recorded"),
        "filtered trail"
    );
    // The refused self-verification is in the trail, naming the rule.
    b.el("#a-action")
        .await?
        .select_by_value("step.sign.refused")
        .await?;
    b.submit_and_wait("form.filters button[type=submit]")
        .await?;
    let refused = b.text("table.audit").await?;
    ensure!(
        refused.contains("performer_cannot_verify") && refused.contains("refused"),
        "refusal in the trail: {refused}"
    );
    // The PDF link downloads the record with the auditor's session.
    let href = b
        .el("#pdf-download")
        .await?
        .attr("href")
        .await?
        .context("PDF link")?;
    let fetched = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(async r => {
               const bytes = new Uint8Array(await r.arrayBuffer());
               done({status: r.status, type: r.headers.get('content-type'), sha: r.headers.get('x-ebr-record-sha256'),
                     head: String.fromCharCode(...bytes.slice(0, 5)), size: bytes.length});
             }).catch(e => done({error: String(e)}));",
            vec![Value::String(href)],
        )
        .await?;
    ensure!(fetched["status"] == 200, "PDF download: {fetched}");
    ensure!(fetched["head"] == "%PDF-", "a PDF: {fetched}");
    ensure!(
        fetched["size"].as_u64().unwrap_or(0) > 10_000,
        "a whole record: {fetched}"
    );
    ensure!(
        fetched["sha"].as_str().is_some_and(|s| s.len() == 64),
        "record hash header: {fetched}"
    );
    b.logout().await
}

/// R12, R16, R26, R29, R42, R45 through the pages: the journey from the
/// floor to release and the auditor's download (signatures shown with name
/// and meaning, username at the first signature, release only by the
/// release authority after QA's review, no self-verification, critical
/// steps verified by a second person).
#[tokio::test]
async fn a_batch_from_the_floor_to_release_and_the_auditors_pdf() {
    run("journey", "en-US", |site, b| async move {
        let result = async {
            let batch = batch_until(&site, BATCH, FIRST_STEP)?;
            let (_, mbr) = effective_mbr(&site)?;
            let remaining: Vec<Step> = mbr
                .steps()
                .map(|(_, s)| s.clone())
                .skip_while(|s| s.key != FIRST_STEP)
                .collect();
            let (first, rest) = remaining.split_first().context("steps left")?;
            ensure!(first.critical, "the journey's first step is critical");
            operator_performs_first_step(&site, &b, batch, first).await?;
            second_person_verifies(&site, &b, first).await?;
            operator_finishes(&site, &b, batch, rest).await?;
            qc_enters_and_reviews(&site, &b, batch).await?;
            qa_reviews(&site, &b, batch).await?;
            release_authority_releases(&site, &b, batch).await?;
            auditor_downloads(&site, &b, batch).await
        }
        .await;
        (b, result)
    })
    .await;
}
