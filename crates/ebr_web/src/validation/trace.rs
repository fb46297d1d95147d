//! The trace matrix (R51): every requirement of `docs/REQUIREMENTS.md`
//! (R-ID, text, risk, where it is enforced) against the tests that prove it
//! — a test proves the requirements its name starts with (`r42_r20_…`) —
//! and each test's result on this build, read from the test run's report
//! (nextest's JUnit XML, or `cargo test`'s output). A requirement is proven
//! by at least one passing test; a high-risk one needs a passing test
//! through the HTTP API or the browser as well.

use std::collections::BTreeMap;

use serde::Serialize;

/// How much is at stake when a requirement fails (CSA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Patient safety or record integrity.
    High,
    /// Medium.
    Medium,
    /// Low.
    Low,
}

/// One requirement as `docs/REQUIREMENTS.md` states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// The number of `R<n>`.
    pub id: u32,
    /// The requirement in words.
    pub text: String,
    /// The rule functions that enforce it.
    pub enforced_by: String,
    /// Its risk.
    pub risk: Risk,
}

/// Where a test runs, which says what it proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Pure, no database.
    Unit,
    /// Against PostgreSQL, below the HTTP layer.
    Database,
    /// The real server over HTTP.
    Api,
    /// Real headless Chromium against the real server.
    Browser,
    /// The `ebr` or `ebr-verify` binary.
    Cli,
    /// `ebr serve` processes under load, kill -9, failover.
    Resilience,
}

impl TestKind {
    /// From the test binary's suite name as nextest names it
    /// (`ebr_web::api`, `ebr_db::persistence`, `ebr_domain`).
    pub fn of_suite(suite: &str) -> TestKind {
        match suite.rsplit_once("::").map(|(_, b)| b) {
            Some("api") => Self::Api,
            Some("browser") => Self::Browser,
            Some("cli" | "ebr_verify") => Self::Cli,
            Some("resilience") => Self::Resilience,
            Some(_) if suite.starts_with("ebr_db::") => Self::Database,
            _ => Self::Unit,
        }
    }
}

/// What became of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Passed.
    Passed,
    /// Failed.
    Failed,
    /// Ignored or skipped.
    Skipped,
}

/// One test's result on this build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// Its suite (test binary).
    pub suite: String,
    /// Its name within the suite (`module::function`).
    pub name: String,
    /// Where it runs.
    pub kind: TestKind,
    /// Its result.
    pub outcome: Outcome,
    /// The requirements its name says it proves.
    pub requirements: Vec<u32>,
}

/// The requirements a test's name claims: the leading `r<n>_` groups of
/// its function name (`r1_r5_r13_a_complete_batch…` → 1, 5, 13).
pub fn requirement_ids(test_name: &str) -> Vec<u32> {
    let function = test_name.rsplit("::").next().unwrap_or(test_name);
    let mut out = Vec::new();
    for part in function.split('_') {
        match part.strip_prefix('r').map(str::parse::<u32>) {
            Some(Ok(n)) if (1..=999).contains(&n) => out.push(n),
            _ => break,
        }
    }
    out
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag.get(start..)?.find('"')? + start;
    Some(unescape(tag.get(start..end)?))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Reads nextest's JUnit report: one result per `<testcase>`, failed when
/// it holds a `<failure>` or `<error>`, skipped when it holds `<skipped>`.
pub fn parse_junit(xml: &str) -> Vec<TestResult> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find("<testcase ") {
        let Some(after) = rest.get(at..) else { break };
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = after.get(..tag_end).unwrap_or_default();
        let self_closing = tag.ends_with('/');
        let body_end = if self_closing {
            tag_end
        } else {
            after.find("</testcase>").unwrap_or(tag_end)
        };
        let body = after.get(tag_end..body_end).unwrap_or_default();
        let outcome = if body.contains("<failure") || body.contains("<error") {
            Outcome::Failed
        } else if body.contains("<skipped") {
            Outcome::Skipped
        } else {
            Outcome::Passed
        };
        let name = attribute(tag, "name").unwrap_or_default();
        let suite = attribute(tag, "classname").unwrap_or_default();
        out.push(TestResult {
            kind: TestKind::of_suite(&suite),
            requirements: requirement_ids(&name),
            suite,
            name,
            outcome,
        });
        rest = after.get(body_end..).unwrap_or_default();
    }
    out
}

