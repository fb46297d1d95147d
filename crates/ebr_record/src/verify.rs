//! Offline verification of a batch record (R1, R2, R13): everything a record
//! export or record PDF claims is recomputed from what it carries, with no
//! database and no server. Each check says what it covered; a failed check
//! names the item.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ebr_domain::audit::{AuditDraft, ChainVerifier, ChainedEvent};
use ebr_domain::canonical::{sha256_hex, to_canonical_json};
use ebr_domain::signature::{SignatureManifest, SignedRecord};
use ebr_domain::signed_records::{
    batch_record, deviation_record, qc_record, step_record, BatchIdentity, SignedEntry,
    BATCH_RECORD_TYPE, DEVIATION_RECORD_TYPE, QC_RECORD_TYPE, STEP_RECORD_TYPE,
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::checkpoint::{PublicKey, SignedCheckpoint};
use crate::export::{Manifest, RecordExport};

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked, e.g. `audit chain`.
    pub name: &'static str,
    /// Whether it held.
    pub passed: bool,
    /// What was covered, or what is wrong and where.
    pub detail: String,
}

/// Every check run on a record, in order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
    /// Notes that are not failures (e.g. a record without checkpoints).
    pub notes: Vec<String>,
}

impl Report {
    /// Whether every check held.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }

    fn ok(&mut self, name: &'static str, detail: String) {
        self.checks.push(Check {
            name,
            passed: true,
            detail,
        });
    }

    fn fail(&mut self, name: &'static str, detail: String) {
        self.checks.push(Check {
            name,
            passed: false,
            detail,
        });
    }

    fn outcome(&mut self, name: &'static str, result: Result<String, String>) {
        match result {
            Ok(detail) => self.ok(name, detail),
            Err(detail) => self.fail(name, detail),
        }
    }
}

/// An audit event as the export carries it.
#[derive(Debug, Clone, Deserialize)]
struct ExportEvent {
    chain: String,
    seq: i64,
    occurred_at: DateTime<Utc>,
    #[serde(flatten)]
    draft: AuditDraft,
    prev_hash: String,
    hash: String,
}

impl ExportEvent {
    fn chained(&self) -> ChainedEvent {
        ChainedEvent {
            chain: self.chain.clone(),
            seq: self.seq,
            occurred_at: self.occurred_at,
            draft: self.draft.clone(),
            prev_hash: self.prev_hash.clone(),
        }
    }
}

type Records = BTreeMap<String, BTreeMap<String, Value>>;

/// The rows the record vouches for: those in its `records` section, plus
/// those an audit event carries as its new value (the export does not
/// repeat them). An event's value is taken as its row only when it hashes to
/// the event's record hash, so nothing unproven enters.
fn rows_of(export: &RecordExport, events: &[ExportEvent]) -> Records {
    let mut records: Records =
        serde_json::from_value(section(export, "records").clone()).unwrap_or_default();
    for event in events {
        let (Some(hash), Some(value)) = (&event.draft.record_hash, &event.draft.new_value) else {
            continue;
        };
        let present = records
            .get(&event.draft.entity_type)
            .is_some_and(|rows| rows.contains_key(&event.draft.entity_id));
        if present {
            continue;
        }
        if let Ok(row) = serde_json::from_str::<Value>(value) {
            if row_hash(&event.draft.entity_type, &row).as_ref() == Ok(hash) {
                records
                    .entry(event.draft.entity_type.clone())
                    .or_default()
                    .insert(event.draft.entity_id.clone(), row);
            }
        }
    }
    records
}

fn section<'a>(export: &'a RecordExport, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    export.sections.get(name).unwrap_or(&NULL)
}

