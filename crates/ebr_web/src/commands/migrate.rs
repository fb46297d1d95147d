//! `ebr migrate`

use super::{connect, CommandResult};
use crate::config::Settings;

/// Applies pending migrations and reports what was applied.
pub fn run(settings: &Settings) -> CommandResult {
    let mut conn = connect(settings)?;
    let applied = ebr_db::migrate::run_pending(&mut conn)?;
    if applied.is_empty() {
        eprintln!("database schema is current; nothing to apply");
    } else {
        for name in &applied {
            eprintln!("applied migration {name}");
        }
    }
    Ok(())
}
