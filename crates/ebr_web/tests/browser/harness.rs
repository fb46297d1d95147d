//! A real server on a loopback port, a real database seeded with the demo
//! data, and a real headless Chromium driven through chromedriver.
//! On a failing step the page is saved as a screenshot (and its HTML) in
//! `target/browser-failures/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, Utc};
use ebr_domain::second_factor::SecondFactorSetting;
use ebr_testdb::TestDatabase;
use ebr_web::clock::Clock;
use ebr_web::config::SecuritySettings;
use ebr_web::startup::{self, AppState};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// The demo password.
pub const PASSWORD: &str = "ebr-demo-2026!";

/// The server's clock: the real time until a test moves it forward.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<chrono::Duration>>);

impl TestClock {
    /// Moves the server's time forward (e.g. past the idle timeout).
    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut offset) = self.0.lock() {
            *offset += by;
        }
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        ebr_web::clock::SystemClock.now() + self.0.lock().map(|o| *o).unwrap_or_default()
    }
}

/// The server, its database and its clock.
pub struct Site {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database (seeded with `ebr demo`).
    pub db: TestDatabase,
    /// The server's clock.
    pub clock: TestClock,
}

impl Site {
    /// Starts the server on a fresh database seeded by the real `ebr demo`,
    /// with the site's second-factor setting.
    pub async fn start_with(second_factor: SecondFactorSetting) -> Result<Site> {
        let db = TestDatabase::new();
        let status = Command::new(env!("CARGO_BIN_EXE_ebr"))
            .arg("demo")
            .env("DATABASE_URL", db.url())
            .stdout(Stdio::null())
            .status()
            .context("run ebr demo")?;
        if !status.success() {
            bail!("ebr demo failed: {status}");
        }
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let clock = TestClock(Arc::new(Mutex::new(chrono::Duration::zero())));
        // The pages call the API: every refusal they provoke must be
        // documented for its route.
        ebr_web::refusals::enforce_documented_refusals();
        let server = startup::run(
            listener,
            AppState {
                pool: db.pool(),
                reads: Arc::new(ebr_db::replicas::ReadReplicas::none()),
                clock: Arc::new(clock.clone()),
                security: SecuritySettings {
                    secure_cookie: false,
                    second_factor,
                    ..SecuritySettings::default()
                },
                execution: ebr_web::config::ExecutionSettings::default(),
                checkpoints: None,
                metrics: Default::default(),
            },
        )?;
        tokio::spawn(server);
        Ok(Site { base, db, clock })
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A chromedriver process and one browser session, 768×1024 like a tablet.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    name: String,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn which(names: &[&str]) -> Option<PathBuf> {
    names.iter().map(PathBuf::from).find(|p| p.exists())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose preferred language
    /// is `lang` (`en` or `zh-CN`). `name` names the failure screenshots.
    pub async fn start(name: &str, lang: &str) -> Result<Browser> {
        let driver_bin = which(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
            .ok_or_else(|| anyhow!("chromedriver not found: run `make test`, which installs Debian's chromium and chromium-driver"))?;
        let chrome_bin = which(&["/usr/bin/chromium", "/usr/bin/chromium-browser"])
            .ok_or_else(|| anyhow!("chromium not found: run `make test`, which installs it"))?;
        let port = free_port()?;
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start chromedriver")?;
        let profile =
            std::env::temp_dir().join(format!("ebr-chrome-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile)?;
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome_bin,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--window-size=800,1200",
                    format!("--lang={lang}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": { "intl.accept_languages": lang },
                // A tablet's viewport, exactly: 768×1024 CSS pixels.
                "mobileEmulation": { "deviceMetrics": { "width": 768, "height": 1024, "pixelRatio": 1.0, "touch": true } }
            }
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities are an object");
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            match builder.capabilities(caps.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => bail!("chromedriver did not start a session: {e}"),
            }
        };
        Ok(Browser {
            client,
            driver,
            name: name.to_string(),
            _profile: TempDir(profile),
        })
    }

    /// Saves the page as `target/browser-failures/<name>.png` (and `.html`).
    pub async fn save_failure(&self) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-failures");
        let _ = std::fs::create_dir_all(&dir);
        let png = dir.join(format!("{}.png", self.name));
        if let Ok(bytes) = self.client.screenshot().await {
            let _ = std::fs::write(&png, bytes);
        }
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(dir.join(format!("{}.html", self.name)), html);
        }
        png
    }

    /// Ends the browser session and chromedriver.
    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    /// Goes to `url` and waits for the page's script.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        self.ready().await
    }

    /// Waits until the document is loaded.
    pub async fn ready(&self) -> Result<()> {
        self.wait_until(
            "document ready",
            "return document.readyState === 'complete' && !!document.body",
        )
        .await
    }

    /// Waits (up to 15 s) until the script returns true.
    pub async fn wait_until(&self, what: &str, script: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(script, vec![]).await {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(15) {
                bail!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element for a CSS selector (waiting up to 15 s for it).
    pub async fn el(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("element {css}"))
    }

    /// The visible text of the element for a CSS selector.
    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.el(css).await?.text().await?)
    }

    /// Types into a field.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let e = self.el(css).await?;
        e.clear().await?;
        e.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the element for a CSS selector.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.el(css).await?.click().await?;
        Ok(())
    }

