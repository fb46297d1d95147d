//! Curricula, training records and the training gate (R9). Every row is
//! appended with the audit event that vouches for it; a training record
//! counts once its trainee signed it (a `signatures` row, meaning
//! `trained`); the gate loads the facts under the caller's transaction and
//! lets `ebr_domain::training` decide.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::SYSTEM_CHAIN;
use ebr_domain::identity::Role;
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use ebr_domain::training::{
    self, check_curriculum, check_trainee_signature, check_training_record, Activity, Curriculum,
    Need, Procedure, TrainingEvent, TrainingKind,
};
use ebr_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::{audit, person_actor, signatures, vouch};
use crate::schema::{curricula, mbr_versions, signatures as signature_rows, training_records};
use crate::DbError;

/// The audit entity type of a curriculum.
pub const CURRICULUM_KIND: &str = "curriculum";
/// The audit entity type of a training record.
pub const TRAINING_RECORD_KIND: &str = "training_record";
/// The record type a trainee's (or reader's) signature names.
pub const TRAINING_RECORD_TYPE: &str = "training_record";

/// A stored curriculum, exactly as its audit event hashes it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = curricula)]
pub struct CurriculumRow {
    /// Id.
    pub id: Uuid,
    /// Unique code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Role gated.
    pub role: String,
    /// MBR code, if any.
    pub mbr_code: Option<String>,
    /// One MBR version, if any.
    pub mbr_version: Option<i32>,
    /// Skill taught, if any.
    pub skill: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Who defined it.
    pub created_by: String,
}

impl CurriculumRow {
    /// The domain's view of it.
    pub fn curriculum(&self) -> Result<Curriculum, DbError> {
        Ok(Curriculum {
            id: self.id,
            code: self.code.clone(),
            title: self.title.clone(),
            role: Role::parse(&self.role)?,
            mbr_code: self.mbr_code.clone(),
            mbr_version: self.mbr_version,
            skill: self.skill.clone(),
        })
    }
}

/// A stored training event, exactly as its audit event hashes it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = training_records)]
pub struct TrainingRecordRow {
    /// Id.
    pub id: Uuid,
    /// Trainee.
    pub person_id: Uuid,
    /// Curriculum.
    pub curriculum_id: Uuid,
    /// trained, read_and_understood or revoked.
    pub kind: String,
    /// MBR version trained on or read.
    pub mbr_version: Option<i32>,
    /// When it took place.
    pub trained_at: DateTime<Utc>,
    /// End of validity.
    pub valid_until: Option<DateTime<Utc>>,
    /// Recording time.
    pub recorded_at: DateTime<Utc>,
    /// Trainer (or reader).
    pub recorded_by: String,
    /// Note or reason.
    pub note: Option<String>,
}