fn check_manifest(export: &RecordExport) -> Result<String, String> {
    let recomputed = Manifest::of(&export.sections);
    for (name, hash) in &recomputed.sections {
        if export.manifest.sections.get(name) != Some(hash) {
            return Err(format!(
                "section `{name}` does not match its hash in the manifest (altered after export)"
            ));
        }
    }
    if let Some(extra) = export
        .manifest
        .sections
        .keys()
        .find(|k| !recomputed.sections.contains_key(*k))
    {
        return Err(format!(
            "the manifest names a section `{extra}` the record does not carry (removed)"
        ));
    }
    if recomputed.record_sha256 != export.manifest.record_sha256 {
        return Err("the record hash does not match the section hashes".into());
    }
    Ok(format!(
        "{} sections match their SHA-256; record SHA-256 {}",
        recomputed.sections.len(),
        recomputed.record_sha256
    ))
}

fn events_of(export: &RecordExport) -> Result<Vec<ExportEvent>, String> {
    serde_json::from_value(section(export, "audit_trail").clone())
        .map_err(|e| format!("the audit trail cannot be read: {e}"))
}

fn check_chain(events: &[ExportEvent], batch_id: &str) -> Result<String, String> {
    let chain = format!("batch:{batch_id}");
    let mut verifier = ChainVerifier::default();
    for event in events {
        if event.chain != chain {
            return Err(format!(
                "event #{} belongs to chain `{}`, not to this batch's `{chain}`",
                event.seq, event.chain
            ));
        }
        verifier
            .check(&event.chained(), &event.hash)
            .map_err(|b| format!("chain `{}` event #{}: {}", b.chain, b.seq, b.problem))?;
    }
    Ok(format!(
        "{} events of `{chain}` from #1, gap-free, each hash recomputed",
        verifier.count()
    ))
}

fn row_hash(kind: &str, row: &Value) -> Result<String, String> {
    if kind == "signature" {
        let manifest: SignatureManifest = serde_json::from_value(row.clone())
            .map_err(|e| format!("a signature cannot be read: {e}"))?;
        return Ok(manifest.hash());
    }
    Ok(sha256_hex(
        to_canonical_json(row).unwrap_or_default().as_bytes(),
    ))
}

fn check_records(events: &[ExportEvent], records: &Records) -> Result<String, String> {
    let mut vouched = 0usize;
    for event in events {
        let Some(expected) = &event.draft.record_hash else {
            continue;
        };
        let row = records
            .get(&event.draft.entity_type)
            .and_then(|rows| rows.get(&event.draft.entity_id))
            .ok_or_else(|| {
                format!(
                    "{} {} vouched for by event #{} is missing from the record",
                    event.draft.entity_type, event.draft.entity_id, event.seq
                )
            })?;
        if &row_hash(&event.draft.entity_type, row)? != expected {
            return Err(format!(
                "{} {}: its content does not match the hash its audit event #{} carries (altered)",
                event.draft.entity_type, event.draft.entity_id, event.seq
            ));
        }
        vouched += 1;
    }
    let mut rows = 0usize;
    for (kind, by_id) in records {
        for id in by_id.keys() {
            rows += 1;
            let has_event = events.iter().any(|e| {
                e.draft.record_hash.is_some()
                    && &e.draft.entity_type == kind
                    && &e.draft.entity_id == id
            });
            if !has_event {
                return Err(format!(
                    "{kind} {id} is in the record but no audit event vouches for it (added)"
                ));
            }
        }
    }
    Ok(format!(
        "{rows} rows in {} kinds match the hashes of {vouched} audit events, both ways",
        records.len()
    ))
}

