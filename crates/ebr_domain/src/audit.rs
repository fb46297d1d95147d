//! Audit events and their hash chain (R1, R5).
//!
//! Each event's hash is the SHA-256 of the previous event's hash in the same
//! chain followed by the canonical JSON of the event's content (including its
//! chain name and sequence number). Changing, removing or reordering any event
//! breaks every hash after it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::canonical::{sha256_hex, to_canonical_json};

/// The `prev_hash` of the first event of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain for everything that does not belong to a batch (people, roles,
/// MBRs, registries).
pub const SYSTEM_CHAIN: &str = "system";

/// What happened, by whom, to what: an event before it is placed in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// `person:<id>` or `system:<component>`.
    pub actor: String,
    /// What was done, e.g. `mbr.imported`.
    pub action: String,
    /// The kind of record the event is about.
    pub entity_type: String,
    /// The id of that record.
    pub entity_id: String,
    /// Canonical JSON of the previous value, if any.
    pub old_value: Option<String>,
    /// Canonical JSON of the new value, if any.
    pub new_value: Option<String>,
    /// The reason given, where one is required.
    pub reason: Option<String>,
    /// SHA-256 of the record the event created, if any.
    pub record_hash: Option<String>,
}

/// An event as placed in its chain: everything that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedEvent {
    /// The chain name.
    pub chain: String,
    /// The sequence number in the chain, from 1, without gaps.
    pub seq: i64,
    /// Server UTC time, at microsecond precision (what PostgreSQL stores).
    pub occurred_at: DateTime<Utc>,
    /// The event's content.
    pub draft: AuditDraft,
    /// The hash of the previous event in the chain.
    pub prev_hash: String,
}

#[derive(Serialize)]
struct HashedContent<'a> {
    chain: &'a str,
    seq: i64,
    occurred_at: String,
    #[serde(flatten)]
    draft: &'a AuditDraft,
}

/// Truncates a time to the microsecond precision PostgreSQL stores, so that a
/// hash computed before the insert matches one recomputed after reading back.
pub fn to_stored_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

/// Appends `value` as a JSON string (or `null`), escaped exactly as
/// serde_json escapes it.
fn push_json_str(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(s) => {
            if serde_json::to_writer(&mut *out, s).is_err() {
                out.extend_from_slice(b"null");
            }
        }
        None => out.extend_from_slice(b"null"),
    }
}

impl ChainedEvent {
    /// The canonical JSON of the event's hashed content, written directly in
    /// sorted key order (the same bytes as `to_canonical_json` of it, without
    /// building a JSON tree: verifying a million events is dominated by this).
    fn canonical_content(&self) -> Vec<u8> {
        use std::io::Write;
        let d = &self.draft;
        let mut out = Vec::with_capacity(
            160 + d.actor.len()
                + d.action.len()
                + d.entity_id.len()
                + d.new_value.as_ref().map_or(0, String::len)
                + d.old_value.as_ref().map_or(0, String::len)
                + d.reason.as_ref().map_or(0, String::len),
        );
        let fields: [(&str, Option<&str>); 10] = [
            ("action", Some(&d.action)),
            ("actor", Some(&d.actor)),
            ("chain", Some(&self.chain)),
            ("entity_id", Some(&d.entity_id)),
            ("entity_type", Some(&d.entity_type)),
            ("new_value", d.new_value.as_deref()),
            ("occurred_at", None),
            ("old_value", d.old_value.as_deref()),
            ("reason", d.reason.as_deref()),
            ("record_hash", d.record_hash.as_deref()),
        ];
        out.push(b'{');
        for (key, value) in fields {
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            if key == "occurred_at" {
                let at = to_stored_precision(self.occurred_at)
                    .to_rfc3339_opts(SecondsFormat::Micros, true);
                push_json_str(&mut out, Some(&at));
            } else {
                push_json_str(&mut out, value);
            }
            out.push(b',');
        }
        let _ = write!(out, "\"seq\":{}}}", self.seq);
        out
    }

    /// The event's hash: SHA-256 of `prev_hash` then its canonical content.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(self.canonical_content());
        hex::encode(hasher.finalize())
    }

    /// The same hash computed through the generic canonical serializer (the
    /// definition the direct writer must match; kept for the tests).
    pub fn hash_generic(&self) -> String {
        let content = HashedContent {
            chain: &self.chain,
            seq: self.seq,
            occurred_at: to_stored_precision(self.occurred_at)
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            draft: &self.draft,
        };
        let canonical = to_canonical_json(&content).unwrap_or_default();
        let mut bytes = self.prev_hash.clone().into_bytes();
        bytes.extend_from_slice(canonical.as_bytes());
        sha256_hex(&bytes)
    }
}

/// The newest event of a chain, as read under the chain's lock: the next
/// event is `seq + 1` and chains onto `hash`. An empty chain's head is
/// sequence 0 with the [`GENESIS_HASH`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The sequence number of the newest event (0: none yet).
    pub seq: i64,
    /// The hash of the newest event ([`GENESIS_HASH`] when none).
    pub hash: String,
}

