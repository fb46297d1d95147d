//! `ebr mbr import FILE`

use std::path::Path;

use anyhow::Context;
use ebr_db::repo::mbr::{self, ImportOutcome};
use ebr_domain::mbr::parse_toml;

use super::{cli_actor, connect, CommandError, CommandResult};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// Validates the file and stores it as a new draft version. A file with
/// problems is refused, listing every one, and nothing is stored.
pub fn run(settings: &Settings, file: &Path) -> CommandResult {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {}", file.display()))
        .map_err(CommandError::Failed)?;
    let mbr = parse_toml(&text).map_err(|problems| {
        let mut message = format!(
            "{}: refused, {} problem(s); nothing was stored:\n",
            file.display(),
            problems.len()
        );
        for p in &problems {
            message.push_str(&format!("  {p}\n"));
        }
        CommandError::Refused(message.trim_end().to_string())
    })?;
    let mut conn = connect(settings)?;
    ebr_db::migrate::run_pending(&mut conn)?;
    match mbr::import_draft(&mut conn, &mbr, &cli_actor(), SystemClock.now())? {
        ImportOutcome::Created(row) => println!(
            "imported {} version {} as draft (id {}, sha256 {})",
            row.code, row.version, row.id, row.content_sha256
        ),
        ImportOutcome::AlreadyPresent(row) => println!(
            "{} version {} already has exactly this content (sha256 {}); nothing stored",
            row.code, row.version, row.content_sha256
        ),
    }
    Ok(())
}
