//! What the database itself says after a run: every acknowledged write is
//! there, nothing is half-written, and every audit chain verifies.

use std::path::Path;

use anyhow::bail;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::server::ebr;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str, ids: &[String]) -> Result<i64, crate::Error> {
    let joined = ids.join(",");
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(joined)
        .get_result::<Count>(conn)?
        .n)
}

/// Fails unless every id in `entries` is a stored entry and every id in
/// `signatures` a stored signature.
pub fn acknowledged_present(
    db_url: &str,
    entries: &[String],
    signatures: &[String],
) -> Result<(), crate::Error> {
    let mut conn = PgConnection::establish(db_url)?;
    for (table, what, ids) in [
        ("entries", "entries", entries),
        ("signatures", "signatures", signatures),
    ] {
        let found = count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM {table} WHERE id::text = ANY(string_to_array($1, ','))"
            ),
            ids,
        )?;
        if found != ids.len() as i64 {
            bail!(
                "{} of {} acknowledged {what} are missing",
                ids.len() as i64 - found,
                ids.len()
            );
        }
    }
    Ok(())
}

/// Fails if any entry or signature lacks its audit event, or any audit chain
/// has a gap or a duplicate in its sequence numbers.
pub fn nothing_half_written(db_url: &str) -> Result<(), crate::Error> {
    let mut conn = PgConnection::establish(db_url)?;
    let checks = [
        (
            "entries without an audit event",
            "SELECT count(*) AS n FROM entries e WHERE NOT EXISTS \
             (SELECT 1 FROM audit_events a WHERE a.entity_type = 'entry' AND a.entity_id = e.id::text)",
        ),
        (
            "signatures without an audit event",
            "SELECT count(*) AS n FROM signatures s WHERE NOT EXISTS \
             (SELECT 1 FROM audit_events a WHERE a.entity_type = 'signature' AND a.entity_id = s.id::text)",
        ),
        (
            "audit chains whose sequence is not 1..n",
            "SELECT count(*) AS n FROM (SELECT chain FROM audit_events GROUP BY chain \
             HAVING min(seq) <> 1 OR max(seq) <> count(*) OR count(DISTINCT seq) <> count(*)) c",
        ),
    ];
    for (what, sql) in checks {
        let n = diesel::sql_query(sql).get_result::<Count>(&mut conn)?.n;
        if n != 0 {
            bail!("{n} {what}");
        }
    }
    Ok(())
}

/// Runs the real `ebr audit verify`; fails with its report unless it passes.
pub fn audit_verifies(bin: &Path, db_url: &str) -> Result<String, crate::Error> {
    ebr(bin, db_url, &["audit", "verify"])
}
