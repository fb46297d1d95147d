//! `ebr retention purge BATCH`: R41. ebr keeps every record for its
//! retention period and never deletes one; the request is refused, naming
//! the date the retention period ends, and the attempt is audited.

use super::{connect, CommandError, CommandResult};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// Refuses the purge of `batch_number`'s record after auditing the attempt.
pub fn purge(settings: &Settings, batch_number: &str) -> CommandResult {
    let mut conn = connect(settings)?;
    let actor = format!(
        "system:cli {}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    );
    let refusal =
        ebr_db::repo::retention::request_purge(&mut conn, batch_number, &actor, SystemClock.now())
            .map_err(|e| match e {
                ebr_db::DbError::NotFound(what) => CommandError::Refused(format!(
                    "no {what}; `ebr` lists batches at GET /api/v1/batches"
                )),
                other => other.into(),
            })?;
    Err(CommandError::Refused(format!(
        "refused ({}): {refusal}. The attempt is recorded in the batch's audit trail.",
        refusal.rule()
    )))
}
