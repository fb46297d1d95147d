//! Checkpoints: the heads of every audit chain (sequence number and hash) at
//! a moment, signed with an Ed25519 key the database never sees, and kept in
//! an append-only log outside the database (R1, R5, R13).
//!
//! A chain can be made consistent again from inside the database (every
//! later hash recomputed) and its tail can be cut off; neither can be hidden
//! from a checkpoint signed earlier: the chain must still hold, at the
//! checkpointed sequence number, the checkpointed hash.
//!
//! The signed bytes are the canonical JSON of [`Checkpoint`]. An RFC 3161
//! timestamp from an external authority can be added later as another field
//! of [`SignedCheckpoint`] over the same bytes (`docs/CHECKPOINTS.md`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ebr_domain::audit::ChainHead;
use ebr_domain::canonical::{sha256_hex, to_canonical_json};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The format identifier of a checkpoint.
pub const CHECKPOINT_FORMAT: &str = "ebr.checkpoint/1";
const SECRET_HEADER: &str = "ebr-checkpoint-secret-key-v1";
const PUBLIC_HEADER: &str = "ebr-checkpoint-public-key-v1";

/// What a checkpoint asserts: these chains had these heads at this time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Always [`CHECKPOINT_FORMAT`].
    pub format: String,
    /// Server time of the checkpoint.
    pub at: DateTime<Utc>,
    /// Why it was made: `periodic`, or the batch-level signature
    /// (`batch.released BR-…`).
    pub reason: String,
    /// Every chain's head at `at`.
    pub chains: BTreeMap<String, ChainHead>,
    /// The signing key's id ([`key_id`]).
    pub key_id: String,
}

/// A checkpoint with its Ed25519 signature over its canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// What is asserted.
    pub checkpoint: Checkpoint,
    /// Hex Ed25519 signature of the checkpoint's canonical JSON.
    pub signature: String,
}

/// The id of a public key: the first 16 hex digits of its SHA-256, printed
/// wherever a key is named so a reader can match key and checkpoint.
pub fn key_id(public: &VerifyingKey) -> String {
    sha256_hex(&public.to_bytes())
        .get(..16)
        .unwrap_or_default()
        .to_string()
}

/// The checkpoint signing key, read from its file.
#[derive(Clone)]
pub struct CheckpointKey {
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey({})", key_id(&self.key.verifying_key()))
    }
}

impl CheckpointKey {
    /// A key from 32 random bytes (the caller draws them from the OS).
    pub fn from_seed(seed: [u8; 32]) -> CheckpointKey {
        CheckpointKey {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The text of the secret key file.
    pub fn to_file_text(&self) -> String {
        format!("{SECRET_HEADER}\n{}\n", hex::encode(self.key.to_bytes()))
    }

    /// Reads a secret key file's text, or says what is wrong with it.
    pub fn from_file_text(text: &str) -> Result<CheckpointKey, String> {
        let mut lines = text.lines();
        if lines.next() != Some(SECRET_HEADER) {
            return Err(format!(
                "not an ebr checkpoint secret key (first line is not `{SECRET_HEADER}`)"
            ));
        }
        let bytes = lines
            .next()
            .and_then(|l| hex::decode(l.trim()).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or("the checkpoint secret key is not 32 bytes of hex")?;
        Ok(CheckpointKey::from_seed(bytes))
    }

    /// The public half, to verify with.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// Signs `checkpoint` (its `key_id` is set to this key's).
    pub fn sign(&self, mut checkpoint: Checkpoint) -> SignedCheckpoint {
        checkpoint.key_id = key_id(&self.key.verifying_key());
        let bytes = to_canonical_json(&checkpoint).unwrap_or_default();
        let signature = self.key.sign(bytes.as_bytes());
        SignedCheckpoint {
            checkpoint,
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// A public key that verifies checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// The text of a public key file: what an auditor is given.
    pub fn to_file_text(&self) -> String {
        format!(
            "{PUBLIC_HEADER} {} key-id {}\n",
            hex::encode(self.key.to_bytes()),
            self.id()
        )
    }

    /// Reads a public key file's text (or just its hex), or says what is wrong.
    pub fn from_file_text(text: &str) -> Result<PublicKey, String> {
        let text = text.trim();
        let hex_part = text
            .strip_prefix(PUBLIC_HEADER)
            .map_or(text, str::trim_start)
            .split_whitespace()
            .next()
            .unwrap_or_default();
        let bytes = hex::decode(hex_part)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or("not an ebr checkpoint public key (expected 32 bytes of hex)")?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|e| format!("not a valid Ed25519 public key: {e}"))?;
        Ok(PublicKey { key })
    }

    /// The key's id ([`key_id`]).
    pub fn id(&self) -> String {
        key_id(&self.key)
    }

    /// Whether `signed` was signed by this key over exactly its content.
    pub fn verify(&self, signed: &SignedCheckpoint) -> Result<(), String> {
        if signed.checkpoint.format != CHECKPOINT_FORMAT {
            return Err(format!(
                "unknown checkpoint format `{}`",
                signed.checkpoint.format
            ));
        }
        if signed.checkpoint.key_id != self.id() {
            return Err(format!(
                "signed by key {}, not by the given key {}",
                signed.checkpoint.key_id,
                self.id()
            ));
        }
        let signature = hex::decode(&signed.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b))
            .ok_or("the signature is not 64 bytes of hex")?;
        let bytes = to_canonical_json(&signed.checkpoint).unwrap_or_default();
        self.key
            .verify_strict(bytes.as_bytes(), &signature)
            .map_err(|_| {
                "the signature does not match the checkpoint's content (altered or forged)"
                    .to_string()
            })
    }
}

/// A checkpoint to be signed: every chain's head now.
pub fn checkpoint(
    at: DateTime<Utc>,
    reason: &str,
    chains: BTreeMap<String, ChainHead>,
) -> Checkpoint {
    Checkpoint {
        format: CHECKPOINT_FORMAT.to_string(),
        at,
        reason: reason.to_string(),
        chains,
        key_id: String::new(),
    }
}

/// Where a chain no longer extends a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBreak {
    /// The chain.
    pub chain: String,
    /// What is wrong, in words that name the checkpoint.
    pub problem: String,
}

/// What every checkpoint requires of the chains: for each (chain, seq), the
/// hash the event there must have, and the checkpoint that requires it.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    by_chain: BTreeMap<String, BTreeMap<i64, (String, String)>>,
}

impl Expectations {
    /// Adds a verified checkpoint's heads; `source` names it in findings
    /// (e.g. `checkpoint of 2026-12-02T08:00:00Z (batch.released BR-1) in FILE line 3`).
    pub fn add(&mut self, checkpoint: &Checkpoint, source: &str) {
        for (chain, head) in &checkpoint.chains {
            if head.seq == 0 {
                continue;
            }
            self.by_chain
                .entry(chain.clone())
                .or_default()
                .entry(head.seq)
                .or_insert_with(|| (head.hash.clone(), source.to_string()));
        }
    }

