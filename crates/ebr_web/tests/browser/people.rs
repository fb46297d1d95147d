//! People pages on the demo data: QA generates and signs the access review
//! (R25); the trainer's qualification matrix shows the demo's expired skill
//! (R9).

use anyhow::{ensure, Context};
use ebr_domain::audit::SYSTEM_CHAIN;

use crate::harness::{run, PASSWORD};

/// R25: QA generates the demo's access review on its page, which lists its
/// findings; QA signs it (meaning reviewed) and the signature is in the
/// audit trail; the PDF is offered.
#[tokio::test]
async fn r25_qa_generates_and_signs_the_access_review_of_the_demo() {
    run("access_review", "en-US", |site, b| async move {
        let result = async {
            b.login(&site, "wang.fang").await?;
            b.goto(&site.url("/access-reviews")).await?;
            b.submit_and_wait("#generate-review button[type=submit]")
                .await?;
            let rows = b.text("#access-reviews").await?;
            ensure!(
                rows.contains("not yet signed"),
                "the new review waits for QA: {rows}"
            );
            let form = b
                .js("return document.querySelector('form[id^=sign-review-]').id")
                .await?;
            let form = form.as_str().context("a review to sign")?.to_string();
            b.sign(&format!("#{form}"), "wang.fang", PASSWORD).await?;
            b.signed().await?;
            let rows = b.text("#access-reviews").await?;
            ensure!(rows.contains("王芳"), "the signature is listed: {rows}");
            ensure!(
                b.el("#access-reviews a[href$='/pdf']").await.is_ok(),
                "the PDF is offered"
            );
            let mut conn = site.db.connection();
            let events = ebr_db::repo::audit::chain_events(&mut conn, SYSTEM_CHAIN)?;
            let findings = events
                .iter()
                .find(|e| e.action == "access_review.generated")
                .and_then(|e| e.new_value.clone())
                .context("the generated review's event")?;
            ensure!(
                !findings.contains("\"findings\":0"),
                "the demo has findings: {findings}"
            );
            ensure!(
                events.iter().any(|e| e.action == "signature.created"
                    && e.new_value
                        .as_deref()
                        .unwrap_or_default()
                        .contains("access_review")),
                "QA's signature is in the audit trail"
            );
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R9: the trainer's qualification matrix shows ravi.patel's expired
/// cell-count training, filters to expired, and offers the CSV; ravi.patel's
/// worklist warns him and his account page lists his training records.
#[tokio::test]
async fn r9_the_qualification_matrix_shows_the_demos_expired_skill() {
    run("qualification_matrix", "en-US", |site, b| async move {
        let result = async {
            b.login(&site, "olga.ivanova").await?;
            b.goto(&site.url("/training?status=expired")).await?;
            let matrix = b.text("#matrix").await?;
            ensure!(
                matrix.contains("ravi.patel") && matrix.contains("TRN-CELL-COUNT"),
                "{matrix}"
            );
            ensure!(
                !matrix.contains("zhang.wei"),
                "filtered to expired: {matrix}"
            );
            let csv = b
                .js("return document.getElementById('matrix-csv').getAttribute('href')")
                .await?;
            ensure!(
                csv.as_str()
                    .unwrap_or_default()
                    .contains("format=csv&status=expired"),
                "{csv}"
            );
            b.logout().await?;
            b.login(&site, "ravi.patel").await?;
            let home = b.text("#work-training").await?;
            ensure!(
                home.contains("TRN-CELL-COUNT") && home.contains("expired"),
                "{home}"
            );
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}
