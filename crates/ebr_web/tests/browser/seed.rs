//! Batches for the journeys, worked directly through the repositories (as
//! `ebr demo` does) up to the step where the browser takes over.

use anyhow::{anyhow, Result};
use ebr_db::repo::{batches, mbr, people, person_actor};
use ebr_domain::mbr::{MasterBatchRecord, MbrStatus};
use ebr_web::clock::Clock;
use ebr_web::commands::demo::floor::{lot_of, perform_steps, ten_vials, Pace};
use uuid::Uuid;

use crate::harness::Site;

/// The reference MBR and its effective version id.
pub fn effective_mbr(site: &Site) -> Result<(Uuid, MasterBatchRecord)> {
    let mut conn = site.db.connection();
    let (row, _) = mbr::list(&mut conn)?
        .into_iter()
        .find(|(_, status)| *status == MbrStatus::Effective)
        .ok_or_else(|| anyhow!("no effective MBR after ebr demo"))?;
    let (_, content) = mbr::load(&mut conn, row.id)?;
    Ok((row.id, content))
}

/// Issues batch `number` (by the QA reviewer) and performs and verifies every
/// step before `stop_at` as the demo operators do (zhang.wei performs,
/// maria.garcia verifies). Returns the batch id.
pub fn batch_until(site: &Site, number: &str, stop_at: &str) -> Result<Uuid> {
    let (version, content) = effective_mbr(site)?;
    let mut conn = site.db.connection();
    let person = |conn: &mut ebr_db::PgConnection, u: &str| -> Result<people::PersonState> {
        let row = people::find_by_username(conn, u)?.ok_or_else(|| anyhow!("no {u}"))?;
        Ok(people::state(conn, row.id)?)
    };
    let qa = person(&mut conn, "wang.fang")?;
    let operator = person(&mut conn, "zhang.wei")?;
    let verifier = person(&mut conn, "maria.garcia")?;
    let now = site.clock.now();
    let batch = batches::issue(
        &mut conn,
        number,
        version,
        &lot_of("WCB-IPSC"),
        "WCB-0042-V20",
        &person_actor(qa.person.id),
        now,
    )?;
    perform_steps(
        &mut conn,
        batch.id,
        &content,
        Some(stop_at),
        &operator,
        &verifier,
        &Pace::At(now),
        ten_vials,
    )?;
    Ok(batch.id)
}
