//! PostgreSQL persistence for ebr, on Diesel.
//!
//! **Architecture invariants:** this crate depends on `ebr_domain` and never on
//! the web layer. Every function takes a `&mut PgConnection`, so callers decide
//! the transaction; a change and its audit event are always written in the same
//! transaction. Nothing here issues UPDATE or DELETE on GMP data, and the
//! database's own triggers refuse them.

pub mod error;
pub mod ids;
pub mod migrate;
pub mod pool;
pub mod prepared;
pub mod replicas;
pub mod repo;
pub mod schema;
pub mod tx;

pub use diesel::pg::PgConnection;
pub use error::DbError;
pub use pool::{act_as_app, connect, establish, PgPool};
