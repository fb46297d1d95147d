//! Several web nodes: two `ebr serve` processes on one database.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ebr_evidence::server::Server;

use crate::common::{assert_no_failures, full, run_workload, save_result, summary, Site};

/// R5, R1: a session opened on one node works on the other, and two
/// operators writing to the same batches through both nodes at once keep
/// every audit chain gap-free and verifiable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r1_r5_two_nodes_share_sessions_and_keep_chains_gap_free() {
    let site = Site::new("node-a").await;
    let b = Server::start(&site.bin, &site.url, "node-b").await.unwrap();
    let (a_base, b_base) = (site.server.base(), b.base());

    // A session from node A on node B, and from B on A.
    let zhang_a = site.operators(&a_base, 1).await.remove(0);
    let zhang_b = zhang_a.on(&b_base);
    let (status, body) = zhang_b.get("/api/v1/session").await;
    assert_eq!(status, 200, "a node-A session on node B: {body}");
    assert!(body.contains("zhang.wei"), "{body}");
    let maria_b = ebr_evidence::operator::Operator::login(
        &b_base,
        "maria.garcia",
        ebr_evidence::operator::DEMO_PASSWORD,
    )
    .await
    .unwrap();
    let maria_a = maria_b.on(&a_base);
    assert_eq!(maria_a.get("/api/v1/session").await.0, 200);

    // Two groups per batch list: both people, alternating nodes, same batches.
    let secs = if full() { 30 } else { 5 };
    let shared = site.floor.issue_many("BR-2NODE", 6).await.unwrap();
    let groups = vec![
        (vec![zhang_a.clone(), zhang_b.clone()], shared.clone()),
        (vec![maria_b.clone(), maria_a.clone()], shared.clone()),
        (
            vec![zhang_b, maria_a],
            shared.iter().rev().cloned().collect(),
        ),
        (
            vec![maria_b, zhang_a],
            shared.iter().rev().cloned().collect(),
        ),
    ];
    let started = Instant::now();
    let tally = run_workload(
        groups,
        started + Duration::from_secs(secs),
        Arc::new(AtomicBool::new(false)),
    )
    .await;
    let line = summary(
        "two nodes, both people on the same batches",
        &tally,
        started.elapsed().as_secs_f64(),
    );
    eprintln!("{line}");
    assert_no_failures(&tally, &[]);
    assert!(tally.already_done > 0, "the two people never met on a step");
    assert!(
        tally.signatures.len() > 4,
        "too little work was done: {tally:?}"
    );
    site.assert_intact(&tally);
    save_result(
        "two-nodes",
        "two `ebr serve` nodes on one database",
        line,
        "a session works on either node; zero 5xx; gap-free chains; `ebr audit verify` passes",
    );
    drop(b);
}
