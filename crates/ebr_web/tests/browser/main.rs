//! Browser tests: the pages in real headless Chromium (Debian's chromium and
//! chromium-driver, installed by `make test`), against the real server and a
//! real PostgreSQL database per test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod harness;
mod journey;
mod labels;
mod people;
mod records;
mod screens;
mod second_factor;
mod seed;
mod sessions;
