//! `ebr audit verify`

use std::io::Write;
use std::path::Path;

use ebr_record::checkpoint::Expectations;
use ebr_record::checkpoint_log;

use ebr_db::repo::{audit, integrity, mbr, signatures};
use ebr_domain::audit::ChainVerifier;

use super::{connect, CommandError, CommandResult};
use crate::config::Settings;

/// What the reading thread hands to the verifying one.
enum Page {
    /// The next events of the chain at this index.
    Events(usize, Vec<ebr_db::repo::audit::AuditEventRow>),
    /// The chain at this index ended at this sequence number.
    EndOfChain(usize, i64),
}

/// Events read per query: bounds memory however long a chain grows.
const PAGE_SIZE: i64 = 50_000;

fn broken(message: String) -> CommandError {
    CommandError::Refused(format!("audit trail BROKEN: {message}"))
}

/// Reads and verifies every checkpoint in `dir` with the public key: what
/// the chains must still hold.
fn checkpoint_expectations(
    settings: &Settings,
    dir: &Path,
    public_key: Option<&Path>,
) -> Result<(Expectations, usize), CommandError> {
    let key = super::checkpoint::verifying_key(settings, public_key)?;
    let logged = checkpoint_log::read(dir).map_err(broken)?;
    let mut expectations = Expectations::default();
    for entry in &logged {
        key.verify(&entry.signed)
            .map_err(|e| broken(format!("checkpoint in {}: {e}", entry.source)))?;
        let c = &entry.signed.checkpoint;
        expectations.add(
            c,
            &format!(
                "checkpoint of {} ({}) in {}",
                c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                c.reason,
                entry.source
            ),
        );
    }
    eprintln!(
        "{} checkpoint(s) in {} verify with key {}",
        logged.len(),
        dir.display(),
        key.id()
    );
    Ok((expectations, logged.len()))
}

/// The first replica of `database.replica_url` that answers, once it has
/// replayed everything the primary holds now (so a checkpoint made a moment
/// ago is not reported as a cut tail); with the primary unreachable, the
/// replica as it is, said on stderr.
fn caught_up_replica(settings: &Settings) -> Result<String, CommandError> {
    let urls = settings.database.replica_urls();
    if urls.is_empty() {
        return Err(CommandError::Refused(
            "--replica needs a replica: set EBR__DATABASE__REPLICA_URL (docs/SCALING.md)".into(),
        ));
    }
    let mut primary = connect(settings).ok();
    for url in &urls {
        let Ok(mut replica) = ebr_db::establish(url) else {
            eprintln!(
                "replica {} does not answer; trying the next",
                ebr_db::replicas::label(url)
            );
            continue;
        };
        let label = ebr_db::replicas::label(url);
        match primary.as_mut() {
            Some(primary) => {
                let waited = ebr_db::replicas::wait_until_caught_up(
                    primary,
                    &mut replica,
                    std::time::Duration::from_secs(60),
                )?;
                eprintln!(
                    "reading from replica {label} (it had replayed the primary's writes after {} ms)",
                    waited.as_millis()
                );
            }
            None => eprintln!("the primary does not answer: verifying what replica {label} holds"),
        }
        return Ok(url.clone());
    }
    Err(CommandError::Refused(
        "no replica of EBR__DATABASE__REPLICA_URL answers".into(),
    ))
}

