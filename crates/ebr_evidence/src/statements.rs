//! Counting the SQL statements a request runs, from PostgreSQL's own
//! statement log (`log_statement = 'all'`), not from the application: the
//! `make test` cluster logs to `.pg/test/postgres.log`.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::server::workspace_root;

/// The log of the local test cluster, when this run uses it and may read it.
pub fn local_cluster_log() -> Option<PathBuf> {
    let path = workspace_root().join(".pg/test/postgres.log");
    std::fs::File::open(&path).ok().map(|_| path)
}

/// A position in a PostgreSQL log file; counts the statements logged after it.
#[derive(Debug)]
pub struct StatementLog {
    path: PathBuf,
    offset: u64,
}

impl StatementLog {
    /// Starts counting at the current end of the log at `path`.
    pub fn at_end(path: &Path) -> Result<StatementLog, crate::Error> {
        let offset = std::fs::metadata(path)?.len();
        Ok(StatementLog {
            path: path.to_path_buf(),
            offset,
        })
    }

    /// The statements (simple `statement:` and extended-protocol `execute`
    /// lines) logged since the last call, then moves to the end.
    pub fn count_since(&mut self) -> Result<usize, crate::Error> {
        let mut file = std::fs::File::open(&self.path)?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        self.offset += text.len() as u64;
        Ok(text
            .lines()
            .filter(|l| l.contains("LOG:  statement: ") || l.contains("LOG:  execute "))
            .count())
    }
}
