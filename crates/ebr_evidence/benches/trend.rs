//! `make bench`, trend part: every trend rule (`ebr_domain::trend`) over
//! 1,000 batches × 20 parameters — the cross-batch review's whole
//! computation for a product — timed in this process (median of 7).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    missing_docs,
    reason = "a benchmark program"
)]

use std::time::Instant;

use ebr_domain::trend::{signals, Limits};
use ebr_evidence::report::{self, Row};

const BATCHES: usize = 1_000;
const PARAMETERS: usize = 20;
const BASELINE: usize = 20;

/// A reproducible series with drifts and excursions (a linear congruential
/// generator: no randomness crate, the same numbers every run).
fn series(parameter: usize) -> Vec<f64> {
    let mut state = 0x2545_f491_u64.wrapping_add(parameter as u64 * 7919);
    (0..BATCHES)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let noise = ((state >> 33) as f64 / f64::from(u32::MAX) - 0.25) * 4.0;
            let drift = if (i / 50) % 3 == 0 {
                (i % 50) as f64 * 0.05
            } else {
                0.0
            };
            80.0 + noise + drift
        })
        .collect()
}

fn main() {
    let data: Vec<Vec<f64>> = (0..PARAMETERS).map(series).collect();
    let mut times = Vec::new();
    let mut fired = 0;
    for _ in 0..7 {
        let started = Instant::now();
        fired = 0;
        for values in &data {
            let limits = Limits::from_baseline(&values[..BASELINE]).unwrap();
            fired += signals(values, limits).len();
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[3];
    println!("trend rules, {BATCHES} batches × {PARAMETERS} parameters: {median:.2} ms (median of 7), {fired} signals");
    report::save(
        "trend",
        &[Row::new(
            format!("all five trend rules, {BATCHES} batches × {PARAMETERS} parameters (median of 7; {fired} signals)"),
            format!("{median:.1} ms"),
            "≤ 200 ms",
            median <= 200.0,
        )],
    )
    .unwrap();
}
