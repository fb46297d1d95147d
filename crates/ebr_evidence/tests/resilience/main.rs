//! Resilience tests against real `ebr serve` processes and PostgreSQL.
//!
//! `make test` runs the fast versions (short load, 3 kills, two nodes,
//! PostgreSQL restarted under load on its own cluster, hand-made hostile
//! input). `make resilience` runs them at full length (`EBR_RESILIENCE=full`:
//! 16 operators for 60 s, 20 kills) against the release binary, plus the one
//! ignored test: schemathesis over every documented route, which needs
//! schemathesis from PyPI in `.venv` (`make resilience` installs it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs,
    reason = "integration tests"
)]

mod common;
mod crash;
mod db_restart;
mod failover;
mod hostile;
mod load;
mod schemathesis;
mod two_nodes;
