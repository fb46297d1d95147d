//! `ebr validation trace`: the trace matrix of this build (R51).

use std::path::Path;

use anyhow::Context;

use super::{CommandError, CommandResult};
use crate::validation::trace::{self, TestResult};

/// Reads the last test run's report (JUnit, else `cargo test`'s output),
/// writes `trace.md` and `trace.json` into `output`, prints the coverage and
/// refuses (non-zero exit) when a requirement is not proven.
pub fn trace(junit: &Path, log: &Path, requirements: &Path, output: &Path) -> CommandResult {
    let (results, source): (Vec<TestResult>, &Path) = if junit.exists() {
        let xml = std::fs::read_to_string(junit)
            .with_context(|| format!("reading {}", junit.display()))?;
        (trace::parse_junit(&xml), junit)
    } else if log.exists() {
        let text =
            std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
        (trace::parse_cargo_test(&text), log)
    } else {
        return Err(CommandError::Refused(format!(
            "no test results: neither {} nor {} exists. Run `make test` first (`make trace` does).",
            junit.display(),
            log.display()
        )));
    };
    if results.is_empty() {
        return Err(CommandError::Refused(format!(
            "{} holds no test results; run `make test` again",
            source.display()
        )));
    }
    let markdown = std::fs::read_to_string(requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let requirements = trace::parse_requirements(&markdown)
        .map_err(|e| CommandError::Refused(format!("{}: {e}", requirements.display())))?;
    let matrix = trace::matrix(&requirements, &results);
    let build = format!("ebr {}", env!("CARGO_PKG_VERSION"));
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    std::fs::write(output.join("trace.md"), trace::markdown(&matrix, &build))
        .context("writing trace.md")?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "build": build,
        "results_from": source.display().to_string(),
        "matrix": matrix,
    }))
    .context("writing trace.json")?;
    std::fs::write(output.join("trace.json"), json).context("writing trace.json")?;
    println!(
        "{} (tests: {} run, {} passed, {} failed); wrote {}/trace.md and trace.json",
        matrix.summary(),
        matrix.tests.get("run").copied().unwrap_or(0),
        matrix.tests.get("passed").copied().unwrap_or(0),
        matrix.tests.get("failed").copied().unwrap_or(0),
        output.display()
    );
    if matrix.complete() {
        return Ok(());
    }
    let gaps: Vec<String> = matrix
        .rows
        .iter()
        .filter(|r| !r.proven)
        .map(|r| format!("  R{}: {}", r.requirement.id, r.gap))
        .collect();
    Err(CommandError::Refused(format!(
        "{} requirement(s) not proven on this build:\n{}",
        gaps.len(),
        gaps.join("\n")
    )))
}
