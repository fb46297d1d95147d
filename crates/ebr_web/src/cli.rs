//! The `ebr` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::config::Settings;
use crate::telemetry;

/// ebr: electronic batch records for GMP cell-therapy manufacturing.
#[derive(Debug, Parser)]
#[command(name = "ebr", version, about)]
pub struct Cli {
    /// A TOML configuration file (default: $EBR_CONFIG, or ./ebr.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (applies pending migrations first).
    Serve {
        /// Address to listen on (default from configuration: 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// Do not apply pending migrations at start-up.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Master batch records.
    Mbr {
        /// What to do with MBRs.
        #[command(subcommand)]
        command: MbrCommand,
    },
    /// Batch records.
    Batch {
        /// What to do with a batch record.
        #[command(subcommand)]
        command: BatchCommand,
    },
    /// People.
    User {
        /// What to do with people.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Seed the demo data (idempotent).
    Demo,
    /// Internal: render an export (stdin) to PDF (stdout).
    #[command(hide = true)]
    RenderPdf,
    /// The audit trail.
    Audit {
        /// What to do with the audit trail.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// A batch record file (PDF or JSON export), verified offline.
    Record {
        /// What to do.
        #[command(subcommand)]
        command: RecordCommand,
    },
    /// Checkpoints: the audit chains' heads signed outside the database.
    Checkpoint {
        /// What to do.
        #[command(subcommand)]
        command: CheckpointCommand,
    },
    /// Access: the periodic review of who can do what.
    Access {
        /// What to do.
        #[command(subcommand)]
        command: AccessCommand,
    },
    /// Retention (R41): records are kept 30 years after their disposition
    /// and never deleted.
    Retention {
        /// What to do.
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// The configuration in effect.
    Config {
        /// What to do.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Validation evidence: the trace matrix from requirements to the tests
    /// that passed on this build.
    Validation {
        /// What to do.
        #[command(subcommand)]
        command: ValidationCommand,
    },
}

/// `ebr retention …`
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Ask to purge a batch record: always refused (within 30 years of its
    /// disposition, naming the date; after it, because ebr never deletes),
    /// and the attempt is recorded in the batch's audit trail.
    Purge {
        /// The batch number, e.g. BR-2026-0001.
        batch_number: String,
    },
}

/// `ebr config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Record the configuration in effect (secrets excluded) in the audit
    /// trail when it changed since it was last recorded (`ebr serve` does
    /// this at every start).
    Audit,
}

/// `ebr validation …`
#[derive(Debug, Subcommand)]
pub enum ValidationCommand {
    /// Map every requirement of the requirements file to the tests that
    /// prove it and their results on this build (from the last test run's
    /// report); write trace.md and trace.json; exit non-zero naming every
    /// requirement without a passing test (or, when high-risk, without one
    /// through the API or the browser).
    Trace {
        /// nextest's JUnit report of the `make test` run (kept apart from
        /// nextest's own, which every later partial run overwrites).
        #[arg(
            long,
            value_name = "FILE",
            default_value = "target/validation/junit.xml"
        )]
        junit: PathBuf,
        /// `cargo test`'s output, read when there is no JUnit report.
        #[arg(
            long,
            value_name = "FILE",
            default_value = "target/validation/test.log"
        )]
        log: PathBuf,
        /// The requirements and their risk.
        #[arg(long, value_name = "FILE", default_value = "docs/REQUIREMENTS.md")]
        requirements: PathBuf,
        /// Where to write trace.md and trace.json.
        #[arg(short, long, value_name = "DIR", default_value = "target/validation")]
        output: PathBuf,
    },
    /// The installation qualification of this installation: binary and its
    /// SHA-256, migrations, the application role, the append-only triggers
    /// of every recorded table (tested live, rolled back), configuration
    /// (secrets excluded), time source; exit non-zero naming each failure.
    Iq {
        /// Also write the result as JSON to this file.
        #[arg(short, long, value_name = "FILE.json")]
        output: Option<PathBuf>,
    },
    /// The validation pack: the trace matrix (Markdown, JSON and PDF/A),
    /// the IQ of the configured database, the test run's report, the
    /// build's software bill of materials (CycloneDX) and a manifest of the
    /// SHA-256 of every file (`make validation-pack` makes the SBOM first).
    Pack {
        /// nextest's JUnit report of the `make test` run (kept apart from
        /// nextest's own, which every later partial run overwrites).
        #[arg(
            long,
            value_name = "FILE",
            default_value = "target/validation/junit.xml"
        )]
        junit: PathBuf,
        /// `cargo test`'s output, read when there is no JUnit report.
        #[arg(
            long,
            value_name = "FILE",
            default_value = "target/validation/test.log"
        )]
        log: PathBuf,
        /// The requirements and their risk.
        #[arg(long, value_name = "FILE", default_value = "docs/REQUIREMENTS.md")]
        requirements: PathBuf,
        /// The CycloneDX SBOM of the build.
        #[arg(
            long,
            value_name = "FILE",
            default_value = "target/validation/ebr_web.cdx.json"
        )]
        sbom: PathBuf,
        /// The directory to write the pack into.
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
    /// Check a validation pack against its manifest: every file present and
    /// unchanged.
    VerifyPack {
        /// The pack's directory.
        dir: PathBuf,
    },
}

