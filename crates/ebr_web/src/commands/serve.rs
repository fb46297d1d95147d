//! `ebr serve`

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;

use super::{connect, pool, CommandError, CommandResult};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::startup::{self, AppState};

/// Applies pending migrations (unless told not to), records the
/// configuration in the audit trail when it changed (R11), binds and serves
/// until SIGINT/SIGTERM.
pub fn run(settings: &Settings, bind: Option<String>, migrate: bool) -> CommandResult {
    if migrate {
        let mut conn = connect(settings)?;
        let applied = ebr_db::migrate::run_pending(&mut conn)?;
        if !applied.is_empty() {
            tracing::info!(
                migrations.applied = applied.len(),
                "applied pending migrations"
            );
        }
    }
    match connect(settings) {
        Ok(mut conn) => {
            if let Err(e) = super::config_audit::record(settings, &mut conn) {
                tracing::warn!(error = %e, "could not record the configuration in the audit trail");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "configuration not recorded: the database is unreachable")
        }
    }
    let address = bind.unwrap_or_else(|| settings.bind.clone());
    let listener = TcpListener::bind(&address).map_err(|e| {
        CommandError::Refused(format!(
            "cannot listen on {address}: {e}. Stop the program using it, or pass --bind 127.0.0.1:<another port>."
        ))
    })?;
    let checkpoints = crate::checkpoints::Checkpointer::from_settings(&settings.checkpoint)
        .map_err(CommandError::Refused)?
        .map(Arc::new);
    let replica_urls = settings.database.replica_urls();
    let reads = Arc::new(ebr_db::replicas::ReadReplicas::new(
        &replica_urls,
        settings.pool_size,
        std::time::Duration::from_secs(settings.database.replica_max_lag_seconds),
    ));
    if reads.configured() {
        use secrecy::ExposeSecret;
        let primary_url = settings
            .require_database_url()
            .map_err(CommandError::Refused)?
            .expose_secret()
            .to_string();
        crate::replicas::spawn_probe(reads.clone(), primary_url);
        tracing::info!(
            replicas = ?replica_urls.iter().map(|u| ebr_db::replicas::label(u)).collect::<Vec<_>>(),
            max_lag_seconds = settings.database.replica_max_lag_seconds,
            "record PDFs, exports and audit trails are read from replicas within the lag bound"
        );
    }
    let state = AppState {
        reads,
        pool: pool(settings)?,
        clock: Arc::new(SystemClock),
        security: settings.security.clone(),
        execution: settings.execution.clone(),
        checkpoints: checkpoints.clone(),
        metrics: Default::default(),
    };
    match checkpoints {
        Some(c) => {
            tracing::info!(
                log_dir = ?settings.checkpoint.log_dir,
                interval_seconds = settings.checkpoint.interval_seconds,
                "signing checkpoints"
            );
            crate::checkpoints::spawn_periodic(
                c,
                state.pool.clone(),
                state.clock.clone(),
                std::time::Duration::from_secs(settings.checkpoint.interval_seconds.max(1)),
            );
        }
        None => tracing::warn!(
            "no checkpoint key configured (EBR__CHECKPOINT__KEY_FILE): audit chains are not anchored outside the database; see docs/CHECKPOINTS.md"
        ),
    }
    if crate::auth::password::INSECURE_TEST_HASHING {
        tracing::warn!(
            "this build hashes passwords with insecure test parameters; never use it in production"
        );
    }
    tracing::info!(bind = %address, "ebr serving on http://{address}");
    actix_web::rt::System::new()
        .block_on(async move { startup::run(listener, state)?.await })
        .context("server failed")
        .map_err(CommandError::Failed)
}
