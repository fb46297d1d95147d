//! `ebr batch export BATCH_NUMBER -o FILE`

use std::path::Path;

use anyhow::Context;
use ebr_db::repo::batches;

use super::{connect, CommandError, CommandResult};
use crate::config::Settings;

/// Writes the machine-readable batch record (the same bytes as
/// `GET /api/v1/batches/{id}/record.json`), atomically: a temporary file is
/// renamed into place, so a failure never leaves half a file.
pub fn run(settings: &Settings, batch_number: &str, out: &Path) -> CommandResult {
    let mut conn = connect(settings)?;
    ebr_db::act_as_app(&mut conn)?;
    let batch = batches::find_by_number(&mut conn, batch_number).map_err(|_| {
        CommandError::Refused(format!(
            "no batch {batch_number}; `ebr` lists batches at GET /api/v1/batches"
        ))
    })?;
    let doc = crate::routes::record::export_of(&mut conn, batch.id)?;
    write_atomically(out, doc.to_canonical_json().as_bytes())?;
    println!(
        "wrote {} (record sha256 {})",
        out.display(),
        doc.manifest.record_sha256
    );
    Ok(())
}

/// Writes the batch record PDF (the same bytes the auditor downloads).
pub fn run_pdf(settings: &Settings, batch_number: &str, out: &Path) -> CommandResult {
    let mut conn = connect(settings)?;
    ebr_db::act_as_app(&mut conn)?;
    let batch = batches::find_by_number(&mut conn, batch_number)
        .map_err(|_| CommandError::Refused(format!("no batch {batch_number}")))?;
    let doc = crate::routes::record::export_of(&mut conn, batch.id)?;
    let bytes = ebr_record::pdf::render(&doc.to_canonical_json()).map_err(CommandError::Refused)?;
    write_atomically(out, &bytes)?;
    println!(
        "wrote {} ({} bytes, record sha256 {})",
        out.display(),
        bytes.len(),
        doc.manifest.record_sha256
    );
    Ok(())
}

/// `ebr render-pdf`: reads an export from stdin, writes its PDF to stdout.
pub fn run_render() -> CommandResult {
    use std::io::{Read, Write};
    let mut json = String::new();
    std::io::stdin()
        .read_to_string(&mut json)
        .context("cannot read the export from stdin")
        .map_err(CommandError::Failed)?;
    let bytes = ebr_record::pdf::render(&json).map_err(CommandError::Refused)?;
    std::io::stdout()
        .write_all(&bytes)
        .context("cannot write the PDF")
        .map_err(CommandError::Failed)?;
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> CommandResult {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(CommandError::Failed)
}
