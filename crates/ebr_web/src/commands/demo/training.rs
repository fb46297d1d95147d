//! The demo's curricula and training records (R9): every demo person is
//! trained for what their role does on the reference process, signed by
//! them; `ravi.patel`'s cell-count training expired (his post-thaw count is
//! refused with `training_not_current`), and `li.na`'s release-testing
//! training ends within 30 days (a warning on her worklist).

use chrono::{DateTime, Duration, Utc};
use ebr_db::repo::training::{self, NewCurriculum, NewTraining};
use ebr_db::PgConnection;
use ebr_domain::identity::Role;

use super::{person, CommandError};

/// The demo's MBR code.
const MBR: &str = "MBR-MNP-001";

/// The demo curricula: code, title, role, about the reference MBR, skill.
const CURRICULA: &[(&str, &str, Role, bool, Option<&str>)] = &[
    (
        "TRN-GMP-OPS",
        "GMP, gowning and aseptic behaviour",
        Role::Operator,
        false,
        None,
    ),
    (
        "TRN-MNP-OPS",
        "Motor-neuron progenitor process, operators",
        Role::Operator,
        true,
        None,
    ),
    (
        "TRN-CELL-COUNT",
        "Cell counting (AO/PI)",
        Role::Operator,
        false,
        Some("cell_count"),
    ),
    (
        "TRN-ASEPTIC-FILL",
        "Aseptic formulation and fill",
        Role::Operator,
        false,
        Some("aseptic_fill"),
    ),
    (
        "TRN-CRYO",
        "Controlled-rate freezing and LN2 handling",
        Role::Operator,
        false,
        Some("cryo_handling"),
    ),
    (
        "TRN-QC-MNP",
        "Release testing of MNP batches",
        Role::QcAnalyst,
        true,
        None,
    ),
    (
        "TRN-QA-MNP",
        "Batch record review and deviations, MNP",
        Role::QaReviewer,
        true,
        None,
    ),
    (
        "TRN-QP-MNP",
        "Batch certification and release, MNP",
        Role::ReleaseAuthority,
        true,
        None,
    ),
];

/// The person whose cell-count training expired.
pub const EXPIRED_SKILL_PERSON: &str = "ravi.patel";
/// The person whose training ends within the warning period.
pub const EXPIRING_PERSON: &str = "li.na";

/// Defines the curricula (once) and trains every demo person with a GMP
/// role on the curricula of their roles, as the demo trainer, each record
/// signed by its trainee. A person with training records is left as is.
pub fn seed(
    conn: &mut PgConnection,
    people: &[(&str, &str, &[Role])],
    trainer_username: &str,
    set_up: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), CommandError> {
    let trainer = person(conn, trainer_username)?;
    let actor = ebr_db::repo::person_actor(trainer.person.id);
    let existing = training::curricula(conn)?;
    for (code, title, role, about_mbr, skill) in CURRICULA {
        if existing.iter().any(|c| c.code == *code) {
            continue;
        }
        training::create_curriculum(
            conn,
            &NewCurriculum {
                code: (*code).into(),
                title: (*title).into(),
                role: *role,
                mbr_code: about_mbr.then(|| MBR.to_string()),
                mbr_version: None,
                skill: skill.map(str::to_string),
            },
            &actor,
            set_up,
        )?;
    }
    let curricula = training::curricula(conn)?;
    for (username, _, roles) in people {
        let trainee = person(conn, username)?;
        if trainee.person.id == trainer.person.id
            || !training::records(conn, Some(trainee.person.id))?.is_empty()
        {
            continue;
        }
        for c in curricula
            .iter()
            .filter(|c| roles.iter().any(|r| r.as_str() == c.role))
        {
            let (trained_at, valid_until) =
                if *username == EXPIRED_SKILL_PERSON && c.code == "TRN-CELL-COUNT" {
                    (now - Duration::days(400), now - Duration::days(35))
                } else if *username == EXPIRING_PERSON {
                    (set_up + Duration::minutes(90), now + Duration::days(20))
                } else {
                    (set_up + Duration::minutes(90), set_up + Duration::days(730))
                };
            let recorded = training::record_training(
                conn,
                &NewTraining {
                    person: trainee.person.id,
                    curriculum: c.id,
                    trained_at,
                    valid_until: Some(valid_until),
                    mbr_version: None,
                    note: Some("demo data: classroom and supervised practice".into()),
                },
                trainer.person.id,
                set_up + Duration::minutes(100),
            )?;
            training::sign_training(
                conn,
                recorded.id,
                &trainee.signatory(None, set_up + Duration::minutes(110)),
            )?;
        }
    }
    Ok(())
}
