//! Spawning the real server for a test, with a clock the test controls, and
//! people fixtures.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use ebr_db::repo::people::{self, NewPerson, PersonState};
use ebr_domain::identity::Role;
use ebr_testdb::TestDatabase;
use ebr_web::auth::password;
use ebr_web::auth::signature::statement_sha256;
use ebr_web::clock::Clock;
use ebr_web::config::SecuritySettings;
use ebr_web::startup::{self, AppState};
use serde_json::{json, Value};

thread_local! {
    /// The second-factor setting of the next server this thread spawns
    /// (off unless a test asks for it, so other tests sign with the
    /// password alone).
    static SECOND_FACTOR: std::cell::Cell<ebr_domain::second_factor::SecondFactorSetting> =
        const { std::cell::Cell::new(ebr_domain::second_factor::SecondFactorSetting::Off) };
}

fn second_factor_setting() -> ebr_domain::second_factor::SecondFactorSetting {
    SECOND_FACTOR.with(std::cell::Cell::get)
}

/// Spawns the next test server of this thread with `setting`.
pub fn with_second_factor(setting: ebr_domain::second_factor::SecondFactorSetting) {
    SECOND_FACTOR.with(|s| s.set(setting));
}

/// The password every fixture person has.
pub const PASSWORD: &str = "correct horse battery staple";

/// A clock that stands still until the test moves it.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(
            DateTime::parse_from_rfc3339("2026-11-25T08:00:00Z")
                .unwrap()
                .to_utc(),
        )))
    }
    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A running server and its database; both end with the test.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub address: String,
    /// A client without a session.
    pub client: reqwest::Client,
    /// The server's clock.
    pub clock: ManualClock,
    /// The test's database.
    pub db: Option<TestDatabase>,
    admin: Option<PersonState>,
    trainer: Option<PersonState>,
    /// Enrolled authenticator secrets by username, and the newest time step
    /// each one gave a code for (a code is used once).
    authenticators: Mutex<std::collections::HashMap<String, (String, i64)>>,
}

impl TestApp {
    /// A server on a fresh migrated database.
    pub fn spawn() -> TestApp {
        let db = TestDatabase::new();
        let pool = db.pool();
        Self::spawn_with(pool, Some(db))
    }

    /// A server that signs checkpoints with a key written to `dir/checkpoint.key`
    /// into the log `dir/log` (the public key is `dir/checkpoint.pub`).
    pub fn spawn_with_checkpoints(dir: &std::path::Path) -> TestApp {
        std::fs::create_dir_all(dir).unwrap();
        let key = ebr_record::checkpoint::CheckpointKey::from_seed([42; 32]);
        std::fs::write(dir.join("checkpoint.key"), key.to_file_text()).unwrap();
        std::fs::write(dir.join("checkpoint.pub"), key.public().to_file_text()).unwrap();
        let settings = ebr_web::config::CheckpointSettings {
            key_file: Some(dir.join("checkpoint.key")),
            log_dir: Some(dir.join("log")),
            interval_seconds: 600,
        };
        let checkpointer = ebr_web::checkpoints::Checkpointer::from_settings(&settings)
            .unwrap()
            .map(Arc::new);
        let db = TestDatabase::new();
        let pool = db.pool();
        Self::spawn_full(pool, Some(db), checkpointer)
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
        Self::spawn_full(pool, db, None)
    }

