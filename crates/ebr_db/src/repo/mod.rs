//! Repository functions: each takes a connection (or transaction) and appends.

pub mod audit;
pub mod mbr;
