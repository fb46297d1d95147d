//! Dev-only evidence harness for `make bench` and `make resilience`.
//!
//! Everything here drives the real system: `ebr serve` processes (the binary
//! named by [`server::server_binary`]), a real PostgreSQL database, and HTTP
//! clients that act as operators. The checks in [`checks`] then prove from
//! the database itself that nothing acknowledged was lost, nothing was
//! half-written and every audit chain verifies.

pub mod bench_mbr;
pub mod checks;
pub mod cluster;
pub mod floor;
pub mod operator;
pub mod report;
pub mod server;
pub mod statements;
pub mod stats;
pub mod workload;

/// The error type of this harness: anything that stops a measurement.
pub type Error = anyhow::Error;
