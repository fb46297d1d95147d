//! `ebr audit verify`

use std::io::Write;

use ebr_db::repo::audit;
use ebr_domain::audit::verify_chain;

use super::{connect, CommandError, CommandResult};
use crate::config::Settings;

/// Recomputes every chain, every stored MBR content hash and every
/// signature's record hash and own hash. Prints progress
/// per chain on stderr; exits non-zero naming the first broken item.
pub fn run(settings: &Settings) -> CommandResult {
    let mut conn = connect(settings)?;
    let chains = audit::chains(&mut conn)?;
    let mut total = 0u64;
    for (i, chain) in chains.iter().enumerate() {
        let rows = audit::chain_events(&mut conn, chain)?;
        let events: Vec<_> = rows
            .iter()
            .map(|r| (r.to_chained(), r.hash.clone()))
            .collect();
        let count = verify_chain(events.iter().map(|(e, h)| (e, h.as_str()))).map_err(|b| {
            CommandError::Refused(format!(
                "audit trail BROKEN: chain `{}` event #{}: {}",
                b.chain, b.seq, b.problem
            ))
        })?;
        total += count;
        eprint!(
            "\rverified chain {}/{} ({} events)",
            i + 1,
            chains.len(),
            total
        );
        let _ = std::io::stderr().flush();
    }
    if !chains.is_empty() {
        eprintln!();
    }
    let versions = ebr_db::repo::mbr::verify_content_hashes(&mut conn)?.map_err(|v| {
        CommandError::Refused(format!(
            "audit trail BROKEN: MBR {} version {} (id {}) does not match its content hash",
            v.code, v.version, v.id
        ))
    })?;
    let broken = ebr_db::repo::integrity::verify_signatures(&mut conn)?;
    if let Some(first) = broken.first() {
        let mut message = format!(
            "audit trail BROKEN: signature {} on {} {}: {}",
            first.signature_id, first.record_type, first.record_id, first.problem
        );
        if broken.len() > 1 {
            message.push_str(&format!(
                " (and {} more broken signature(s))",
                broken.len() - 1
            ));
        }
        return Err(CommandError::Refused(message));
    }
    let signature_count = ebr_db::repo::signatures::all(&mut conn)?.len();
    println!(
        "audit trail intact: {total} events in {} chain(s), {versions} MBR version(s) and {signature_count} signature(s) match their hashes",
        chains.len()
    );
    Ok(())
}
