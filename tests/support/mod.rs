//! Test support: start the real server on a random port, on SQLite or on a fresh PostgreSQL
//! database, and talk to it over HTTP like any client.

use std::time::Duration;

use rapport_api::config::Config;
use reqwest::{Client, Method, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use uuid::Uuid;

/// The administrator every test server starts with.
pub const ADMIN_EMAIL: &str = "admin@rapport.test";
/// Their password.
pub const ADMIN_PASSWORD: &str = "admin password for tests";
/// The password of users the tests create.
pub const USER_PASSWORD: &str = "user password for tests";

/// Which database a test server runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the temp directory.
    Sqlite,
    /// A new database on the server `RAPPORT_TEST_POSTGRES_URL` points at.
    Postgres(String),
}

/// SQLite always; PostgreSQL too when `RAPPORT_TEST_POSTGRES_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("RAPPORT_TEST_POSTGRES_URL")
        && !url.is_empty()
    {
        backends.push(Backend::Postgres(url));
    }
    backends
}

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (server, _) = base.rsplit_once('/').unwrap_or((base, ""));
    match query {
        Some(q) => format!("{server}/{database}?{q}"),
        None => format!("{server}/{database}"),
    }
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

/// A new, empty database on `backend`, removed when this is dropped.
pub struct EmptyDatabase {
    /// Its URL.
    pub url: String,
    cleanup: Cleanup,
}