/// Reads `cargo test`'s output: the suite from each `Running …` line
/// (`tests/api/main.rs` → `ebr_web::api`, `src/lib.rs` → the crate), the
/// result from each `test … ok|FAILED|ignored` line.
pub fn parse_cargo_test(log: &str) -> Vec<TestResult> {
    let mut suite = String::new();
    let mut out = Vec::new();
    for line in log.lines() {
        let line = line.trim();
        if let Some(running) = line.strip_prefix("Running ") {
            let path = running.split_whitespace().next().unwrap_or_default();
            let krate = running
                .rsplit('/')
                .next()
                .and_then(|b| b.split('-').next())
                .unwrap_or_default()
                .trim_end_matches(')');
            suite = match path.strip_prefix("tests/") {
                Some(test) => {
                    let binary = test
                        .split('/')
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches(".rs");
                    let owner = path_crate(running);
                    format!("{owner}::{binary}")
                }
                None => krate.to_string(),
            };
            continue;
        }
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let outcome = match result.trim() {
            "ok" => Outcome::Passed,
            "FAILED" => Outcome::Failed,
            r if r.starts_with("ignored") => Outcome::Skipped,
            _ => continue,
        };
        out.push(TestResult {
            kind: TestKind::of_suite(&suite),
            requirements: requirement_ids(name),
            suite: suite.clone(),
            name: name.to_string(),
            outcome,
        });
    }
    out
}

/// The crate of a `Running tests/x.rs (target/debug/deps/x-hash)` line is
/// not printed by cargo; the binary's name is the test file's, so the
/// suite is named by the binary alone when the crate is unknown.
fn path_crate(running: &str) -> String {
    running
        .split("crates/")
        .nth(1)
        .and_then(|p| p.split('/').next())
        .unwrap_or("tests")
        .to_string()
}

/// Reads the requirement table of `docs/REQUIREMENTS.md` (`| R<n> | text |
/// enforced by | risk | tests |`).
pub fn parse_requirements(markdown: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for (i, line) in markdown.lines().enumerate() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(id) = cells
            .get(1)
            .and_then(|c| c.strip_prefix('R'))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let cell = |n: usize| cells.get(n).copied().unwrap_or_default();
        let risk = match cell(4) {
            "high" => Risk::High,
            "medium" => Risk::Medium,
            "low" => Risk::Low,
            other => {
                return Err(format!(
                    "line {}: R{id} has risk `{other}`; write high, medium or low",
                    i + 1
                ))
            }
        };
        out.push(Requirement {
            id,
            text: cell(2).replace("**", ""),
            enforced_by: cell(3).to_string(),
            risk,
        });
    }
    if out.is_empty() {
        return Err("no requirement rows (`| R1 | … |`) found".into());
    }
    Ok(out)
}

/// One requirement with the tests that claim it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The requirement.
    pub requirement: Requirement,
    /// Every test naming it, with its result.
    pub tests: Vec<TestResult>,
    /// At least one passing test (and, for a high-risk requirement, one
    /// passing through the API or the browser).
    pub proven: bool,
    /// What is missing, in words (empty when proven).
    pub gap: String,
}

/// The trace matrix of one build.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// One row per requirement, in order.
    pub rows: Vec<Row>,
    /// Requirements proven.
    pub proven: usize,
    /// Requirements in all.
    pub total: usize,
    /// Tests run, passed, failed, skipped.
    pub tests: BTreeMap<String, usize>,
}

