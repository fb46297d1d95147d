//! The second factor in the browser (R16): an operator enrols an
//! authenticator on the account page (QR code, then a current code and the
//! password; the recovery codes are shown once), and signs a step with the
//! password and the app's code; a signature without the code is refused in
//! the dialog.

use anyhow::{ensure, Context};
use ebr_db::repo::execution::{self, RecordRequest};
use ebr_db::repo::people;
use ebr_domain::second_factor::{code_at, SecondFactorSetting};
use ebr_web::clock::Clock;
use ebr_web::commands::demo::floor::good_values;

use crate::harness::{run_with, PASSWORD};
use crate::seed::{batch_until, effective_mbr};

/// R16: enrol a factor on the account page and sign a step with it.
#[tokio::test]
async fn r16_an_operator_enrols_an_authenticator_and_signs_with_it() {
    run_with(
        "second_factor",
        "en-US",
        SecondFactorSetting::Signing,
        |site, b| async move {
            let result = async {
                let batch = batch_until(&site, "BR-UI-2FA1", "s0-line-clearance")?;
                let (_, mbr) = effective_mbr(&site)?;
                let step = mbr.step("s0-line-clearance").context("step")?.clone();
                // The step's values are recorded beforehand (the entry form has
                // its own journeys): this one is about enrolling and signing.
                {
                    let mut conn = site.db.connection();
                    let operator =
                        people::find_by_username(&mut conn, "zhang.wei")?.context("zhang.wei")?;
                    let now = site.clock.now();
                    let request = RecordRequest {
                        step_key: step.key.clone(),
                        inputs: good_values(&step, now),
                        activity_at: None,
                        late_reason: None,
                    };
                    execution::record(
                        &mut conn,
                        batch,
                        &request,
                        operator.id,
                        chrono::Duration::minutes(30),
                        now,
                    )?;
                }
                b.login(&site, "zhang.wei").await?;
                b.goto(&site.url("/account")).await?;
                ensure!(
                    b.el("#second-factor-qr svg").await.is_ok(),
                    "the QR code is shown"
                );
                let secret = b.text("#second-factor-secret").await?;
                let code = code_at(secret.trim(), site.clock.now()).context("code")?;
                b.type_into("#enrol-code", &code).await?;
                b.type_into("#enrol-password", PASSWORD).await?;
                b.click("#enrol-form button[type=submit]").await?;
                b.wait_until(
                    "the recovery codes",
                    "return !document.getElementById('recovery-codes').hidden",
                )
                .await?;
                let codes = b.text("#recovery-codes").await?;
                ensure!(
                    codes.matches('-').count() >= 20,
                    "ten recovery codes shown: {codes}"
                );

                b.goto(&site.url(&format!("/batches/{batch}/steps/{}", step.key)))
                    .await?;
                // Without the code the dialog says what is missing.
                b.sign("#sign-performed", "zhang.wei", PASSWORD).await?;
                b.wait_until(
                    "the missing-code refusal",
                    "return !document.getElementById('sign-error').hidden",
                )
                .await?;
                let refusal = b.text("#sign-error").await?;
                ensure!(refusal.contains("second_factor_required"), "{refusal}");
                site.clock.advance(chrono::Duration::seconds(31));
                let code = code_at(secret.trim(), site.clock.now()).context("code")?;
                b.type_into("#sign-password", PASSWORD).await?;
                b.type_into("#sign-otp", &code).await?;
                b.click("#sign-submit").await?;
                b.signed().await?;
                ensure!(
                    b.text("#step-state")
                        .await?
                        .contains("Awaiting verification"),
                    "the step is signed"
                );
                Ok(())
            }
            .await;
            (b, result)
        },
    )
    .await;
}
