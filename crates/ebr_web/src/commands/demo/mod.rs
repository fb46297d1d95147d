//! `ebr demo`: idempotent demo data. Running it again changes nothing.
//!
//! Seeds the demo people (one per role, two operators, two QC analysts, two
//! administrators), verifies their identity through the second administrator,
//! records their signature acknowledgment, imports the reference MBR as the
//! MBR author and approves it as the QA reviewer, registers lots and
//! equipment, releases one batch through the full flow and works one batch
//! partway (with an open deviation). Demo signatures are seeded directly,
//! without the interactive ceremony.
//!
//! The demo keeps a realistic timeline (the clock is an argument): the site
//! is set up 75 days ago, the released batch starts 70 days ago and runs a
//! month like the real process, its release results arrive over the next two
//! weeks and it is released two days after the last; the batch in progress
//! started four hours ago.
//!
//! It refuses a database that holds anything it did not create: demo people
//! and batches never enter a real site's records. A demo database (its
//! people were created by `system:demo`) is topped up; an empty one seeded.

pub mod custody;
pub mod floor;
pub mod training;

use chrono::{DateTime, Duration, Utc};
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
    ("olga.ivanova", "Olga Ivanova", &[Role::Trainer]),
    ("ravi.patel", "Ravi Patel", &[Role::Operator]),
];

fn failed(e: impl std::fmt::Display) -> CommandError {
    CommandError::Failed(anyhow::anyhow!("{e}"))
}

/// How long before now the demo site was set up (people, MBR, registries).
const SITE_SET_UP_DAYS_AGO: i64 = 75;
/// How long before now the released demo batch started.
const RELEASED_BATCH_DAYS_AGO: i64 = 70;
/// How long before now the demo batch in progress started.
const BATCH_IN_PROGRESS_HOURS_AGO: i64 = 4;

/// Refuses a database that holds records the demo did not create.
fn ensure_empty_or_demo(conn: &mut PgConnection) -> Result<(), CommandError> {
    let census = ebr_db::repo::census::take(conn)?;
    if census.is_empty() || census.people_created_by_demo > 0 {
        return Ok(());
    }
    Err(CommandError::Refused(format!(
        "this database holds records `ebr demo` did not create ({census}); demo data goes only into an empty or demo database. \
         Point DATABASE_URL at an empty database (for `make run`: `make db-reset`)."
    )))
}

fn ensure_person(
    conn: &mut PgConnection,
    username: &str,
    full_name: &str,
    roles: &[Role],
    now: DateTime<Utc>,
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
    Ok(people::create(conn, new, "system:demo", now)?)
}

fn person(conn: &mut PgConnection, username: &str) -> Result<PersonState, CommandError> {
    let row = people::find_by_username(conn, username)?
        .ok_or_else(|| failed(format!("demo person {username} missing")))?;
    Ok(people::state(conn, row.id)?)
}

/// Signs the checkpoint the server signs at a release, for the demo's
/// released batch (seeded without the server), when a key is configured.
fn checkpoint_release(
    settings: &Settings,
    conn: &mut ebr_db::PgConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> CommandResult {
    let Some(checkpointer) = crate::checkpoints::Checkpointer::from_settings(&settings.checkpoint)
        .map_err(CommandError::Refused)?
    else {
        println!("demo: no checkpoint key configured, the released batch carries no checkpoint");
        return Ok(());
    };
    let batch = ebr_db::repo::batches::find_by_number(conn, floor::BATCH_RELEASED)?;
    let signed = checkpointer
        .make(
            conn,
            now,
            &format!("batch.released {}", floor::BATCH_RELEASED),
            Some(batch.id),
        )
        .map_err(CommandError::Refused)?;
    println!(
        "demo: checkpoint signed over {} chain(s) with key {}",
        signed.checkpoint.chains.len(),
        signed.checkpoint.key_id
    );
    Ok(())
}

/// Seeds the demo data.
pub fn run(settings: &Settings) -> CommandResult {
    let mut conn = connect(settings)?;
    ebr_db::migrate::run_pending(&mut conn)?;
    ensure_empty_or_demo(&mut conn)?;
    let now = SystemClock.now();
    let site_set_up = now - Duration::days(SITE_SET_UP_DAYS_AGO);
    for (i, (username, name, roles)) in DEMO_PEOPLE.iter().enumerate() {
        let at = site_set_up + Duration::minutes(i64::try_from(i).unwrap_or(0));
        ensure_person(&mut conn, username, name, roles, at)?;
    }
    let first_admin = person(&mut conn, "chen.jie")?;
    let second_admin = person(&mut conn, "priya.nair")?;
    for (i, (username, _, roles)) in DEMO_PEOPLE.iter().enumerate() {
        let p = person(&mut conn, username)?;
        let now =
            site_set_up + Duration::hours(1) + Duration::minutes(i64::try_from(i).unwrap_or(0));
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
        site_set_up + Duration::hours(2),
    )? {
        ImportOutcome::Created(row) | ImportOutcome::AlreadyPresent(row) => row,
    };
    if mbr::current_status(&mut conn, row.id)? == MbrStatus::Draft {
        let qa = person(&mut conn, "wang.fang")?;
        mbr::approve(
            &mut conn,
            row.id,
            &qa.signatory(
                Some("demo data: approved for demonstration batches".into()),
                site_set_up + Duration::hours(3),
            ),
        )?;
    }
    let status = mbr::current_status(&mut conn, row.id)?;
    println!(
        "demo: reference MBR {} version {} is {status}",
        row.code, row.version
    );
    training::seed(
        &mut conn,
        DEMO_PEOPLE,
        "olga.ivanova",
        site_set_up + Duration::hours(3),
        now,
    )?;
    println!(
        "demo: curricula defined and people trained by olga.ivanova ({} has an expired cell-count training: try the post-thaw count of a new batch; {}'s training expires within 30 days)",
        training::EXPIRED_SKILL_PERSON,
        training::EXPIRING_PERSON
    );

    let qa = person(&mut conn, "wang.fang")?;
    floor::registries(
        &mut conn,
        &reference,
        &person_actor(qa.person.id),
        site_set_up + Duration::hours(4),
        now,
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
        let started = now - Duration::days(RELEASED_BATCH_DAYS_AGO);
        floor::released_batch(&mut conn, &reference, row.id, &crew, started)?;
        println!(
            "demo: batch {} released through the full flow (vials {}-V001…V010)",
            floor::BATCH_RELEASED,
            floor::BATCH_RELEASED
        );
        checkpoint_release(settings, &mut conn, now)?;
        floor::batch_in_progress(
            &mut conn,
            &reference,
            row.id,
            &qa,
            &operator,
            &verifier,
            now - Duration::hours(BATCH_IN_PROGRESS_HOURS_AGO),
        )?;
        println!(
            "demo: batch {} in progress at step s1-seed, with an open deviation",
            floor::BATCH_IN_PROGRESS
        );
    }
    Ok(())
}
