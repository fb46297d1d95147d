//! `ebr-verify`: verifies a batch record PDF or JSON export offline, with no
//! database and no server. Exit status 0: verified; 1: not verified (the
//! failing item is named); 2: usage.
#![expect(
    clippy::print_stdout,
    reason = "the verifier reports to the person running it"
)]

use std::process::ExitCode;

use ebr_record::checkpoint::PublicKey;
use ebr_record::verify::{render_report, verify_bytes};

const USAGE: &str = "usage: ebr-verify RECORD.pdf|RECORD.json [--public-key CHECKPOINT.pub]

Re-verifies a batch record without the database: the manifest, the audit
chain, every record hash, every signature's binding to what it signed, the
checkpoints (with the site's public key) and, for a PDF, that its pages are
exactly what its embedded record renders to.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let mut file = None;
    let mut key_file = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--public-key" => key_file = it.next(),
            other if file.is_none() && !other.starts_with("--") => file = Some(other.to_string()),
            other => {
                eprintln!("unexpected argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let key = match key_file {
        Some(path) => match std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {path}: {e}"))
            .and_then(|t| PublicKey::from_file_text(&t).map_err(|e| format!("{path}: {e}")))
        {
            Ok(key) => Some(key),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let report = verify_bytes(&bytes, key.as_ref());
    print!("{file}\n{}", render_report(&report));
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
