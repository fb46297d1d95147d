//! `ebr record verify FILE [--public-key FILE]`

use std::path::Path;

use ebr_record::checkpoint::PublicKey;
use ebr_record::verify::{render_report, verify_bytes};

use super::{CommandError, CommandResult};

/// Verifies a record file offline and prints what was checked; refuses
/// (non-zero exit) naming the failed items.
pub fn run(file: &Path, public_key: Option<&Path>) -> CommandResult {
    let key = match public_key {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CommandError::Refused(format!("cannot read {}: {e}", path.display()))
            })?;
            Some(
                PublicKey::from_file_text(&text)
                    .map_err(|e| CommandError::Refused(format!("{}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    let bytes = std::fs::read(file)
        .map_err(|e| CommandError::Refused(format!("cannot read {}: {e}", file.display())))?;
    let report = verify_bytes(&bytes, key.as_ref());
    print!("{}\n{}", file.display(), render_report(&report));
    if report.passed() {
        Ok(())
    } else {
        Err(CommandError::Refused(format!(
            "{} is not verified: {}",
            file.display(),
            report
                .failures()
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }
}
