//! The installation qualification (IQ) of a live installation: the binary
//! (version, SHA-256), the migrations (all applied, their fingerprint), the
//! database roles and the append-only guards of every recorded table (the
//! triggers present and enabled, the application role unable to change or
//! own any table), the guards tested live (an UPDATE, DELETE and TRUNCATE
//! of recorded data refused by PostgreSQL, rolled back), the configuration
//! with secrets excluded, and the time source. Every check says what it saw;
//! one failure fails the IQ.

use chrono::{DateTime, Utc};
use ebr_db::repo::installation::{self, NOT_RECORDED};
use ebr_db::PgConnection;
use serde::Serialize;

use crate::clock::Clock;
use crate::config::Settings;

/// One IQ check and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What is checked.
    pub name: String,
    /// Whether it holds.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
}

fn check(name: &str, passed: bool, detail: impl Into<String>) -> Check {
    Check {
        name: name.to_string(),
        passed,
        detail: detail.into(),
    }
}

/// The IQ's result.
#[derive(Debug, Clone, Serialize)]
pub struct Qualification {
    /// When it ran (server clock).
    pub at: DateTime<Utc>,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl Qualification {
    /// Every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

fn binary() -> Check {
    let version = format!("ebr {}", env!("CARGO_PKG_VERSION"));
    match std::env::current_exe().and_then(std::fs::read) {
        Ok(bytes) => check(
            "binary",
            true,
            format!(
                "{version}, SHA-256 {}",
                ebr_domain::canonical::sha256_hex(&bytes)
            ),
        ),
        Err(e) => check(
            "binary",
            false,
            format!("{version}, cannot read the executable: {e}"),
        ),
    }
}

fn ntp() -> String {
    match std::process::Command::new("timedatectl")
        .args(["show", "-p", "NTPSynchronized", "--value"])
        .output()
    {
        Ok(out) if out.status.success() => {
            format!(
                "NTP synchronised: {}",
                String::from_utf8_lossy(&out.stdout).trim()
            )
        }
        _ => "NTP state unknown (no timedatectl): check the host's time service".into(),
    }
}

/// Runs every check against the database of `conn` (as its owner), with
/// the server's `clock`.
pub fn run(settings: &Settings, conn: &mut PgConnection, clock: &dyn Clock) -> Qualification {
    let now = clock.now();
    let mut checks = vec![binary()];
    match ebr_db::migrate::pending_count(conn) {
        Ok(0) => checks.push(check(
            "migrations",
            true,
            format!(
                "all applied; fingerprint {}",
                ebr_db::migrate::MIGRATIONS_FINGERPRINT
            ),
        )),
        Ok(n) => checks.push(check(
            "migrations",
            false,
            format!("{n} not applied: run `ebr migrate`"),
        )),
        Err(e) => checks.push(check("migrations", false, e.to_string())),
    }
    match installation::app_role_exists(conn) {
        Ok(exists) => checks.push(check(
            "application role",
            exists,
            if exists {
                "ebr_app exists; pooled connections act as it"
            } else {
                "ebr_app is missing: the application would write as the owner"
            },
        )),
        Err(e) => checks.push(check("application role", false, e.to_string())),
    }
    match installation::table_guards(conn) {
        Ok(tables) => {
            let recorded: Vec<_> = tables
                .iter()
                .filter(|t| !NOT_RECORDED.contains(&t.table.as_str()))
                .collect();
            let unguarded: Vec<String> = recorded
                .iter()
                .filter(|t| !(t.no_update_trigger && t.no_truncate_trigger))
                .map(|t| t.table.clone())
                .collect();
            checks.push(check(
                "append-only triggers",
                unguarded.is_empty(),
                if unguarded.is_empty() {
                    format!(
                        "present and enabled on all {} recorded tables",
                        recorded.len()
                    )
                } else {
                    format!("missing or disabled on: {}", unguarded.join(", "))
                },
            ));
            let writable: Vec<String> = recorded
                .iter()
                .filter(|t| t.app_may_change || t.app_owns)
                .map(|t| t.table.clone())
                .collect();
            checks.push(check(
                "application role privileges",
                writable.is_empty(),
                if writable.is_empty() {
                    "ebr_app may only SELECT and INSERT recorded data and owns no table".to_string()
                } else {
                    format!("ebr_app may change or owns: {}", writable.join(", "))
                },
            ));
        }
        Err(e) => checks.push(check("append-only triggers", false, e.to_string())),
    }
    let empty = installation::audit_trail_empty(conn).unwrap_or(false);
    for (name, statement) in [
        (
            "live: UPDATE refused",
            "UPDATE audit_events SET actor = actor",
        ),
        ("live: DELETE refused", "DELETE FROM audit_events"),
        ("live: TRUNCATE refused", "TRUNCATE audit_events CASCADE"),
    ] {
        match installation::try_change(conn, statement) {
            Ok(Some(refusal)) if refusal.contains("append-only") => {
                checks.push(check(name, true, refusal))
            }
            Ok(Some(other)) => checks.push(check(
                name,
                false,
                format!("refused, but not by the guard: {other}"),
            )),
            Ok(None) if empty && !statement.starts_with("TRUNCATE") => checks.push(check(
                name,
                true,
                "no row was there to refuse (an empty audit trail); the statement was rolled back",
            )),
            Ok(None) => checks.push(check(
                name,
                false,
                "PostgreSQL ACCEPTED the change (rolled back by the IQ): the guard is missing",
            )),
            Err(e) => checks.push(check(name, false, e.to_string())),
        }
    }
    checks.push(check(
        "configuration",
        true,
        ebr_domain::canonical::to_canonical_json(&settings.audited()).unwrap_or_default(),
    ));
    let before = clock.now();
    match installation::database_time(conn) {
        Ok(db_now) => {
            let after = clock.now();
            let skew = if db_now < before {
                (before - db_now).num_milliseconds()
            } else if db_now > after {
                (db_now - after).num_milliseconds()
            } else {
                0
            };
            checks.push(check(
                "time source",
                skew <= 2_000,
                format!(
                    "server clock {} UTC, database clock off by {skew} ms; {}",
                    before.format("%Y-%m-%d %H:%M:%S"),
                    ntp()
                ),
            ));
        }
        Err(e) => checks.push(check("time source", false, e.to_string())),
    }
    Qualification { at: now, checks }
}
