//! Configuration: defaults, then an optional TOML file, then `EBR__…`
//! environment variables, then `DATABASE_URL`.
//!
//! `EBR__BIND=0.0.0.0:8080` sets `bind`; `EBR__LOG__FORMAT=json` sets
//! `log.format`. Unknown keys are refused, so a misspelt variable is an error
//! rather than a silently ignored setting. Secrets are never printed.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Everything the server and the commands can be configured with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The PostgreSQL connection URL (`DATABASE_URL`). Several hosts with
    /// `target_session_attrs=read-write` make the server follow a failover
    /// to whichever of them is the primary (docs/SCALING.md).
    pub database_url: Option<SecretString>,
    /// Read replicas for heavy reads.
    #[serde(default)]
    pub database: DatabaseSettings,
    /// Address the server listens on.
    pub bind: String,
    /// Maximum pooled database connections per process (default: two per
    /// CPU core, at least 4, at most 32).
    pub pool_size: u32,
    /// Logging.
    pub log: LogSettings,
    /// Sessions, passwords and signatures.
    pub security: SecuritySettings,
    /// Batch execution.
    pub execution: ExecutionSettings,
    /// Checkpoints signed outside the database.
    pub checkpoint: CheckpointSettings,
}

/// Read replicas: hot standbys that serve record PDFs and exports, audit
/// trails and `ebr audit verify --replica` (docs/SCALING.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// One or more replica connection URLs separated by spaces
    /// (`EBR__DATABASE__REPLICA_URL`); none: every read goes to the primary.
    #[serde(default)]
    pub replica_url: Option<SecretString>,
    /// A replica further behind the primary than this (seconds) is skipped
    /// and its reads go to the primary (default 5).
    #[serde(default = "default_replica_max_lag")]
    pub replica_max_lag_seconds: u64,
}

fn default_replica_max_lag() -> u64 {
    5
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            replica_url: None,
            replica_max_lag_seconds: default_replica_max_lag(),
        }
    }
}

impl DatabaseSettings {
    /// The replica URLs, in the order given.
    pub fn replica_urls(&self) -> Vec<String> {
        use secrecy::ExposeSecret;
        self.replica_url
            .as_ref()
            .map(|u| {
                u.expose_secret()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Checkpoints: every audit chain's head, signed with a key the database
/// never sees and appended to a log outside it (R1, R13).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSettings {
    /// The secret key file (`ebr checkpoint keygen -o FILE`); none: the server
    /// signs no checkpoints and says so at startup.
    pub key_file: Option<PathBuf>,
    /// The directory of the checkpoint log (append-only files; ship them to
    /// WORM storage). Required with `key_file`.
    pub log_dir: Option<PathBuf>,
    /// Seconds between periodic checkpoints, made only when a chain moved
    /// (default 600).
    #[serde(default = "default_checkpoint_interval")]
    pub interval_seconds: u64,
}

fn default_checkpoint_interval() -> u64 {
    600
}

/// Batch execution settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionSettings {
    /// An activity declared more than this many minutes before its entry is a
    /// late entry: it needs a reason and raises an exception (R33).
    pub late_entry_window_minutes: u32,
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        Self {
            late_entry_window_minutes: 30,
        }
    }
}

/// Session, password and signature settings (R16-R19).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Mark the session cookie `Secure` (keep true behind TLS; false only for
    /// plain-HTTP development).
    pub secure_cookie: bool,
    /// A session with no request for this long ends (minutes).
    pub idle_timeout_minutes: u32,
    /// A session ends this long after login, whatever the activity (hours).
    pub absolute_lifetime_hours: u32,
    /// A session idle this long loses its continuous signing period: the next
    /// signature needs username and password again (minutes, R19).
    pub signing_idle_lock_minutes: u32,
    /// Passwords older than this must be changed (days; 0 disables aging, R18).
    pub password_max_age_days: u32,
    /// When a second factor (TOTP) is asked for: `off`, `signing` (every
    /// electronic signature; the default) or `signing_and_login`.
    pub second_factor: ebr_domain::second_factor::SecondFactorSetting,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            secure_cookie: true,
            idle_timeout_minutes: 15,
            absolute_lifetime_hours: 12,
            signing_idle_lock_minutes: 5,
            password_max_age_days: 90,
            second_factor: ebr_domain::second_factor::SecondFactorSetting::Signing,
        }
    }
}

/// Logging settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log shippers.
    pub format: LogFormat,
    /// A tracing filter such as `info,ebr_web=debug` (`RUST_LOG` wins when set).
    pub filter: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Serialize)]
struct Defaults {
    bind: &'static str,
    pool_size: u32,
    log: LogSettings,
    security: SecuritySettings,
    execution: ExecutionSettings,
    checkpoint: CheckpointSettings,
}

/// Two connections per CPU core, within 4..=32: more connections than the
/// database host can run at once only queue inside PostgreSQL and cost memory
/// here. On the 2-core benchmark machine 4 gave higher entry throughput than
/// 8 (700 vs 600 entries/s at 16 clients) and a lower peak RSS (82 vs 97 MiB).
pub fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores.saturating_mul(2))
        .unwrap_or(32)
        .clamp(4, 32)
}

/// The default configuration file, read when it exists and no other is named.
pub const DEFAULT_CONFIG_FILE: &str = "ebr.toml";

impl Settings {
    /// The GMP-relevant configuration in effect, as audited (R11) and as
    /// the validation pack prints it: sessions, signatures and the second
    /// factor, execution rules, checkpoints, pool and replicas. Secrets
    /// (database URLs and their passwords, key material) are never part of
    /// it: a checkpoint key is named by its file, a replica by its count.
    pub fn audited(&self) -> serde_json::Value {
        serde_json::json!({
            "security": self.security,
            "execution": self.execution,
            "checkpoint": {
                "key_file": self.checkpoint.key_file,
                "log_dir": self.checkpoint.log_dir,
                "interval_seconds": self.checkpoint.interval_seconds,
            },
            "pool_size": self.pool_size,
            "replicas": self.database.replica_urls().len(),
            "replica_max_lag_seconds": self.database.replica_max_lag_seconds,
        })
    }

    /// Loads the settings. `file` (or `EBR_CONFIG`, or `./ebr.toml` when it
    /// exists) is read between the defaults and the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, String> {
        let defaults = Defaults {
            bind: "127.0.0.1:8080",
            pool_size: default_pool_size(),
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info".into(),
            },
            security: SecuritySettings::default(),
            execution: ExecutionSettings::default(),
            checkpoint: CheckpointSettings {
                interval_seconds: default_checkpoint_interval(),
                ..CheckpointSettings::default()
            },
        };
        let mut figment = Figment::from(Serialized::defaults(defaults));
        let named: Option<PathBuf> = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("EBR_CONFIG").map(PathBuf::from));
        match named {
            Some(path) if !path.exists() => {
                return Err(format!(
                    "configuration file {} does not exist",
                    path.display()
                ));
            }
            Some(path) => figment = figment.merge(Toml::file(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        figment = figment
            .merge(Env::prefixed("EBR__").split("__").lowercase(true))
            .merge(Env::raw().only(&["DATABASE_URL"]).lowercase(true));
        figment
            .extract()
            .map_err(|e| format!("invalid configuration: {e}"))
    }

    /// The database URL, or a sentence saying how to provide one.
    pub fn require_database_url(&self) -> Result<&SecretString, String> {
        self.database_url.as_ref().ok_or_else(|| {
            "DATABASE_URL is not set: run `make run` (which provisions a local PostgreSQL) or export DATABASE_URL=postgres://user:password@host:port/database".to_string()
        })
    }
}
