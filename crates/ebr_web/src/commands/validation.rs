//! `ebr validation trace`: the trace matrix of this build (R51);
//! `ebr validation iq`: the installation qualification of this installation;
//! `ebr validation pack`: both, with the test report, the SBOM and a
//! manifest, in one directory.

use std::path::Path;

use anyhow::Context;

use super::{connect, CommandError, CommandResult};
use crate::clock::{Clock, SystemClock};
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
            "no test results: neither {} nor {} exists. Run `make test` first (`make trace` does when they are missing).",
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

/// Where the pack's inputs are.
#[derive(Debug, Clone)]
pub struct PackInputs<'a> {
    /// nextest's JUnit report of the test run.
    pub junit: &'a Path,
    /// `cargo test`'s output, when there is no JUnit report.
    pub log: &'a Path,
    /// The requirements file.
    pub requirements: &'a Path,
    /// The CycloneDX SBOM of the build.
    pub sbom: &'a Path,
}

/// `ebr validation pack -o DIR`: the trace matrix (Markdown, JSON, PDF/A),
/// the installation qualification of the configured database, the test
/// run's report, the build's SBOM and a manifest of the SHA-256 of every
/// file; refuses (non-zero) when the IQ fails or a requirement is not
/// proven, after writing everything, so the evidence of the failure is
/// kept.
pub fn pack(settings: &Settings, inputs: &PackInputs<'_>, output: &Path) -> CommandResult {
    if !inputs.sbom.exists() {
        return Err(CommandError::Refused(format!(
            "no software bill of materials at {}: `make validation-pack` makes it (cargo-cyclonedx), or pass --sbom FILE",
            inputs.sbom.display()
        )));
    }
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    let traced = trace(inputs.junit, inputs.log, inputs.requirements, output);
    let matrix: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(output.join("trace.json")).context("reading trace.json")?,
    )
    .context("reading trace.json")?;
    let now = SystemClock.now();
    let build = format!("ebr {}", env!("CARGO_PKG_VERSION"));
    let pdf = ebr_record::pdf::trace::render(
        matrix.get("matrix").unwrap_or(&serde_json::Value::Null),
        &build,
        now,
    )
    .map_err(|e| CommandError::Failed(anyhow::anyhow!(e)))?;
    std::fs::write(output.join("trace.pdf"), pdf).context("writing trace.pdf")?;
    let iq = {
        let mut conn = connect(settings)?;
        crate::validation::iq::run(settings, &mut conn, &SystemClock)
    };
    std::fs::write(
        output.join("iq.json"),
        serde_json::to_string_pretty(&iq).context("writing iq.json")?,
    )
    .context("writing iq.json")?;
    let tests_dir = output.join("tests");
    std::fs::create_dir_all(&tests_dir).context("creating tests/")?;
    for source in [inputs.junit, inputs.log] {
        if let (true, Some(name)) = (source.exists(), source.file_name()) {
            std::fs::copy(source, tests_dir.join(name))
                .with_context(|| format!("copying {}", source.display()))?;
        }
    }
    std::fs::copy(inputs.sbom, output.join("sbom.cdx.json")).context("copying the SBOM")?;
    let manifest = crate::validation::manifest::of_dir(output)
        .map_err(|e| CommandError::Failed(anyhow::anyhow!(e)))?;
    std::fs::write(output.join("manifest.json"), manifest).context("writing manifest.json")?;
    println!("validation pack written to {}", output.display());
    for c in iq.checks.iter().filter(|c| !c.passed) {
        println!("IQ FAIL {}: {}", c.name, c.detail);
    }
    if !iq.passed() {
        return Err(CommandError::Refused(
            "installation qualification FAILED: see iq.json in the pack".into(),
        ));
    }
    traced
}

/// `ebr validation verify-pack DIR`: every file of the pack against its
/// manifest.
pub fn verify_pack(dir: &Path) -> CommandResult {
    let problems = crate::validation::manifest::verify(dir).map_err(CommandError::Refused)?;
    if problems.is_empty() {
        println!("validation pack intact: every file matches manifest.json");
        Ok(())
    } else {
        Err(CommandError::Refused(format!(
            "validation pack altered: {}",
            problems.join(", ")
        )))
    }
}
