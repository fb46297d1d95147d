//! Labels and the chain of identity through the pages (R47, R49).

use anyhow::{ensure, Context};
use ebr_db::repo::custody::labels;

use ebr_web::clock::Clock;

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

/// R47, R48 on the pages: an operator packs a released vial, records and
/// signs the hand-over; at the site the receipt is recorded with the
/// temperature-logger file uploaded and signed, the subject is recorded
/// against the vial, and the chain page traces that subject to the donor.
#[tokio::test]
async fn r47_r48_a_shipment_is_packed_handed_over_received_and_administered_on_the_pages() {
    run("shipments", "en-US", |site, b| async move {
        let result = async {
            b.login(&site, "zhang.wei").await?;
            b.goto(&site.url("/shipments")).await?;
            ensure!(b.text("main").await?.contains("SH-2026-0001"), "the demo shipment is listed");
            b.js("document.querySelector('#pack-shipment').closest('details').open = true; return true").await?;
            for (css, text) in [
                ("#sh-number", "SH-UI-1"),
                ("#sh-from", "Plant cleanroom B"),
                ("#sh-to", "Site 02"),
                ("#sh-shipper", "CryoCourier GmbH"),
                ("#sh-dry", "DS-0420"),
                ("#sh-seal", "SEAL-9001"),
                ("#sh-vials", "BR-2026-0001-V003"),
            ] {
                b.type_into(css, text).await?;
            }
            b.submit_and_wait("#pack-shipment button[type=submit]").await?;
            ensure!(b.text("#shipment-SH-UI-1").await?.contains("packed"));
            b.submit_and_wait("#handover-SH-UI-1 button[type=submit]").await?;
            b.sign("#sign-handover-SH-UI-1", "zhang.wei", PASSWORD).await?;
            b.signed().await?;
            ensure!(b.text("#shipment-SH-UI-1").await?.contains("in transit"));
            b.logout().await?;

            b.login(&site, "maria.garcia").await?;
            b.goto(&site.url("/shipments")).await?;
            let logger = std::env::temp_dir().join(format!("ebr-logger-{}.csv", uuid::Uuid::new_v4().simple()));
            std::fs::write(&logger, "timestamp,temperature_c\n2026-12-01T08:00:00Z,-192.0\n2026-12-01T20:00:00Z,-181.5\n")?;
            b.type_into("#seal-SH-UI-1", "SEAL-9001").await?;
            b.type_into("#scanned-SH-UI-1", "BR-2026-0001-V003").await?;
            b.el("#logger-SH-UI-1").await?.send_keys(&logger.display().to_string()).await?;
            b.wait_until(
                "the logger file read",
                "return document.querySelector('#receive-SH-UI-1 input[name=logger_file_name]').value !== ''",
            )
            .await?;
            b.submit_and_wait("#receive-SH-UI-1 button[type=submit]").await?;
            let card = b.text("#shipment-SH-UI-1").await?;
            ensure!(card.contains("received") && card.contains("-181.5"), "{card}");
            b.sign("#sign-receipt-SH-UI-1", "maria.garcia", PASSWORD).await?;
            b.signed().await?;
            b.type_into("#subject-BR-2026-0001-V003", "ALS-02-001").await?;
            // Given a few minutes after the receipt, as the site's clock says.
            site.clock.advance(chrono::Duration::minutes(10));
            let given = (site.clock.now() - chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M");
            b.js(&format!("document.getElementById('when-BR-2026-0001-V003').value = '{given}'; return true")).await?;
            b.submit_and_wait("#shipment-SH-UI-1 form.inline button[type=submit]").await?;
            ensure!(b.text("#shipment-SH-UI-1").await?.contains("ALS-02-001"));
            check_and_save(&b, "shipments").await?;
            b.goto(&site.url("/chain?q=ALS-02-001")).await?;
            let chain = b.text("main").await?;
            for expected in ["G1234 98 654321 H", "BR-2026-0001-V003", "SH-UI-1", "Site 02", "ALS-02-001"] {
                ensure!(chain.contains(expected), "{expected} missing from the chain page");
            }
            let _ = std::fs::remove_file(&logger);
            anyhow::Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R47, R50 on the page: QA registers a donor (a DIN with a wrong check
/// character is refused in words), records an eligibility determination
/// and signs it; the donor is then listed as eligible, signed.
#[tokio::test]
async fn r47_r50_qa_registers_a_donor_and_signs_the_eligibility_on_the_page() {
    run("donors", "en-US", |site, b| async move {
        let result = async {
            b.login(&site, "wang.fang").await?;
            b.goto(&site.url("/chain")).await?;
            b.js("document.querySelector('#register-donor').closest('details').open = true; return true").await?;
            b.type_into("#donor-din", "G1234 98 654322 A").await?;
            b.click("#register-donor button[type=submit]").await?;
            b.wait_until(
                "the refused check character",
                "var e = document.querySelector('#register-donor .form-error'); return e && !e.hidden && e.textContent.includes('check character')",
            )
            .await?;
            let data = "G123498654322";
            let din = format!("{data}{}", ebr_domain::isbt128::check_character(data).context("check character")?);
            b.type_into("#donor-din", &din).await?;
            b.submit_and_wait("#register-donor button[type=submit]").await?;
            let donor = ebr_db::repo::custody::bank::find_donor(&mut site.db.connection(), &din)?
                .context("the donor registered")?;
            let form = format!("#determination-{}", donor.id);
            b.js(&format!("document.querySelector('{form}').closest('details').open = true; return true")).await?;
            b.click(&format!("{form} input[name=screening_complete]")).await?;
            b.click(&format!("{form} input[name=testing_complete]")).await?;
            b.type_into(&format!("#basis-{}", donor.id), "DSQ-0011, IDT-2024-007 all negative").await?;
            b.submit_and_wait(&format!("{form} button[type=submit]")).await?;
            ensure!(b.text("#donors").await?.contains("not signed"));
            b.sign("#donors form[id^=sign-eligibility-]", "wang.fang", PASSWORD).await?;
            b.signed().await?;
            let donors = b.text("#donors").await?;
            ensure!(donors.contains("G1234 98 654322") && donors.contains("eligible — signed by"), "{donors}");
            anyhow::Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}
