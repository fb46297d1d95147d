//! Transactions that compose: a repository function that must be atomic
//! opens a transaction only when its caller has not, so a signed action runs
//! in the ceremony's transaction without a savepoint per layer.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use crate::DbError;

/// Runs `work` atomically: in a new transaction, or as part of the one
/// already open on `conn` (then it commits or rolls back with it, and an
/// error returned here rolls the whole of it back).
pub fn atomic<T>(
    conn: &mut PgConnection,
    work: impl FnOnce(&mut PgConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let open = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_err(DbError::from)?
        .is_some();
    if open {
        work(conn)
    } else {
        conn.transaction(work)
    }
}
