//! Storing and reading master batch record versions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_domain::audit::{AuditDraft, SYSTEM_CHAIN};
use ebr_domain::canonical::sha256_hex;
use ebr_domain::mbr::{MasterBatchRecord, MbrStatus};
use ebr_domain::signature::{Signatory, SignatureManifest, SignatureMeaning, SignedRecord};
use serde::Serialize;
use uuid::Uuid;

use crate::repo::rows::MbrStatusRow;
use crate::repo::{audit, vouch};

/// The audit entity type of an MBR version status change.
pub const MBR_STATUS_KIND: &str = "mbr_status";
use crate::schema::{mbr_status_events, mbr_versions};
use crate::DbError;

/// A stored MBR version (without its content, for listings).
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = mbr_versions)]
pub struct MbrVersionRow {
    /// Version id.
    pub id: Uuid,
    /// MBR code.
    pub code: String,
    /// Version number.
    pub version: i32,
    /// Title.
    pub title: String,
    /// Product code.
    pub product_code: String,
    /// SHA-256 of the canonical content.
    pub content_sha256: String,
    /// Import time.
    pub created_at: DateTime<Utc>,
    /// Who imported it.
    pub created_by: String,
}

#[derive(Insertable)]
#[diesel(table_name = mbr_versions)]
struct NewMbrVersion<'a> {
    id: Uuid,
    code: &'a str,
    version: i32,
    title: &'a str,
    product_code: &'a str,
    content: &'a str,
    content_sha256: &'a str,
    created_at: DateTime<Utc>,
    created_by: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = mbr_status_events)]
struct NewStatusEvent<'a> {
    id: Uuid,
    mbr_version_id: Uuid,
    status: &'a str,
    occurred_at: DateTime<Utc>,
    actor: &'a str,
    reason: Option<&'a str>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub enum ImportOutcome {
    /// A new draft version was stored.
    Created(MbrVersionRow),
    /// A version with exactly this content already exists; nothing was stored.
    AlreadyPresent(MbrVersionRow),
}

/// Stores a validated MBR as a new draft version of its code, with its status
/// event and audit event, in one transaction. Importing content identical to an
/// existing version of the code stores nothing and returns that version.
pub fn import_draft(
    conn: &mut PgConnection,
    mbr: &MasterBatchRecord,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ImportOutcome, DbError> {
    let content = mbr.canonical_json();
    let hash = sha256_hex(content.as_bytes());
    conn.transaction(|conn| {
        // Serialize imports of one code so version numbers never collide.
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 11))")
            .bind::<Text, _>(&mbr.code)
            .execute(conn)?;
        let existing = mbr_versions::table
            .filter(mbr_versions::code.eq(&mbr.code))
            .filter(mbr_versions::content_sha256.eq(&hash))
            .select(MbrVersionRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = existing {
            return Ok(ImportOutcome::AlreadyPresent(row));
        }
        let last: Option<i32> = mbr_versions::table
            .filter(mbr_versions::code.eq(&mbr.code))
            .select(diesel::dsl::max(mbr_versions::version))
            .first(conn)?;
        let id = crate::ids::at(now);
        let version = last.unwrap_or(0) + 1;
        diesel::insert_into(mbr_versions::table)
            .values(NewMbrVersion {
                id,
                code: &mbr.code,
                version,
                title: &mbr.title,
                product_code: &mbr.product.code,
                content: &content,
                content_sha256: &hash,
                created_at: now,
                created_by: actor,
            })
            .execute(conn)?;
        let draft_row: MbrStatusRow = diesel::insert_into(mbr_status_events::table)
            .values(NewStatusEvent {
                id: crate::ids::at(now),
                mbr_version_id: id,
                status: MbrStatus::Draft.as_str(),
                occurred_at: now,
                actor,
                reason: None,
            })
            .returning(MbrStatusRow::as_returning())
            .get_result(conn)?;
        let summary = serde_json::json!({
            "code": mbr.code, "version": version, "title": mbr.title,
            "status": MbrStatus::Draft.as_str(), "content_sha256": hash,
        });
        audit::append(
            conn,
            SYSTEM_CHAIN,
            AuditDraft {
                actor: actor.to_string(),
                action: "mbr.imported".into(),
                entity_type: "mbr_version".into(),
                entity_id: id.to_string(),
                old_value: None,
                new_value: ebr_domain::canonical::to_canonical_json(&summary).ok(),
                reason: None,
                record_hash: Some(hash.clone()),
            },
            now,
        )?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            vouch(
                actor,
                "mbr.draft",
                MBR_STATUS_KIND,
                &draft_row.id.to_string(),
                &draft_row,
                None,
            ),
            now,
        )?;
        let row = mbr_versions::table
            .find(id)
            .select(MbrVersionRow::as_select())
            .first(conn)?;
        Ok(ImportOutcome::Created(row))
    })
}