impl EmptyDatabase {
    /// Creates one: a SQLite file in the temp directory, or a database on the server
    /// `RAPPORT_TEST_POSTGRES_URL` points at.
    pub async fn create(backend: &Backend) -> EmptyDatabase {
        let id = Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("rapport-test-{id}.db"));
                EmptyDatabase {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
            Backend::Postgres(admin_url) => {
                let name = format!("rapport_test_{id}");
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .expect("connect to RAPPORT_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                EmptyDatabase {
                    url: with_database(admin_url, &name),
                    cleanup: Cleanup::Database {
                        admin_url: admin_url.clone(),
                        name,
                    },
                }
            }
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The HTTP client.
    pub client: Client,
    /// The admin's access token.
    pub admin_token: String,
    /// Which backend.
    pub backend: Backend,
    /// The database URL the server uses.
    pub database_url: String,
    /// Removes the database when the last server on it is dropped.
    _cleanup: Option<Cleanup>,
}

/// A server in a process of its own ([`TestApp::process`]); killed when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    /// The server, as a test talks to it.
    pub app: TestApp,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestApp {
    /// Starts a server on `backend` with the default test configuration.
    pub async fn spawn(backend: &Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server on `backend`, letting the test adjust the configuration first.
    pub async fn spawn_with(backend: &Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let EmptyDatabase { url, cleanup } = EmptyDatabase::create(backend).await;
        Self::start(backend, url, Some(cleanup), adjust).await
    }

    /// Starts another server on this one's database, as a second node behind a load balancer
    /// would run; the first server's cleanup removes the database.
    pub async fn second_node(&self) -> TestApp {
        Self::start(&self.backend, self.database_url.clone(), None, |_| {}).await
    }

    /// A second server on this app's database in an operating-system process of its own (the
    /// `rapport-test-server` binary at `binary`, which only a test knows:
    /// `env!("CARGO_BIN_EXE_rapport-test-server")`), configured from the environment like
    /// `rapport serve`, answering this app's administrator: the database keeps the signing
    /// secret. Stopped when dropped.
    pub async fn process(&self, binary: &str) -> ServerProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(binary)
            .env_clear()
            .env("DATABASE_URL", &self.database_url)
            .env("RAPPORT_BIND", "127.0.0.1:0")
            .env("RAPPORT_LOG_LEVEL", "warn")
            .env("RAPPORT_ADMIN_PASSWORD", "unused admin password")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the test server starts");
        let stdout = child.stdout.take().expect("the server's output");
        let port = tokio::task::spawn_blocking(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let port = lines
                .by_ref()
                .map_while(Result::ok)
                .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned))
                .expect("the server says where it listens");
            // Whatever else it writes is read and dropped, so that it never waits on the pipe.
            std::thread::spawn(move || lines.for_each(drop));
            port
        })
        .await
        .expect("the server's port");
        let app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: self.client.clone(),
            admin_token: self.admin_token.clone(),
            backend: self.backend.clone(),
            database_url: self.database_url.clone(),
            _cleanup: None,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while app
            .client
            .get(app.url("/health/ready"))
            .send()
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the server process answers"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ServerProcess { child, app }
    }

    async fn start(
        backend: &Backend,
        database_url: String,
        cleanup: Option<Cleanup>,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = Config {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.clone(),
            db_max_connections: 8,
            admin_email: Some(ADMIN_EMAIL.into()),
            admin_password: Some(ADMIN_PASSWORD.into()),
            login_failures_per_account: 1000,
            login_failures_per_address: 1000,
            rate_limit: 100_000,
            auth_rate_limit: 10_000,
            workers: 2,
            ..Config::default()
        };
        adjust(&mut config);
        let app = rapport_api::startup::build(config)
            .await
            .expect("server starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run());
        let client = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let mut test_app = TestApp {
            base,
            client,
            admin_token: String::new(),
            backend: backend.clone(),
            database_url,
            _cleanup: cleanup,
        };
        test_app.admin_token = test_app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        test_app
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self.login_pair(email, password).await;
        assert_eq!(status, StatusCode::OK, "login as {email}: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Signs in and returns the whole answer.
    pub async fn login_pair(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        read(response).await
    }

    /// Creates a user with `role` and returns their id and token.
    pub async fn user_with_role(&self, role: &str) -> (Uuid, String) {
        let email = format!("{role}-{}@rapport.test", Uuid::new_v4().simple());
        let (status, body) = self
            .send(Method::POST, "/api/v1/users", &self.admin_token, Some(json!({
                "email": email, "display_name": format!("Test {role}"), "role": role, "password": USER_PASSWORD
            })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "create {role} user: {body}");
        let id = body["id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .expect("user id");
        (id, self.login(&email, USER_PASSWORD).await)
    }

    /// Sends a request with a bearer token and an optional JSON body; returns status and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        read(
            self.request(method, path, token, body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// What the administrator's request answers, which must be a success.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.send(method, path, &self.admin_token, body).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
        answer
    }

    /// Runs a periodic job now (`POST /api/v1/jobs`) and waits for it to succeed; what it
    /// reported.
    pub async fn run_job(&self, kind: &str) -> Value {
        let (status, run) = self
            .send(
                Method::POST,
                "/api/v1/jobs",
                &self.admin_token,
                Some(json!({ "kind": kind })),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{run}");
        let path = format!("/api/v1/jobs/{}", run["id"].as_str().expect("job id"));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (_, job) = self.send(Method::GET, &path, &self.admin_token, None).await;
            if job["status"] == "succeeded" {
                return job["result"].clone();
            }
            assert!(std::time::Instant::now() < deadline, "{job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many customers the administrator sees: the list's total.
    pub async fn customer_count(&self) -> u64 {
        let (_, page) = self
            .send(
                Method::GET,
                "/api/v1/customers?include_total=true&limit=1",
                &self.admin_token,
                None,
            )
            .await;
        page["total"].as_u64().expect("total")
    }

    /// A request builder with the bearer token and body set.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
    }

    /// Defines a custom field as the administrator and returns the definition; `options` only for
    /// `enum` and `multi_enum`.
    pub async fn define_field(
        &self,
        resource_type: &str,
        key: &str,
        field_type: &str,
        options: &[&str],
        required: bool,
    ) -> Value {
        let mut body = json!({
            "resource_type": resource_type, "key": key, "label": key.replace('_', " "),
            "field_type": field_type, "required": required
        });
        if !options.is_empty() {
            body["options"] = json!(options);
        }
        let (status, created) = self
            .send(
                Method::POST,
                "/api/v1/custom-fields",
                &self.admin_token,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "define {key}: {created}");
        created
    }

    /// Creates a customer as `token` and returns it.
    /// Creates or updates `customers` with `POST /api/v1/customers/batch`, all or nothing.
    pub async fn batch_upsert(&self, token: &str, customers: Vec<Value>) -> Value {
        let (status, body) = self
            .send(
                Method::POST,
                "/api/v1/customers/batch",
                token,
                Some(json!({ "customers": customers })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// `GET path` as a file: the status, the content type and the body's bytes.
    pub async fn download(&self, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self
            .request(Method::GET, path, token, None)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            status,
            content_type,
            response.bytes().await.unwrap().to_vec(),
        )
    }

    /// The order with `external_id`, as `GET /api/v1/orders/{id}` answers it, found by the
    /// administrator.
    pub async fn order_by_external_id(&self, external_id: &str) -> Value {
        let (status, page) = self
            .send(
                Method::POST,
                "/api/v1/orders/search",
                &self.admin_token,
                Some(json!({"filter": {"field": "external_id", "op": "eq", "value": external_id}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(
            page["data"].as_array().unwrap().len(),
            1,
            "{external_id}: {page}"
        );
        page["data"][0].clone()
    }

    pub async fn create_customer(&self, token: &str, body: Value) -> Value {
        let (status, created) = self
            .send(Method::POST, "/api/v1/customers", token, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created
    }
}

/// A CSV file's rows, each as column → cell.
pub fn csv_rows(bytes: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Status and JSON body (`null` when empty or not JSON).
pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Dropping needs async I/O; Drop cannot await, so a short-lived runtime does it.
                let _ = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    runtime.block_on(async move {
                        if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Repeats `request` until `done` holds of its status or two seconds pass; returns the last status.
/// For changes another node hears of asynchronously (PostgreSQL NOTIFY).
pub async fn within_two_seconds(
    mut request: impl AsyncFnMut() -> StatusCode,
    done: impl Fn(StatusCode) -> bool,
) -> StatusCode {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let status = request().await;
        if done(status) || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The `id` of a record as answered.
pub fn id_of(record: &Value) -> String {
    record["id"].as_str().expect("an id").to_owned()
}

/// The `field` of every error a problem lists, in order.
pub fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .expect("a problem with errors")
        .iter()
        .map(|e| e["field"].as_str().expect("an error names its field"))
        .collect()
}

/// Each item's `status` in a batch's result, in the order sent.
pub fn item_statuses(result: &Value) -> Vec<&str> {
    result["results"]
        .as_array()
        .expect("a batch result")
        .iter()
        .map(|r| r["status"].as_str().expect("a status"))
        .collect()
}

/// Every error a problem lists as (field, code), sorted, to compare with what a test expects.
pub fn error_pairs(problem: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("a problem with errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("a field").to_owned(),
                e["code"].as_str().expect("a code").to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

/// `(field, code)` pairs as [`error_pairs`] gives them, from literals.
pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// Asserts a problem+json answer with `status` and `code`.
pub fn assert_problem(status: StatusCode, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status.as_u16(), expected_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], expected_status, "{body}");
    assert!(
        body["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{body}"
    );
}

/// The statement of one page of 25 customers, sorted by the default order, that `filter` (in the
/// filter language) selects within the scope of `owner`, as `backend` receives it: for `EXPLAIN`.
pub async fn customer_page_statement(
    conn: &sea_orm::DatabaseConnection,
    backend: rapport_persistence::Backend,
    owner: Option<Uuid>,
    filter: Option<&Value>,
    cursor: Option<String>,
) -> sea_orm::Statement {
    use rapport_domain::custom_fields::FieldOwner;
    use rapport_domain::customers::fields;
    use rapport_domain::filter::Filter;
    use rapport_domain::sort::SortOrder;
    use rapport_persistence::customers::{CustomerSearch, search_statement};
    use rapport_persistence::page::PageRequest;

    let definitions = rapport_persistence::custom_fields::for_owner(conn, FieldOwner::Customer)
        .await
        .unwrap();
    let catalogue = fields::catalogue(&definitions);
    let filter = filter.map(|f| Filter::parse(f, &catalogue, "filter").unwrap());
    let order = SortOrder(vec![fields::default_sort()]);
    let query = CustomerSearch {
        filter: filter.as_ref(),
        q: None,
        within: None,
        order: &order,
        catalogue: &catalogue,
    };
    let request = PageRequest {
        limit: 25,
        cursor,
        include_total: false,
    };
    search_statement(backend, owner, &query, &request).unwrap()
}
