//! The ebr web layer and command line: actix-web routes, configuration,
//! telemetry and the `ebr` subcommands.
//!
//! **Architecture invariants:** handlers contain no GMP rules (those live in
//! `ebr_domain`); every database call and every other blocking call runs on the
//! blocking pool through [`blocking::db`]; the only reader of the wall clock is
//! [`clock::SystemClock`].

pub mod auth;
pub mod blocking;
pub mod checkpoints;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod error;
pub mod metrics;
pub mod refusals;
pub mod replicas;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod ui;
pub mod validation;
