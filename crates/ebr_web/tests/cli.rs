//! The `ebr` binary, run as a user runs it, against a real database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly; helpers outside #[test] functions included"
)]

use std::process::{Command, Output};

use ebr_testdb::fixtures::{five_mistakes, FIVE_MISTAKES, REFERENCE_MBR};
use ebr_testdb::TestDatabase;

fn ebr(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_temp(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ebr-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn importing_the_reference_mbr_creates_a_draft_then_is_idempotent() {
    let db = TestDatabase::new();
    let file = write_temp("mnp.toml", REFERENCE_MBR);
    let first = ebr(&db, &["mbr", "import", file.to_str().unwrap()]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("imported MBR-MNP-001 version 1 as draft"));
    let second = ebr(&db, &["mbr", "import", file.to_str().unwrap()]);
    assert!(second.status.success());
    assert!(text(&second.stdout).contains("nothing stored"));
    assert_eq!(db.table_counts()["mbr_versions"], 1);
}

/// R21: a file with five mistakes is refused naming all five, with a non-zero
/// exit, and the database is unchanged.
#[test]
fn r21_a_file_with_five_mistakes_is_refused_naming_all_and_stores_nothing() {
    let db = TestDatabase::new();
    let before = db.table_counts();
    let file = write_temp("broken.toml", &five_mistakes(REFERENCE_MBR));
    let out = ebr(&db, &["mbr", "import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("5 problem(s); nothing was stored"),
        "{stderr}"
    );
    for (path, message) in FIVE_MISTAKES {
        assert!(
            stderr.contains(&format!("{path}: ")) && stderr.contains(message),
            "{path} missing:\n{stderr}"
        );
    }
    assert_eq!(db.table_counts(), before, "the database changed");
}

/// `ebr demo` refuses a database holding records it did not create (here a
/// person created with `ebr user create`), says why and what to do, and
/// stores nothing.
#[test]
fn demo_refuses_a_database_it_did_not_create() {
    let db = TestDatabase::new();
    let created = ebr_with_stdin(
        &db,
        &[
            "user",
            "create",
            "--username",
            "jane.doe",
            "--name",
            "Jane Doe",
            "--role",
            "operator",
            "--password-stdin",
        ],
        "a-temporary-password",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let before = db.table_counts();
    let out = ebr(&db, &["demo"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("did not create (1 person"), "{stderr}");
    assert!(stderr.contains("make db-reset"), "{stderr}");
    assert_eq!(db.table_counts(), before, "the database changed");
}

/// The demo batches keep a realistic timeline: the released batch's entries
/// span about a month and end weeks before its release, which comes after
/// the last release result; the batch in progress started hours ago.
#[test]
fn demo_batches_run_on_a_realistic_timeline() {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Span {
        #[diesel(sql_type = diesel::sql_types::Text)]
        batch_number: String,
        #[diesel(sql_type = diesel::sql_types::Double)]
        days: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        ended_days_ago: f64,
    }
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let mut conn = db.connection();
    let spans: Vec<Span> = diesel::sql_query(
        "SELECT b.batch_number,
                extract(epoch FROM max(e.recorded_at) - min(e.recorded_at))::float8 / 86400 AS days,
                extract(epoch FROM now() - max(e.recorded_at))::float8 / 86400 AS ended_days_ago
         FROM entries e JOIN batches b ON b.id = e.batch_id GROUP BY 1 ORDER BY 1",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(spans[0].batch_number, "BR-2026-0001");
    assert!((28.0..35.0).contains(&spans[0].days), "{}", spans[0].days);
    assert!(
        spans[0].ended_days_ago > 30.0,
        "{}",
        spans[0].ended_days_ago
    );
    assert!(spans[1].ended_days_ago < 1.0, "{}", spans[1].ended_days_ago);
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let breaches: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM batch_exceptions WHERE kind IN ('hold_time_breach', 'late_entry')",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(breaches.n, 0, "the timeline keeps every hold time");
    let order: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM signatures r WHERE r.meaning = 'released'
           AND r.signed_at > (SELECT max(recorded_at) FROM qc_results)
           AND r.signed_at > (SELECT max(signed_at) FROM signatures WHERE meaning = 'reviewed')",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(
        order.n, 1,
        "released after the last QC result and the review"
    );
}

#[test]
fn demo_is_idempotent() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let after_first = db.table_counts();
    let again = ebr(&db, &["demo"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(db.table_counts(), after_first);
    assert_eq!(after_first["mbr_versions"], 1);
    assert_eq!(after_first["people"], 12);
}

/// R1: `ebr audit verify` passes on intact data and names an altered MBR.
#[test]
fn r1_audit_verify_names_an_altered_mbr_version() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let ok = ebr(&db, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("audit trail intact"));

    db.execute("ALTER TABLE mbr_versions DISABLE TRIGGER mbr_versions_no_update");
    db.execute("UPDATE mbr_versions SET content = replace(content, 'Thaw', 'Warm')");
    let broken = ebr(&db, &["audit", "verify"]);
    assert!(!broken.status.success());
    assert!(
        text(&broken.stderr).contains("MBR MBR-MNP-001 version 1"),
        "{}",
        text(&broken.stderr)
    );
}

/// R1: deleting an audit event out of band breaks the chain and is named.
#[test]
fn r1_audit_verify_names_a_removed_event() {
    let db = TestDatabase::new();
    let v1 = write_temp("v1.toml", REFERENCE_MBR);
    let v2 = write_temp(
        "v2.toml",
        &REFERENCE_MBR.replacen("title = \"", "title = \"Rev. 2: ", 1),
    );
    assert!(ebr(&db, &["mbr", "import", v1.to_str().unwrap()])
        .status
        .success());
    assert!(ebr(&db, &["mbr", "import", v2.to_str().unwrap()])
        .status
        .success());
    db.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update");
    db.execute("DELETE FROM audit_events WHERE seq = 1");
    let broken = ebr(&db, &["audit", "verify"]);
    assert!(!broken.status.success());
    let stderr = text(&broken.stderr);
    assert!(
        stderr.contains("chain `system` event #2") && stderr.contains("missing"),
        "{stderr}"
    );
}

#[test]
fn a_missing_database_url_is_one_clear_sentence() {
    let out = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["migrate"])
        .env_remove("DATABASE_URL")
        .env("EBR_CONFIG", "/nonexistent/ebr.toml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("does not exist"),
        "{}",
        text(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["migrate"])
        .env_remove("DATABASE_URL")
        .env_remove("EBR_CONFIG")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("DATABASE_URL is not set"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_file_says_so() {
    let db = TestDatabase::new();
    let out = ebr(&db, &["mbr", "import", "/nonexistent/mbr.toml"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot read /nonexistent/mbr.toml"),
        "{}",
        text(&out.stderr)
    );
}

fn ebr_with_stdin(db: &TestDatabase, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `ebr user create` as documented; R30, R31, R14 refusals name their rule.
#[test]
fn r31_r30_r14_user_create_from_the_command_line() {
    let db = TestDatabase::new();
    let create = |username: &str, roles: &[&str]| {
        let mut args = vec![
            "user",
            "create",
            "--username",
            username,
            "--name",
            "陈杰",
            "--password-stdin",
        ];
        for r in roles {
            args.extend(["--role", r]);
        }
        ebr_with_stdin(&db, &args, "a temporary password\n")
    };
    let ok = create("chen.jie", &["admin"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("created chen.jie (陈杰) with role(s) admin"),
        "{}",
        text(&ok.stdout)
    );
    assert!(text(&ok.stdout).contains("temporary"));

    let mixed = create("priya.nair", &["admin", "operator"]);
    assert!(!mixed.status.success());
    assert!(
        text(&mixed.stderr).contains("admin_cannot_hold_gmp_role"),
        "{}",
        text(&mixed.stderr)
    );
    let generic = create("operator", &["operator"]);
    assert!(
        text(&generic.stderr).contains("generic_account_forbidden"),
        "{}",
        text(&generic.stderr)
    );
    let again = create("chen.jie", &["admin"]);
    assert!(
        text(&again.stderr).contains("username_taken"),
        "{}",
        text(&again.stderr)
    );
    let unknown_role = create("li.na", &["chemist"]);
    assert!(
        text(&unknown_role.stderr).contains("unknown_role"),
        "{}",
        text(&unknown_role.stderr)
    );
    assert_eq!(db.table_counts()["people"], 1);

    let no_stdin = ebr(
        &db,
        &[
            "user",
            "create",
            "--username",
            "li.na",
            "--name",
            "李娜",
            "--role",
            "qc_analyst",
        ],
    );
    assert!(!no_stdin.status.success());
    assert!(text(&no_stdin.stderr).contains("--password-stdin"));
}

/// The demo approves the reference MBR through a signature by the QA reviewer,
/// not its author, and `ebr audit verify` checks that signature.
#[test]
fn demo_approves_the_reference_mbr_and_verify_checks_the_signature() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let counts = db.table_counts();
    assert_eq!(counts["people"], 12);
    assert_eq!(
        counts["batches"], 2,
        "one released through the full flow, one in progress"
    );
    assert_eq!(counts["vials"], 10);
    assert_eq!(
        counts["deviations"], 1,
        "the batch in progress has an open deviation"
    );
    assert!(counts["qc_results"] >= 17);
    assert!(counts["signatures"] > 50);
    let ok = ebr(&db, &["audit", "verify"]);
    assert!(
        text(&ok.stdout).contains("audit trail intact"),
        "{}",
        text(&ok.stdout)
    );
    db.execute("ALTER TABLE signatures DISABLE TRIGGER signatures_no_update");
    db.execute("UPDATE signatures SET meaning = 'rejected' WHERE record_type = 'mbr_version'");
    let broken = ebr(&db, &["audit", "verify"]);
    assert!(!broken.status.success());
    let stderr = text(&broken.stderr);
    assert!(
        stderr.contains("audit trail BROKEN: signature ") && stderr.contains("altered"),
        "{stderr}"
    );
}

/// R1, R2, R13: the demo's released batch, with `make run`'s checkpoint key
/// configured: its PDF (the bytes an auditor downloads) verifies with
/// `ebr record verify` and the public key, with no database URL in the
/// environment; `ebr audit verify --checkpoints` passes on the database.
#[test]
fn r1_r2_r13_demo_release_pdf_verifies_offline_with_the_public_key() {
    let db = TestDatabase::new();
    let dir = std::env::temp_dir().join(format!("ebr-demo-cp-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("checkpoint.key");
    let keygen = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["checkpoint", "keygen", "-o"])
        .arg(&key)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(keygen.status.success(), "{}", text(&keygen.stderr));
    std::fs::write(dir.join("checkpoint.pub"), &keygen.stdout).unwrap();
    let with_key = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ebr"))
            .args(args)
            .env("DATABASE_URL", db.url())
            .env("EBR__CHECKPOINT__KEY_FILE", &key)
            .env("EBR__CHECKPOINT__LOG_DIR", dir.join("log"))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let demo = with_key(&["demo"]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    assert!(text(&demo.stdout).contains("checkpoint signed"));
    let pdf = dir.join("BR-2026-0001.pdf");
    let out = with_key(&["batch", "pdf", "BR-2026-0001", "-o", pdf.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let offline = Command::new(env!("CARGO_BIN_EXE_ebr"))
        .args(["record", "verify"])
        .arg(&pdf)
        .arg("--public-key")
        .arg(dir.join("checkpoint.pub"))
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let report = text(&offline.stdout);
    assert!(
        offline.status.success(),
        "{report}{}",
        text(&offline.stderr)
    );
    assert!(report.contains("record VERIFIED"), "{report}");
    assert!(report.contains("checkpoint(s) verify with key"), "{report}");

    let anchored = with_key(&[
        "audit",
        "verify",
        "--checkpoints",
        dir.join("log").to_str().unwrap(),
    ]);
    assert!(anchored.status.success(), "{}", text(&anchored.stderr));
}

/// R25: `ebr access review` writes the demo's access review as a PDF: the
/// demo's role grants and at least one finding (its administrators have not
/// logged in since the site was set up), and prints the findings.
#[test]
fn r25_access_review_of_the_demo_lists_role_grants_and_flags_findings() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let dir = std::env::temp_dir().join(format!("ebr-access-{}", db.name()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("access-review.pdf");
    let today = ebr_web::clock::Clock::now(&ebr_web::clock::SystemClock).date_naive();
    let from = (today - chrono::Duration::days(100)).to_string();
    let out = ebr(
        &db,
        &[
            "access",
            "review",
            "--from",
            &from,
            "--to",
            &today.to_string(),
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("dormant_privileged_account chen.jie"),
        "{stdout}"
    );
    let printed = std::process::Command::new("pdftotext")
        .args(["-raw", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let printed = text(&printed.stdout).replace('\n', " ");
    assert!(printed.contains("role granted: operator"), "{printed}");
    assert!(
        printed.contains("role granted: release_authority"),
        "{printed}"
    );
    assert!(printed.contains("dormant_privileged_account"), "{printed}");
    assert!(printed.contains("NOT YET SIGNED"), "{printed}");
    let backwards = ebr(
        &db,
        &[
            "access",
            "review",
            "--from",
            &today.to_string(),
            "--to",
            &from,
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(!backwards.status.success());
    assert!(text(&backwards.stderr).contains("before it starts"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The audit events of `action` on any chain.
fn events(db: &TestDatabase, action: &str) -> Vec<(Option<String>, Option<String>)> {
    use diesel::prelude::*;
    use ebr_db::schema::audit_events;
    audit_events::table
        .filter(audit_events::action.eq(action))
        .order(audit_events::occurred_at.asc())
        .select((audit_events::old_value, audit_events::new_value))
        .load(&mut db.connection())
        .unwrap()
}

/// R41: a purge of the demo's released record is refused, naming the date
/// its 30-year retention ends; the attempt is audited on the batch's chain
/// and nothing is deleted.
#[test]
fn r41_a_purge_is_refused_and_audited_and_nothing_is_deleted() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let before = db.table_counts();
    let out = ebr(&db, &["retention", "purge", "BR-2026-0001"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("retention_period_running") && err.contains("retained until 20"),
        "{err}"
    );
    let out = ebr(&db, &["retention", "purge", "BR-2026-0002"]);
    assert!(
        text(&out.stderr).contains("it has none yet"),
        "{}",
        text(&out.stderr)
    );
    let out = ebr(&db, &["retention", "purge", "BR-NOPE"]);
    assert!(
        text(&out.stderr).contains("no batch BR-NOPE"),
        "{}",
        text(&out.stderr)
    );
    let after = db.table_counts();
    let changed: Vec<&String> = before
        .keys()
        .filter(|t| before.get(*t) != after.get(*t))
        .collect();
    assert_eq!(
        changed,
        vec!["audit_events"],
        "only the attempts are stored"
    );
    let refused = events(&db, "batch.purge.refused");
    assert_eq!(refused.len(), 2);
    assert!(refused[0]
        .1
        .as_deref()
        .unwrap()
        .contains("retention_period_running"));
    assert!(ebr(&db, &["audit", "verify"]).status.success());
}

/// R11: the configuration in effect is recorded in the audit trail when it
/// changes (old and new values kept), never when it does not, and without
/// secrets; every export names the software and the MBR version.
#[test]
fn r11_configuration_changes_are_audited_without_secrets_and_exports_name_versions() {
    let db = TestDatabase::new();
    let run = |window: &str| {
        Command::new(env!("CARGO_BIN_EXE_ebr"))
            .args(["config", "audit"])
            .env("DATABASE_URL", db.url())
            .env("EBR__EXECUTION__LATE_ENTRY_WINDOW_MINUTES", window)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    assert!(text(&run("30").stdout).contains("configuration recorded"));
    assert!(text(&run("30").stdout).contains("unchanged"));
    assert!(text(&run("45").stdout).contains("configuration recorded"));
    let changes = events(&db, "configuration.changed");
    assert_eq!(changes.len(), 2);
    let (old, new) = &changes[1];
    assert!(old
        .as_deref()
        .unwrap()
        .contains("\"late_entry_window_minutes\":30"));
    assert!(new
        .as_deref()
        .unwrap()
        .contains("\"late_entry_window_minutes\":45"));
    let password = db
        .url()
        .split(':')
        .nth(2)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_string();
    assert!(
        !new.as_deref().unwrap().contains(&password),
        "no database password in the trail"
    );
    assert!(!new.as_deref().unwrap().contains("postgres://"));

    assert!(ebr(&db, &["demo"]).status.success());
    let file = std::env::temp_dir().join(format!("ebr-r11-{}.json", uuid::Uuid::new_v4().simple()));
    let out = ebr(
        &db,
        &[
            "batch",
            "export",
            "BR-2026-0001",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let export: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        export["generator"].as_str().unwrap(),
        format!("ebr {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(export["sections"]["mbr"]["version"], 1);
    assert!(
        export["sections"]["mbr"]["content_sha256"]
            .as_str()
            .unwrap()
            .len()
            == 64
    );
    let _ = std::fs::remove_file(&file);
}

/// The path of a PostgreSQL client program: on PATH, else the newest
/// server installation's.
fn pg_program(name: &str) -> std::path::PathBuf {
    if let Ok(out) = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
    {
        let path = text(&out.stdout).trim().to_string();
        if !path.is_empty() {
            return path.into();
        }
    }
    let mut dirs: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .map(|e| e.unwrap().path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    dirs.sort();
    dirs.pop()
        .expect("PostgreSQL client programs (make test installs them)")
}

/// R3, R22: the restore drill of docs/OPERATIONS.md, automated: a logical
/// backup of the demo restored into a clean database reproduces every hash
/// (`ebr audit verify` passes with the same counts), the released batch's
/// export is identical byte for byte, the schema is current, and the
/// append-only protections came back.
#[test]
fn r3_r22_a_restore_into_a_clean_database_reproduces_every_hash() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let verify = |d: &TestDatabase| {
        let out = ebr(d, &["audit", "verify"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .find(|l| l.starts_with("audit trail intact"))
            .unwrap()
            .to_string()
    };
    let export = |d: &TestDatabase, name: &str| {
        let file = std::env::temp_dir().join(format!(
            "ebr-r3-{name}-{}.json",
            uuid::Uuid::new_v4().simple()
        ));
        let out = ebr(
            d,
            &[
                "batch",
                "export",
                "BR-2026-0001",
                "-o",
                file.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let bytes = std::fs::read(&file).unwrap();
        let _ = std::fs::remove_file(&file);
        let sha = text(&out.stdout)
            .split("record sha256 ")
            .nth(1)
            .unwrap()
            .trim_end_matches([')', '\n'])
            .to_string();
        (bytes, sha)
    };
    let original = verify(&db);
    let (original_export, original_sha) = export(&db, "before");

    let dump = std::env::temp_dir().join(format!("ebr-r3-{}.dump", uuid::Uuid::new_v4().simple()));
    let out = Command::new(pg_program("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(db.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_dump: {}", text(&out.stderr));
    let restored = TestDatabase::empty();
    let out = Command::new(pg_program("pg_restore"))
        .args(["--exit-on-error", "--dbname", restored.url()])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_restore: {}", text(&out.stderr));
    let _ = std::fs::remove_file(&dump);

    let migrate = ebr(&restored, &["migrate"]);
    assert!(
        text(&migrate.stderr).contains("nothing to apply"),
        "{}",
        text(&migrate.stderr)
    );
    assert_eq!(verify(&restored), original);
    let (restored_export, restored_sha) = export(&restored, "after");
    assert_eq!(restored_sha, original_sha);
    assert!(
        restored_export == original_export,
        "the export is identical byte for byte"
    );

    let err = {
        use diesel::prelude::*;
        diesel::sql_query("DELETE FROM audit_events")
            .execute(&mut restored.connection())
            .unwrap_err()
            .to_string()
    };
    assert!(err.contains("append-only"), "{err}");
    let err = {
        use diesel::prelude::*;
        let mut conn = restored.connection();
        ebr_db::act_as_app(&mut conn).unwrap();
        diesel::sql_query("UPDATE audit_events SET actor = actor")
            .execute(&mut conn)
            .unwrap_err()
            .to_string()
    };
    assert!(err.contains("permission denied"), "{err}");
}

/// R5, R51: the installation qualification passes on a migrated, seeded
/// installation (every recorded table guarded, the guards tested live and
/// rolled back, nothing changed), and fails loudly, naming the table, when
/// one table's append-only trigger was dropped.
#[test]
fn r5_r51_the_iq_passes_on_a_good_installation_and_fails_when_a_trigger_is_dropped() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["demo"]).status.success());
    let before = db.table_counts();
    let file = std::env::temp_dir().join(format!("ebr-iq-{}.json", uuid::Uuid::new_v4().simple()));
    let out = ebr(&db, &["validation", "iq", "-o", file.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("installation qualification passed"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS live: DELETE refused"), "{stdout}");
    assert!(!stdout.contains("ebr-local-only"), "no secret in the IQ");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == true));
    assert_eq!(db.table_counts(), before, "the live tests were rolled back");

    db.execute("DROP TRIGGER labels_no_update ON labels");
    let out = ebr(&db, &["validation", "iq"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL append-only triggers")
            && stdout.contains("missing or disabled on: labels"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("installation qualification FAILED: append-only triggers"));
    let _ = std::fs::remove_file(&file);
}

/// R51: `ebr validation pack` writes the trace matrix (Markdown, JSON and a
/// PDF), the IQ of the installation, the test report, the SBOM and a
/// manifest; it fails (after writing everything) when a requirement is not
/// proven; the manifest verifies, and names a file altered afterwards.
#[test]
fn r51_the_validation_pack_is_complete_and_its_manifest_verifies() {
    let db = TestDatabase::new();
    assert!(ebr(&db, &["migrate"]).status.success());
    let dir = std::env::temp_dir().join(format!("ebr-pack-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("junit.xml");
    std::fs::write(
        &junit,
        r#"<testsuites><testsuite name="ebr_web::api"><testcase name="flow::r1_chain_is_checked" classname="ebr_web::api"/><testcase name="flow::r2_copy" classname="ebr_web::api"><failure message="x"/></testcase></testsuite></testsuites>"#,
    )
    .unwrap();
    let sbom = dir.join("sbom.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}"#,
    )
    .unwrap();
    let requirements =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/REQUIREMENTS.md");
    let pack = dir.join("pack");
    let out = ebr(
        &db,
        &[
            "validation",
            "pack",
            "--junit",
            junit.to_str().unwrap(),
            "--requirements",
            requirements.to_str().unwrap(),
            "--sbom",
            sbom.to_str().unwrap(),
            "-o",
            pack.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "not every requirement is proven by two tests"
    );
    assert!(
        text(&out.stdout).contains("R-IDs proven: 1/51"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("R2: no test naming it passed"),
        "{}",
        text(&out.stderr)
    );
    for file in [
        "trace.md",
        "trace.json",
        "trace.pdf",
        "iq.json",
        "sbom.cdx.json",
        "tests/junit.xml",
        "manifest.json",
    ] {
        assert!(pack.join(file).exists(), "{file} missing from the pack");
    }
    assert!(std::fs::read(pack.join("trace.pdf"))
        .unwrap()
        .starts_with(b"%PDF-"));
    let pdf_text = Command::new("pdftotext")
        .args(["-layout", pack.join("trace.pdf").to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let pdf_text = text(&pdf_text.stdout);
    assert!(
        pdf_text.contains("1 of 51") && pdf_text.contains("r1_chain_is_checked"),
        "{pdf_text}"
    );
    let iq: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pack.join("iq.json")).unwrap()).unwrap();
    assert!(
        iq["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true),
        "{iq}"
    );
    let verify = ebr(&db, &["validation", "verify-pack", pack.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    std::fs::write(pack.join("trace.md"), "edited").unwrap();
    let verify = ebr(&db, &["validation", "verify-pack", pack.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        text(&verify.stderr).contains("trace.md"),
        "{}",
        text(&verify.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
