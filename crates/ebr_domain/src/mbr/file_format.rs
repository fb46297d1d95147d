//! The MBR file format: TOML, one item per block, read into a validated
//! [`MasterBatchRecord`].

use super::model::MasterBatchRecord;
use super::validate::{validate, Problem};

/// Parses MBR text in the TOML file format and validates it. On failure,
/// returns every problem found: a syntax or structure error (with its line and
/// column) when the text cannot be read at all, otherwise every validation
/// problem with its path.
pub fn parse_toml(text: &str) -> Result<MasterBatchRecord, Vec<Problem>> {
    let mbr: MasterBatchRecord = toml::from_str(text).map_err(|e| {
        let location = e
            .span()
            .map(|span| line_and_column(text, span.start))
            .map_or_else(
                || "file".to_string(),
                |(l, c)| format!("line {l}, column {c}"),
            );
        vec![Problem {
            path: location,
            message: e.message().to_string(),
        }]
    })?;
    let problems = validate(&mbr);
    if problems.is_empty() {
        Ok(mbr)
    } else {
        Err(problems)
    }
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
