//! Crash: kill -9 the server repeatedly during a write load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{assert_no_failures, full, run_workload, save_result, summary, Site};

/// R5, R21: after every kill -9 and restart, every acknowledged write is
/// present, no entry or signature lacks its audit event, no chain has a gap,
/// and `ebr audit verify` passes. Sessions survive the restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r5_r21_kill_9_during_writes_loses_nothing_acknowledged() {
    let mut site = Site::new("crash").await;
    let kills = if full() { 20 } else { 3 };
    let groups = site.solo_groups(4, "BR-CRASH", 6).await;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writers = tokio::spawn(run_workload(
        groups,
        started + Duration::from_secs(3600),
        stop.clone(),
    ));
    // Kill at varying moments: 300–1,100 ms apart, from a fixed sequence.
    let mut pause = 300u64;
    for k in 0..kills {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        pause = 300 + (pause * 7 + 131) % 800;
        site.server.kill9();
        tokio::time::sleep(Duration::from_millis(100)).await;
        site.server
            .restart()
            .await
            .unwrap_or_else(|e| panic!("restart after kill {}: {e}", k + 1));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.store(true, Ordering::Relaxed);
    let tally = writers.await.unwrap();
    let line = summary(
        &format!("{kills} × kill -9 and restart"),
        &tally,
        started.elapsed().as_secs_f64(),
    );
    eprintln!("{line}");
    assert_no_failures(&tally, &[]);
    assert!(
        tally.no_answer > 0,
        "no request was cut off: the kills did not hit the load"
    );
    assert!(
        tally.acknowledged() > kills,
        "too little work was done: {tally:?}"
    );
    site.assert_intact(&tally);
    save_result("crash", "crash", line, "every acknowledged write present; no entry or signature without its audit event; no chain gap; `ebr audit verify` passes");
}
