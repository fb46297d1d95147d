//! `ebr serve` as a child process: start, wait until ready, kill -9, restart.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `ebr` binary under test: `$EBR_BIN` when set, otherwise
/// `target/<profile>/ebr`. Fails with what to run when it is missing.
pub fn server_binary(profile: &str) -> Result<PathBuf, crate::Error> {
    let path = match std::env::var_os("EBR_BIN") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("target").join(profile).join("ebr"),
    };
    if !path.is_file() {
        bail!(
            "{} does not exist: build it first (`cargo build{} --bin ebr`), or use `make test` / `make bench` / `make resilience`",
            path.display(),
            if profile == "release" { " --release" } else { "" }
        );
    }
    Ok(path)
}

/// Runs an `ebr` subcommand against `db_url`; fails with its output unless it succeeds.
pub fn ebr(bin: &Path, db_url: &str, args: &[&str]) -> Result<String, crate::Error> {
    let out = Command::new(bin)
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "error")
        .output()
        .with_context(|| format!("run {}", bin.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "`ebr {}` failed ({}):\n{stdout}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

/// A free loopback port (bound once, then released for the server to take).
pub fn free_port() -> Result<u16, crate::Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `ebr serve` process on loopback; killed when dropped.
pub struct Server {
    child: Option<Child>,
    bin: PathBuf,
    db_url: String,
    port: u16,
    log: PathBuf,
    /// A binary from before the second factor (the benchmark's baseline
    /// commit), which refuses the setting it does not know.
    baseline: bool,
    /// Further `EBR__…` settings for the process.
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts `ebr serve` on a free port and waits until `/readyz` answers 200.
    pub async fn start(bin: &Path, db_url: &str, name: &str) -> Result<Server, crate::Error> {
        Self::start_as(bin, db_url, name, false, Vec::new()).await
    }

    /// [`Server::start`] with further settings in the environment (e.g.
    /// `EBR__DATABASE__REPLICA_URL`, the checkpoint key).
    pub async fn start_with(
        bin: &Path,
        db_url: &str,
        name: &str,
        env: &[(&str, String)],
    ) -> Result<Server, crate::Error> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Self::start_as(bin, db_url, name, false, env).await
    }

    /// Starts the benchmark's baseline binary (a commit from before the
    /// second factor: it signs with the password alone and knows no
    /// `second_factor` setting).
    pub async fn start_baseline(
        bin: &Path,
        db_url: &str,
        name: &str,
    ) -> Result<Server, crate::Error> {
        Self::start_as(bin, db_url, name, true, Vec::new()).await
    }

    async fn start_as(
        bin: &Path,
        db_url: &str,
        name: &str,
        baseline: bool,
        env: Vec<(String, String)>,
    ) -> Result<Server, crate::Error> {
        let log_dir = workspace_root().join("target/evidence-logs");
        std::fs::create_dir_all(&log_dir)?;
        let mut server = Server {
            child: None,
            bin: bin.to_path_buf(),
            db_url: db_url.to_string(),
            port: free_port()?,
            log: log_dir.join(format!("{name}.log")),
            baseline,
            env,
        };
        server.spawn().await?;
        Ok(server)
    }

    async fn spawn(&mut self) -> Result<(), crate::Error> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut command = Command::new(&self.bin);
        if !self.baseline {
            // The simulated operators sign with their password alone (the
            // authenticator code is proved by the API tests).
            command.env("EBR__SECURITY__SECOND_FACTOR", "off");
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let child = command
            .args(["serve", "--bind", &format!("127.0.0.1:{}", self.port)])
            .env("DATABASE_URL", &self.db_url)
            .env("EBR__SECURITY__SECURE_COOKIE", "false")
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {}", self.bin.display()))?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(60)).await
    }

    /// Waits until `/readyz` answers 200, or fails after `limit`.
    pub async fn wait_ready(&mut self, limit: Duration) -> Result<(), crate::Error> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "ebr serve exited ({status}) before it was ready; log: {}",
                        self.log.display()
                    );
                }
            }
            if let Ok(r) = client.get(self.url("/readyz")).send().await {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "ebr serve was not ready within {limit:?}; log: {}",
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process with SIGKILL (no shutdown, no flushing) and reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same port and waits until ready.
    pub async fn restart(&mut self) -> Result<(), crate::Error> {
        self.kill9();
        self.spawn().await
    }

    /// The process's peak resident set size (VmHWM) in KiB, while running.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}
