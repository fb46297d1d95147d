//! `ebr demo`: idempotent demo data.

use ebr_db::repo::mbr::{self, ImportOutcome};
use ebr_domain::mbr::parse_toml;

use super::{connect, CommandError, CommandResult};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// The reference MBR, compiled into the binary so `ebr demo` works from any
/// directory.
pub const REFERENCE_MBR: &str = include_str!("../../../../fixtures/mbr/mnp-als-v1.toml");

/// Seeds the demo data that exists so far: the reference MBR as a draft.
/// Running it again changes nothing.
pub fn run(settings: &Settings) -> CommandResult {
    let mut conn = connect(settings)?;
    ebr_db::migrate::run_pending(&mut conn)?;
    let reference = parse_toml(REFERENCE_MBR).map_err(|problems| {
        CommandError::Failed(anyhow::anyhow!(
            "the built-in reference MBR is invalid: {problems:?}"
        ))
    })?;
    match mbr::import_draft(&mut conn, &reference, "system:demo", SystemClock.now())? {
        ImportOutcome::Created(row) => println!(
            "demo: imported reference MBR {} version {}",
            row.code, row.version
        ),
        ImportOutcome::AlreadyPresent(row) => {
            println!(
                "demo: reference MBR {} version {} already present",
                row.code, row.version
            )
        }
    }
    Ok(())
}
