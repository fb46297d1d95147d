//! PostgreSQL restarted under load: 503 problems while it is down, then the
//! server recovers by itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{assert_no_failures, pg, run_workload, save_result, summary, Site};

const CLUSTER: &str = "resilience";
const PORT: &str = "54331";

/// R5, R21: while PostgreSQL is stopped, the running server answers 503
/// problem+json (never 500, never a hang); once PostgreSQL is back it serves
/// again without a restart, and no acknowledged write is lost. Uses its own
/// cluster (.pg/resilience, port 54331), so the shared test cluster and the
/// tests running beside it are never touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r5_r21_database_restart_under_load_503_then_self_recovery() {
    pg(&["up", CLUSTER, PORT, "test"]);
    let base_url = pg(&["url", CLUSTER, PORT]);
    let admin = base_url.rsplit_once('/').unwrap().0.to_string();
    let mut conn =
        <diesel::PgConnection as diesel::Connection>::establish(&format!("{admin}/postgres"))
            .unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query("DROP DATABASE IF EXISTS ebr_restart WITH (FORCE)"),
        &mut conn,
    )
    .unwrap();
    diesel::RunQueryDsl::execute(diesel::sql_query("CREATE DATABASE ebr_restart"), &mut conn)
        .unwrap();
    drop(conn);
    let site = Site::on(None, format!("{admin}/ebr_restart"), "db-restart").await;
    let groups = site.solo_groups(4, "BR-PGRS", 6).await;
    let probe = groups[0].0[0].clone();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writers = tokio::spawn(run_workload(
        groups,
        started + Duration::from_secs(3600),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;

    pg(&["down", CLUSTER]);
    let down_at = Instant::now();
    let mut seen_503 = 0;
    while down_at.elapsed() < Duration::from_secs(10) {
        for path in ["/readyz", "/api/v1/batches"] {
            let r = reqwest::get(site.server.url(path)).await;
            let (status, ct) = match &r {
                Ok(r) => (
                    r.status().as_u16(),
                    r.headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string(),
                ),
                Err(e) => panic!("{path} gave no answer while the database was down: {e}"),
            };
            if path == "/readyz" {
                assert_eq!(status, 503, "/readyz while the database is down");
            }
            if status == 503 {
                assert_eq!(ct, "application/problem+json", "{path}");
                seen_503 += 1;
            }
        }
        let (status, body) = probe.get("/api/v1/batches").await;
        assert_eq!(
            status, 503,
            "an authenticated request while the database is down: {body}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    pg(&["up", CLUSTER, PORT, "test"]);
    let up_at = Instant::now();
    loop {
        let (status, _) = probe.get("/api/v1/batches").await;
        if status == 200 {
            break;
        }
        assert!(
            up_at.elapsed() < Duration::from_secs(30),
            "not recovered 30 s after PostgreSQL came back: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_in = up_at.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let tally = writers.await.unwrap();
    let writers_503 = tally
        .server_errors
        .iter()
        .filter(|(s, _)| *s == 503)
        .count();
    let line = format!(
        "{}; while down: {seen_503} × 503 problem+json to probes, {writers_503} × 503 to writers (each retried), no other 5xx; served again {:.1} s after PostgreSQL was back",
        summary("PostgreSQL stopped for 10 s under load", &tally, started.elapsed().as_secs_f64()),
        recovered_in.as_secs_f64()
    );
    eprintln!("{line}");
    assert_no_failures(&tally, &[503]);
    site.assert_intact(&tally);
    drop(site);
    pg(&["down", CLUSTER]);
    save_result("db-restart", "PostgreSQL restart under load", line, "503 problem+json while down, never 500; recovers without a server restart; nothing acknowledged lost");
}
