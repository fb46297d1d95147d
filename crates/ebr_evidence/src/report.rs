//! The one benchmark table: each benchmark program appends its rows to
//! `target/bench-results/`, and the last one prints them all together.

use std::path::PathBuf;

use crate::server::workspace_root;

/// One row: what was measured, the result, the target and whether it was met.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub measure: String,
    /// The measured result, with units.
    pub result: String,
    /// The target, or "—".
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` no target.
    pub met: Option<bool>,
}

impl Row {
    /// A row with a target.
    pub fn new(
        measure: impl Into<String>,
        result: impl Into<String>,
        target: impl Into<String>,
        met: bool,
    ) -> Row {
        Row {
            measure: measure.into(),
            result: result.into(),
            target: target.into(),
            met: Some(met),
        }
    }

    /// A row without a target (context for the others).
    pub fn info(measure: impl Into<String>, result: impl Into<String>) -> Row {
        Row {
            measure: measure.into(),
            result: result.into(),
            target: "—".into(),
            met: None,
        }
    }

    fn markdown(&self) -> String {
        let verdict = match self.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "",
        };
        format!(
            "| {} | {} | {} | {verdict} |",
            self.measure, self.result, self.target
        )
    }
}

/// The folder the rows are collected in (`make bench` empties it first).
pub fn results_dir() -> PathBuf {
    workspace_root().join("target/bench-results")
}

/// Writes `rows` as the section `name` of this run's table.
pub fn save(name: &str, rows: &[Row]) -> Result<(), crate::Error> {
    std::fs::create_dir_all(results_dir())?;
    let text: String = rows.iter().map(|r| r.markdown() + "\n").collect();
    std::fs::write(results_dir().join(format!("{name}.md")), text)?;
    Ok(())
}

/// The whole table: the sections named in `order` (a missing one is listed
/// as not measured in this run), under a header naming the machine.
pub fn table(order: &[&str], machine: &str) -> String {
    let mut out =
        format!("{machine}\n\n| measure | result | target | |\n| --- | --- | --- | --- |\n");
    for name in order {
        match std::fs::read_to_string(results_dir().join(format!("{name}.md"))) {
            Ok(rows) => out.push_str(&rows),
            Err(_) => out.push_str(&format!(
                "| {name} | not measured in this run (`make bench` runs every part) | | |\n"
            )),
        }
    }
    out
}

/// A one-line description of this machine: CPU model, cores, memory, OS.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_default();
    format!(
        "Machine: {model}, {cores} cores, {:.0} GiB RAM, {os}; PostgreSQL on loopback (the `make test` cluster: fsync off).",
        mem_kib as f64 / 1024.0 / 1024.0
    )
}
