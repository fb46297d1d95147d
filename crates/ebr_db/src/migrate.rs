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
/// Reads the bookkeeping table only, so it works with the read-only rights of
/// the application role.
pub fn pending_count(conn: &mut PgConnection) -> Result<usize, DbError> {
    use diesel::migration::MigrationSource;
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        present: bool,
    }
    let present = diesel::sql_query(
        "SELECT to_regclass('public.__diesel_schema_migrations') IS NOT NULL AS present",
    )
    .get_result::<Exists>(conn)?
    .present;
    let applied: Vec<String> = if present {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<Applied>(conn)?
            .into_iter()
            .map(|a| a.version)
            .collect()
    } else {
        Vec::new()
    };
    let embedded = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(embedded
        .iter()
        .filter(|m| !applied.contains(&m.name().version().to_string()))
        .count())
}
