//! PostgreSQL clusters of the evidence's own, made with `scripts/pg.sh`
//! under `.pg/` on fixed loopback ports: a plain one for the restart test,
//! and a synchronous primary with its hot standby for failover and scaling.

use std::process::Command;

use anyhow::bail;
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::server::workspace_root;

/// Runs `scripts/pg.sh` with `args`; its stdout, or an error with its stderr.
pub fn pg(args: &[&str]) -> Result<String, crate::Error> {
    let out = Command::new(workspace_root().join("scripts/pg.sh"))
        .args(args)
        .output()?;
    if !out.status.success() {
        bail!(
            "scripts/pg.sh {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs one SQL statement on a connection of its own.
pub fn sql(url: &str, statement: &str) -> Result<(), crate::Error> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(statement).execute(&mut conn)?;
    Ok(())
}

/// A primary that commits only once its hot standby has applied the commit
/// (`synchronous_commit = remote_apply`), made afresh.
pub struct ReplicatedPair {
    primary: (&'static str, &'static str),
    standby: (&'static str, &'static str),
    /// Both hosts with `target_session_attrs=read-write`: what the nodes use,
    /// so they follow a promotion by themselves.
    pub db_url: String,
    /// The primary alone (for settings that must reach it, not its successor).
    pub primary_url: String,
    /// The standby alone: the read replica.
    pub replica_url: String,
}

impl ReplicatedPair {
    /// Deletes any leftover clusters of these names, then creates the
    /// primary (`NAME`, port) and copies it into the standby with
    /// pg_basebackup; both running.
    pub fn create(
        primary: (&'static str, &'static str),
        standby: (&'static str, &'static str),
    ) -> Result<ReplicatedPair, crate::Error> {
        pg(&["delete", standby.0])?;
        pg(&["delete", primary.0])?;
        pg(&["up", primary.0, primary.1, "primary"])?;
        pg(&["standby", standby.0, standby.1, primary.1])?;
        let primary_url = pg(&["url", primary.0, primary.1])?;
        let replica_url = pg(&["url", standby.0, standby.1])?;
        let db_url = format!(
            "{}?target_session_attrs=read-write",
            primary_url.replace(
                &format!("127.0.0.1:{}", primary.1),
                &format!("127.0.0.1:{},127.0.0.1:{}", primary.1, standby.1)
            )
        );
        Ok(ReplicatedPair {
            primary,
            standby,
            db_url,
            primary_url,
            replica_url,
        })
    }

    /// kill -9 of every process of the primary: its machine is gone.
    pub fn kill_primary(&self) -> Result<(), crate::Error> {
        pg(&["kill", self.primary.0]).map(|_| ())
    }

    /// Promotes the standby and waits until it accepts writes.
    pub fn promote_standby(&self) -> Result<(), crate::Error> {
        pg(&["promote", self.standby.0]).map(|_| ())
    }

    /// Stops both clusters and deletes their data.
    pub fn delete(&self) -> Result<(), crate::Error> {
        pg(&["delete", self.standby.0])?;
        pg(&["delete", self.primary.0]).map(|_| ())
    }
}
