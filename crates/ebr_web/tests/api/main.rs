//! HTTP tests against the real server on a loopback port and a real
//! PostgreSQL database per test. One test binary for the whole API.

mod health;
mod helpers;
mod openapi;