impl Matrix {
    /// Every requirement proven.
    pub fn complete(&self) -> bool {
        self.proven == self.total
    }

    /// The one-line coverage `make test` prints.
    pub fn summary(&self) -> String {
        format!("R-IDs proven: {}/{}", self.proven, self.total)
    }
}

/// Maps every requirement to its tests and decides which are proven.
pub fn matrix(requirements: &[Requirement], results: &[TestResult]) -> Matrix {
    let rows: Vec<Row> = requirements
        .iter()
        .map(|r| {
            let tests: Vec<TestResult> = results
                .iter()
                .filter(|t| t.requirements.contains(&r.id))
                .cloned()
                .collect();
            let passing = tests.iter().filter(|t| t.outcome == Outcome::Passed);
            let any = passing.clone().count() > 0;
            let end_to_end = passing
                .clone()
                .any(|t| matches!(t.kind, TestKind::Api | TestKind::Browser));
            let gap = if tests.is_empty() {
                "no test names it".to_string()
            } else if !any {
                "no test naming it passed on this build".to_string()
            } else if r.risk == Risk::High && !end_to_end {
                "high risk: no passing test through the API or the browser".to_string()
            } else {
                String::new()
            };
            Row {
                requirement: r.clone(),
                proven: gap.is_empty(),
                gap,
                tests,
            }
        })
        .collect();
    let mut tests = BTreeMap::new();
    tests.insert("run".to_string(), results.len());
    for (key, outcome) in [
        ("passed", Outcome::Passed),
        ("failed", Outcome::Failed),
        ("skipped", Outcome::Skipped),
    ] {
        tests.insert(
            key.to_string(),
            results.iter().filter(|t| t.outcome == outcome).count(),
        );
    }
    Matrix {
        proven: rows.iter().filter(|r| r.proven).count(),
        total: rows.len(),
        rows,
        tests,
    }
}

