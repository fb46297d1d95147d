//! `ebr access review --from DATE --to DATE -o FILE.pdf`: the periodic
//! access review of a live installation as a PDF (the same report QA
//! generates and signs on the Access reviews page; this one is not stored).

use std::path::Path;

use chrono::NaiveDate;

use super::batch_export::write_atomically;
use super::{connect, CommandError, CommandResult};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// Generates the report for the period and writes its PDF atomically;
/// prints the findings.
pub fn run(
    settings: &Settings,
    from: NaiveDate,
    to: NaiveDate,
    dormant_days: i64,
    out: &Path,
) -> CommandResult {
    let mut conn = connect(settings)?;
    ebr_db::act_as_app(&mut conn)?;
    let now = SystemClock.now();
    let report = ebr_db::repo::access_review::report(
        &mut conn,
        from,
        to,
        dormant_days,
        settings.security.second_factor.at_signing(),
        now,
    )
    .map_err(|e| match e {
        ebr_db::DbError::Domain(rule) => CommandError::Refused(rule.to_string()),
        other => CommandError::Failed(other.into()),
    })?;
    let json = ebr_domain::canonical::to_canonical_json(&report)
        .map_err(|e| CommandError::Failed(anyhow::anyhow!("cannot write the report: {e}")))?;
    let bytes =
        ebr_record::pdf::access_review::render(&json, &[]).map_err(CommandError::Refused)?;
    write_atomically(out, &bytes)?;
    println!(
        "wrote {} ({} accounts, {} role changes, {} finding(s)); QA signs the review on the Access reviews page",
        out.display(),
        report.accounts.len(),
        report.role_changes.len(),
        report.findings.len()
    );
    for f in &report.findings {
        println!("  {} {}: {}", f.rule, f.username, f.detail);
    }
    Ok(())
}
