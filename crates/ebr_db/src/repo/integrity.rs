//! Integrity checks over stored records: signatures against what they signed
//! (R13) and against their own audit events (R1).

use diesel::prelude::*;
use ebr_domain::signature::SignedRecord;
use serde::Serialize;
use uuid::Uuid;

use crate::repo::{mbr, signatures};
use crate::schema::audit_events;
use crate::DbError;

/// A signature that no longer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureProblem {
    /// The signature.
    pub signature_id: Uuid,
    /// Type of the signed record.
    pub record_type: String,
    /// Id of the signed record.
    pub record_id: String,
    /// What is wrong.
    pub problem: String,
}

/// The current state of a signed record, rebuilt the way it was signed.
fn current_record(
    conn: &mut PgConnection,
    record_type: &str,
    record_id: &str,
) -> Result<Option<SignedRecord>, DbError> {
    match record_type {
        mbr::MBR_RECORD_TYPE => {
            let Ok(id) = Uuid::parse_str(record_id) else {
                return Ok(None);
            };
            match mbr::signed_record(conn, id) {
                Ok(record) => Ok(Some(record)),
                Err(DbError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        _ => Ok(None),
    }
}

/// Recomputes every signature's record hash from the record as stored now,
/// and every signature's own hash against the one in its audit event. Reports
/// every signature that no longer matches (an empty list means all hold).
pub fn verify_signatures(conn: &mut PgConnection) -> Result<Vec<SignatureProblem>, DbError> {
    let mut problems = Vec::new();
    for signature in signatures::all(conn)? {
        let problem = |text: &str| SignatureProblem {
            signature_id: signature.id,
            record_type: signature.record_type.clone(),
            record_id: signature.record_id.clone(),
            problem: text.to_string(),
        };
        let audited: Option<Option<String>> = audit_events::table
            .filter(audit_events::entity_type.eq("signature"))
            .filter(audit_events::entity_id.eq(signature.id.to_string()))
            .filter(audit_events::action.eq("signature.created"))
            .select(audit_events::record_hash)
            .first(conn)
            .optional()?;
        match audited {
            None => problems.push(problem("the signature has no audit event")),
            Some(hash) if hash.as_deref() != Some(signature.hash().as_str()) => problems.push(problem(
                "the signature row was altered after signing (its name, time, meaning or record link no longer match its audit event)",
            )),
            Some(_) => {}
        }
        match current_record(conn, &signature.record_type, &signature.record_id)? {
            None => problems.push(problem("the signed record cannot be found")),
            Some(record) if !signature.matches(&record) => problems.push(problem(
                "the signed record changed after signing: its hash no longer matches the signature",
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}
