//! The tablet screens at 768×1024: no horizontal scrolling and touch
//! targets of at least 44 px, checked on the operator execution screen (in
//! English and in Chinese), the release gate and the audit trail, each saved
//! as a screenshot (`make screenshots` puts them in `.screenshots/`;
//! `make test` in `target/screenshots/`).

use std::path::PathBuf;

use anyhow::{ensure, Context, Result};
use ebr_db::repo::batches;

use crate::harness::{run, Browser, Site};

fn screenshot_dir() -> PathBuf {
    std::env::var_os("EBR_SCREENSHOT_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"),
        PathBuf::from,
    )
}

/// Checks the tablet rules on the current page and saves its screenshot.
pub async fn check_and_save(b: &Browser, name: &str) -> Result<()> {
    let size = b
        .js("return [window.innerWidth, window.innerHeight]")
        .await?;
    ensure!(
        size == serde_json::json!([768, 1024]),
        "a 768×1024 viewport, got {size}"
    );
    let overflow = b
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await?;
    ensure!(
        overflow.as_i64() == Some(0),
        "{name}: horizontal scrolling by {overflow} px"
    );
    let small = b
        .js("return Array.from(document.querySelectorAll('button, input:not([type=radio]):not([type=checkbox]):not([type=hidden]), select, textarea, summary, a.button, nav a, label.radio'))
               .filter(e => e.offsetParent !== null)
               .map(e => [e.outerHTML.slice(0, 80), Math.round(e.getBoundingClientRect().height)])
               .filter(([, h]) => h < 44)")
        .await?;
    ensure!(
        small.as_array().is_some_and(Vec::is_empty),
        "{name}: touch targets under 44 px: {small}"
    );
    let low = b.js(CONTRAST).await?;
    ensure!(
        low.as_array().is_some_and(Vec::is_empty),
        "{name}: text below WCAG AA contrast: {low}"
    );
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join(format!("{name}.png")),
        b.client.screenshot().await?,
    )?;
    Ok(())
}

/// Every visible element with its own text whose contrast with the
/// background behind it is below WCAG AA (4.5:1; 3:1 for large text).
const CONTRAST: &str = r#"
const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
const background = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3); } return [255, 255, 255]; };
const out = [];
for (const e of document.querySelectorAll('body *')) {
  if (!e.offsetParent || !Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const st = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  if (r.bottom < 0 || r.top > innerHeight) continue;
  const fg = rgb(st.color).slice(0, 3), bg = background(e);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
  const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
  if (ratio < need) out.push([e.tagName, e.textContent.trim().slice(0, 40), ratio.toFixed(2)]);
}
return out;
"#;

fn batch_id(site: &Site, number: &str) -> Result<uuid::Uuid> {
    let mut conn = site.db.connection();
    Ok(batches::find_by_number(&mut conn, number)?.id)
}

async fn execution_screen(site: &Site, b: &Browser, suffix: &str) -> Result<()> {
    let batch = batch_id(site, "BR-2026-0002")?;
    b.login(site, "zhang.wei").await?;
    b.goto(&site.url(&format!("/batches/{batch}/steps/s1-seed")))
        .await?;
    b.type_into("#f-seeding_density", "90000\u{E004}").await?;
    b.wait_until(
        "the evaluation",
        "return document.getElementById('hint-f-seeding_density').textContent !== ''",
    )
    .await?;
    b.js("window.scrollTo(0, document.getElementById('entry-h').getBoundingClientRect().top + window.scrollY - 330); return true").await?;
    check_and_save(b, &format!("execution-{suffix}")).await?;
    b.js("window.scrollTo(0, 0); return true").await?;
    check_and_save(b, &format!("execution-top-{suffix}")).await?;
    b.logout().await
}

/// The operator execution screen in English and Chinese, the release gate
/// and the audit trail at tablet size.
#[tokio::test]
async fn tablet_screens_fit_768_by_1024_with_44px_targets() {
    run("screens_en", "en-US", |site, b| async move {
        let result = async {
            execution_screen(&site, &b, "en").await?;
            let in_progress = batch_id(&site, "BR-2026-0002")?;
            b.login(&site, "anna.schmidt").await?;
            b.goto(&site.url(&format!("/batches/{in_progress}/review")))
                .await?;
            ensure!(b.text("#release-gate").await?.contains("block release"));
            b.js("document.getElementById('release-gate').scrollIntoView(); return true")
                .await?;
            check_and_save(&b, "release-gate").await?;
            b.logout().await?;
            let released = batch_id(&site, "BR-2026-0001")?;
            b.login(&site, "audrey.martin").await?;
            b.goto(&site.url(&format!("/batches/{released}/audit")))
                .await?;
            check_and_save(&b, "audit-trail").await?;
            b.goto(&site.url("/")).await?;
            check_and_save(&b, "home-auditor").await?;
            b.goto(&site.url(&format!("/batches/{released}/qc")))
                .await?;
            check_and_save(&b, "qc-results").await?;
            b.goto(&site.url("/batches")).await?;
            check_and_save(&b, "batch-list").await?;
            Ok(())
        }
        .await;
        (b, result)
    })
    .await;
}

/// The execution screen in Chinese at tablet size.
#[tokio::test]
async fn the_chinese_execution_screen_fits_the_tablet() {
    run("screens_zh", "zh-CN", |site, b| async move {
        let result = execution_screen(&site, &b, "zh")
            .await
            .context("Chinese execution screen");
        (b, result)
    })
    .await;
}