impl ChainHead {
    /// The head of a chain without events.
    pub fn genesis() -> ChainHead {
        ChainHead {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }

    /// Places `draft` after this head at `occurred_at` and moves the head onto
    /// it: the event and its hash, ready to store.
    pub fn place(
        &mut self,
        chain: &str,
        draft: AuditDraft,
        occurred_at: DateTime<Utc>,
    ) -> (ChainedEvent, String) {
        let event = ChainedEvent {
            chain: chain.to_string(),
            seq: self.seq + 1,
            occurred_at: to_stored_precision(occurred_at),
            draft,
            prev_hash: self.hash.clone(),
        };
        let hash = event.hash();
        self.seq = event.seq;
        self.hash.clone_from(&hash);
        (event, hash)
    }
}

/// The first thing wrong in a chain, as found by [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// The chain.
    pub chain: String,
    /// The sequence number where the break was found.
    pub seq: i64,
    /// What is wrong.
    pub problem: String,
}

/// Verifies one chain given in sequence order with each event's stored hash:
/// sequence numbers 1, 2, 3… without gaps, each `prev_hash` equal to the stored
/// hash before it, and each stored hash equal to the recomputed one.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = (&'a ChainedEvent, &'a str)>,
) -> Result<u64, ChainBreak> {
    let mut verifier = ChainVerifier::default();
    for (event, stored_hash) in events {
        verifier.check(event, stored_hash)?;
    }
    Ok(verifier.count())
}

/// The same checks as [`verify_chain`], one event at a time, so a long chain
/// can be fed page by page without holding it in memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev: String,
    count: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev: GENESIS_HASH.to_string(),
            count: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next event of the chain; on success it becomes the event the
    /// following one must link to.
    pub fn check(&mut self, event: &ChainedEvent, stored_hash: &str) -> Result<(), ChainBreak> {
        let expected_seq = i64::try_from(self.count + 1).unwrap_or(i64::MAX);
        let fail = |problem: String| ChainBreak {
            chain: event.chain.clone(),
            seq: event.seq,
            problem,
        };
        if event.seq != expected_seq {
            return Err(fail(format!(
                "expected sequence number {expected_seq}, found {} (an event is missing)",
                event.seq
            )));
        }
        if event.prev_hash != self.prev {
            return Err(fail(
                "prev_hash does not match the previous event's hash".into(),
            ));
        }
        let recomputed = event.hash();
        if recomputed != stored_hash {
            return Err(fail(
                "the event's content does not match its hash (altered)".into(),
            ));
        }
        self.prev = recomputed;
        self.count += 1;
        Ok(())
    }

    /// How many events have been checked and found intact.
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, prev: &str, action: &str) -> ChainedEvent {
        ChainedEvent {
            chain: SYSTEM_CHAIN.into(),
            seq,
            occurred_at: DateTime::from_timestamp(1_700_000_000 + seq, 123_456_789).unwrap(),
            draft: AuditDraft {
                actor: "system:test".into(),
                action: action.into(),
                entity_type: "mbr_version".into(),
                entity_id: "x".into(),
                old_value: None,
                new_value: Some("{\"a\":1}".into()),
                reason: None,
                record_hash: None,
            },
            prev_hash: prev.into(),
        }
    }

    fn chain(n: i64) -> Vec<(ChainedEvent, String)> {
        let mut out: Vec<(ChainedEvent, String)> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(GENESIS_HASH.to_string(), |(_, h)| h.clone());
            let e = event(seq, &prev, "did");
            let h = e.hash();
            out.push((e, h));
        }
        out
    }

    /// R1: altering, removing or re-hashing an event is detected and located.
    #[test]
    fn r1_chain_detects_alteration_and_gaps() {
        let good = chain(5);
        assert_eq!(
            verify_chain(good.iter().map(|(e, h)| (e, h.as_str()))),
            Ok(5)
        );

        let mut altered = good.clone();
        altered[2].0.draft.action = "did something else".into();
        let err = verify_chain(altered.iter().map(|(e, h)| (e, h.as_str()))).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.problem.contains("altered"));

        let mut gap = good.clone();
        gap.remove(1);
        let err = verify_chain(gap.iter().map(|(e, h)| (e, h.as_str()))).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.problem.contains("missing"));
    }

    proptest::proptest! {
        /// R1: the direct canonical writer gives exactly the bytes of the
        /// generic canonical serializer, for any text (quotes, control
        /// characters, Unicode) and any optional value.
        #[test]
        fn r1_direct_event_hash_equals_the_generic_definition(
            actor in ".*", action in ".*", id in ".*",
            old in proptest::option::of(".*"), new in proptest::option::of(".*"),
            reason in proptest::option::of(".*"), record in proptest::option::of("[0-9a-f]{0,64}"),
            seq in 1i64..i64::MAX, nanos in 0u32..1_000_000_000, secs in 0i64..4_000_000_000,
        ) {
            let event = ChainedEvent {
                chain: format!("batch:{id}"),
                seq,
                occurred_at: DateTime::from_timestamp(secs, nanos).unwrap(),
                draft: AuditDraft {
                    actor, action, entity_type: "entry".into(), entity_id: id,
                    old_value: old, new_value: new, reason, record_hash: record,
                },
                prev_hash: GENESIS_HASH.into(),
            };
            proptest::prop_assert_eq!(event.hash(), event.hash_generic());
        }
    }

    #[test]
    fn hash_ignores_sub_microsecond_precision() {
        let a = event(1, GENESIS_HASH, "x");
        let mut b = a.clone();
        b.occurred_at = to_stored_precision(a.occurred_at);
        assert_eq!(a.hash(), b.hash());
    }
}
