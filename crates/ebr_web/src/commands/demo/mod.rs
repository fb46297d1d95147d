//! `ebr demo`: idempotent demo data. Running it again changes nothing.
//!
//! Seeds the demo people (one per role, two operators, two QC analysts, two
//! administrators), verifies their identity through the second administrator,
//! records their signature acknowledgment, imports the reference MBR as the
//! MBR author and approves it as the QA reviewer, registers lots and
//! equipment, and works one batch partway (with an open deviation).
//! Demo signatures are seeded directly, without the interactive ceremony.

pub mod floor;

use ebr_db::repo::mbr::{self, ImportOutcome};
use ebr_db::repo::people::{self, NewPerson, PersonState};
use ebr_db::repo::person_actor;
use ebr_db::PgConnection;
use ebr_domain::identity::Role;
use ebr_domain::mbr::{parse_toml, MbrStatus};

use super::{connect, CommandError, CommandResult};
use crate::auth::password;
use crate::auth::signature::statement_sha256;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// The reference MBR, compiled into the binary so `ebr demo` works from any
/// directory.
pub const REFERENCE_MBR: &str = include_str!("../../../../../fixtures/mbr/mnp-als-v1.toml");

/// The password of every demo person (shown in the README; demo data only).
pub const DEMO_PASSWORD: &str = "ebr-demo-2026!";

/// The demo people: username, printed name, roles.
pub const DEMO_PEOPLE: &[(&str, &str, &[Role])] = &[
    ("chen.jie", "陈杰", &[Role::Admin]),
    ("priya.nair", "Priya Nair", &[Role::Admin]),
    ("zhang.wei", "张伟", &[Role::Operator]),
    ("maria.garcia", "María García", &[Role::Operator]),
    ("li.na", "李娜", &[Role::QcAnalyst]),
    ("tom.becker", "Tom Becker", &[Role::QcAnalyst]),
    ("wang.fang", "王芳", &[Role::QaReviewer]),
    (
        "anna.schmidt",
        "Dr. Anna Schmidt",
        &[Role::ReleaseAuthority],
    ),
    ("sam.okafor", "Sam Okafor", &[Role::MbrAuthor]),
    ("audrey.martin", "Audrey Martin", &[Role::Auditor]),
];

fn failed(e: impl std::fmt::Display) -> CommandError {
    CommandError::Failed(anyhow::anyhow!("{e}"))
}

fn ensure_person(
    conn: &mut PgConnection,
    username: &str,
    full_name: &str,
    roles: &[Role],
) -> Result<PersonState, CommandError> {
    if let Some(row) = people::find_by_username(conn, username)? {
        return Ok(people::state(conn, row.id)?);
    }
    let phc = password::hash(DEMO_PASSWORD).map_err(failed)?;
    let new = NewPerson {
        username,
        full_name,
        roles,
        phc,
        temporary: false,
    };
    Ok(people::create(conn, new, "system:demo", SystemClock.now())?)
}

fn person(conn: &mut PgConnection, username: &str) -> Result<PersonState, CommandError> {
    let row = people::find_by_username(conn, username)?
        .ok_or_else(|| failed(format!("demo person {username} missing")))?;
    Ok(people::state(conn, row.id)?)
}

/// Seeds the demo data.
pub fn run(settings: &Settings) -> CommandResult {
    let mut conn = connect(settings)?;
    ebr_db::migrate::run_pending(&mut conn)?;
    for (username, name, roles) in DEMO_PEOPLE {
        ensure_person(&mut conn, username, name, roles)?;
    }
    let first_admin = person(&mut conn, "chen.jie")?;
    let second_admin = person(&mut conn, "priya.nair")?;
    for (username, _, roles) in DEMO_PEOPLE {
        let p = person(&mut conn, username)?;
        let now = SystemClock.now();
        if !p.identity_verified {
            let verifier = if p.person.id == first_admin.person.id {
                &second_admin
            } else {
                &first_admin
            };
            people::verify_identity(
                &mut conn,
                p.person.id,
                verifier.person.id,
                "demo data: identity checked against staff ID card",
                now,
            )?;
        }
        if !p.acknowledged_signature_statement && !roles.contains(&Role::Admin) {
            people::acknowledge(&mut conn, p.person.id, &statement_sha256(), now)?;
        }
    }
    println!(
        "demo: {} people ready (password for all: {DEMO_PASSWORD})",
        DEMO_PEOPLE.len()
    );

    let reference = parse_toml(REFERENCE_MBR)
        .map_err(|p| failed(format!("the built-in reference MBR is invalid: {p:?}")))?;
    let author = person(&mut conn, "sam.okafor")?;
    let row = match mbr::import_draft(
        &mut conn,
        &reference,
        &person_actor(author.person.id),
        SystemClock.now(),
    )? {
        ImportOutcome::Created(row) | ImportOutcome::AlreadyPresent(row) => row,
    };
    if mbr::current_status(&mut conn, row.id)? == MbrStatus::Draft {
        let qa = person(&mut conn, "wang.fang")?;
        mbr::approve(
            &mut conn,
            row.id,
            qa.person.id,
            &qa.person.full_name,
            Some("demo data: approved for demonstration batches".into()),
            SystemClock.now(),
        )?;
    }
    let status = mbr::current_status(&mut conn, row.id)?;
    println!(
        "demo: reference MBR {} version {} is {status}",
        row.code, row.version
    );

    let qa = person(&mut conn, "wang.fang")?;
    floor::registries(
        &mut conn,
        &reference,
        &person_actor(qa.person.id),
        SystemClock.now(),
    )?;
    println!("demo: material lots and equipment registered (try lot CS10-2025-EXP or INCUBATOR-07 to see refusals)");
    if status == MbrStatus::Effective {
        let operator = person(&mut conn, "zhang.wei")?;
        let verifier = person(&mut conn, "maria.garcia")?;
        let analyst = person(&mut conn, "li.na")?;
        let second_analyst = person(&mut conn, "tom.becker")?;
        let release_authority = person(&mut conn, "anna.schmidt")?;
        let crew = floor::Crew {
            qa: &qa,
            operator: &operator,
            verifier: &verifier,
            analyst: &analyst,
            second_analyst: &second_analyst,
            release_authority: &release_authority,
        };
        floor::released_batch(&mut conn, &reference, row.id, &crew, SystemClock.now())?;
        println!(
            "demo: batch {} released through the full flow (vials {}-V001…V010)",
            floor::BATCH_RELEASED,
            floor::BATCH_RELEASED
        );
        floor::batch_in_progress(
            &mut conn,
            &reference,
            row.id,
            &qa,
            &operator,
            &verifier,
            SystemClock.now(),
        )?;
        println!(
            "demo: batch {} in progress at step s1-seed, with an open deviation",
            floor::BATCH_IN_PROGRESS
        );
    }
    Ok(())
}
