//! Dev-only: each test gets its own PostgreSQL database.
//!
//! The first test of a run (in any process) creates a template database and
//! migrates it, under an advisory lock; every test then clones the template
//! with `CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`, which takes
//! milliseconds. Tests run in parallel and never see each other's rows. The
//! template's name carries a fingerprint of the migrations, so a changed
//! migration builds a new template. The database is dropped when the
//! [`TestDatabase`] is dropped.
//!
//! `DATABASE_URL` must point at a server where its user may create databases;
//! `make test` provides one.

pub mod fixtures;

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;
use ebr_db::{migrate, PgPool};
use uuid::Uuid;

/// A private, migrated database that lives as long as this value.
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

const TEMPLATE_LOCK: i64 = 0x00eb_7e57;

impl TestDatabase {
    /// Creates a fresh database cloned from the migrated template.
    ///
    /// # Panics
    /// When `DATABASE_URL` is unset or the server refuses; a test cannot run
    /// without its database, and the message says what to do.
    #[expect(
        clippy::expect_used,
        reason = "a test helper: failing loudly is the point"
    )]
    pub fn new() -> Self {
        let base = std::env::var("DATABASE_URL").expect(
            "DATABASE_URL is not set: run the tests with `make test`, which provisions PostgreSQL",
        );
        let admin_url = with_database(&base, "postgres");
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e} (is the test cluster up? `make test` starts it)"));
        let fingerprint = migrate::MIGRATIONS_FINGERPRINT.get(..16).unwrap_or("0");
        let template = format!("ebr_tpl_{fingerprint}");
        ensure_template(&mut admin, &base, &template);
        let name = format!("ebr_test_{}", Uuid::new_v4().simple());
        diesel::sql_query(format!(
            "CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY"
        ))
        .execute(&mut admin)
        .expect("clone the template database");
        let url = with_database(&base, &name);
        Self {
            name,
            url,
            admin_url,
        }
    }

    /// Creates an empty database with no schema at all (for readiness tests).
    #[expect(clippy::expect_used, reason = "a test helper")]
    pub fn empty() -> Self {
        let base = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL is not set: run the tests with `make test`");
        let admin_url = with_database(&base, "postgres");
        let mut admin = PgConnection::establish(&admin_url).expect("connect to the test cluster");
        let name = format!("ebr_test_{}", Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create database");
        let url = with_database(&base, &name);
        Self {
            name,
            url,
            admin_url,
        }
    }

    /// The database's connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A small connection pool on the database.
    #[expect(clippy::expect_used, reason = "a test helper")]
    pub fn pool(&self) -> PgPool {
        ebr_db::connect(&self.url, 4).expect("pool")
    }

    /// The number of rows in every table of the public schema (except
    /// Diesel's migration bookkeeping), for "nothing was stored" assertions.
    #[expect(clippy::expect_used, reason = "a test helper")]
    pub fn table_counts(&self) -> BTreeMap<String, i64> {
        #[derive(QueryableByName)]
        struct Name {
            #[diesel(sql_type = Text)]
            tablename: String,
        }
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::Int8)]
            n: i64,
        }
        let mut conn = self.connection();
        let names: Vec<Name> = diesel::sql_query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' ORDER BY 1",
        )
        .load(&mut conn)
        .expect("list tables");
        names
            .into_iter()
            .map(|t| {
                let n = diesel::sql_query(format!("SELECT count(*) AS n FROM \"{}\"", t.tablename))
                    .get_result::<Count>(&mut conn)
                    .expect("count rows")
                    .n;
                (t.tablename, n)
            })
            .collect()
    }

    /// Runs SQL as the database owner (a superuser on the test cluster), e.g.
    /// to tamper with data out of band.
    #[expect(clippy::expect_used, reason = "a test helper")]
    pub fn execute(&self, sql: &str) -> usize {
        diesel::sql_query(sql)
            .execute(&mut self.connection())
            .expect("execute SQL")
    }

    /// One connection to the database.
    #[expect(clippy::expect_used, reason = "a test helper")]
    pub fn connection(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

#[expect(clippy::expect_used, reason = "a test helper")]
fn ensure_template(admin: &mut PgConnection, base: &str, template: &str) {
    diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .execute(admin)
        .expect("template lock");
    let exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(template)
            .get_result::<Exists>(admin)
            .expect("look for the template")
            .exists;
    if !exists {
        let building = format!("{template}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(admin)
            .expect("drop a half-built template");
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(admin)
            .expect("create the template database");
        {
            let mut conn = PgConnection::establish(&with_database(base, &building))
                .expect("connect to the template");
            migrate::run_pending(&mut conn).expect("migrate the template");
        }
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(admin)
            .expect("publish the template");
        diesel::sql_query(format!(
            "ALTER DATABASE {template} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"
        ))
        .execute(admin)
        .expect("freeze the template");
    }
    diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .execute(admin)
        .expect("template unlock");
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (without_query, query) = url
        .split_once('?')
        .map_or((url, None), |(a, b)| (a, Some(b)));
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let path_start = without_query
        .get(scheme_end..)
        .and_then(|rest| rest.find('/'))
        .map_or(without_query.len(), |i| i + scheme_end);
    let mut out = format!(
        "{}/{database}",
        without_query.get(..path_start).unwrap_or(without_query)
    );
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://u:p@h:5/ebr", "x"),
            "postgres://u:p@h:5/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h:5/ebr?sslmode=disable", "x"),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
