//! Load: concurrent operators recording and signing for a bounded time.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{assert_no_failures, full, run_workload, save_result, summary, Site};

/// R5, R21: under load every write is answered without a 5xx, every
/// acknowledged entry and signature is stored with its audit event, and the
/// chains verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r5_r21_load_zero_5xx_and_every_acknowledged_write_stored() {
    let site = Site::new("load").await;
    let (operators, secs, batches_each) = if full() { (16, 60, 8) } else { (4, 6, 4) };
    let groups = site.solo_groups(operators, "BR-LOAD", batches_each).await;
    let started = Instant::now();
    let tally = run_workload(
        groups,
        started + Duration::from_secs(secs),
        Arc::new(AtomicBool::new(false)),
    )
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let line = summary(&format!("load, {operators} operators"), &tally, elapsed);
    eprintln!("{line}");
    assert_no_failures(&tally, &[]);
    assert_eq!(tally.no_answer, 0, "requests without an answer under load");
    assert!(
        tally.signatures.len() >= operators,
        "too little work was done: {tally:?}"
    );
    site.assert_intact(&tally);
    save_result(
        "load",
        "load",
        line,
        "zero 5xx; every acknowledged write stored; `ebr audit verify` passes",
    );
}
