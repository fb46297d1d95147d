//! Running Diesel work off the actix executor (argon2 has its own thread,
//! see `auth::password`).

use actix_web::web;
use ebr_db::{DbError, PgConnection, PgPool};
use tracing::Instrument;

use crate::error::ApiError;

/// Runs `work` with a pooled connection on the blocking thread pool, carrying
/// the current tracing span across. Never blocks an async worker.
pub async fn db<T, F>(pool: &PgPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .instrument(tracing::Span::current())
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    .map_err(ApiError::from)
}

/// Runs a heavy read (record, export, audit trail) on a usable read replica,
/// or on the primary when none is configured, none is usable, or the chosen
/// one gives no connection. Says which served it.
pub async fn read<T, F>(
    state: &crate::state::AppState,
    work: F,
) -> Result<(T, ebr_db::replicas::ReadTarget), ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    use ebr_db::replicas::ReadTarget;
    let (chosen, target) = state.reads.read_pool(&state.pool);
    let (chosen, primary) = (chosen.clone(), state.pool.clone());
    let span = tracing::Span::current();
    web::block(move || {
        let _entered = span.enter();
        let (mut conn, target) = match (target, chosen.get()) {
            (ReadTarget::Replica, Ok(conn)) => (conn, ReadTarget::Replica),
            (ReadTarget::Replica, Err(e)) => {
                tracing::warn!(error = %e, "replica gave no connection; reading from the primary");
                (primary.get()?, ReadTarget::Primary)
            }
            (ReadTarget::Primary, conn) => (conn?, ReadTarget::Primary),
        };
        work(&mut conn).map(|t| (t, target))
    })
    .instrument(tracing::Span::current())
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    .map_err(ApiError::from)
}
