//! Raw SQL that PostgreSQL parses and plans once per connection.
//!
//! Diesel prepares and caches the statements its query builder makes, but
//! never a `sql_query` (nor a multi-row insert): PostgreSQL then parses and
//! plans those on every request, which the hot path of recording an entry
//! measurably paid for (`make bench`: parsing and planning were the largest
//! part of the database's work). [`Prepared`] marks a query whose SQL text
//! is fixed for a given shape as safe to cache: Diesel keeps one prepared
//! statement per distinct SQL text and bind types. Its queries are written
//! so that PostgreSQL's generic plan is as good as a custom one (no
//! `EXISTS` over a parameter array that could become a scan of the batch).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A query Diesel may prepare once and reuse on the same connection.
#[derive(Debug, Clone, Copy)]
pub struct Prepared<T>(pub T);

impl<T: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<T> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<T> QueryId for Prepared<T> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<T: Query> Query for Prepared<T> {
    type SqlType = T::SqlType;
}

impl<T, Conn> RunQueryDsl<Conn> for Prepared<T> {}
