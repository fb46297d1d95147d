//! `ebr checkpoint keygen | public-key | now`

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ebr_record::checkpoint::{CheckpointKey, PublicKey};

use super::{connect, CommandError, CommandResult};
use crate::checkpoints::{read_key, Checkpointer};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// Creates a secret key file (mode 0600, never overwriting) and prints the
/// public key.
pub fn keygen(output: &Path) -> CommandResult {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| CommandError::Failed(anyhow::anyhow!("no randomness from the OS: {e}")))?;
    let key = CheckpointKey::from_seed(seed);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(output)
        .map_err(|e| {
            CommandError::Refused(format!(
                "cannot create {}: {e} (an existing key is never overwritten: losing it would leave old checkpoints unverifiable by the server; choose another file)",
                output.display()
            ))
        })?;
    file.write_all(key.to_file_text().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CommandError::Failed(e.into()))?;
    eprintln!(
        "wrote the secret checkpoint key to {} (keep it off the database host's backups; set EBR__CHECKPOINT__KEY_FILE to it)",
        output.display()
    );
    print!("{}", key.public().to_file_text());
    Ok(())
}

fn configured_key(settings: &Settings) -> Result<CheckpointKey, CommandError> {
    let path = settings.checkpoint.key_file.as_ref().ok_or_else(|| {
        CommandError::Refused(
            "no checkpoint key configured: set EBR__CHECKPOINT__KEY_FILE (create one with `ebr checkpoint keygen -o FILE`)".into(),
        )
    })?;
    read_key(path).map_err(CommandError::Refused)
}

/// The public key verifiers use: from `file` if given, else the configured
/// secret key's public half.
pub fn verifying_key(settings: &Settings, file: Option<&Path>) -> Result<PublicKey, CommandError> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CommandError::Refused(format!(
                    "cannot read the public key {}: {e}",
                    path.display()
                ))
            })?;
            PublicKey::from_file_text(&text)
                .map_err(|e| CommandError::Refused(format!("{}: {e}", path.display())))
        }
        None if settings.checkpoint.key_file.is_none() => Err(CommandError::Refused(
            "which key signed the checkpoints? give its public key with --public-key FILE (make run keeps it in .ebr/checkpoint.pub), or set EBR__CHECKPOINT__KEY_FILE".into(),
        )),
        None => Ok(configured_key(settings)?.public()),
    }
}

/// Prints (or writes) the configured key's public key.
pub fn public_key(settings: &Settings, output: Option<&Path>) -> CommandResult {
    let text = configured_key(settings)?.public().to_file_text();
    match output {
        Some(path) => super::batch_export::write_atomically(path, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Signs a checkpoint of every chain now.
pub fn now(settings: &Settings) -> CommandResult {
    let checkpointer = Checkpointer::from_settings(&settings.checkpoint)
        .map_err(CommandError::Refused)?
        .ok_or_else(|| {
            CommandError::Refused(
                "no checkpoint key configured: set EBR__CHECKPOINT__KEY_FILE and EBR__CHECKPOINT__LOG_DIR".into(),
            )
        })?;
    let mut conn = connect(settings)?;
    ebr_db::act_as_app(&mut conn)?;
    let signed = checkpointer
        .make(&mut conn, SystemClock.now(), "manual", None)
        .map_err(CommandError::Refused)?;
    println!(
        "checkpoint signed at {} over {} chain(s) with key {}",
        signed.checkpoint.at,
        signed.checkpoint.chains.len(),
        signed.checkpoint.key_id
    );
    Ok(())
}