/// The matrix as Markdown: a summary, the gaps, then one row per
/// requirement with each test, its kind and its result.
pub fn markdown(m: &Matrix, build: &str) -> String {
    let mut out = format!(
        "# Trace matrix\n\nBuild: {build}\n\n{}; tests run {}, passed {}, failed {}, skipped {}.\n\n",
        m.summary(),
        m.tests.get("run").copied().unwrap_or(0),
        m.tests.get("passed").copied().unwrap_or(0),
        m.tests.get("failed").copied().unwrap_or(0),
        m.tests.get("skipped").copied().unwrap_or(0),
    );
    let gaps: Vec<&Row> = m.rows.iter().filter(|r| !r.proven).collect();
    if !gaps.is_empty() {
        out.push_str("## Not proven\n\n");
        for r in gaps {
            out.push_str(&format!("- R{}: {}\n", r.requirement.id, r.gap));
        }
        out.push('\n');
    }
    out.push_str("| R | requirement | risk | enforced by | tests (kind: result) | proven |\n| --- | --- | --- | --- | --- | --- |\n");
    for r in &m.rows {
        let tests: Vec<String> = r
            .tests
            .iter()
            .map(|t| {
                format!(
                    "`{}` ({}: {})",
                    t.name.rsplit("::").next().unwrap_or(&t.name),
                    serde_json::to_value(t.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    serde_json::to_value(t.outcome)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                )
            })
            .collect();
        out.push_str(&format!(
            "| R{} | {} | {} | {} | {} | {} |\n",
            r.requirement.id,
            r.requirement.text.replace('|', "\\|"),
            serde_json::to_value(r.requirement.risk)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            r.requirement.enforced_by.replace('|', "\\|"),
            if tests.is_empty() {
                "—".to_string()
            } else {
                tests.join("; ")
            },
            if r.proven {
                "yes".to_string()
            } else {
                format!("**NO**: {}", r.gap)
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIREMENTS: &str = "| R | requirement | enforced by | risk | tests |\n| --- | --- | --- | --- | --- |\n| R1 | **Altered records are detected** | `audit` | high | x |\n| R2 | Copies | `record` | medium | y |\n| R3 | Retention | triggers | low | z |\n";

    fn junit(cases: &str) -> String {
        format!("<testsuites><testsuite name=\"s\">{cases}</testsuite></testsuites>")
    }

    /// R51: the R-IDs of a test come from its name; the matrix proves a
    /// requirement only with a passing test, a high-risk one only with a
    /// passing API or browser test; removing a test's R-ID un-proves its
    /// requirement.
    #[test]
    fn r51_the_matrix_proves_requirements_only_with_passing_tests() {
        assert_eq!(
            requirement_ids("custody::r47_r48_r49_labels"),
            vec![47, 48, 49]
        );
        assert_eq!(requirement_ids("tests::r5_x"), vec![5]);
        assert!(requirement_ids("tests::rounds_half_even").is_empty());
        let requirements = parse_requirements(REQUIREMENTS).unwrap();
        assert_eq!(requirements.len(), 3);
        assert_eq!(requirements[0].text, "Altered records are detected");
        let xml = junit(
            r#"<testcase name="a::r1_r2_chain_is_checked" classname="ebr_domain" time="0.1"/>
               <testcase name="flow::r1_tamper_is_named" classname="ebr_web::api" time="1"><failure message="boom">x</failure></testcase>
               <testcase name="t::r3_purge_refused" classname="ebr_web::cli"><skipped/></testcase>"#,
        );
        let results = parse_junit(&xml);
        assert_eq!(results.len(), 3);
        assert_eq!(results[1].kind, TestKind::Api);
        assert_eq!(results[1].outcome, Outcome::Failed);
        assert_eq!(results[2].outcome, Outcome::Skipped);
        let m = matrix(&requirements, &results);
        assert_eq!(m.summary(), "R-IDs proven: 1/3");
        assert!(
            m.rows[0].gap.contains("API or the browser"),
            "{}",
            m.rows[0].gap
        );
        assert!(m.rows[1].proven);
        assert!(m.rows[2].gap.contains("passed"));
        let fixed = junit(
            r#"<testcase name="a::r1_r2_chain_is_checked" classname="ebr_domain"/>
               <testcase name="flow::r1_tamper_is_named" classname="ebr_web::api"/>
               <testcase name="t::r3_purge_refused" classname="ebr_web::cli"/>"#,
        );
        let all = matrix(&requirements, &parse_junit(&fixed));
        assert!(all.complete());
        // The same run with one test's R-ID removed from its name.
        let removed = fixed.replace("t::r3_purge_refused", "t::purge_refused");
        let m = matrix(&requirements, &parse_junit(&removed));
        assert!(!m.complete());
        assert_eq!(m.rows[2].gap, "no test names it");
        assert!(markdown(&m, "test").contains("R3: no test names it"));
    }

    /// R51: `cargo test` output gives the same results as nextest's report.
    #[test]
    fn r51_cargo_test_output_is_read_like_the_junit_report() {
        let log = "     Running unittests src/lib.rs (target/debug/deps/ebr_domain-1a2b)\n\nrunning 2 tests\ntest audit::tests::r1_chain ... ok\ntest audit::tests::r1_other ... FAILED\n     Running tests/api/main.rs (target/debug/deps/api-9f)\ntest flow::r1_api ... ok\ntest slow::r2_x ... ignored, needs PyPI\n";
        let results = parse_cargo_test(log);
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].suite, "ebr_domain");
        assert_eq!(results[1].outcome, Outcome::Failed);
        assert_eq!(results[2].kind, TestKind::Api);
        assert_eq!(results[3].outcome, Outcome::Skipped);
        assert!(parse_requirements("no table").is_err());
        assert!(parse_requirements("| R9 | x | y | extreme | z |").is_err());
    }
}
