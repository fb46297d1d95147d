//! The r2d2 connection pool.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};

use crate::DbError;

/// A pool of PostgreSQL connections. Checking out a connection blocks: use it
/// only off the async executor.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Builds a pool for `url` with at most `max_size` connections. Does not fail
/// when the database is down: connections are made lazily, so a server can
/// start and report not-ready until the database comes back.
pub fn connect(url: &str, max_size: u32) -> Result<PgPool, DbError> {
    Ok(Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager::<PgConnection>::new(url)))
}

/// One connection outside the pool (for commands and tools).
pub fn establish(url: &str) -> Result<PgConnection, DbError> {
    use diesel::Connection;
    Ok(PgConnection::establish(url)?)
}
