//! The `ebr` subcommands, one module each. Commands report results on stdout
//! and progress and refusals on stderr.
#![expect(
    clippy::print_stdout,
    reason = "commands report their results to the user on stdout"
)]

pub mod access_review;
pub mod audit_verify;
pub mod batch_export;
pub mod checkpoint;
pub mod config_audit;
pub mod demo;
pub mod mbr_import;
pub mod migrate;
pub mod record_verify;
pub mod retention;
pub mod serve;
pub mod user_create;
pub mod validation;

use ebr_db::{PgConnection, PgPool};
use secrecy::ExposeSecret;

use crate::config::Settings;

/// How a command fails.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The input was refused; the message lists why (already formatted).
    #[error("{0}")]
    Refused(String),
    /// Something went wrong.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<ebr_db::DbError> for CommandError {
    fn from(e: ebr_db::DbError) -> Self {
        CommandError::Failed(e.into())
    }
}

/// The result of a command.
pub type CommandResult = Result<(), CommandError>;

/// A single connection for a command.
pub fn connect(settings: &Settings) -> Result<PgConnection, CommandError> {
    let url = settings
        .require_database_url()
        .map_err(CommandError::Refused)?;
    ebr_db::establish(url.expose_secret())
        .map_err(|e| CommandError::Refused(format!("cannot connect to the database: {e}. Is PostgreSQL running? `make run` starts a local one.")))
}

/// A pool for the server.
pub fn pool(settings: &Settings) -> Result<PgPool, CommandError> {
    let url = settings
        .require_database_url()
        .map_err(CommandError::Refused)?;
    Ok(ebr_db::connect(url.expose_secret(), settings.pool_size)?)
}

/// The actor recorded for changes made from the command line.
pub fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("system:cli:{user}")
}