/// Recomputes every hash chain (gap-free, linked, unaltered), every record
/// hash an audit event vouches for, every MBR content hash, and every
/// signature's record hash and own hash; with a checkpoint log, checks that
/// every chain still holds each checkpointed head (a cut tail or a rewritten
/// chain is named). Prints progress on stderr; exits non-zero naming the
/// first broken item.
pub fn run(
    settings: &Settings,
    checkpoints: Option<&Path>,
    public_key: Option<&Path>,
    replica: bool,
) -> CommandResult {
    let anchors = match checkpoints {
        Some(dir) => Some(checkpoint_expectations(settings, dir, public_key)?),
        None => None,
    };
    let source = if replica {
        Some(caught_up_replica(settings)?)
    } else {
        None
    };
    let open = || match &source {
        Some(url) => ebr_db::establish(url)
            .map_err(|e| CommandError::Refused(format!("cannot connect to the replica: {e}"))),
        None => connect(settings),
    };
    let mut conn = open()?;
    let chains = audit::chains(&mut conn)?;
    // Reading is slower than hashing (1,000,000 events hash in about a
    // second): two connections read alternate chains while this thread
    // hashes whatever arrives; each chain's pages arrive in order.
    let readers = [open()?, open()?];
    let (pages, received) = std::sync::mpsc::sync_channel::<Result<Page, ebr_db::DbError>>(4);
    let total = std::thread::scope(|scope| -> Result<u64, CommandError> {
        for (first, mut reader) in readers.into_iter().enumerate() {
            let chains_to_read = &chains;
            let pages = pages.clone();
            scope.spawn(move || {
                for (index, chain) in chains_to_read.iter().enumerate().skip(first).step_by(2) {
                    let mut after_seq = 0;
                    loop {
                        let page = match audit::chain_page(&mut reader, chain, after_seq, PAGE_SIZE)
                        {
                            Ok(page) => page,
                            Err(e) => {
                                let _ = pages.send(Err(e));
                                return;
                            }
                        };
                        let Some(last) = page.last() else { break };
                        after_seq = last.seq;
                        if pages.send(Ok(Page::Events(index, page))).is_err() {
                            return;
                        }
                    }
                    if pages.send(Ok(Page::EndOfChain(index, after_seq))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(pages);
        let (mut total, mut done) = (0u64, 0usize);
        let mut verifiers: std::collections::HashMap<usize, ChainVerifier> =
            std::collections::HashMap::new();
        for message in received {
            match message? {
                Page::Events(index, page) => {
                    let verifier = verifiers.entry(index).or_default();
                    for row in &page {
                        verifier.check(&row.to_chained(), &row.hash).map_err(|b| {
                            broken(format!(
                                "chain `{}` event #{}: {}",
                                b.chain, b.seq, b.problem
                            ))
                        })?;
                        if let Some((expected, _)) = &anchors {
                            expected
                                .check_event(&row.chain, row.seq, &row.hash)
                                .map_err(|b| {
                                    broken(format!("chain `{}`: {}", b.chain, b.problem))
                                })?;
                        }
                    }
                }
                Page::EndOfChain(index, last_seq) => {
                    let chain = chains.get(index).map_or("", String::as_str);
                    if let Some((expected, _)) = &anchors {
                        expected
                            .check_length(chain, last_seq)
                            .map_err(|b| broken(format!("chain `{}`: {}", b.chain, b.problem)))?;
                    }
                    total += verifiers.remove(&index).map_or(0, |v| v.count());
                    done += 1;
                    if done % 50 == 0 || done == chains.len() {
                        eprint!(
                            "\rverified {total} events in {done} of {} chains",
                            chains.len()
                        );
                        let _ = std::io::stderr().flush();
                    }
                }
            }
        }
        Ok(total)
    })?;
    if !chains.is_empty() {
        eprintln!();
    }
    if let Some((expected, _)) = &anchors {
        for chain in expected.chains() {
            if !chains.iter().any(|c| c == chain) {
                expected
                    .check_length(chain, 0)
                    .map_err(|b| broken(format!("chain `{}`: {}", b.chain, b.problem)))?;
            }
        }
    }
    let versions = mbr::verify_content_hashes(&mut conn)?.map_err(|v| {
        broken(format!(
            "MBR {} version {} (id {}) does not match its content hash",
            v.code, v.version, v.id
        ))
    })?;
    eprintln!("checking every recorded row against its audit event, both ways…");
    let records = integrity::check_records(&mut conn)?;
    if let Some(p) = records.altered.first() {
        return Err(broken(format!(
            "{} {} (vouched for by chain `{}` event #{}): {}",
            p.entity_type, p.entity_id, p.chain, p.seq, p.problem
        )));
    }
    if let Some(row) = records.unvouched.first() {
        let more = match records.unvouched.len() {
            1 => String::new(),
            n => format!(" (and {} more row(s) without an event)", n - 1),
        };
        return Err(broken(format!(
            "{} {}: the row has no audit event vouching for it (written outside ebr){more}",
            row.kind, row.id
        )));
    }
    let row_count: usize = records.rows_by_kind.iter().map(|(_, n)| n).sum();
    eprintln!(
        "{row_count} rows in {} recorded tables each match their audit event",
        records.rows_by_kind.len()
    );
    eprintln!("checking signatures…");
    let bad = integrity::verify_signatures(&mut conn)?;
    if let Some(first) = bad.first() {
        let more = if bad.len() > 1 {
            format!(" (and {} more broken signature(s))", bad.len() - 1)
        } else {
            String::new()
        };
        return Err(broken(format!(
            "signature {} on {} {}: {}{more}",
            first.signature_id, first.record_type, first.record_id, first.problem
        )));
    }
    let signature_count = signatures::all(&mut conn)?.len();
    let anchored = anchors.map_or(String::new(), |(_, n)| {
        format!("; every chain extends all {n} signed checkpoint(s)")
    });
    println!(
        "audit trail intact: {total} events in {} chain(s), {versions} MBR version(s) and {signature_count} signature(s) match their hashes{anchored}",
        chains.len()
    );
    Ok(())
}
