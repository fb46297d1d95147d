//! Spawning the real server for a test.

use std::net::TcpListener;
use std::sync::Arc;

use ebr_testdb::TestDatabase;
use ebr_web::clock::SystemClock;
use ebr_web::startup::{self, AppState};

/// A running server and its database; both end with the test.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub address: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The test's database (dropped with the app).
    pub _db: Option<TestDatabase>,
}

impl TestApp {
    /// A server on a fresh migrated database.
    pub fn spawn() -> TestApp {
        let db = TestDatabase::new();
        let pool = db.pool();
        Self::spawn_with(pool, Some(db))
    }

    /// A server on the given database.
    pub fn spawn_on(db: TestDatabase) -> TestApp {
        let pool = db.pool();
        Self::spawn_with(pool, Some(db))
    }

    /// A server whose database URL points at a closed port.
    pub fn spawn_without_database() -> TestApp {
        let pool = ebr_db::connect("postgres://nobody:nothing@127.0.0.1:1/none", 2).unwrap();
        Self::spawn_with(pool, None)
    }

    fn spawn_with(pool: ebr_db::PgPool, db: Option<TestDatabase>) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let server = startup::run(
            listener,
            AppState {
                pool,
                clock: Arc::new(SystemClock),
            },
        )
        .unwrap();
        tokio::spawn(server);
        TestApp {
            address,
            client: reqwest::Client::new(),
            _db: db,
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }
}

/// Asserts a response is an RFC 9457 problem with `status` and `code`.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code);
    assert_eq!(body["type"], format!("urn:ebr:problem:{code}"));
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}
