//! What an installation qualification (IQ) reads from the live database:
//! the migrations applied, every table with its append-only triggers and
//! what the application role may do to it, and the database's clock. The
//! IQ itself (`ebr validation iq`) judges them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamptz};

use crate::DbError;

/// Tables that are not recorded data: security bookkeeping and caches the
/// append-only rule does not cover (ARCHITECTURE, "Invariants").
pub const NOT_RECORDED: &[&str] = &[
    "__diesel_schema_migrations",
    "sessions",
    "language_preferences",
    "checkpoints",
];

/// One table of the public schema as the IQ sees it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct TableGuard {
    /// The table.
    #[diesel(sql_type = Text)]
    pub table: String,
    /// Its `<table>_no_update` trigger exists and is enabled.
    #[diesel(sql_type = Bool)]
    pub no_update_trigger: bool,
    /// Its `<table>_no_truncate` trigger exists and is enabled.
    #[diesel(sql_type = Bool)]
    pub no_truncate_trigger: bool,
    /// `ebr_app` may UPDATE, DELETE or TRUNCATE it.
    #[diesel(sql_type = Bool)]
    pub app_may_change: bool,
    /// `ebr_app` owns it (and could drop its triggers).
    #[diesel(sql_type = Bool)]
    pub app_owns: bool,
}

/// Every table of the public schema with its guards.
pub fn table_guards(conn: &mut PgConnection) -> Result<Vec<TableGuard>, DbError> {
    Ok(diesel::sql_query(
        "SELECT c.relname::text AS table, \
           EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = c.relname || '_no_update' AND t.tgenabled <> 'D') AS no_update_trigger, \
           EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = c.relname || '_no_truncate' AND t.tgenabled <> 'D') AS no_truncate_trigger, \
           (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ebr_app') AND ( \
              has_table_privilege('ebr_app', c.oid, 'UPDATE') OR has_table_privilege('ebr_app', c.oid, 'DELETE') \
              OR has_table_privilege('ebr_app', c.oid, 'TRUNCATE'))) AS app_may_change, \
           pg_get_userbyid(c.relowner) = 'ebr_app' AS app_owns \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1",
    )
    .load(conn)?)
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

/// Whether the application role exists.
pub fn app_role_exists(conn: &mut PgConnection) -> Result<bool, DbError> {
    Ok(diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ebr_app') AS exists",
    )
    .get_result::<Exists>(conn)?
    .exists)
}

/// The outcome of trying to change recorded data, always rolled back: the
/// database's own refusal message, or `None` when the change went through.
pub fn try_change(conn: &mut PgConnection, statement: &str) -> Result<Option<String>, DbError> {
    let mut refusal = None;
    let undone = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        refusal = diesel::sql_query(statement)
            .execute(conn)
            .err()
            .map(|e| e.to_string());
        // Undo whatever happened, refused or not.
        Err(diesel::result::Error::RollbackTransaction)
    });
    match undone {
        Err(diesel::result::Error::RollbackTransaction) | Ok(()) => Ok(refusal),
        Err(e) => Err(e.into()),
    }
}

/// Whether the audit trail holds any event (an UPDATE or DELETE of an
/// empty table has nothing for a row trigger to refuse).
pub fn audit_trail_empty(conn: &mut PgConnection) -> Result<bool, DbError> {
    use crate::schema::audit_events;
    Ok(audit_events::table
        .select(audit_events::seq)
        .first::<i64>(conn)
        .optional()?
        .is_none())
}

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamptz)]
    now: DateTime<Utc>,
}

/// The database server's clock.
pub fn database_time(conn: &mut PgConnection) -> Result<DateTime<Utc>, DbError> {
    Ok(diesel::sql_query("SELECT clock_timestamp() AS now")
        .get_result::<Now>(conn)?
        .now)
}
