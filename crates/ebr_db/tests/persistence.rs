//! Persistence against a real PostgreSQL: MBR import, append-only guards and
//! the audit chain.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly; helpers outside #[test] functions included"
)]

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use ebr_db::repo::{audit, mbr};
use ebr_domain::audit::{verify_chain, SYSTEM_CHAIN};
use ebr_domain::mbr::{parse_toml, MbrStatus};
use ebr_testdb::TestDatabase;

const REFERENCE: &str = include_str!("../../../fixtures/mbr/mnp-als-v1.toml");

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123456789Z")
        .unwrap()
        .to_utc()
}

#[test]
fn importing_the_reference_mbr_stores_a_draft_with_hash_and_audit_event() {
    let db = TestDatabase::new();
    let mut conn = db.connection();
    let reference = parse_toml(REFERENCE).unwrap();
    let mbr::ImportOutcome::Created(row) =
        mbr::import_draft(&mut conn, &reference, "system:test", now()).unwrap()
    else {
        panic!("expected a new version");
    };
    assert_eq!((row.code.as_str(), row.version), ("MBR-MNP-001", 1));
    assert_eq!(row.content_sha256, reference.content_hash());
    assert_eq!(
        mbr::current_status(&mut conn, row.id).unwrap(),
        MbrStatus::Draft
    );
    let (_, loaded) = mbr::load(&mut conn, row.id).unwrap();
    assert_eq!(loaded, reference);

    // Same content again: nothing new stored.
    assert!(matches!(
        mbr::import_draft(&mut conn, &reference, "system:test", now()).unwrap(),
        mbr::ImportOutcome::AlreadyPresent(_)
    ));
    // Changed content: version 2.
    let mut changed = reference.clone();
    changed.title.push_str(" (rev.)");
    let mbr::ImportOutcome::Created(v2) =
        mbr::import_draft(&mut conn, &changed, "system:test", now()).unwrap()
    else {
        panic!("expected version 2");
    };
    assert_eq!(v2.version, 2);

    // Per version: the import (vouching for the version) and its draft
    // status row (vouching for that row).
    let events = audit::chain_events(&mut conn, SYSTEM_CHAIN).unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[1].action, "mbr.draft");
    assert_eq!(
        events[0].record_hash.as_deref(),
        Some(row.content_sha256.as_str())
    );
    let chained: Vec<_> = events
        .iter()
        .map(|e| (e.to_chained(), e.hash.clone()))
        .collect();
    assert_eq!(
        verify_chain(chained.iter().map(|(e, h)| (e, h.as_str()))),
        Ok(4)
    );
}

/// R5 / R3: PostgreSQL itself refuses UPDATE, DELETE and TRUNCATE on recorded data.
#[test]
fn r5_recorded_tables_refuse_update_delete_and_truncate() {
    let db = TestDatabase::new();
    let mut conn = db.connection();
    let reference = parse_toml(REFERENCE).unwrap();
    mbr::import_draft(&mut conn, &reference, "system:test", now()).unwrap();
    for table in ["mbr_versions", "mbr_status_events", "audit_events"] {
        for statement in [
            format!("UPDATE {table} SET id = id"),
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table} CASCADE"),
        ] {
            let err = diesel::sql_query(&statement)
                .execute(&mut conn)
                .unwrap_err();
            assert!(
                err.to_string().contains("append-only"),
                "{statement}: {err}"
            );
        }
    }
}

/// R1: an out-of-band edit of an MBR's stored content is detected on load.
#[test]
fn r1_altered_mbr_content_is_detected() {
    let db = TestDatabase::new();
    let mut conn = db.connection();
    let reference = parse_toml(REFERENCE).unwrap();
    let mbr::ImportOutcome::Created(row) =
        mbr::import_draft(&mut conn, &reference, "system:test", now()).unwrap()
    else {
        panic!()
    };
    // A superuser disables the guard and edits the content.
    diesel::sql_query("ALTER TABLE mbr_versions DISABLE TRIGGER mbr_versions_no_update")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("UPDATE mbr_versions SET content = replace(content, '\"70\"', '\"60\"')")
        .execute(&mut conn)
        .unwrap();
    let err = mbr::load(&mut conn, row.id).unwrap_err();
    assert!(
        err.to_string().contains("does not match its content hash"),
        "{err}"
    );
}

#[test]
fn concurrent_imports_get_distinct_versions_and_a_gap_free_chain() {
    let db = TestDatabase::new();
    let reference = parse_toml(REFERENCE).unwrap();
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let url = db.url().to_string();
            let mut m = reference.clone();
            m.title = format!("{} #{i}", m.title);
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                mbr::import_draft(&mut conn, &m, "system:test", now()).unwrap()
            })
        })
        .collect();
    let mut versions: Vec<i32> = handles
        .into_iter()
        .map(|h| match h.join().unwrap() {
            mbr::ImportOutcome::Created(r) => r.version,
            mbr::ImportOutcome::AlreadyPresent(_) => panic!("distinct content"),
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6]);
    let mut conn = db.connection();
    let events = audit::chain_events(&mut conn, SYSTEM_CHAIN).unwrap();
    let chained: Vec<_> = events
        .iter()
        .map(|e| (e.to_chained(), e.hash.clone()))
        .collect();
    assert_eq!(
        verify_chain(chained.iter().map(|(e, h)| (e, h.as_str()))),
        Ok(12),
        "an import and a draft status event per version"
    );
}

/// R5: the application's database role (every pooled connection) can neither
/// update nor delete recorded data, nor disable or drop the guarding triggers.
#[test]
fn r5_the_application_role_cannot_rewrite_data_or_drop_guards() {
    #[derive(diesel::QueryableByName)]
    struct Who {
        #[diesel(sql_type = diesel::sql_types::Text)]
        who: String,
    }
    let db = TestDatabase::new();
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let who: Who = diesel::sql_query("SELECT current_user::text AS who")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(who.who, "ebr_app");
    let tables = [
        "audit_events",
        "mbr_versions",
        "mbr_status_events",
        "people",
        "role_changes",
        "password_credentials",
        "signatures",
        "batches",
        "entries",
        "batch_exceptions",
        "deviations",
        "material_lots",
        "equipment",
        "donors",
        "donor_eligibility",
        "cell_bank_releases",
        "labels",
        "label_events",
        "storage_locations",
        "vial_storage_events",
        "shipments",
        "shipment_events",
        "administrations",
    ];
    for table in tables {
        for statement in [
            format!("UPDATE {table} SET id = id"),
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table}"),
            format!("ALTER TABLE {table} DISABLE TRIGGER ALL"),
            format!("DROP TRIGGER {table}_no_update ON {table}"),
            format!("DROP TABLE {table}"),
        ] {
            let err = diesel::sql_query(&statement)
                .execute(&mut conn)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("permission denied") || err.contains("must be owner"),
                "{statement}: {err}"
            );
        }
    }
    // Sessions are bookkeeping: the role may update their activity columns only.
    let err = diesel::sql_query("UPDATE sessions SET person_id = person_id")
        .execute(&mut conn)
        .unwrap_err()
        .to_string();
    assert!(err.contains("permission denied"), "{err}");
}
