//! A factory floor for measuring: the demo people, the approved benchmark
//! MBR, and batches issued from it.

use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::operator::{Operator, DEMO_PASSWORD};
use crate::server::ebr;

/// The approved benchmark MBR and who can issue batches from it.
pub struct Floor {
    /// The benchmark MBR version id.
    pub mbr_id: String,
    /// QA (wang.fang), logged in: issues batches.
    pub qa: Operator,
    wcb_lot: String,
}

/// Seeds the demo data (people, registries, two demo batches) into `db_url`.
pub fn seed(bin: &Path, db_url: &str) -> Result<(), crate::Error> {
    ebr(bin, db_url, &["migrate"])?;
    ebr(bin, db_url, &["demo"])?;
    Ok(())
}

impl Floor {
    /// Imports the benchmark MBR as its author and approves it as QA, on the
    /// server at `base` (whose database was [`seed`]ed).
    pub async fn prepare(base: &str) -> Result<Floor, crate::Error> {
        Floor::prepare_with(base, crate::bench_mbr::toml()?).await
    }

    /// [`Floor::prepare`] with a given MBR text (the baseline server of a
    /// same-run comparison gets one it can read).
    pub async fn prepare_with(base: &str, mbr: String) -> Result<Floor, crate::Error> {
        let author = Operator::login(base, "sam.okafor", DEMO_PASSWORD).await?;
        let (status, body) = author
            .post_raw("/api/v1/mbrs", "application/toml", mbr)
            .await?;
        if status != 201 && status != 200 {
            bail!("import of the benchmark MBR: {status} {body}");
        }
        let r: Value = serde_json::from_str(&body)?;
        let mbr_id = r
            .get("id")
            .and_then(Value::as_str)
            .context("MBR import answered without an id")?
            .to_string();
        let qa = Operator::login(base, "wang.fang", DEMO_PASSWORD).await?;
        let (status, body) = post_json(
            &qa,
            &format!("/api/v1/mbrs/{mbr_id}/signatures"),
            &json!({ "meaning": "approved", "username": "wang.fang", "password": DEMO_PASSWORD }),
        )
        .await?;
        if status != 201 {
            bail!("approval of the benchmark MBR: {status} {body}");
        }
        let (status, lots) = qa.get("/api/v1/materials").await;
        if status != 200 {
            bail!("listing material lots: {status} {lots}");
        }
        let lots: Value = serde_json::from_str(&lots)?;
        let wcb_lot = lots
            .as_array()
            .and_then(|a| {
                a.iter().find(|l| {
                    l.get("material_code").and_then(Value::as_str) == Some("WCB-IPSC")
                        && l.get("status").and_then(Value::as_str) == Some("released")
                })
            })
            .and_then(|l| l.get("lot_number"))
            .and_then(Value::as_str)
            .context("no released WCB-IPSC lot: was the database seeded with `ebr demo`?")?
            .to_string();
        Ok(Floor {
            mbr_id,
            qa,
            wcb_lot,
        })
    }

    /// Issues batch `number` of the benchmark MBR; returns its id.
    pub async fn issue(&self, number: &str) -> Result<String, crate::Error> {
        let (status, body) = post_json(
            &self.qa,
            "/api/v1/batches",
            &json!({ "batch_number": number, "mbr_version_id": self.mbr_id,
                     "wcb_lot_number": self.wcb_lot, "wcb_vial": format!("{number}-WCB") }),
        )
        .await?;
        if status != 201 {
            bail!("issuing {number}: {status} {body}");
        }
        let v: Value = serde_json::from_str(&body)?;
        Ok(v.get("id")
            .and_then(Value::as_str)
            .context("issue answered without an id")?
            .to_string())
    }

    /// Issues `n` batches numbered `<prefix>-0001`…; returns their ids.
    pub async fn issue_many(&self, prefix: &str, n: usize) -> Result<Vec<String>, crate::Error> {
        let mut ids = Vec::with_capacity(n);
        for i in 1..=n {
            ids.push(self.issue(&format!("{prefix}-{i:04}")).await?);
        }
        Ok(ids)
    }
}

async fn post_json(
    who: &Operator,
    path: &str,
    body: &Value,
) -> Result<(u16, String), crate::Error> {
    who.post_raw(path, "application/json", serde_json::to_string(body)?)
        .await
}