    /// The chains that checkpoints name.
    pub fn chains(&self) -> impl Iterator<Item = &str> {
        self.by_chain.keys().map(String::as_str)
    }

    /// Checks one stored event against what the checkpoints require of it.
    pub fn check_event(&self, chain: &str, seq: i64, hash: &str) -> Result<(), CheckpointBreak> {
        match self.by_chain.get(chain).and_then(|m| m.get(&seq)) {
            Some((expected, source)) if expected != hash => Err(CheckpointBreak {
                chain: chain.to_string(),
                problem: format!(
                    "event #{seq} is not the event the {source} signed: the chain was rewritten from there or earlier"
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Checks a chain's length against the checkpoints: a chain shorter than
    /// a checkpoint recorded, or missing, lost its tail.
    pub fn check_length(&self, chain: &str, last_seq: i64) -> Result<(), CheckpointBreak> {
        let Some((seq, (_, source))) = self.by_chain.get(chain).and_then(|m| m.iter().next_back())
        else {
            return Ok(());
        };
        if *seq > last_seq {
            return Err(CheckpointBreak {
                chain: chain.to_string(),
                problem: if last_seq == 0 {
                    format!("the chain is gone, but the {source} recorded it up to event #{seq}")
                } else {
                    format!(
                        "the chain ends at event #{last_seq}, but the {source} recorded it up to event #{seq}: events were removed from its end"
                    )
                },
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(seq: i64, hash: &str) -> BTreeMap<String, ChainHead> {
        BTreeMap::from([(
            "batch:x".to_string(),
            ChainHead {
                seq,
                hash: hash.into(),
            },
        )])
    }

    /// R1: a checkpoint verifies with its key, and any change to it or a
    /// different key is refused.
    #[test]
    fn r1_checkpoint_signature_binds_content_and_key() {
        let key = CheckpointKey::from_seed([7; 32]);
        let signed = key.sign(checkpoint(
            DateTime::UNIX_EPOCH,
            "periodic",
            heads(3, "abc"),
        ));
        let public = PublicKey::from_file_text(&key.public().to_file_text()).unwrap();
        assert_eq!(public.verify(&signed), Ok(()));
        let mut altered = signed.clone();
        altered.checkpoint.chains = heads(2, "abc");
        assert!(public.verify(&altered).unwrap_err().contains("altered"));
        let other = CheckpointKey::from_seed([8; 32]).public();
        assert!(other
            .verify(&signed)
            .unwrap_err()
            .contains("not by the given key"));
        let again = CheckpointKey::from_file_text(&key.to_file_text()).unwrap();
        assert_eq!(again.public(), key.public());
    }

    /// R1: a rewritten event and a cut tail are named against the checkpoint.
    #[test]
    fn r1_expectations_catch_rewrite_and_truncation() {
        let mut e = Expectations::default();
        e.add(
            &checkpoint(DateTime::UNIX_EPOCH, "periodic", heads(3, "h3")),
            "checkpoint A",
        );
        assert!(e.check_event("batch:x", 3, "h3").is_ok());
        assert!(e.check_event("batch:x", 2, "anything").is_ok());
        let rewrite = e.check_event("batch:x", 3, "other").unwrap_err();
        assert!(rewrite.problem.contains("rewritten") && rewrite.problem.contains("checkpoint A"));
        assert!(e.check_length("batch:x", 3).is_ok());
        let cut = e.check_length("batch:x", 2).unwrap_err();
        assert!(cut.problem.contains("removed from its end"));
        assert!(e
            .check_length("batch:x", 0)
            .unwrap_err()
            .problem
            .contains("gone"));
    }
}
