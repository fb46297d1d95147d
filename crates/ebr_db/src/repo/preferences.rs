//! A person's page language: a new row per choice, the newest wins, each
//! choice audited on the system chain in the same transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_domain::audit::{AuditDraft, SYSTEM_CHAIN};
use uuid::Uuid;

use super::{canonical, person_actor};
use crate::repo::audit;
use crate::schema::language_preferences;
use crate::DbError;

/// The language the person chose last, if they ever chose one.
pub fn language(conn: &mut PgConnection, person: Uuid) -> Result<Option<String>, DbError> {
    Ok(language_preferences::table
        .filter(language_preferences::person_id.eq(person))
        .order((
            language_preferences::occurred_at.desc(),
            language_preferences::id.desc(),
        ))
        .select(language_preferences::language)
        .first::<String>(conn)
        .optional()?)
}

/// Records the person's choice of `language` (`en` or `zh`; the database
/// refuses anything else) and audits it.
pub fn set_language(
    conn: &mut PgConnection,
    person: Uuid,
    language: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let old = self::language(conn, person)?;
        diesel::insert_into(language_preferences::table)
            .values((
                language_preferences::id.eq(crate::ids::at(now)),
                language_preferences::person_id.eq(person),
                language_preferences::language.eq(language),
                language_preferences::occurred_at.eq(now),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            SYSTEM_CHAIN,
            AuditDraft {
                actor: person_actor(person),
                action: "person.language_chosen".into(),
                entity_type: "person".into(),
                entity_id: person.to_string(),
                old_value: old.and_then(|o| canonical(&serde_json::json!({ "language": o }))),
                new_value: canonical(&serde_json::json!({ "language": language })),
                reason: None,
                record_hash: None,
            },
            now,
        )?;
        Ok(())
    })
}
