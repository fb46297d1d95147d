//! The operators' workload used by the load, crash, restart and two-node
//! tests: work through batches of the benchmark MBR, recording and signing,
//! and keep a tally of every answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::bench_mbr::{entry_field, sign_step, ENTRY_STEP, SIGN_STEPS};
use crate::operator::{Operator, Outcome};
use crate::stats::Latencies;

/// Unsigned readings taken in `b0-entries` before it is signed.
pub const READINGS_PER_BATCH: usize = 5;

/// Every answer one operator got.
#[derive(Debug, Default)]
pub struct Tally {
    /// Ids of acknowledged entries.
    pub entries: Vec<String>,
    /// Ids of acknowledged signatures.
    pub signatures: Vec<String>,
    /// 409s: the write was already done (by a retry after a lost answer, or a colleague).
    pub already_done: usize,
    /// Other refusals (status, body): none are expected.
    pub refused: Vec<(u16, String)>,
    /// 5xx answers (status, body).
    pub server_errors: Vec<(u16, String)>,
    /// Requests that got no answer (server killed or restarting).
    pub no_answer: usize,
    /// Latency of every answered write.
    pub latencies: Latencies,
    /// When each acknowledged write was sent.
    pub acked_sent_at: Vec<Instant>,
}

impl Tally {
    /// Adds `other` into this tally.
    pub fn merge(&mut self, other: Tally) {
        self.entries.extend(other.entries);
        self.signatures.extend(other.signatures);
        self.already_done += other.already_done;
        self.refused.extend(other.refused);
        self.server_errors.extend(other.server_errors);
        self.no_answer += other.no_answer;
        self.latencies.extend(other.latencies);
        self.acked_sent_at.extend(other.acked_sent_at);
    }

    /// The first acknowledged write sent at or after `t` (e.g. the first
    /// that succeeded after a failover began).
    pub fn first_acked_sent_after(&self, t: Instant) -> Option<Instant> {
        self.acked_sent_at
            .iter()
            .filter(|s| **s >= t)
            .min()
            .copied()
    }

    /// Acknowledged writes.
    pub fn acknowledged(&self) -> usize {
        self.entries.len() + self.signatures.len()
    }
}

/// One write in a batch's sequence.
#[derive(Debug, Clone, Copy)]
enum Action {
    Reading(usize),
    SignReadings,
    Record(usize),
    Sign(usize),
}

fn sequence() -> Vec<Action> {
    let mut s: Vec<Action> = (0..READINGS_PER_BATCH).map(Action::Reading).collect();
    s.push(Action::SignReadings);
    for i in 0..SIGN_STEPS {
        s.push(Action::Record(i));
        s.push(Action::Sign(i));
    }
    s
}

/// Works through `batches` in order until `deadline`, until `stop` is set or
/// until all are done: each write is retried after a lost answer or a 5xx; a
/// 409 counts as done (the write had landed, or a colleague did it).
pub async fn work(
    operators: &[Operator],
    batches: &[String],
    password: &str,
    deadline: Instant,
    stop: &AtomicBool,
) -> Tally {
    let mut tally = Tally::default();
    let plan = sequence();
    let mut turn = 0usize;
    'batches: for batch in batches {
        for action in &plan {
            loop {
                if Instant::now() >= deadline || stop.load(Ordering::Relaxed) {
                    break 'batches;
                }
                // Alternate between the given sessions (e.g. one per node).
                let Some(op) = operators.get(turn % operators.len().max(1)) else {
                    break 'batches;
                };
                turn += 1;
                let sent_at = Instant::now();
                let (outcome, took) = match *action {
                    Action::Reading(i) => {
                        let value = format!("{}.{}", 40 + i, turn % 10);
                        op.record(batch, ENTRY_STEP, json!({ entry_field(i): value }))
                            .await
                    }
                    Action::SignReadings => op.sign(batch, ENTRY_STEP, "performed", password).await,
                    Action::Record(i) => {
                        op.record(
                            batch,
                            &sign_step(i),
                            json!({ "v": format!("{}", 50 + i % 40) }),
                        )
                        .await
                    }
                    Action::Sign(i) => op.sign(batch, &sign_step(i), "performed", password).await,
                };
                let signing = matches!(action, Action::SignReadings | Action::Sign(_));
                match outcome {
                    Outcome::Acked(ids) => {
                        tally.latencies.push(took);
                        tally.acked_sent_at.push(sent_at);
                        if signing {
                            tally.signatures.extend(ids);
                        } else {
                            tally.entries.extend(ids);
                        }
                        break;
                    }
                    Outcome::Refused(409, _) => {
                        tally.already_done += 1;
                        break;
                    }
                    Outcome::Refused(status, body) => {
                        tally.refused.push((status, body));
                        break;
                    }
                    Outcome::ServerError(status, body) => {
                        tally.server_errors.push((status, body));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Outcome::NoAnswer(_) => {
                        tally.no_answer += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    }
    tally
}

/// One group of sessions working through its own batches (see [`work`]).
pub type Group = (Vec<Operator>, Vec<String>);

/// Runs one [`work`] task per group, all signing with `password`, until
/// `deadline` or `stop`, and merges their tallies.
pub async fn run_groups(
    groups: Vec<Group>,
    password: &str,
    deadline: Instant,
    stop: std::sync::Arc<AtomicBool>,
) -> Result<Tally, crate::Error> {
    let tasks: Vec<_> = groups
        .into_iter()
        .map(|(ops, batches)| {
            let (stop, password) = (stop.clone(), password.to_string());
            tokio::spawn(async move { work(&ops, &batches, &password, deadline, &stop).await })
        })
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await?);
    }
    Ok(tally)
}
