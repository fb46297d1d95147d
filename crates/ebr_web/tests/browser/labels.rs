//! Labels and the chain of identity through the pages (R47, R49).

use anyhow::{ensure, Context};
use ebr_db::repo::custody::labels;

use crate::harness::{run, PASSWORD};
use crate::journey::fill_step;
use crate::screens::check_and_save;
use crate::seed::{batch_until, effective_mbr};

/// R49 on the tablet: the labelling step shows its labels as not
/// reconciled, the operator prints the sheet, a label scanned against the
/// wrong vial is refused in words, each label is scanned back against its
/// vial, a damaged label is destroyed with a reason and reprinted, and the
/// step is signed once printed = applied + destroyed. The panel fits the
/// tablet (768×1024, 44 px targets, AA contrast).
#[tokio::test]
async fn r49_labels_are_printed_scanned_back_and_reconciled_on_the_tablet() {
    run("labels", "en-US", |site, b| async move {
        let result = async {
            let batch = batch_until(&site, "BR-UI-LBL1", "s7-label")?;
            let (_, mbr) = effective_mbr(&site)?;
            let step = mbr.step("s7-label").context("labelling step")?.clone();
            b.login(&site, "zhang.wei").await?;
            b.goto(&site.url(&format!("/batches/{batch}/steps/s7-label"))).await?;
            fill_step(&b, &site, &step).await?;
            b.submit_and_wait("#save-entries").await?;
            ensure!(b.text("#label-reconciliation").await?.contains("not reconciled"));
            b.submit_and_wait("#print-labels button[type=submit]").await?;
            ensure!(b.text("#flash").await?.contains("Labels printed"), "printed flash");
            b.js("document.getElementById('labels').scrollIntoView(); return true").await?;
            check_and_save(&b, "labels-printed").await?;
            let printed = labels::list(&mut site.db.connection(), batch)?;
            ensure!(printed.len() == 11, "one label per vial and one for the box: {}", printed.len());
            let scan = |code: String, vial: String| {
                let b = &b;
                async move {
                    b.js("document.getElementById('scan-label-code').value = ''; document.getElementById('scan-label-vial').value = ''; return true").await?;
                    // A scanner types the code and Enter, which moves to the next field.
                    b.type_into("#scan-label-code", &format!("{code}\u{E007}")).await?;
                    b.type_into("#scan-label-vial", &vial).await?;
                    anyhow::Ok(())
                }
            };
            scan(printed[0].label.barcode.clone(), printed[1].applied_to.clone()).await?;
            b.click("#verify-label").await?;
            b.wait_until(
                "the refusal of a wrong vial",
                "var e = document.querySelector('#scan-label .form-error'); return e && !e.hidden && e.textContent.includes('another vial')",
            )
            .await?;
            b.type_into("#destroy-2", "torn while applying").await?;
            b.submit_and_wait("#destroy-2 ~ button[type=submit]").await?;
            b.type_into("#reprint-2", "label 2 torn").await?;
            b.submit_and_wait("#reprint-2 ~ button[type=submit]").await?;
            let now = labels::list(&mut site.db.connection(), batch)?;
            for l in now.iter().filter(|l| l.state == ebr_domain::custody::labels::LabelState::Printed) {
                scan(l.label.barcode.clone(), l.applied_to.clone()).await?;
                b.submit_and_wait("#verify-label").await?;
            }
            let summary = b.text("#label-reconciliation").await?;
            ensure!(summary.contains("Printed 12 = applied 11 + destroyed 1"), "{summary}");
            ensure!(summary.contains("reconciled") && !summary.contains("not reconciled"), "{summary}");
            b.sign("#sign-performed", "zhang.wei", PASSWORD).await?;
            b.signed().await?;
            let list = b.text("#label-list").await?;
            ensure!(list.contains("reprint of 2") && list.contains("destroyed"), "{list}");
            ensure!(!b.text("main").await?.contains("Verify the label"), "no scanning after signing");
            anyhow::Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R47 on one page: the auditor traces the demo's subject back to the
/// donor, and the released batch's box shows its vials by position; both
/// pages fit the tablet.
#[tokio::test]
async fn r47_the_auditor_traces_a_subject_to_the_donor_on_one_page() {
    run("chain", "en-US", |site, b| async move {
        let result = async {
            b.login(&site, "audrey.martin").await?;
            b.goto(&site.url("/chain")).await?;
            b.type_into("#chain-q", "ALS-01-004\u{E007}").await?;
            b.wait_until("the chain", "return location.search.includes('ALS-01-004') && document.readyState === 'complete'").await?;
            let chain = b.text("main").await?;
            check_and_save(&b, "chain-of-identity").await?;
            for expected in ["G1234 98 654321 H", "eligible", "MCB-2024-003", "BR-2026-0001", "BR-2026-0001-V001", "SH-2026-0001", "received", "ALS-01-004"] {
                ensure!(chain.contains(expected), "{expected} missing from the chain page");
            }
            b.goto(&site.url("/storage/LN2-01-R1-B01")).await?;
            let the_box = b.text("table.storage-box").await?;
            check_and_save(&b, "storage-box").await?;
            ensure!(the_box.contains("BR-2026-0001-V003") && !the_box.contains("BR-2026-0001-V001"), "{the_box}");
            anyhow::Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}