/// Every MBR version, newest code/version last, with its current status.
pub fn list(conn: &mut PgConnection) -> Result<Vec<(MbrVersionRow, MbrStatus)>, DbError> {
    let rows = mbr_versions::table
        .order((mbr_versions::code.asc(), mbr_versions::version.asc()))
        .select(MbrVersionRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let status = current_status(conn, row.id)?;
            Ok((row, status))
        })
        .collect()
}

/// The current status of a version: its newest status event.
pub fn current_status(conn: &mut PgConnection, version_id: Uuid) -> Result<MbrStatus, DbError> {
    let name: String = mbr_status_events::table
        .filter(mbr_status_events::mbr_version_id.eq(version_id))
        .order((
            mbr_status_events::occurred_at.desc(),
            mbr_status_events::id.desc(),
        ))
        .select(mbr_status_events::status)
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("status of MBR version {version_id}")))?;
    MbrStatus::parse(&name)
        .ok_or_else(|| DbError::Integrity(format!("unknown MBR status `{name}`")))
}

/// The content of a version, checked against its stored hash before use.
pub fn load(
    conn: &mut PgConnection,
    version_id: Uuid,
) -> Result<(MbrVersionRow, MasterBatchRecord), DbError> {
    let (row, content): (MbrVersionRow, String) = mbr_versions::table
        .find(version_id)
        .select((MbrVersionRow::as_select(), mbr_versions::content))
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("MBR version {version_id}")))?;
    if sha256_hex(content.as_bytes()) != row.content_sha256 {
        return Err(DbError::Integrity(format!(
            "MBR {} version {} does not match its content hash",
            row.code, row.version
        )));
    }
    let mbr = serde_json::from_str(&content).map_err(|e| {
        DbError::Integrity(format!(
            "MBR {} version {} cannot be read: {e}",
            row.code, row.version
        ))
    })?;
    Ok((row, mbr))
}

/// A stored MBR version whose content no longer matches its hash.
#[derive(Debug, Clone, Serialize)]
pub struct AlteredVersion {
    /// Version id.
    pub id: Uuid,
    /// MBR code.
    pub code: String,
    /// Version number.
    pub version: i32,
}

/// Recomputes every stored version's content hash; returns how many were
/// checked, or the first version that was altered.
pub fn verify_content_hashes(
    conn: &mut PgConnection,
) -> Result<Result<usize, AlteredVersion>, DbError> {
    let versions: Vec<(Uuid, String, i32, String, String)> = mbr_versions::table
        .order((mbr_versions::code.asc(), mbr_versions::version.asc()))
        .select((
            mbr_versions::id,
            mbr_versions::code,
            mbr_versions::version,
            mbr_versions::content,
            mbr_versions::content_sha256,
        ))
        .load(conn)?;
    let count = versions.len();
    for (id, code, version, content, hash) in versions {
        if sha256_hex(content.as_bytes()) != hash {
            return Ok(Err(AlteredVersion { id, code, version }));
        }
    }
    Ok(Ok(count))
}