    fn spawn_full(
        pool: ebr_db::PgPool,
        db: Option<TestDatabase>,
        checkpoints: Option<Arc<ebr_web::checkpoints::Checkpointer>>,
    ) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let clock = ManualClock::new();
        // Every refusal a test provokes must be listed in the OpenAPI
        // document for its route (otherwise it answers a 500 naming it).
        ebr_web::refusals::enforce_documented_refusals();
        let server = startup::run(
            listener,
            AppState {
                pool,
                reads: Arc::new(ebr_db::replicas::ReadReplicas::none()),
                clock: Arc::new(clock.clone()),
                security: SecuritySettings {
                    secure_cookie: false,
                    second_factor: self::second_factor_setting(),
                    ..SecuritySettings::default()
                },
                execution: ebr_web::config::ExecutionSettings::default(),
                checkpoints,
                metrics: Default::default(),
            },
        )
        .unwrap();
        tokio::spawn(server);
        TestApp {
            address,
            client: reqwest::Client::builder()
                .pool_idle_timeout(std::time::Duration::from_secs(20))
                .build()
                .unwrap(),
            clock,
            db,
            admin: None,
            trainer: None,
            authenticators: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The test database.
    pub fn db(&self) -> &TestDatabase {
        self.db.as_ref().unwrap()
    }

    /// URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET `path` without a session.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Creates a person directly in the database, ready to work: password
    /// [`PASSWORD`] (not temporary), identity verified by a second
    /// administrator, accountability statement acknowledged.
    pub fn person(&mut self, username: &str, roles: &[Role]) -> PersonState {
        let mut conn = self.db().connection();
        let now = self.clock.now();
        let phc = password::hash(PASSWORD).unwrap();
        let new = NewPerson {
            username,
            full_name: &display_name(username),
            roles,
            phc,
            temporary: false,
        };
        let person = people::create(&mut conn, new, "system:test", now).unwrap();
        if roles.contains(&Role::Admin) && self.admin.is_none() {
            self.admin = Some(person.clone());
            return person;
        }
        let verifier = self.verifier(&mut conn, person.person.id);
        people::verify_identity(&mut conn, person.person.id, verifier, "test fixture", now)
            .unwrap();
        if !roles.contains(&Role::Admin) {
            people::acknowledge(&mut conn, person.person.id, &statement_sha256(), now).unwrap();
        }
        self.train_on_skills(&mut conn, &person);
        people::state(&mut conn, person.person.id).unwrap()
    }

    /// The skills the reference MBR's steps declare.
    pub const SKILLS: [&'static str; 3] = ["cell_count", "aseptic_fill", "cryo_handling"];

    /// Trains an operator or QA reviewer on every skill the reference MBR
    /// declares (curricula `TRN-<SKILL>-<ROLE>`, defined on first use; the
    /// record by a fixture trainer, signed by the trainee), valid for a year.
    fn train_on_skills(&mut self, conn: &mut ebr_db::PgConnection, person: &PersonState) {
        use ebr_db::repo::training;
        let now = self.clock.now();
        let trainer = self.trainer(conn);
        for role in [Role::Operator, Role::QaReviewer] {
            if !person.roles.contains(&role) {
                continue;
            }
            for skill in Self::SKILLS {
                let id = self.skill_curriculum(conn, skill, role);
                let record = training::record_training(
                    conn,
                    &training::NewTraining {
                        person: person.person.id,
                        curriculum: id,
                        trained_at: now,
                        valid_until: Some(now + Duration::days(365)),
                        mbr_version: None,
                        note: None,
                    },
                    trainer,
                    now,
                )
                .unwrap();
                training::sign_training(conn, record.id, &person.signatory(None, now)).unwrap();
            }
        }
    }

    /// The skill curriculum `TRN-<SKILL>-<ROLE>`, defined on first use.
    pub fn skill_curriculum(
        &self,
        conn: &mut ebr_db::PgConnection,
        skill: &str,
        role: Role,
    ) -> uuid::Uuid {
        use ebr_db::repo::training;
        let code = format!("TRN-{}-{}", skill, role.as_str()).to_uppercase();
        if let Some(c) = training::curricula(conn)
            .unwrap()
            .into_iter()
            .find(|c| c.code == code)
        {
            return c.id;
        }
        training::create_curriculum(
            conn,
            &training::NewCurriculum {
                code,
                title: format!("{skill} for {}", role.as_str()),
                role,
                mbr_code: None,
                mbr_version: None,
                skill: Some(skill.into()),
            },
            "system:test",
            self.clock.now(),
        )
        .unwrap()
        .id
    }

    /// The fixture trainer (created on first use).
    pub fn trainer(&mut self, conn: &mut ebr_db::PgConnection) -> uuid::Uuid {
        if let Some(t) = &self.trainer {
            return t.person.id;
        }
        let phc = password::hash(PASSWORD).unwrap();
        let trainer = people::create(
            conn,
            NewPerson {
                username: "fixture.trainer",
                full_name: "Fixture Trainer",
                roles: &[Role::Trainer],
                phc,
                temporary: false,
            },
            "system:test",
            self.clock.now(),
        )
        .unwrap();
        let id = trainer.person.id;
        self.trainer = Some(trainer);
        id
    }

    /// Creates a person without identity verification and acknowledgment.
    pub fn bare_person(&self, username: &str, roles: &[Role]) -> PersonState {
        let mut conn = self.db().connection();
        let phc = password::hash(PASSWORD).unwrap();
        let new = NewPerson {
            username,
            full_name: &display_name(username),
            roles,
            phc,
            temporary: false,
        };
        people::create(&mut conn, new, "system:test", self.clock.now()).unwrap()
    }

    fn verifier(&mut self, conn: &mut ebr_db::PgConnection, person: uuid::Uuid) -> uuid::Uuid {
        if self.admin.is_none() {
            let phc = password::hash(PASSWORD).unwrap();
            let new = NewPerson {
                username: "fixture.admin",
                full_name: "Fixture Admin",
                roles: &[Role::Admin],
                phc,
                temporary: false,
            };
            self.admin = Some(people::create(conn, new, "system:test", self.clock.now()).unwrap());
        }
        let admin = self.admin.as_ref().unwrap().person.id;
        assert_ne!(admin, person);
        admin
    }

    /// Logs `username` in with [`PASSWORD`]; returns a client holding the session.
    pub async fn login(&self, username: &str) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let response = client
            .post(self.url("/api/v1/session"))
            .json(&json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "login of {username}: {}",
            response.text().await.unwrap()
        );
        client
    }

    /// Imports the reference MBR as `author` (logged in) and returns its id.
    pub async fn import_reference(&self, author: &reqwest::Client) -> String {
        let response = author
            .post(self.url("/api/v1/mbrs"))
            .header("content-type", "application/toml")
            .body(ebr_testdb::fixtures::REFERENCE_MBR)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status == 201 || status == 200, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Rows in a table.
    pub fn count(&self, table: &str) -> i64 {
        self.db().table_counts()[table]
    }

    /// Signatures on records other than training records (the fixture
    /// people's own training signatures are not what a test counts).
    pub fn record_signatures(&self) -> i64 {
        use diesel::prelude::*;
        use ebr_db::schema::signatures;
        let mut conn = self.db().connection();
        signatures::table
            .filter(signatures::record_type.ne_all([
                "training_record",
                "donor_eligibility",
                "cell_bank_release",
            ]))
            .count()
            .get_result(&mut conn)
            .unwrap()
    }

    /// The status `GET /api/v1/session` answers `client`: 200 while its
    /// session is open, 401 once it ended.
    pub async fn session_status(&self, client: &reqwest::Client) -> u16 {
        client
            .get(self.url("/api/v1/session"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Whether this server asks for a second factor at signing.
    pub fn second_factor_on(&self) -> bool {
        second_factor_setting().at_signing()
    }

    /// Enrols `username`'s authenticator directly in the database, with a
    /// secret derived from the username; returns the secret (base32).
    pub fn enrol(&self, username: &str) -> String {
        use ebr_domain::second_factor::secret_to_base32;
        let digest = ebr_domain::canonical::sha256_hex(username.as_bytes());
        let secret = secret_to_base32(&digest.as_bytes()[..20]);
        let mut conn = self.db().connection();
        let id = people::find_by_username(&mut conn, username)
            .unwrap()
            .unwrap()
            .id;
        ebr_db::repo::second_factor::enrol(&mut conn, id, &secret, vec![], None, self.clock.now())
            .unwrap();
        self.authenticators
            .lock()
            .unwrap()
            .insert(username.to_string(), (secret.clone(), -1));
        secret
    }

    /// The code `username`'s authenticator app shows now, if they enrolled
    /// one here; the clock moves on to the next 30-second step when this
    /// step's code was already given (a code is accepted once).
    pub fn otp(&self, username: &str) -> Option<String> {
        let mut all = self.authenticators.lock().unwrap();
        let (secret, last) = all.get_mut(username)?;
        let mut step = self.clock.now().timestamp() / 30;
        if step <= *last {
            self.clock
                .advance(Duration::seconds(30 * (*last + 1 - step)));
            step = *last + 1;
        }
        *last = step;
        ebr_domain::second_factor::code_at(secret, self.clock.now())
    }

    /// Audit events with this action.
    pub fn audit_actions(&self, action: &str) -> Vec<Value> {
        let mut conn = self.db().connection();
        ebr_db::repo::audit::chain_events(&mut conn, ebr_domain::audit::SYSTEM_CHAIN)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .map(|e| json!({ "actor": e.actor, "entity_id": e.entity_id, "new_value": e.new_value, "reason": e.reason }))
            .collect()
    }
}

fn display_name(username: &str) -> String {
    match username {
        "zhang.wei" => "张伟".to_string(),
        other => other.replace('.', " "),
    }
}

/// Asserts a response is an RFC 9457 problem with `status` and `code`.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["type"], format!("urn:ebr:problem:{code}"));
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}