/// `ebr access …`
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Write the access review of a period as a PDF: role grants and
    /// revocations, dormant, privileged and locked accounts, lockouts,
    /// identity verifications, factor resets, training gaps and findings.
    Review {
        /// First day of the period (UTC), e.g. 2026-10-01.
        #[arg(long, value_name = "DATE")]
        from: chrono::NaiveDate,
        /// Last day of the period (UTC), e.g. 2026-12-31.
        #[arg(long, value_name = "DATE")]
        to: chrono::NaiveDate,
        /// Accounts without a login for longer than this many days are dormant.
        #[arg(long, default_value_t = ebr_domain::access_review::DEFAULT_DORMANT_DAYS)]
        dormant_days: i64,
        /// The PDF to write.
        #[arg(short, long, value_name = "FILE.pdf")]
        output: PathBuf,
    },
}

/// `ebr record …`
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Verify a record PDF or JSON export without the database (the same
    /// checks as the standalone `ebr-verify`).
    Verify {
        /// The record file.
        file: PathBuf,
        /// The checkpoint public key file.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
}

/// `ebr checkpoint …`
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    /// Create a new Ed25519 checkpoint key (secret key file, mode 0600; never
    /// overwrites) and print its public key for auditors.
    Keygen {
        /// The secret key file to create.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Print the public key of the configured key (checkpoint.key_file), or
    /// write it to a file.
    PublicKey {
        /// Write it here instead of stdout.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// Sign a checkpoint of every chain now and append it to the log.
    Now,
}

/// `ebr mbr …`
#[derive(Debug, Subcommand)]
pub enum MbrCommand {
    /// Import an MBR file (TOML) as a new draft version; a file with errors is
    /// refused with every error listed, and nothing is stored.
    Import {
        /// The MBR file, e.g. fixtures/mbr/mnp-als-v1.toml.
        file: PathBuf,
    },
}

/// `ebr batch …`
#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Write the machine-readable batch record (JSON with its hash manifest).
    Export {
        /// The batch number, e.g. BR-2026-0001.
        batch_number: String,
        /// The file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
    /// Write the batch record PDF (the same bytes the auditor downloads).
    Pdf {
        /// The batch number, e.g. BR-2026-0001.
        batch_number: String,
        /// The file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

/// `ebr user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a person with a temporary password read from stdin.
    Create {
        /// Username (3-32 of a-z 0-9 . _ -; never reused).
        #[arg(long)]
        username: String,
        /// Full printed name, as shown in signatures.
        #[arg(long)]
        name: String,
        /// A role: operator, qc_analyst, qa_reviewer, release_authority, mbr_author, auditor or admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read the temporary password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `ebr audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every hash chain and stored content hash, check that every
    /// recorded row has its audit event, and (with --checkpoints) that every
    /// chain still extends every signed checkpoint; exit non-zero naming the
    /// first broken item.
    Verify {
        /// The checkpoint log directory to check the chains against.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// The checkpoint public key file (default: the public half of
        /// checkpoint.key_file).
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Read from the first reachable replica of EBR__DATABASE__REPLICA_URL
        /// (after it has replayed everything the primary holds now), so the
        /// primary carries none of the reading.
        #[arg(long)]
        replica: bool,
    },
}

/// Parses the command line, runs the command and maps the outcome to an exit
/// code: 0 success, 1 refused or failed (with one sentence on stderr), 2 usage.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let result = match cli.command {
        Command::Serve { bind, no_migrate } => commands::serve::run(&settings, bind, !no_migrate),
        Command::Migrate => commands::migrate::run(&settings),
        Command::Mbr {
            command: MbrCommand::Import { file },
        } => commands::mbr_import::run(&settings, &file),
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    name,
                    roles,
                    password_stdin,
                },
        } => commands::user_create::run(&settings, &username, &name, &roles, password_stdin),
        Command::Batch {
            command:
                BatchCommand::Export {
                    batch_number,
                    output,
                },
        } => commands::batch_export::run(&settings, &batch_number, &output),
        Command::Batch {
            command:
                BatchCommand::Pdf {
                    batch_number,
                    output,
                },
        } => commands::batch_export::run_pdf(&settings, &batch_number, &output),
        Command::RenderPdf => commands::batch_export::run_render(),
        Command::Demo => commands::demo::run(&settings),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    checkpoints,
                    public_key,
                    replica,
                },
        } => commands::audit_verify::run(
            &settings,
            checkpoints.as_deref(),
            public_key.as_deref(),
            replica,
        ),
        Command::Record {
            command: RecordCommand::Verify { file, public_key },
        } => commands::record_verify::run(&file, public_key.as_deref()),
        Command::Access {
            command:
                AccessCommand::Review {
                    from,
                    to,
                    dormant_days,
                    output,
                },
        } => commands::access_review::run(&settings, from, to, dormant_days, &output),
        Command::Retention {
            command: RetentionCommand::Purge { batch_number },
        } => commands::retention::purge(&settings, &batch_number),
        Command::Config {
            command: ConfigCommand::Audit,
        } => commands::config_audit::run(&settings),
        Command::Validation {
            command:
                ValidationCommand::Trace {
                    junit,
                    log,
                    requirements,
                    output,
                },
        } => commands::validation::trace(&junit, &log, &requirements, &output),
        Command::Validation {
            command: ValidationCommand::Iq { output },
        } => commands::validation::iq(&settings, output.as_deref()),
        Command::Validation {
            command:
                ValidationCommand::Pack {
                    junit,
                    log,
                    requirements,
                    sbom,
                    output,
                },
        } => commands::validation::pack(
            &settings,
            &commands::validation::PackInputs {
                junit: &junit,
                log: &log,
                requirements: &requirements,
                sbom: &sbom,
            },
            &output,
        ),
        Command::Validation {
            command: ValidationCommand::VerifyPack { dir },
        } => commands::validation::verify_pack(&dir),
        Command::Checkpoint { command } => match command {
            CheckpointCommand::Keygen { output } => commands::checkpoint::keygen(&output),
            CheckpointCommand::PublicKey { output } => {
                commands::checkpoint::public_key(&settings, output.as_deref())
            }
            CheckpointCommand::Now => commands::checkpoint::now(&settings),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(commands::CommandError::Refused(message)) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
        Err(commands::CommandError::Failed(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
