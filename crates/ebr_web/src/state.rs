//! The application state every handler, middleware and page reaches. Kept
//! apart from `startup` so that depending on the state does not mean
//! depending on the whole server assembly (routes, pages, middleware).

use std::sync::Arc;

use ebr_db::PgPool;

use crate::clock::Clock;
use crate::config::{ExecutionSettings, SecuritySettings};

/// What every handler can reach.
pub struct AppState {
    /// The database pool.
    pub pool: PgPool,
    /// Read replicas for heavy reads (none configured: the primary serves
    /// them); see [`crate::replicas`].
    pub reads: Arc<ebr_db::replicas::ReadReplicas>,
    /// The server clock.
    pub clock: Arc<dyn Clock>,
    /// Session, password and signature settings.
    pub security: SecuritySettings,
    /// Batch execution settings.
    pub execution: ExecutionSettings,
    /// The checkpoint signer, when a key is configured.
    pub checkpoints: Option<Arc<crate::checkpoints::Checkpointer>>,
    /// This process's metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
}
