//! Concurrent writers: on one batch they never produce duplicates or lost
//! updates (the loser gets a clear conflict), and on several batches every
//! chain stays gap-free and verifiable.

use ebr_domain::audit::{verify_chain, SYSTEM_CHAIN};
use futures::future::join_all;
use serde_json::json;

use crate::batch_helpers::{good_values, reference, Floor};
use crate::helpers::PASSWORD;

fn verify_all(floor: &Floor) -> usize {
    let mut conn = floor.app.db().connection();
    let mut chains = 0;
    for chain in ebr_db::repo::audit::chains(&mut conn).unwrap() {
        let events = ebr_db::repo::audit::chain_events(&mut conn, &chain).unwrap();
        let chained: Vec<_> = events
            .iter()
            .map(|e| (e.to_chained(), e.hash.clone()))
            .collect();
        let n = verify_chain(chained.iter().map(|(e, h)| (e, h.as_str())))
            .unwrap_or_else(|b| panic!("{b:?}"));
        assert_eq!(n as usize, events.len());
        chains += 1;
    }
    assert_eq!(
        ebr_db::repo::integrity::verify_record_hashes(&mut conn).unwrap(),
        vec![]
    );
    assert_eq!(
        ebr_db::repo::integrity::verify_signatures(&mut conn).unwrap(),
        vec![]
    );
    chains
}

/// Eight simultaneous attempts to sign the same step: exactly one signature,
/// seven conflicts. Eight simultaneous values for one field: one entry.
#[tokio::test]
async fn concurrent_signers_and_recorders_on_one_step_never_duplicate() {
    let floor = Floor::new().await;
    let batch = floor.issue("BR-CONC-1").await;
    let step = reference().step("s0-issue-record").unwrap().clone();

    let url = floor.app.url(&format!(
        "/api/v1/batches/{batch}/steps/{}/entries",
        step.key
    ));
    let attempts = (0..8).map(|i| {
        let client = if i % 2 == 0 {
            floor.operator.clone()
        } else {
            floor.verifier.clone()
        };
        let url = url.clone();
        let values = good_values(&step);
        async move {
            client
                .post(url)
                .json(&json!({ "values": values }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(floor.app.count("entries"), 2);

    let url = floor.app.url(&format!(
        "/api/v1/batches/{batch}/steps/{}/signatures",
        step.key
    ));
    let attempts = (0..8).map(|i| {
        let (client, username) = if i % 2 == 0 {
            (floor.operator.clone(), "zhang.wei")
        } else {
            (floor.verifier.clone(), "maria.garcia")
        };
        let url = url.clone();
        async move {
            client
                .post(url)
                .json(
                    &json!({ "meaning": "performed", "username": username, "password": PASSWORD }),
                )
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    let detail = floor.batch(&batch).await;
    assert_eq!(
        detail["steps"][0]["signatures"].as_array().unwrap().len(),
        1
    );
    verify_all(&floor);
}

/// Four batches worked in parallel: every chain gap-free and verifiable.
#[tokio::test]
async fn parallel_batches_keep_gap_free_verifiable_chains() {
    let floor = Floor::new().await;
    let mut batches = Vec::new();
    for i in 0..4 {
        batches.push(floor.issue(&format!("BR-PAR-{i}")).await);
    }
    join_all(
        batches
            .iter()
            .map(|b| floor.complete_until(b, "s1-dilute-spin")),
    )
    .await;
    for b in &batches {
        let detail = floor.batch(b).await;
        assert_eq!(detail["current_step"], "s1-dilute-spin");
    }
    let chains = verify_all(&floor);
    assert_eq!(chains, 5, "a chain per batch and the system chain");
    let mut conn = floor.app.db().connection();
    assert!(!ebr_db::repo::audit::chain_events(&mut conn, SYSTEM_CHAIN)
        .unwrap()
        .is_empty());
}
