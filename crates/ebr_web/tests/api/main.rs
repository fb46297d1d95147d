//! HTTP tests against the real server on a loopback port and a real
//! PostgreSQL database per test. One test binary for the whole API.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly; helpers outside #[test] functions included"
)]

mod access_review;
mod authz;
mod batch_flow;
mod batch_helpers;
mod checkpoints;
mod computed;
mod concurrency;
mod contingency;
mod csrf;
mod custody;
mod execution;
mod health;
mod helpers;
mod openapi;
mod pdf;
mod record;
mod record_complete;
mod record_vectors;
mod records_kept;
mod refusal_audit;
mod release;
mod rule_holes;
mod second_factor;
mod session;
mod signatures;
mod tamper;
mod training;
mod users;
