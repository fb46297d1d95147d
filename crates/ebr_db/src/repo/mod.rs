//! Repository functions: each takes a connection (or transaction) and appends.

pub mod access_review;
pub mod audit;
pub mod batches;
pub mod census;
pub mod checkpoints;
pub mod configuration;
pub mod contingency;
pub mod custody;
pub mod exceptions;
pub mod execution;
pub mod installation;
pub mod integrity;
pub mod mbr;
pub mod people;
pub mod preferences;
pub mod record;
pub mod registry;
pub mod release;
pub mod retention;
pub mod rows;
pub mod second_factor;
pub mod sessions;
pub mod signatures;
pub mod training;

/// The audit actor string for a person.
pub fn person_actor(id: uuid::Uuid) -> String {
    format!("person:{id}")
}

/// The person id in an actor string, if it names a person.
pub fn actor_person(actor: &str) -> Option<uuid::Uuid> {
    actor
        .strip_prefix("person:")
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
}

/// Canonical JSON text of a value (for audit old/new values).
pub(crate) fn canonical<T: serde::Serialize>(value: &T) -> Option<String> {
    ebr_domain::canonical::to_canonical_json(value).ok()
}

/// SHA-256 of the canonical JSON of a value (for audit record hashes).
pub(crate) fn canonical_hash<T: serde::Serialize>(value: &T) -> String {
    ebr_domain::canonical::sha256_hex(canonical(value).unwrap_or_default().as_bytes())
}

/// The audit draft that vouches for a row just inserted: the event names the
/// row (`kind`, `id`), carries `shown` (the row's canonical JSON, or the part
/// of it fit to print) as its new value, and the SHA-256 of the whole row's
/// canonical JSON as its record hash. `ebr audit verify` then checks the row
/// against the event and that every row has such an event.
pub(crate) fn vouch<T: serde::Serialize>(
    actor: &str,
    action: &str,
    kind: &str,
    id: &str,
    row: &T,
    shown: Option<String>,
) -> ebr_domain::audit::AuditDraft {
    ebr_domain::audit::AuditDraft {
        actor: actor.to_string(),
        action: action.to_string(),
        entity_type: kind.to_string(),
        entity_id: id.to_string(),
        old_value: None,
        new_value: shown.or_else(|| canonical(row)),
        reason: None,
        record_hash: Some(canonical_hash(row)),
    }
}
