//! Storing electronic signatures.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{AuditDraft, ChainHead};
use ebr_domain::signature::{Factors, SignatureManifest, SignatureMeaning};
use uuid::Uuid;

use super::{canonical, person_actor};
use crate::repo::audit;
use crate::schema::signatures;
use crate::DbError;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = signatures)]
struct SignatureRow {
    id: Uuid,
    signer_id: Uuid,
    printed_name: String,
    signed_at: DateTime<Utc>,
    meaning: String,
    comment: Option<String>,
    record_type: String,
    record_id: String,
    record_version: i64,
    record_hash: String,
    factors: String,
}

impl SignatureRow {
    fn into_manifest(self) -> Result<SignatureManifest, DbError> {
        let meaning = SignatureMeaning::parse(&self.meaning).ok_or_else(|| {
            DbError::Integrity(format!(
                "signature {} has an unknown meaning `{}`",
                self.id, self.meaning
            ))
        })?;
        Ok(SignatureManifest {
            id: self.id,
            signer_id: self.signer_id,
            printed_name: self.printed_name,
            signed_at: self.signed_at,
            meaning,
            comment: self.comment,
            record_type: self.record_type,
            record_id: self.record_id,
            record_version: self.record_version,
            record_hash: self.record_hash,
            factors: Factors::parse(&self.factors),
        })
    }
}

/// Stores a signature and its audit event (carrying the signature's own hash)
/// on `chain`. Call inside the transaction that performs the signed action.
pub fn insert(
    conn: &mut PgConnection,
    chain: &str,
    manifest: &SignatureManifest,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let draft = insert_row(conn, manifest)?;
    audit::append(conn, chain, draft, now)?;
    Ok(())
}

/// [`insert`] for a caller holding the chain's lock that read its `head`
/// under it (a batch command): the audit event chains on without another
/// lock or read, and `head` moves onto it.
pub fn insert_after(
    conn: &mut PgConnection,
    chain: &str,
    head: &mut ChainHead,
    manifest: &SignatureManifest,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let draft = insert_row(conn, manifest)?;
    audit::append_after(conn, chain, head, vec![draft], now)?;
    Ok(())
}

/// Inserts the signature row; returns the audit event that must go with it.
fn insert_row(
    conn: &mut PgConnection,
    manifest: &SignatureManifest,
) -> Result<AuditDraft, DbError> {
    let signed_at = ebr_domain::audit::to_stored_precision(manifest.signed_at);
    let mut stored = manifest.clone();
    stored.signed_at = signed_at;
    diesel::insert_into(signatures::table)
        .values(SignatureRow {
            id: stored.id,
            signer_id: stored.signer_id,
            printed_name: stored.printed_name.clone(),
            signed_at,
            meaning: stored.meaning.as_str().to_string(),
            comment: stored.comment.clone(),
            record_type: stored.record_type.clone(),
            record_id: stored.record_id.clone(),
            record_version: stored.record_version,
            record_hash: stored.record_hash.clone(),
            factors: stored.factors.as_str().to_string(),
        })
        .execute(conn)?;
    Ok(AuditDraft {
        actor: person_actor(stored.signer_id),
        action: "signature.created".into(),
        entity_type: "signature".into(),
        entity_id: stored.id.to_string(),
        old_value: None,
        new_value: canonical(&stored),
        reason: None,
        record_hash: Some(stored.hash()),
    })
}

/// Signatures on one record, oldest first.
pub fn for_record(
    conn: &mut PgConnection,
    record_type: &str,
    record_id: &str,
) -> Result<Vec<SignatureManifest>, DbError> {
    let rows: Vec<SignatureRow> = signatures::table
        .filter(signatures::record_type.eq(record_type))
        .filter(signatures::record_id.eq(record_id))
        .order((signatures::signed_at.asc(), signatures::id.asc()))
        .select(SignatureRow::as_select())
        .load(conn)?;
    rows.into_iter().map(SignatureRow::into_manifest).collect()
}

/// Every signature, oldest first.
pub fn all(conn: &mut PgConnection) -> Result<Vec<SignatureManifest>, DbError> {
    let rows: Vec<SignatureRow> = signatures::table
        .order((signatures::signed_at.asc(), signatures::id.asc()))
        .select(SignatureRow::as_select())
        .load(conn)?;
    rows.into_iter().map(SignatureRow::into_manifest).collect()
}

/// The signatures with these ids, oldest first.
pub fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<SignatureManifest>, DbError> {
    let rows: Vec<SignatureRow> = signatures::table
        .filter(signatures::id.eq_any(ids))
        .order((signatures::signed_at.asc(), signatures::id.asc()))
        .select(SignatureRow::as_select())
        .load(conn)?;
    rows.into_iter().map(SignatureRow::into_manifest).collect()
}
