//! Corrections, deviations and master batch records through the pages.

use anyhow::{ensure, Context};
use ebr_db::repo::{batches, mbr, people, person_actor};
use ebr_web::clock::Clock;

use crate::harness::{run, PASSWORD};
use crate::seed::{batch_until, effective_mbr};

/// R23, R24: a correction needs a reason, keeps the original readable
/// (struck through) and shows who corrected what and why.
#[tokio::test]
async fn r24_a_correction_keeps_the_original_visible_with_its_reason() {
    run("correction", "en-US", |site, b| async move {
        let result = async {
            let batch = batch_until(&site, "BR-UI-0004", "s8-em-results")?;
            b.login(&site, "zhang.wei").await?;
            b.goto(&site.url(&format!("/batches/{batch}/steps/s8-em-results"))).await?;
            b.type_into("#f-settle_plate_cfu", "0").await?;
            b.submit_and_wait("#save-entries").await?;
            b.click("details.correct summary").await?;
            b.type_into("form[id^=corr-] input[name=value]", "1").await?;
            // The reason is required: the browser does not send the form without it.
            b.click("form[id^=corr-] button[type=submit]").await?;
            let invalid = b.js("return document.querySelector('form[id^=corr-] textarea[name=reason]').matches(':invalid')").await?;
            ensure!(invalid == true, "an empty reason is not accepted");
            b.type_into("form[id^=corr-] textarea[name=reason]", "plate read again: one colony").await?;
            b.submit_and_wait("form[id^=corr-] button[type=submit]").await?;
            ensure!(b.text("#flash").await?.contains("original stays visible"));
            let struck = b.text("tr.entry.corrected del").await?;
            ensure!(struck.starts_with('0'), "the original is struck through: {struck}");
            let rows = b.text("table.entries").await?;
            ensure!(rows.contains("plate read again: one colony") && rows.contains("corrected"), "{rows}");
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// Issue 16: the operator records the read-back of the dose step and sees,
/// before signing, the CS10 volume and the vials ebr computed from the
/// harvest count, each as its calculation; the computed fields offer no
/// input and no correction.
#[tokio::test]
async fn r45_the_computed_dose_is_shown_before_signing() {
    run("computed", "en-US", |site, b| async move {
        let result = async {
            let batch = batch_until(&site, "BR-UI-0016", "s7-dose-calculation")?;
            b.login(&site, "zhang.wei").await?;
            b.goto(&site.url(&format!("/batches/{batch}/steps/s7-dose-calculation")))
                .await?;
            let form = b.text("#entry-form").await?;
            ensure!(
                !form.contains("CS10 volume to add"),
                "a computed field offers no input: {form}"
            );
            b.click("input[name='values.count_read_back'][value='true']")
                .await?;
            b.submit_and_wait("#save-entries").await?;
            let rows = b.text("table.entries").await?;
            ensure!(
                rows.contains("cells ÷ 2.5e7 cells/mL =") && rows.contains("mL × 1 vials ="),
                "the calculations are shown: {rows}"
            );
            let corrections = b
                .js("return document.querySelectorAll('tr.entry details.correct').length")
                .await?;
            ensure!(
                corrections == 1,
                "only the read-back can be corrected, not the computed values: {corrections}"
            );
            ensure!(
                b.text("#sign-performed").await.is_ok(),
                "the step can now be signed"
            );
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// Issue 16: the operator records the medium volume first and, before
/// adding anything, sees the stock volume of each small molecule ebr
/// computed, also next to the field where the added volume is recorded.
#[tokio::test]
async fn r45_the_computed_addition_is_shown_before_it_is_made() {
    run("computed-addition", "en-US", |site, b| async move {
        let result = async {
            let batch = batch_until(&site, "BR-UI-0017", "s3-induction-medium")?;
            b.login(&site, "zhang.wei").await?;
            b.goto(&site.url(&format!("/batches/{batch}/steps/s3-induction-medium")))
                .await?;
            b.type_into("#f-medium_volume", "50").await?;
            b.submit_and_wait("#save-entries").await?;
            let rows = b.text("table.entries").await?;
            ensure!(
                rows.contains("50 mL × 3 µM ÷ 3 mM = 50.0 µL"),
                "the stock volume is computed: {rows}"
            );
            let hint = b.text("#lim-f-chir99021_added").await?;
            ensure!(
                hint.contains("computed now: 50.0 µL"),
                "the addition shows its computed volume: {hint}"
            );
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R38, R44: QA cannot close an incomplete deviation (the rule
/// `deviation_incomplete` is named); the operator who owns it investigates,
/// and QA, who took no part in it, closes it with a signature.
#[tokio::test]
async fn r38_qa_closes_a_deviation_once_investigated() {
    run("deviation", "en-US", |site, b| async move {
        let result = async {
            let batch = {
                let mut conn = site.db.connection();
                batches::find_by_number(&mut conn, "BR-2026-0002")?.id
            };
            b.login(&site, "wang.fang").await?;
            ensure!(b.text("#work-deviations").await?.contains("BR-2026-0002"));
            b.goto(&site.url(&format!("/batches/{batch}/deviations")))
                .await?;
            b.sign("form[id^=close-]", "wang.fang", PASSWORD).await?;
            b.wait_until(
                "the refusal",
                "return !document.querySelector('form[id^=close-] .form-error').hidden",
            )
            .await?;
            let refusal = b.text("form[id^=close-] .form-error").await?;
            ensure!(refusal.contains("deviation_incomplete"), "{refusal}");
            b.logout().await?;
            b.login(&site, "zhang.wei").await?;
            b.goto(&site.url(&format!("/batches/{batch}/deviations")))
                .await?;
            b.click("details.revise summary").await?;
            b.el("form[id^=revise-] select[name=classification]")
                .await?
                .select_by_value("major")
                .await?;
            b.type_into(
                "form[id^=revise-] textarea[name=investigation]",
                "Thaw log and cell counter checked.",
            )
            .await?;
            b.type_into(
                "form[id^=revise-] textarea[name=root_cause]",
                "Vial warmed too slowly.",
            )
            .await?;
            b.type_into(
                "form[id^=revise-] textarea[name=impact]",
                "Viability recovered by day 2; no impact on the batch.",
            )
            .await?;
            b.click("form[id^=revise-] input[name=start_investigation]")
                .await?;
            b.submit_and_wait("form[id^=revise-] button[type=submit]")
                .await?;
            ensure!(b
                .text("section.deviation")
                .await?
                .contains("Under investigation"));
            b.logout().await?;
            b.login(&site, "wang.fang").await?;
            b.goto(&site.url(&format!("/batches/{batch}/deviations")))
                .await?;
            b.sign("form[id^=close-]", "wang.fang", PASSWORD).await?;
            b.signed().await?;
            ensure!(b.text("section.deviation h2").await?.contains("Closed"));
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R28: QA compares a new MBR draft with the effective version and approves
/// it with a signature; the new version becomes effective and the old one
/// superseded.
#[tokio::test]
async fn r28_qa_compares_and_approves_a_new_mbr_version() {
    run("mbr_approval", "en-US", |site, b| async move {
        let result = async {
            let (old_id, old) = effective_mbr(&site)?;
            let mut new = old.clone();
            new.title.push_str(" (revision 2)");
            let first = new
                .stages
                .first_mut()
                .and_then(|s| s.steps.first_mut())
                .context("a step")?;
            first.instructions.push_str(" Record the room number.");
            let first_key = first.key.clone();
            let new_id = {
                let mut conn = site.db.connection();
                let author =
                    people::find_by_username(&mut conn, "sam.okafor")?.context("author")?;
                match mbr::import_draft(
                    &mut conn,
                    &new,
                    &person_actor(author.id),
                    site.clock.now(),
                )? {
                    mbr::ImportOutcome::Created(row) | mbr::ImportOutcome::AlreadyPresent(row) => {
                        row.id
                    }
                }
            };
            b.login(&site, "wang.fang").await?;
            b.goto(&site.url("/mbrs")).await?;
            ensure!(b.text("table.list").await?.contains("Draft"));
            b.goto(&site.url(&format!("/mbrs/{new_id}"))).await?;
            b.el("#against")
                .await?
                .select_by_value(&old_id.to_string())
                .await?;
            b.submit_and_wait("form.inline button[type=submit]").await?;
            let diff = b.text("table.diff").await?;
            ensure!(
                diff.contains("header title") && diff.contains("(revision 2)"),
                "{diff}"
            );
            ensure!(diff.contains(&format!("step {first_key}")), "{diff}");
            b.sign("#approve-mbr", "wang.fang", PASSWORD).await?;
            b.signed().await?;
            ensure!(b.text("h1").await?.contains("Effective"));
            ensure!(b.text("main").await?.contains("王芳"));
            b.goto(&site.url(&format!("/mbrs/{old_id}"))).await?;
            ensure!(b.text("h1").await?.contains("Superseded"));
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R35: a batch record is issued from an effective MBR with a released
/// starting-material lot; an unknown lot is refused with the rule named.
#[tokio::test]
async fn r35_a_batch_record_is_issued_from_the_batch_list() {
    run("issue_batch", "en-US", |site, b| async move {
        let result = async {
            b.login(&site, "wang.fang").await?;
            b.goto(&site.url("/batches")).await?;
            b.click("section.panel details summary").await?;
            b.type_into("#new-number", "BR-UI-0005").await?;
            b.type_into("#new-wcb", "WCB-IPSC-2026-999\u{E007}").await?;
            b.type_into("#new-vial", "WCB-0042-V21").await?;
            b.click("#issue-batch button[type=submit]").await?;
            b.wait_until(
                "the refusal",
                "return !document.querySelector('#issue-batch .form-error').hidden",
            )
            .await?;
            ensure!(b
                .text("#issue-batch .form-error")
                .await?
                .contains("lot_unknown"));
            b.type_into("#new-wcb", "WCB-IPSC-2026-001").await?;
            b.submit_and_wait("#issue-batch button[type=submit]")
                .await?;
            ensure!(
                b.path().await?.starts_with("/batches/01"),
                "the new batch opens"
            );
            ensure!(b.text(".batch-head").await?.contains("BR-UI-0005"));
            ensure!(b.text("#flash").await?.contains("Batch record issued"));
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// QA registers a material lot in the registry page; it is listed with its
/// status, and an expired lot is marked as expired in words.
#[tokio::test]
async fn qa_registers_a_material_lot() {
    run("registry", "en-US", |site, b| async move {
        let result = async {
            b.login(&site, "wang.fang").await?;
            b.goto(&site.url("/registry")).await?;
            let lots = b.text("main table.list").await?;
            ensure!(
                lots.contains("CS10-2025-EXP") && lots.contains("expired"),
                "the expired demo lot is marked"
            );
            b.click("section.panel details summary").await?;
            b.type_into("#lot-material", "DPBS").await?;
            b.type_into("#lot-number", "DPBS-2026-777").await?;
            b.type_into("#lot-supplier", "Demo Supplier Ltd.").await?;
            b.el("#lot-status")
                .await?
                .select_by_value("released")
                .await?;
            b.js("document.getElementById('lot-expiry').value = '2027-06-30T00:00'; return true")
                .await?;
            b.submit_and_wait("#register-lot button[type=submit]")
                .await?;
            ensure!(b.text("#flash").await?.contains("Registered"));
            ensure!(b.text("main table.list").await?.contains("DPBS-2026-777"));
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}