    /// Clicks a submit button and waits for the page that follows (the
    /// script reloads or navigates after a successful change).
    pub async fn submit_and_wait(&self, css: &str) -> Result<()> {
        self.client
            .execute("window.__ebrOld = true", vec![])
            .await?;
        self.click(css).await?;
        self.wait_until(
            &format!("the page after {css}"),
            "return window.__ebrOld !== true && document.readyState === 'complete'",
        )
        .await
    }

    /// Runs a script and returns its value.
    pub async fn js(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// The current path and query.
    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        })
    }

    /// Logs in through the login page (after logging out, if someone was).
    pub async fn login(&self, site: &Site, username: &str) -> Result<()> {
        self.goto(&site.url("/login")).await?;
        self.type_into("#username", username).await?;
        self.type_into("#password", PASSWORD).await?;
        self.submit_and_wait("#login button[type=submit]").await?;
        if self.path().await?.starts_with("/login") {
            bail!(
                "login of {username} failed: {}",
                self.text("#login .form-error").await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// Logs out through the header button.
    pub async fn logout(&self) -> Result<()> {
        self.submit_and_wait("#logout").await
    }

    /// Signs through the signature dialog of the form `form_css`, with the
    /// username too when the dialog asks for it.
    pub async fn sign(&self, form_css: &str, username: &str, password: &str) -> Result<()> {
        self.click(&format!("{form_css} button[type=submit]"))
            .await?;
        self.el("#sign-dialog[open]").await?;
        let needs_user = self
            .js("return !document.getElementById('sign-username-row').hidden")
            .await?;
        if needs_user == Value::Bool(true) {
            self.type_into("#sign-username", username).await?;
        }
        self.type_into("#sign-password", password).await?;
        self.client
            .execute("window.__ebrOld = true", vec![])
            .await?;
        self.click("#sign-submit").await?;
        Ok(())
    }

    /// Waits for the page a successful signature loads.
    pub async fn signed(&self) -> Result<()> {
        self.wait_until(
            "the page after signing",
            "return window.__ebrOld !== true && document.readyState === 'complete'",
        )
        .await
    }
}

/// Runs a browser test body; on failure saves the page and fails with the
/// error and where the screenshot is.
pub async fn run<F, Fut>(name: &str, lang: &str, body: F)
where
    F: FnOnce(Site, Browser) -> Fut,
    Fut: std::future::Future<Output = (Browser, Result<()>)>,
{
    run_with(name, lang, SecondFactorSetting::Off, body).await;
}

/// [`run`] on a site with the given second-factor setting.
pub async fn run_with<F, Fut>(name: &str, lang: &str, second_factor: SecondFactorSetting, body: F)
where
    F: FnOnce(Site, Browser) -> Fut,
    Fut: std::future::Future<Output = (Browser, Result<()>)>,
{
    let site = match Site::start_with(second_factor).await {
        Ok(site) => site,
        Err(e) => panic!("{name}: could not start the server: {e:#}"),
    };
    let browser = match Browser::start(name, lang).await {
        Ok(b) => b,
        Err(e) => panic!("{name}: could not start the browser: {e:#}"),
    };
    let (browser, result) = body(site, browser).await;
    if let Err(e) = result {
        let shot = browser.save_failure().await;
        let at = browser.path().await.unwrap_or_default();
        browser.finish().await;
        panic!(
            "{name} failed at {at}: {e:#}\nscreenshot: {}",
            shot.display()
        );
    }
    browser.finish().await;
}
