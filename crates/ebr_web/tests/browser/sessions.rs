//! What a person meets around the work itself: the session ending while
//! typing, the Chinese pages, the first-login password change, and a page
//! that a role may not open.

use anyhow::{ensure, Context};
use chrono::Duration;
use ebr_db::repo::{people, person_actor};
use ebr_web::auth::password;
use ebr_web::clock::Clock;

use crate::harness::{run, PASSWORD};
use crate::seed::batch_until;

/// An idle session ends (the server's idle timeout); the page goes to the
/// login and, after the login, puts back what the operator had typed
/// (nothing typed is lost, and nothing was stored while the session was
/// gone); another person logging in on the same tablet never sees it.
#[tokio::test]
async fn idle_expiry_returns_to_login_and_keeps_what_was_typed() {
    run("idle_expiry", "en-US", |site, b| async move {
        let result = async {
            let batch = batch_until(&site, "BR-UI-0002", "s8-em-results")?;
            b.login(&site, "zhang.wei").await?;
            let step_path = format!("/batches/{batch}/steps/s8-em-results");
            b.goto(&site.url(&step_path)).await?;
            b.type_into("#f-settle_plate_cfu", "0").await?;
            b.click("details.late summary").await?;
            b.type_into("#late_reason", "typed before the break")
                .await?;
            let entries_before = site.db.table_counts().get("entries").copied();
            site.clock.advance(Duration::minutes(16));
            b.click("#save-entries").await?;
            b.wait_until("the login page", "return location.pathname === '/login'")
                .await?;
            ensure!(b.text("main").await?.contains("Your session ended"));
            ensure!(b.path().await?.contains("expired=1"));
            ensure!(
                site.db.table_counts().get("entries").copied() == entries_before,
                "nothing stored"
            );
            b.type_into("#username", "zhang.wei").await?;
            b.type_into("#password", PASSWORD).await?;
            b.submit_and_wait("#login button[type=submit]").await?;
            ensure!(b.path().await? == step_path, "back where the operator was");
            let value = b
                .js("return document.getElementById('f-settle_plate_cfu').value")
                .await?;
            ensure!(value == "0", "typed value restored: {value}");
            let reason = b
                .js("return document.getElementById('late_reason').value")
                .await?;
            ensure!(
                reason == "typed before the break",
                "typed text restored: {reason}"
            );
            ensure!(b.text("#flash").await?.contains("put back"));
            // Another person on the same tablet never gets it.
            site.clock.advance(Duration::minutes(16));
            b.click("#save-entries").await?;
            b.wait_until("the login page", "return location.pathname === '/login'")
                .await?;
            b.type_into("#username", "maria.garcia").await?;
            b.type_into("#password", PASSWORD).await?;
            b.submit_and_wait("#login button[type=submit]").await?;
            let value = b
                .js("return document.getElementById('f-settle_plate_cfu').value")
                .await?;
            ensure!(value == "", "another person's draft is not shown: {value}");
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// The pages in Simplified Chinese, from the browser's language, including
/// the rule messages; a person's choice of language is kept for them.
#[tokio::test]
async fn chinese_pages_follow_the_browser_and_the_persons_choice() {
    run("chinese", "zh-CN", |site, b| async move {
        let result = async {
            let batch = batch_until(&site, "BR-UI-0003", "s8-transfer")?;
            b.goto(&site.url("/login")).await?;
            ensure!(b.text("h1").await? == "登录 ebr");
            b.type_into("#username", "zhang.wei").await?;
            b.type_into("#password", "wrong password!!").await?;
            b.click("#login button[type=submit]").await?;
            b.wait_until("the refusal", "return !document.querySelector('#login .form-error').hidden").await?;
            ensure!(b.text("#login .form-error").await?.contains("用户名或密码错误"));
            b.login(&site, "zhang.wei").await?;
            b.goto(&site.url(&format!("/batches/{batch}/steps/s8-transfer"))).await?;
            let page = b.text("main").await?;
            ensure!(page.contains("操作说明") && page.contains("记录数值"), "Chinese execution screen");
            ensure!(b.js("return document.documentElement.lang").await? == "zh-Hans");
            b.type_into("#f-storage_temperature", "20\u{E004}").await?;
            b.wait_until("the Chinese warning", "return document.getElementById('hint-f-storage_temperature').textContent.includes('超标')").await?;
            // The person chooses English; it is kept for them, not for the browser.
            b.el("#language").await?.select_by_value("en").await?;
            b.wait_until("English pages", "return document.documentElement.lang === 'en'").await?;
            ensure!(b.text("main").await?.contains("Instructions"));
            b.logout().await?;
            ensure!(b.text("h1").await? == "登录 ebr", "the login page follows the browser again");
            b.login(&site, "zhang.wei").await?;
            ensure!(b.js("return document.documentElement.lang").await? == "en", "the person's choice is kept");
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R17: after an administrator set a temporary password, the first login
/// leads to the password change, and nothing else opens until it is done.
#[tokio::test]
async fn r17_a_temporary_password_is_changed_at_first_login() {
    run("first_login", "en-US", |site, b| async move {
        let result = async {
            {
                let mut conn = site.db.connection();
                let row =
                    people::find_by_username(&mut conn, "tom.becker")?.context("tom.becker")?;
                let phc = password::hash(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
                people::set_password(
                    &mut conn,
                    row.id,
                    phc,
                    true,
                    &person_actor(row.id),
                    None,
                    site.clock.now(),
                )?;
            }
            b.login(&site, "tom.becker").await?;
            ensure!(
                b.path().await? == "/account",
                "straight to the password change"
            );
            b.goto(&site.url("/batches")).await?;
            ensure!(b.path().await? == "/account", "nothing else opens first");
            b.type_into("#current_password", PASSWORD).await?;
            b.type_into("#new_password", "a brand new passphrase")
                .await?;
            b.type_into("#repeat_password", "a different passphrase")
                .await?;
            b.click("#password-form button[type=submit]").await?;
            b.wait_until(
                "the mismatch",
                "return !document.querySelector('#password-form .form-error').hidden",
            )
            .await?;
            b.type_into("#repeat_password", "a brand new passphrase")
                .await?;
            b.submit_and_wait("#password-form button[type=submit]")
                .await?;
            ensure!(b.path().await? == "/", "home after the change");
            ensure!(b.text("#flash").await?.contains("Password changed"));
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R7: a page the role may not open says so in words and names the rule;
/// a page without a session goes to the login and comes back after it.
#[tokio::test]
async fn r7_pages_refuse_roles_and_return_after_login() {
    run("page_access", "en-US", |site, b| async move {
        let result = async {
            b.goto(&site.url("/mbrs")).await?;
            ensure!(b.path().await? == "/login?next=/mbrs");
            b.type_into("#username", "chen.jie").await?;
            b.type_into("#password", PASSWORD).await?;
            b.submit_and_wait("#login button[type=submit]").await?;
            ensure!(b.path().await? == "/mbrs");
            let page = b.text("main").await?;
            ensure!(
                page.contains("Your role does not allow this") && page.contains("role_forbidden"),
                "{page}"
            );
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// R10, R15: a new person cannot sign until they acknowledged the
/// accountability statement on their account page; the home page says so.
#[tokio::test]
async fn r10_a_new_person_acknowledges_the_signature_statement() {
    run("acknowledgment", "en-US", |site, b| async move {
        let result = async {
            {
                let mut conn = site.db.connection();
                let phc = password::hash(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
                let new = people::NewPerson {
                    username: "lena.kraus",
                    full_name: "Lena Kraus",
                    roles: &[ebr_domain::identity::Role::Operator],
                    phc,
                    temporary: false,
                };
                let person = people::create(&mut conn, new, "system:test", site.clock.now())?;
                let admin = people::find_by_username(&mut conn, "priya.nair")?.context("admin")?;
                people::verify_identity(
                    &mut conn,
                    person.person.id,
                    admin.id,
                    "staff card checked",
                    site.clock.now(),
                )?;
            }
            b.goto(&site.url("/login")).await?;
            b.type_into("#username", "lena.kraus").await?;
            b.type_into("#password", PASSWORD).await?;
            b.submit_and_wait("#login button[type=submit]").await?;
            ensure!(b
                .text("main")
                .await?
                .contains("electronic signature is not enabled yet"));
            b.click("main .notice a").await?;
            b.ready().await?;
            ensure!(b
                .text("blockquote")
                .await?
                .contains("legally binding equivalent"));
            b.submit_and_wait("#ack-form button[type=submit]").await?;
            ensure!(b.text("#flash").await?.contains("Statement acknowledged"));
            ensure!(b.text("main").await?.contains("You acknowledged"));
            b.goto(&site.url("/")).await?;
            ensure!(!b.text("main").await?.contains("not enabled yet"));
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}