fn batch_identity(records: &Records, batch_id: &str) -> Result<(Uuid, String, String), String> {
    let row = records
        .get("batch")
        .and_then(|r| r.get(batch_id))
        .ok_or("the batch row is missing from the record")?;
    let id = Uuid::parse_str(batch_id).map_err(|e| format!("batch id: {e}"))?;
    Ok((
        id,
        row["batch_number"].as_str().unwrap_or_default().to_string(),
        row["mbr_content_sha256"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

/// Rebuilds what `sig` signed from the rows the record carries.
fn signed_record(
    sig: &SignatureManifest,
    records: &Records,
    events: &[ExportEvent],
    batch: BatchIdentity<'_>,
) -> Result<SignedRecord, String> {
    let rows = |kind: &str| records.get(kind).cloned().unwrap_or_default();
    match sig.record_type.as_str() {
        STEP_RECORD_TYPE => {
            let step = sig
                .record_id
                .split_once('/')
                .map(|(_, s)| s.to_string())
                .unwrap_or_default();
            let mut entries: Vec<(String, Uuid, SignedEntry)> = rows("entry")
                .values()
                .filter(|e| e["step_key"] == step.as_str())
                .filter_map(|e| {
                    let entry: SignedEntry = serde_json::from_value(e.clone()).ok()?;
                    Some((e["recorded_at"].as_str()?.to_string(), entry.id, entry))
                })
                .collect();
            entries.sort_by(|a, b| {
                let at = |t: &str| DateTime::parse_from_rfc3339(t).ok();
                (at(&a.0), a.1).cmp(&(at(&b.0), b.1))
            });
            let upto = usize::try_from(sig.record_version).unwrap_or(usize::MAX);
            let at_signing: Vec<SignedEntry> =
                entries.into_iter().take(upto).map(|(_, _, e)| e).collect();
            Ok(step_record(batch, &step, &at_signing))
        }
        BATCH_RECORD_TYPE => {
            let head = events
                .iter()
                .find(|e| e.seq == sig.record_version)
                .map(|e| e.hash.clone())
                .unwrap_or_default();
            Ok(batch_record(batch, sig.record_version, &head))
        }
        DEVIATION_RECORD_TYPE => {
            let id = Uuid::parse_str(&sig.record_id).map_err(|e| e.to_string())?;
            let deviation = rows("deviation")
                .get(&sig.record_id)
                .cloned()
                .ok_or_else(|| format!("deviation {} is missing from the record", sig.record_id))?;
            let revision = rows("deviation_revision")
                .values()
                .find(|r| {
                    r["deviation_id"] == sig.record_id.as_str()
                        && r["revision"].as_i64() == Some(sig.record_version)
                })
                .cloned()
                .unwrap_or(Value::Null);
            Ok(deviation_record(
                id,
                &deviation,
                &revision,
                sig.record_version,
            ))
        }
        QC_RECORD_TYPE => {
            let id = Uuid::parse_str(&sig.record_id).map_err(|e| e.to_string())?;
            let result = rows("qc_result")
                .get(&sig.record_id)
                .cloned()
                .ok_or_else(|| format!("QC result {} is missing from the record", sig.record_id))?;
            Ok(qc_record(id, &result))
        }
        other => Err(format!(
            "signature {} is on an unknown record type `{other}`",
            sig.id
        )),
    }
}

fn check_signatures(
    records: &Records,
    events: &[ExportEvent],
    batch_id: &str,
) -> Result<String, String> {
    let (id, number, mbr) = batch_identity(records, batch_id)?;
    let batch = BatchIdentity {
        id,
        number: &number,
        mbr_content_sha256: &mbr,
    };
    let mut count = 0usize;
    for row in records
        .get("signature")
        .into_iter()
        .flat_map(|m| m.values())
    {
        let sig: SignatureManifest = serde_json::from_value(row.clone())
            .map_err(|e| format!("a signature cannot be read: {e}"))?;
        let record = signed_record(&sig, records, events, batch)?;
        if !sig.matches(&record) {
            return Err(format!(
                "signature {} ({} by {} at {}) does not match the {} {} it signed",
                sig.id,
                sig.meaning.as_str(),
                sig.printed_name,
                sig.signed_at,
                sig.record_type,
                sig.record_id
            ));
        }
        count += 1;
    }
    Ok(format!(
        "{count} signatures each bound to the record they signed (rebuilt from its rows)"
    ))
}

fn check_checkpoints(
    export: &RecordExport,
    events: &[ExportEvent],
    batch_id: &str,
    key: Option<&PublicKey>,
    notes: &mut Vec<String>,
) -> Result<String, String> {
    let list: Vec<SignedCheckpoint> =
        serde_json::from_value(section(export, "checkpoints").clone())
            .map_err(|e| format!("the checkpoints cannot be read: {e}"))?;
    if list.is_empty() {
        notes.push("the record carries no checkpoint: its audit chain is not anchored outside the database (none is made before QA review, or the site signs none)".into());
        return Ok("no checkpoint in the record".into());
    }
    let Some(key) = key else {
        let ids: Vec<&str> = list.iter().map(|c| c.checkpoint.key_id.as_str()).collect();
        return Err(format!(
            "the record carries {} checkpoint(s) signed by key {}: give its public key with --public-key FILE",
            list.len(),
            ids.join(", ")
        ));
    };
    let chain = format!("batch:{batch_id}");
    for signed in &list {
        let c = &signed.checkpoint;
        let name = format!("checkpoint of {} ({})", c.at.to_rfc3339(), c.reason);
        key.verify(signed).map_err(|e| format!("{name}: {e}"))?;
        let head = c
            .chains
            .get(&chain)
            .ok_or_else(|| format!("{name} does not cover this batch's chain"))?;
        let event = events
            .iter()
            .find(|e| e.seq == head.seq)
            .ok_or_else(|| format!("{name} recorded `{chain}` up to event #{}, which the record does not carry (events were removed)", head.seq))?;
        if event.hash != head.hash {
            return Err(format!(
                "{name}: event #{} of the record is not the event the checkpoint signed (the chain was rewritten)",
                head.seq
            ));
        }
    }
    Ok(format!(
        "{} checkpoint(s) verify with key {} and the batch chain extends each",
        list.len(),
        key.id()
    ))
}

/// Verifies a record export: the manifest, the audit chain, every record
/// hash both ways, every signature's binding to what it signed and the
/// checkpoints (with `key`).
pub fn verify_export(export: &RecordExport, key: Option<&PublicKey>) -> Report {
    let mut report = Report::default();
    report.outcome("manifest", check_manifest(export));
    let batch_id = section(export, "batch")["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let events = match events_of(export) {
        Ok(events) => events,
        Err(e) => {
            report.fail("audit chain", e);
            return report;
        }
    };
    report.outcome("audit chain", check_chain(&events, &batch_id));
    let records = rows_of(export, &events);
    report.outcome("record hashes", check_records(&events, &records));
    report.outcome("signatures", check_signatures(&records, &events, &batch_id));
    let mut notes = Vec::new();
    let checkpoints = check_checkpoints(export, &events, &batch_id, key, &mut notes);
    report.outcome("checkpoints", checkpoints);
    report.notes.extend(notes);
    report
}

/// Verifies an export given as JSON text.
pub fn verify_json(text: &str, key: Option<&PublicKey>) -> Report {
    match RecordExport::parse(text) {
        Ok(export) => verify_export(&export, key),
        Err(e) => {
            let mut report = Report::default();
            report.fail("format", e);
            report
        }
    }
}

/// The embedded files of a PDF by name (decompressed).
pub fn embedded_files(pdf: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let doc = lopdf::Document::load_mem(pdf).map_err(|e| format!("not a readable PDF: {e}"))?;
    let catalog = doc
        .catalog()
        .map_err(|e| format!("the PDF has no catalog: {e}"))?;
    let af = catalog
        .get(b"AF")
        .and_then(lopdf::Object::as_array)
        .map_err(|_| "the PDF carries no associated files (not an ebr record PDF)".to_string())?;
    let mut out = BTreeMap::new();
    for spec in af {
        let spec = match spec {
            lopdf::Object::Reference(id) => doc.get_dictionary(*id),
            lopdf::Object::Dictionary(d) => Ok(d),
            _ => continue,
        }
        .map_err(|e| format!("an associated file cannot be read: {e}"))?;
        let name = spec
            .get(b"F")
            .and_then(lopdf::Object::as_str)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let stream = spec
            .get(b"EF")
            .and_then(lopdf::Object::as_dict)
            .and_then(|ef| ef.get(b"F"))
            .and_then(lopdf::Object::as_reference)
            .and_then(|id| doc.get_object(id))
            .and_then(lopdf::Object::as_stream)
            .map_err(|e| format!("embedded file {name} cannot be read: {e}"))?;
        let bytes = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        out.insert(name, bytes);
    }
    Ok(out)
}

/// Verifies a record PDF: its embedded `record.json` as an export, that the
/// embedded manifest is the record's, and that the PDF is, byte for byte,
/// what that record renders to (so neither its printed text nor its
/// metadata was edited).
pub fn verify_pdf(pdf: &[u8], key: Option<&PublicKey>) -> Report {
    let mut report = Report::default();
    let files = match embedded_files(pdf) {
        Ok(files) => files,
        Err(e) => {
            report.fail("embedded record", e);
            return report;
        }
    };
    let Some(json) = files
        .get(crate::pdf::EMBEDDED_RECORD)
        .and_then(|b| String::from_utf8(b.clone()).ok())
    else {
        report.fail(
            "embedded record",
            "the PDF does not carry record.json".into(),
        );
        return report;
    };
    report.ok(
        "embedded record",
        format!("record.json ({} bytes) read from the PDF", json.len()),
    );
    let inner = verify_json(&json, key);
    let export = RecordExport::parse(&json).ok();
    report.checks.extend(inner.checks);
    report.notes.extend(inner.notes);
    let manifest_ok = match (files.get(crate::pdf::EMBEDDED_MANIFEST), &export) {
        (Some(bytes), Some(export)) => {
            serde_json::from_slice::<Manifest>(bytes).ok().as_ref() == Some(&export.manifest)
        }
        _ => false,
    };
    if manifest_ok {
        report.ok(
            "embedded manifest",
            "manifest.json is the record's manifest".into(),
        );
    } else {
        report.fail(
            "embedded manifest",
            "manifest.json is missing or differs from the record's manifest".into(),
        );
    }
    match crate::pdf::render(&json) {
        Ok(rendered) if rendered == pdf => report.ok(
            "pages",
            "the PDF is byte for byte what its embedded record renders to: every printed page, the printed record hash and the metadata".into(),
        ),
        Ok(_) => {
            let made_by = export.map(|e| e.generator).unwrap_or_default();
            report.fail(
                "pages",
                format!(
                    "the PDF's pages or metadata differ from what its embedded record renders to: the printed record was edited (record made by {made_by}, this verifier is ebr_record {})",
                    env!("CARGO_PKG_VERSION")
                ),
            );
        }
        Err(e) => report.fail("pages", format!("the embedded record cannot be rendered: {e}")),
    }
    report
}

/// Verifies a file: a PDF when it starts with `%PDF`, otherwise a JSON export.
pub fn verify_bytes(bytes: &[u8], key: Option<&PublicKey>) -> Report {
    if bytes.starts_with(b"%PDF") {
        verify_pdf(bytes, key)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => verify_json(text, key),
            Err(_) => {
                let mut report = Report::default();
                report.fail("format", "neither a PDF nor a JSON record export".into());
                report
            }
        }
    }
}

/// The report as lines a person reads: one per check, then the notes.
pub fn render_report(report: &Report) -> String {
    let mut out = String::new();
    for check in &report.checks {
        let mark = if check.passed { "ok  " } else { "FAIL" };
        out.push_str(&format!("{mark} {}: {}\n", check.name, check.detail));
    }
    for note in &report.notes {
        out.push_str(&format!("note {note}\n"));
    }
    out.push_str(if report.passed() {
        "record VERIFIED\n"
    } else {
        "record NOT verified\n"
    });
    out
}
