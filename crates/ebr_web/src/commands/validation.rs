//! `ebr validation trace`: the trace matrix of this build (R51);
//! `ebr validation iq`: the installation qualification of this installation.

use std::path::Path;

use anyhow::Context;

use super::{connect, CommandError, CommandResult};
use crate::clock::SystemClock;
use crate::config::Settings;
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

/// Runs the IQ against the configured database (as its owner), prints every
/// check, writes the JSON when asked, and refuses when a check failed.
pub fn iq(settings: &Settings, output: Option<&Path>) -> CommandResult {
    let mut conn = connect(settings)?;
    let result = crate::validation::iq::run(settings, &mut conn, &SystemClock);
    for c in &result.checks {
        println!(
            "{} {:<30} {}",
            if c.passed { "PASS" } else { "FAIL" },
            c.name,
            c.detail
        );
    }
    if let Some(path) = output {
        let json = serde_json::to_string_pretty(&result).context("writing the IQ result")?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    if result.passed() {
        println!(
            "installation qualification passed: {} checks",
            result.checks.len()
        );
        Ok(())
    } else {
        let failed: Vec<&str> = result
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_str())
            .collect();
        Err(CommandError::Refused(format!(
            "installation qualification FAILED: {}",
            failed.join(", ")
        )))
    }
}