/// Exactly what an MBR approval signs: the version's identity and its whole
/// content, as stored.
pub fn signed_record(conn: &mut PgConnection, version_id: Uuid) -> Result<SignedRecord, DbError> {
    let (row, content): (MbrVersionRow, String) = mbr_versions::table
        .find(version_id)
        .select((MbrVersionRow::as_select(), mbr_versions::content))
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::NotFound(format!("MBR version {version_id}")))?;
    let content: serde_json::Value = serde_json::from_str(&content).map_err(|e| {
        DbError::Integrity(format!(
            "MBR {} version {} content is not JSON: {e}",
            row.code, row.version
        ))
    })?;
    Ok(SignedRecord {
        record_type: MBR_RECORD_TYPE.into(),
        record_id: row.id.to_string(),
        record_version: i64::from(row.version),
        content: serde_json::json!({
            "code": row.code,
            "version": row.version,
            "content_sha256": row.content_sha256,
            "content": content,
        }),
    })
}

/// The record type of MBR versions in signatures.
pub const MBR_RECORD_TYPE: &str = "mbr_version";

/// The result of an approval.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    /// The approval signature.
    pub signature: SignatureManifest,
    /// Earlier effective versions of the same code, now superseded.
    pub superseded: Vec<Uuid>,
}

fn status_event(
    conn: &mut PgConnection,
    version_id: Uuid,
    from: MbrStatus,
    to: MbrStatus,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    from.transition(to)?;
    let row: MbrStatusRow = diesel::insert_into(mbr_status_events::table)
        .values(NewStatusEvent {
            id: crate::ids::at(now),
            mbr_version_id: version_id,
            status: to.as_str(),
            occurred_at: now,
            actor,
            reason,
        })
        .returning(MbrStatusRow::as_returning())
        .get_result(conn)?;
    let mut draft = vouch(
        actor,
        &format!("mbr.{}", to.as_str()),
        MBR_STATUS_KIND,
        &row.id.to_string(),
        &row,
        None,
    );
    draft.old_value =
        ebr_domain::canonical::to_canonical_json(&serde_json::json!({ "status": from.as_str() }))
            .ok();
    draft.reason = reason.map(str::to_string);
    audit::append(conn, SYSTEM_CHAIN, draft, now)?;
    Ok(())
}

/// Approves a draft version with the approver's `approved` signature (the
/// approval *is* the signature): the version becomes effective and any
/// earlier effective version of the same code is superseded. Refuses the
/// author (R28, R44) and any version that is not a draft, naming the rule.
/// The caller has verified the signer's credentials.
pub fn approve(
    conn: &mut PgConnection,
    version_id: Uuid,
    signatory: &Signatory,
) -> Result<Approval, DbError> {
    let (approver, now) = (signatory.id, signatory.at);
    crate::tx::atomic(conn, |conn| {
        let (row, _) = load(conn, version_id)?;
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 11))")
            .bind::<Text, _>(&row.code)
            .execute(conn)?;
        let status = current_status(conn, version_id)?;
        match super::actor_person(&row.created_by) {
            Some(author) => ebr_domain::mbr::approve(status, author, approver)?,
            None => status.transition(MbrStatus::Effective)?,
        };
        let record = signed_record(conn, version_id)?;
        let signature = signatory.sign(crate::ids::at(now), SignatureMeaning::Approved, &record);
        super::signatures::insert(conn, SYSTEM_CHAIN, &signature, now)?;
        let actor = super::person_actor(approver);
        status_event(
            conn,
            version_id,
            status,
            MbrStatus::Effective,
            &actor,
            None,
            now,
        )?;
        let siblings: Vec<Uuid> = mbr_versions::table
            .filter(mbr_versions::code.eq(&row.code))
            .filter(mbr_versions::id.ne(version_id))
            .select(mbr_versions::id)
            .load(conn)?;
        let mut superseded = Vec::new();
        for sibling in siblings {
            if current_status(conn, sibling)? == MbrStatus::Effective {
                let reason = format!("superseded by {} version {}", row.code, row.version);
                status_event(
                    conn,
                    sibling,
                    MbrStatus::Effective,
                    MbrStatus::Superseded,
                    &actor,
                    Some(&reason),
                    now,
                )?;
                superseded.push(sibling);
            }
        }
        Ok(Approval {
            signature,
            superseded,
        })
    })
}
