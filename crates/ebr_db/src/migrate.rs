//! Embedded migrations.

use diesel::pg::PgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::DbError;

/// Every migration in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// SHA-256 over the names and contents of every migration file; changes exactly
/// when a migration changes.
pub const MIGRATIONS_FINGERPRINT: &str = env!("EBR_MIGRATIONS_FINGERPRINT");

/// Applies pending migrations; returns the names of those applied.
pub fn run_pending(conn: &mut PgConnection) -> Result<Vec<String>, DbError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| DbError::Migration(e.to_string()))
}

/// How many migrations are not yet applied (0 means the schema is current).
pub fn pending_count(conn: &mut PgConnection) -> Result<usize, DbError> {
    conn.pending_migrations(MIGRATIONS)
        .map(|pending| pending.len())
        .map_err(|e| DbError::Migration(e.to_string()))
}
