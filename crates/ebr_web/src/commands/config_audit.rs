//! `ebr config audit` (and every `ebr serve` start): the configuration in
//! effect is recorded in the audit trail whenever it changed (R11).

use super::{connect, CommandError, CommandResult};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// Records the configuration in effect when it differs from the last one
/// recorded; returns whether it did.
pub fn record(settings: &Settings, conn: &mut ebr_db::PgConnection) -> Result<bool, CommandError> {
    let configuration =
        ebr_domain::canonical::to_canonical_json(&settings.audited()).map_err(|e| {
            CommandError::Failed(anyhow::anyhow!("cannot write the configuration: {e}"))
        })?;
    let actor = format!("system:ebr {}", env!("CARGO_PKG_VERSION"));
    Ok(ebr_db::repo::configuration::record_if_changed(
        conn,
        &configuration,
        &actor,
        SystemClock.now(),
    )?)
}

/// `ebr config audit`: records the configuration if it changed and says
/// which.
pub fn run(settings: &Settings) -> CommandResult {
    let mut conn = connect(settings)?;
    if record(settings, &mut conn)? {
        println!("configuration recorded in the audit trail (it changed since the last record)");
    } else {
        println!("configuration unchanged since it was last recorded; nothing written");
    }
    Ok(())
}