impl TrainingRecordRow {
    /// What the trainee's signature signs: the record as stored.
    pub fn signed_record(&self) -> SignedRecord {
        SignedRecord {
            record_type: TRAINING_RECORD_TYPE.into(),
            record_id: self.id.to_string(),
            record_version: 1,
            content: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// A curriculum to define.
#[derive(Debug, Clone)]
pub struct NewCurriculum {
    /// Unique code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Role gated.
    pub role: Role,
    /// MBR code, if any.
    pub mbr_code: Option<String>,
    /// One MBR version, if any.
    pub mbr_version: Option<i32>,
    /// Skill taught, if any.
    pub skill: Option<String>,
}

/// Defines a curriculum (codes are unique forever; curricula are never
/// edited), with its audit event on the system chain.
pub fn create_curriculum(
    conn: &mut PgConnection,
    new: &NewCurriculum,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<CurriculumRow, DbError> {
    let code = new.code.trim().to_uppercase();
    check_curriculum(
        &code,
        &new.title,
        new.role,
        new.mbr_code.as_deref(),
        new.mbr_version,
        new.skill.as_deref(),
    )?;
    crate::tx::atomic(conn, |conn| {
        let taken = curricula::table
            .filter(curricula::code.eq(&code))
            .count()
            .get_result::<i64>(conn)?;
        if taken > 0 {
            return Err(DomainError::CurriculumCodeTaken(code.clone()).into());
        }
        let row = CurriculumRow {
            id: crate::ids::at(now),
            code: code.clone(),
            title: new.title.trim().to_string(),
            role: new.role.as_str().into(),
            mbr_code: new.mbr_code.as_ref().map(|c| c.trim().to_string()),
            mbr_version: new.mbr_version,
            skill: new.skill.clone(),
            created_at: ebr_domain::audit::to_stored_precision(now),
            created_by: actor.to_string(),
        };
        diesel::insert_into(curricula::table)
            .values(&row)
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "curriculum.created",
                CURRICULUM_KIND,
                &row.id.to_string(),
                &row,
                None,
            ),
            now,
        )?;
        Ok(row)
    })
}

/// Every curriculum, by code.
pub fn curricula(conn: &mut PgConnection) -> Result<Vec<CurriculumRow>, DbError> {
    Ok(curricula::table
        .order(curricula::code.asc())
        .select(CurriculumRow::as_select())
        .load(conn)?)
}

fn curriculum(conn: &mut PgConnection, id: Uuid) -> Result<CurriculumRow, DbError> {
    curricula::table
        .find(id)
        .select(CurriculumRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("curriculum {id}")))
}

/// The newest effective (else newest) version number of an MBR code.
fn current_version(conn: &mut PgConnection, code: &str) -> Result<Option<i32>, DbError> {
    let effective: Option<i32> = diesel::sql_query(
        "SELECT v.version FROM mbr_versions v WHERE v.code = $1 AND (SELECT e.status FROM mbr_status_events e WHERE e.mbr_version_id = v.id ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) = 'effective' ORDER BY v.version DESC LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(code)
    .get_result::<VersionNumber>(conn)
    .optional()?
    .map(|v| v.version);
    if effective.is_some() {
        return Ok(effective);
    }
    Ok(mbr_versions::table
        .filter(mbr_versions::code.eq(code))
        .select(diesel::dsl::max(mbr_versions::version))
        .first::<Option<i32>>(conn)?)
}

#[derive(QueryableByName)]
struct VersionNumber {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
}

/// A training a trainer records (the trainee signs it next).
#[derive(Debug, Clone)]
pub struct NewTraining {
    /// Trainee.
    pub person: Uuid,
    /// Curriculum.
    pub curriculum: Uuid,
    /// When the training took place.
    pub trained_at: DateTime<Utc>,
    /// End of validity.
    pub valid_until: Option<DateTime<Utc>>,
    /// The MBR version trained on (MBR curricula; default: the effective one).
    pub mbr_version: Option<i32>,
    /// Trainer's note.
    pub note: Option<String>,
}

fn insert_record(
    conn: &mut PgConnection,
    row: &TrainingRecordRow,
    action: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(training_records::table)
        .values(row)
        .execute(conn)?;
    let mut draft = vouch(
        &row.recorded_by,
        action,
        TRAINING_RECORD_KIND,
        &row.id.to_string(),
        row,
        None,
    );
    draft.reason = row.note.clone();
    audit::append(conn, SYSTEM_CHAIN, draft, now)?;
    Ok(())
}

/// Records a training (R9): by a trainer other than the trainee, dated no
/// later than now, valid until after it. It counts once the trainee signed it.
pub fn record_training(
    conn: &mut PgConnection,
    new: &NewTraining,
    trainer: Uuid,
    now: DateTime<Utc>,
) -> Result<TrainingRecordRow, DbError> {
    check_training_record(trainer, new.person, new.trained_at, new.valid_until, now)?;
    crate::tx::atomic(conn, |conn| {
        let curriculum = curriculum(conn, new.curriculum)?;
        super::people::state(conn, new.person)?;
        let mbr_version = match (&curriculum.mbr_code, new.mbr_version) {
            (Some(_), Some(v)) => Some(v),
            (Some(code), None) => curriculum.mbr_version.or(current_version(conn, code)?),
            (None, _) => None,
        };
        let row = TrainingRecordRow {
            id: crate::ids::at(now),
            person_id: new.person,
            curriculum_id: curriculum.id,
            kind: TrainingKind::Trained.as_str().into(),
            mbr_version,
            trained_at: ebr_domain::audit::to_stored_precision(new.trained_at),
            valid_until: new.valid_until.map(ebr_domain::audit::to_stored_precision),
            recorded_at: ebr_domain::audit::to_stored_precision(now),
            recorded_by: person_actor(trainer),
            note: new.note.clone().filter(|n| !n.trim().is_empty()),
        };
        insert_record(conn, &row, "training.recorded", now)?;
        Ok(row)
    })
}

/// Revokes a person's training on a curriculum: a new record; every earlier
/// training on it stops counting.
pub fn revoke_training(
    conn: &mut PgConnection,
    person: Uuid,
    curriculum_id: Uuid,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<TrainingRecordRow, DbError> {
    ebr_domain::identity::check_reason("revoking training", reason)?;
    crate::tx::atomic(conn, |conn| {
        curriculum(conn, curriculum_id)?;
        super::people::state(conn, person)?;
        let at = ebr_domain::audit::to_stored_precision(now);
        let row = TrainingRecordRow {
            id: crate::ids::at(now),
            person_id: person,
            curriculum_id,
            kind: TrainingKind::Revoked.as_str().into(),
            mbr_version: None,
            trained_at: at,
            valid_until: None,
            recorded_at: at,
            recorded_by: actor.to_string(),
            note: Some(reason.trim().to_string()),
        };
        insert_record(conn, &row, "training.revoked", now)?;
        Ok(row)
    })
}

/// One training record.
pub fn record(conn: &mut PgConnection, id: Uuid) -> Result<TrainingRecordRow, DbError> {
    training_records::table
        .find(id)
        .select(TrainingRecordRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("training record {id}")))
}

fn is_signed(conn: &mut PgConnection, id: Uuid) -> Result<bool, DbError> {
    Ok(signature_rows::table
        .filter(signature_rows::record_type.eq(TRAINING_RECORD_TYPE))
        .filter(signature_rows::record_id.eq(id.to_string()))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// The trainee signs their training record (meaning `trained`): only their
/// own, only once. The caller ran the signature ceremony.
pub fn sign_training(
    conn: &mut PgConnection,
    id: Uuid,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let (signer, now) = (signatory.id, signatory.at);
    crate::tx::atomic(conn, |conn| {
        let row = record(conn, id)?;
        let kind = TrainingKind::parse(&row.kind).ok_or_else(|| {
            DbError::Integrity(format!("training record {id}: kind {}", row.kind))
        })?;
        check_trainee_signature(row.person_id, kind, is_signed(conn, id)?, signer)?;
        let manifest = signatory.sign(
            crate::ids::at(now),
            SignatureMeaning::Trained,
            &row.signed_record(),
        );
        signatures::insert(conn, SYSTEM_CHAIN, &manifest, now)?;
        Ok(manifest)
    })
}

/// The reader signs that they read and understood `mbr_version` of the
/// curriculum's MBR: the record and its signature in one transaction.
pub fn read_and_understood(
    conn: &mut PgConnection,
    curriculum_id: Uuid,
    mbr_version: i32,
    signatory: &Signatory,
) -> Result<SignatureManifest, DbError> {
    let (signer, now) = (signatory.id, signatory.at);
    crate::tx::atomic(conn, |conn| {
        let c = curriculum(conn, curriculum_id)?;
        let Some(code) = &c.mbr_code else {
            return Err(DomainError::CurriculumInvalid(format!(
                "{} is not about an MBR; read-and-understood records are signed for MBR versions",
                c.code
            ))
            .into());
        };
        let exists = mbr_versions::table
            .filter(mbr_versions::code.eq(code))
            .filter(mbr_versions::version.eq(mbr_version))
            .count()
            .get_result::<i64>(conn)?;
        if exists == 0 {
            return Err(DbError::NotFound(format!("{code} version {mbr_version}")));
        }
        let at = ebr_domain::audit::to_stored_precision(now);
        let row = TrainingRecordRow {
            id: crate::ids::at(now),
            person_id: signer,
            curriculum_id,
            kind: TrainingKind::ReadAndUnderstood.as_str().into(),
            mbr_version: Some(mbr_version),
            trained_at: at,
            valid_until: None,
            recorded_at: at,
            recorded_by: person_actor(signer),
            note: None,
        };
        insert_record(conn, &row, "training.read_and_understood", now)?;
        let manifest = signatory.sign(
            crate::ids::at(now),
            SignatureMeaning::ReadAndUnderstood,
            &row.signed_record(),
        );
        signatures::insert(conn, SYSTEM_CHAIN, &manifest, now)?;
        Ok(manifest)
    })
}

/// A training record with whether its person signed it.
#[derive(Debug, Clone, Serialize)]
pub struct HeldRecord {
    /// The record.
    #[serde(flatten)]
    pub row: TrainingRecordRow,
    /// Signed by the trainee (or reader).
    pub signed: bool,
}

impl HeldRecord {
    /// The domain's view of it.
    pub fn event(&self) -> Option<TrainingEvent> {
        Some(TrainingEvent {
            curriculum_id: self.row.curriculum_id,
            kind: TrainingKind::parse(&self.row.kind)?,
            mbr_version: self.row.mbr_version,
            recorded_at: self.row.recorded_at,
            valid_until: self.row.valid_until,
            signed: self.signed,
        })
    }
}

/// Every training record of `person` (every person when `None`), oldest
/// first, each with whether it was signed.
pub fn records(conn: &mut PgConnection, person: Option<Uuid>) -> Result<Vec<HeldRecord>, DbError> {
    let mut query = training_records::table
        .select(TrainingRecordRow::as_select())
        .order((
            training_records::recorded_at.asc(),
            training_records::id.asc(),
        ))
        .into_boxed();
    if let Some(person) = person {
        query = query.filter(training_records::person_id.eq(person));
    }
    let rows = query.load(conn)?;
    let signed: std::collections::HashSet<String> = signature_rows::table
        .filter(signature_rows::record_type.eq(TRAINING_RECORD_TYPE))
        .select(signature_rows::record_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| HeldRecord {
            signed: signed.contains(&row.id.to_string()),
            row,
        })
        .collect())
}

/// Everything the gate reads, in one statement: the batch's pinned MBR
/// version (its content then comes from the process cache), every
/// curriculum, and the person's training events with whether each is
/// signed. One row per (curriculum, event), at least one row per batch.
#[derive(QueryableByName)]
struct GateRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    version_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pinned: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    stored: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    number: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    mbr_code: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    mbr_version: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    c_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c_code: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c_title: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c_role: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c_mbr_code: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    c_mbr_version: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c_skill: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    kind: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    trained_version: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    recorded_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    valid_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    signed: bool,
}

const GATE_FACTS: &str = "
SELECT v.id AS version_id, b.mbr_content_sha256 AS pinned, v.content_sha256 AS stored,
       b.batch_number AS number, v.code AS mbr_code, v.version AS mbr_version,
       c.id AS c_id, c.code AS c_code, c.title AS c_title, c.role AS c_role,
       c.mbr_code AS c_mbr_code, c.mbr_version AS c_mbr_version, c.skill AS c_skill,
       r.kind, r.mbr_version AS trained_version, r.recorded_at, r.valid_until,
       COALESCE(EXISTS (SELECT 1 FROM signatures s WHERE s.record_type = 'training_record'
                         AND s.record_id = r.id::text), false) AS signed
  FROM batches b
  JOIN mbr_versions v ON v.id = b.mbr_version_id
  LEFT JOIN curricula c ON true
  LEFT JOIN training_records r ON r.curriculum_id = c.id AND r.person_id = $2
 WHERE b.id = $1
 ORDER BY c.code, r.recorded_at, r.id";

/// What the gate decides on.
struct GateFacts {
    procedure: Procedure,
    skills: Vec<String>,
    curricula: Vec<Curriculum>,
    events: Vec<TrainingEvent>,
}

/// The facts of the gate for `person` on a batch and step, in one statement.
fn gate_facts(
    conn: &mut PgConnection,
    batch_id: Uuid,
    person: Uuid,
    step_key: Option<&str>,
) -> Result<GateFacts, DbError> {
    let rows: Vec<GateRow> = diesel::sql_query(GATE_FACTS)
        .bind::<diesel::sql_types::Uuid, _>(batch_id)
        .bind::<diesel::sql_types::Uuid, _>(person)
        .load(conn)?;
    let first = rows
        .first()
        .ok_or_else(|| DbError::NotFound(format!("batch {batch_id}")))?;
    let mbr = super::execution::pinned_mbr(
        conn,
        first.version_id,
        &first.pinned,
        &first.stored,
        &first.number,
    )?;
    let skills = step_key
        .and_then(|key| mbr.steps().find(|(_, s)| s.key == key))
        .map(|(_, s)| s.skills.clone())
        .unwrap_or_default();
    let procedure = Procedure {
        code: first.mbr_code.clone(),
        version: first.mbr_version,
        requires_read_and_understood: mbr.requires_read_and_understood,
    };
    let mut curricula: Vec<Curriculum> = Vec::new();
    let mut events = Vec::new();
    for row in rows {
        let (Some(id), Some(code), Some(title), Some(role)) =
            (row.c_id, row.c_code, row.c_title, row.c_role)
        else {
            continue;
        };
        if curricula.last().is_none_or(|c| c.id != id) {
            curricula.push(Curriculum {
                id,
                code,
                title,
                role: Role::parse(&role)?,
                mbr_code: row.c_mbr_code,
                mbr_version: row.c_mbr_version,
                skill: row.c_skill,
            });
        }
        if let (Some(kind), Some(recorded_at)) = (row.kind.as_deref(), row.recorded_at) {
            let kind = TrainingKind::parse(kind)
                .ok_or_else(|| DbError::Integrity(format!("training record kind {kind}")))?;
            events.push(TrainingEvent {
                curriculum_id: id,
                kind,
                mbr_version: row.trained_version,
                recorded_at,
                valid_until: row.valid_until,
                signed: row.signed,
            });
        }
    }
    Ok(GateFacts {
        procedure,
        skills,
        curricula,
        events,
    })
}

/// The training gate (R9) of `activity` by `person` on a batch (and step):
/// one statement loads the pinned MBR version, the curricula and the
/// person's training (the step's skills come from the cached MBR); the
/// domain decides. A refusal leaves its exception on the batch (with its
/// audit event, committed on its own) and is returned as `Ok(Err(rule))`.
pub fn gate(
    conn: &mut PgConnection,
    batch_id: Uuid,
    person: Uuid,
    roles: &[Role],
    activity: Activity,
    step_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<(), DomainError>, DbError> {
    let facts = gate_facts(conn, batch_id, person, step_key)?;
    let need = Need {
        activity,
        procedure: &facts.procedure,
        step_key,
        skills: if activity.uses_step_skills() {
            &facts.skills
        } else {
            &[]
        },
    };
    let Err(refusal) = training::gate(&facts.curricula, &facts.events, roles, &need, now) else {
        return Ok(Ok(()));
    };
    if let Some(exception) = refusal.exception {
        let draft = super::exceptions::ExceptionDraft {
            kind: exception.kind,
            step_key: exception.step_key,
            field_key: exception.field_key,
            entry_id: exception.entry_id,
            detail: exception.detail,
            actor: person_actor(person),
        };
        // The exception and its audit event commit together.
        crate::tx::atomic(conn, |conn| {
            super::exceptions::raise(conn, batch_id, &draft, now)
        })?;
    }
    Ok(Err(refusal.error))
}

/// [`gate`] as a plain result: a refusal (its exception committed) becomes
/// `DbError::Domain(training_not_current)`. Call it outside the command's
/// own transaction, so the exception stays when the command is refused.
pub fn require(
    conn: &mut PgConnection,
    batch_id: Uuid,
    person: Uuid,
    roles: &[Role],
    activity: Activity,
    step_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    gate(conn, batch_id, person, roles, activity, step_key, now)?.map_err(DbError::Domain)
}

/// The step an entry belongs to (a correction is gated like recording in
/// that step).
pub fn entry_step(conn: &mut PgConnection, entry_id: Uuid) -> Result<Option<String>, DbError> {
    Ok(crate::schema::entries::table
        .find(entry_id)
        .select(crate::schema::entries::step_key)
        .first(conn)
        .optional()?)
}

/// The effective (else newest) version of an MBR code as the training rules
/// see it, for the qualification matrix; `None` when no version exists.
pub fn effective_procedure(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<Procedure>, DbError> {
    let Some(version) = current_version(conn, code)? else {
        return Ok(None);
    };
    let content: String = mbr_versions::table
        .filter(mbr_versions::code.eq(code))
        .filter(mbr_versions::version.eq(version))
        .select(mbr_versions::content)
        .first(conn)?;
    let mbr: ebr_domain::mbr::MasterBatchRecord = serde_json::from_str(&content)
        .map_err(|e| DbError::Integrity(format!("{code} version {version} cannot be read: {e}")))?;
    Ok(Some(Procedure {
        code: code.to_string(),
        version,
        requires_read_and_understood: mbr.requires_read_and_understood,
    }))
}

/// Where an active person stands on one curriculum of their roles.
#[derive(Debug, Clone)]
pub struct PersonStanding {
    /// Username.
    pub username: String,
    /// Printed name.
    pub full_name: String,
    /// The person's roles.
    pub roles: Vec<Role>,
    /// The curriculum's id.
    pub curriculum_id: Uuid,
    /// The curriculum's code.
    pub curriculum: String,
    /// The curriculum in words (`code (title)`).
    pub label: String,
    /// The standing at `now` (for an MBR curriculum, against its effective
    /// version).
    pub standing: ebr_domain::training::Standing,
}

/// Every active person (or only `only`) × every curriculum of a role they
/// hold, at `now`: the qualification matrix, the access review's training
/// gaps, and a person's own standing on their account page and worklist.
pub fn standings(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    only: Option<Uuid>,
) -> Result<Vec<PersonStanding>, DbError> {
    let curricula = curricula(conn)?
        .iter()
        .map(CurriculumRow::curriculum)
        .collect::<Result<Vec<_>, _>>()?;
    let mut procedures: std::collections::HashMap<String, Option<Procedure>> =
        std::collections::HashMap::new();
    for code in curricula.iter().filter_map(|c| c.mbr_code.clone()) {
        if let std::collections::hash_map::Entry::Vacant(slot) = procedures.entry(code) {
            let procedure = effective_procedure(conn, slot.key())?;
            slot.insert(procedure);
        }
    }
    let all_records = records(conn, only)?;
    let people = match only {
        Some(id) => vec![super::people::state(conn, id)?],
        None => super::people::list(conn)?,
    };
    let mut out = Vec::new();
    for person in people.into_iter().filter(|p| p.active) {
        let events: Vec<TrainingEvent> = all_records
            .iter()
            .filter(|r| r.row.person_id == person.person.id)
            .filter_map(HeldRecord::event)
            .collect();
        for c in curricula.iter().filter(|c| person.roles.contains(&c.role)) {
            let procedure = c
                .mbr_code
                .as_ref()
                .and_then(|code| procedures.get(code).cloned().flatten());
            out.push(PersonStanding {
                username: person.person.username.clone(),
                full_name: person.person.full_name.clone(),
                roles: person.roles.clone(),
                curriculum_id: c.id,
                curriculum: c.code.clone(),
                label: c.label(),
                standing: training::standing(c, &events, procedure.as_ref(), now),
            });
        }
    }
    Ok(out)
}
