//! Signing checkpoints (R1, R13): every chain's head, signed with the key
//! from `checkpoint.key_file`, appended to the log in `checkpoint.log_dir`
//! (the anchor outside the database), then copied into the database so a
//! batch's export carries the checkpoints made for it.
//!
//! Made after a batch-level signature commits (review, release, rejection)
//! and periodically while any chain moved. A checkpoint that cannot be
//! written never undoes the signature that caused it: it is logged as an
//! error and the next periodic checkpoint covers the same events.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ebr_db::repo::checkpoints::{self, NewCheckpoint};
use ebr_db::{PgConnection, PgPool};
use ebr_domain::audit::ChainHead;
use ebr_record::checkpoint::{checkpoint, CheckpointKey, SignedCheckpoint};
use ebr_record::checkpoint_log;
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::CheckpointSettings;

/// Reads a secret key file, or says what to do.
pub fn read_key(path: &std::path::Path) -> Result<CheckpointKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the checkpoint key {}: {e} (create one with `ebr checkpoint keygen -o {}`)",
            path.display(),
            path.display()
        )
    })?;
    CheckpointKey::from_file_text(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The server's checkpoint signer.
#[derive(Debug)]
pub struct Checkpointer {
    key: CheckpointKey,
    log_dir: PathBuf,
    last: Mutex<Option<BTreeMap<String, ChainHead>>>,
}

impl Checkpointer {
    /// The signer the settings describe: none when no key is configured; an
    /// error when the key cannot be read or the log directory is missing.
    pub fn from_settings(settings: &CheckpointSettings) -> Result<Option<Checkpointer>, String> {
        let Some(key_file) = &settings.key_file else {
            return Ok(None);
        };
        let log_dir = settings.log_dir.clone().ok_or(
            "checkpoint.key_file is set but checkpoint.log_dir is not: set EBR__CHECKPOINT__LOG_DIR to the checkpoint log directory",
        )?;
        Ok(Some(Checkpointer {
            key: read_key(key_file)?,
            log_dir,
            last: Mutex::new(None),
        }))
    }

    /// Signs every chain's head now, appends it to the log (synced), then
    /// stores the database's copy.
    pub fn make(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
        reason: &str,
        batch_id: Option<Uuid>,
    ) -> Result<SignedCheckpoint, String> {
        let heads = checkpoints::heads(conn).map_err(|e| e.to_string())?;
        let signed = self.key.sign(checkpoint(now, reason, heads.clone()));
        checkpoint_log::append(&self.log_dir, &signed)?;
        let json = serde_json::to_string(&signed).map_err(|e| e.to_string())?;
        checkpoints::store(
            conn,
            &NewCheckpoint {
                made_at: now,
                reason,
                batch_id,
                key_id: &signed.checkpoint.key_id,
                signed: &json,
            },
        )
        .map_err(|e| format!("the checkpoint is in the log but not in the database: {e}"))?;
        if let Ok(mut last) = self.last.lock() {
            *last = Some(heads);
        }
        Ok(signed)
    }

    /// Makes a periodic checkpoint if any chain moved since the last one this
    /// process made (always the first time).
    pub fn make_if_moved(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
    ) -> Result<Option<SignedCheckpoint>, String> {
        let heads = checkpoints::heads(conn).map_err(|e| e.to_string())?;
        let moved = self
            .last
            .lock()
            .map(|last| last.as_ref() != Some(&heads))
            .unwrap_or(true);
        if !moved {
            return Ok(None);
        }
        self.make(conn, now, "periodic", None).map(Some)
    }
}

/// Makes a checkpoint for a batch-level signature, logging (not returning)
/// any failure: the signature is already committed.
pub async fn after_batch_signature(
    checkpointer: Option<Arc<Checkpointer>>,
    pool: &PgPool,
    now: DateTime<Utc>,
    reason: String,
    batch_id: Uuid,
) {
    let Some(checkpointer) = checkpointer else {
        return;
    };
    let result = crate::blocking::db(pool, move |conn| {
        Ok(checkpointer.make(conn, now, &reason, Some(batch_id)))
    })
    .await;
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "checkpoint after a batch signature failed"),
        Err(e) => tracing::error!(error = %e, "checkpoint after a batch signature failed"),
    }
}

/// Starts the periodic checkpoint thread: every `interval`, a checkpoint if
/// any chain moved.
pub fn spawn_periodic(
    checkpointer: Arc<Checkpointer>,
    pool: PgPool,
    clock: Arc<dyn Clock>,
    interval: Duration,
) {
    let spawned = std::thread::Builder::new()
        .name("ebr-checkpoints".into())
        .spawn(move || loop {
            std::thread::sleep(interval);
            let outcome = pool
                .get()
                .map_err(|e| e.to_string())
                .and_then(|mut conn| checkpointer.make_if_moved(&mut conn, clock.now()));
            match outcome {
                Ok(Some(c)) => tracing::info!(at = %c.checkpoint.at, chains = c.checkpoint.chains.len(), "periodic checkpoint signed"),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "periodic checkpoint failed"),
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the periodic checkpoint thread");
    }
}
