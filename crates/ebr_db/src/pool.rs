//! The r2d2 connection pool. Every pooled connection acts as the `ebr_app`
//! role once the schema grants it: it can read and append but owns nothing,
//! so it can neither rewrite GMP rows nor disable the triggers guarding them.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::RunQueryDsl;

use crate::DbError;

/// A pool of PostgreSQL connections. Checking out a connection blocks: use it
/// only off the async executor.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Switches a connection to the application role `ebr_app` when the database
/// has been migrated (the role exists and holds its grants here); a database
/// that is not migrated yet keeps the login role, so readiness can say so.
pub const SET_APP_ROLE: &str = "DO $$ BEGIN \
    IF to_regclass('public.audit_events') IS NOT NULL \
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ebr_app') \
       AND has_table_privilege('ebr_app', 'public.audit_events', 'INSERT') THEN \
        PERFORM set_config('role', 'ebr_app', false); \
    END IF; END $$";

#[derive(Debug)]
struct AppRole;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for AppRole {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        diesel::sql_query(SET_APP_ROLE)
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Builds a pool for `url` with at most `max_size` connections. Does not fail
/// when the database is down: connections are made lazily, so a server can
/// start and report not-ready until the database comes back.
pub fn connect(url: &str, max_size: u32) -> Result<PgPool, DbError> {
    Ok(Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(true)
        .connection_customizer(Box::new(AppRole))
        .build_unchecked(ConnectionManager::<PgConnection>::new(url)))
}

/// One connection outside the pool, as the login role (for migrations and tools).
pub fn establish(url: &str) -> Result<PgConnection, DbError> {
    use diesel::Connection;
    Ok(PgConnection::establish(url)?)
}

/// Switches an owner connection to the application role (after migrating),
/// so commands write GMP data with the same rights as the server.
pub fn act_as_app(conn: &mut PgConnection) -> Result<(), DbError> {
    diesel::sql_query(SET_APP_ROLE).execute(conn)?;
    Ok(())
}
