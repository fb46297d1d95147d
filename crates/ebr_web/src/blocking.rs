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
