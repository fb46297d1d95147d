//! The checkpoint log: a directory of append-only files outside the database,
//! one per month (`checkpoints-YYYY-MM.jsonl`), one signed checkpoint per
//! line. Lines are appended whole and synced before the call returns; several
//! server nodes may append to the same directory (each line is one `write`
//! on a file opened for appending). Ship the files to WORM storage as they
//! grow (`docs/CHECKPOINTS.md`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checkpoint::SignedCheckpoint;

/// The file a checkpoint made in `month` (`YYYY-MM`) is appended to.
pub fn file_for(dir: &Path, month: &str) -> PathBuf {
    dir.join(format!("checkpoints-{month}.jsonl"))
}

/// Appends `signed` to its month's file in `dir` and syncs it to disk.
pub fn append(dir: &Path, signed: &SignedCheckpoint) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the checkpoint log {}: {e}", dir.display()))?;
    let path = file_for(dir, &signed.checkpoint.at.format("%Y-%m").to_string());
    let mut line =
        serde_json::to_string(signed).map_err(|e| format!("cannot write a checkpoint: {e}"))?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open the checkpoint log {}: {e}", path.display()))?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| {
            format!(
                "cannot append to the checkpoint log {}: {e}",
                path.display()
            )
        })?;
    Ok(path)
}

/// One checkpoint read back, with where it was found.
#[derive(Debug, Clone)]
pub struct LoggedCheckpoint {
    /// `FILE line N`, for findings.
    pub source: String,
    /// The checkpoint.
    pub signed: SignedCheckpoint,
}

/// Every checkpoint in `dir`, file by file in name order, line by line. A
/// line that is not a checkpoint is an error naming the file and line (a log
/// that cannot be read is not silently shortened).
pub fn read(dir: &Path) -> Result<Vec<LoggedCheckpoint>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the checkpoint log {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("checkpoints-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let source = format!("{} line {}", file.display(), i + 1);
            let signed: SignedCheckpoint = serde_json::from_str(line)
                .map_err(|e| format!("{source} is not a checkpoint: {e}"))?;
            out.push(LoggedCheckpoint { source, signed });
        }
    }
    Ok(out)
}
