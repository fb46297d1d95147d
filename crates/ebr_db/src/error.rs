//! The single error type of the persistence layer.

use thiserror::Error;

/// Everything that can go wrong talking to PostgreSQL.
#[derive(Debug, Error)]
pub enum DbError {
    /// No connection could be made or taken from the pool.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// Applying or inspecting migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The requested record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Stored data contradicts itself (a hash or stored value does not read back).
    #[error("stored data is inconsistent: {0}")]
    Integrity(String),
    /// A domain rule refused the change.
    #[error(transparent)]
    Domain(#[from] ebr_domain::DomainError),
}

impl From<r2d2_error::PoolError> for DbError {
    fn from(e: r2d2_error::PoolError) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

impl From<diesel::ConnectionError> for DbError {
    fn from(e: diesel::ConnectionError) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

mod r2d2_error {
    pub use diesel::r2d2::PoolError;
}

impl DbError {
    /// Whether PostgreSQL refused a NUL character (U+0000) in text, which it
    /// cannot store: the input's fault, not the server's.
    pub fn is_nul_character(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("0x00")
        )
    }
}

impl DbError {
    /// Whether the database connection was lost mid-request (PostgreSQL shut
    /// down or restarted): the request can be retried once it is back.
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _
            ))
        )
    }
}

impl DbError {
    /// When a foreign key refused the write (the request named a batch,
    /// person, lot… that does not exist): what was missing, e.g. `batch`.
    pub fn missing_reference(&self) -> Option<String> {
        let DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            info,
        )) = self
        else {
            return None;
        };
        let column = info
            .constraint_name()
            .and_then(|c| c.strip_suffix("_fkey"))
            .and_then(|c| c.rsplit_once("_id").map(|(head, _)| head))
            .and_then(|head| head.rsplit('_').next())
            .unwrap_or("record");
        Some(column.to_string())
    }
}
