//! Answers under faults: a database that cannot be reached, or a connection lost mid-request, is
//! answered 503 with `Retry-After`, never 500; the server starts while its database is
//! unreachable, says it is not ready, and becomes ready when the database comes, without a
//! restart.
//!
//! PostgreSQL is reached through a small TCP relay the test can take down and cut; SQLite is
//! made unavailable by another process holding its write lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rapport_api::config::Config;
use rapport_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, backends};
use reqwest::{Client, Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::AbortHandle;

/// A relay from a local port to PostgreSQL that can refuse new connections and cut live ones.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(false));
        let live: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (accepting, tracked) = (up.clone(), live.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !accepting.load(Ordering::SeqCst) {
                    // Down: the connection is closed at once, as by a host that is not there.
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tracked.lock().await.push(relay.abort_handle());
            }
        });
        Relay { port, up, live }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// Cuts every live connection.
    async fn cut(&self) {
        for relay in self.live.lock().await.drain(..) {
            relay.abort();
        }
    }
}

fn problem_says_retry(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &Value) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "unavailable", "{body}");
    let retry = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0), "Retry-After: {headers:?}");
}

async fn get(
    client: &Client,
    url: &str,
    token: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_out_of_reach_at_start_and_mid_request_answers_503_and_recovers() {
    let Some(Backend::Postgres(admin_url)) = backends().into_iter().nth(1) else {
        return;
    };
    let database = format!("rapport_test_faults_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {database}"))
        .await
        .unwrap();
    let target = admin_url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432")
        .to_owned();
    let relay = Relay::start(target).await;
    let user = admin_url
        .trim_start_matches("postgres://")
        .split('@')
        .next()
        .unwrap_or("postgres")
        .to_owned();
    let config = Config {
        bind: "127.0.0.1:0".into(),
        database_url: format!("postgres://{user}@127.0.0.1:{}/{database}", relay.port),
        db_timeout: 1,
        admin_email: Some(ADMIN_EMAIL.into()),
        admin_password: Some(ADMIN_PASSWORD.into()),
        workers: 2,
        ..Config::default()
    };

    // The database cannot be reached: the server starts all the same, alive and not ready.
    let app = rapport_api::startup::build(config)
        .await
        .expect("the server starts without its database");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    let client = Client::new();
    let (status, _, _) = get(&client, &format!("{base}/health/live"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = get(&client, &format!("{base}/health/ready"), None).await;
    problem_says_retry(status, &headers, &body);
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    problem_says_retry(status, &headers, &response.json().await.unwrap());

    // It comes: the server prepares it and is ready, without a restart.
    relay.set_up(true);
    let mut ready = false;
    for _ in 0..60 {
        if get(&client, &format!("{base}/health/ready"), None).await.0 == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ready, "ready once the database answers");
    let pair: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = pair["access_token"].as_str().expect("signed in").to_owned();
    let customers = format!("{base}/api/v1/customers");
    assert_eq!(
        get(&client, &customers, Some(&token)).await.0,
        StatusCode::OK
    );

    // Every connection is cut under the server's feet, and the relay refuses new ones: 503.
    relay.cut().await;
    relay.set_up(false);
    for _ in 0..3 {
        let (status, headers, body) = get(&client, &customers, Some(&token)).await;
        problem_says_retry(status, &headers, &body);
    }
    // The database's own end goes away (the server restarts, an administrator ends sessions):
    // 503 too, then back to normal once it answers again.
    relay.set_up(true);
    let mut recovered = false;
    for _ in 0..20 {
        let (status, _, body) = get(&client, &customers, Some(&token)).await;
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        if status == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "served again once the database answers");
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let mut saw = Vec::new();
    for _ in 0..10 {
        let (status, _, body) = get(&client, &customers, Some(&token)).await;
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        saw.push(status);
        if status == StatusCode::OK {
            break;
        }
    }
    assert_eq!(saw.last(), Some(&StatusCode::OK), "{saw:?}");

    relay.cut().await;
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_by_another_process_answers_503_and_recovers() {
    let app = TestApp::spawn_with(&Backend::Sqlite, |c| c.db_timeout = 1).await;
    let other = Database::connect(app.database_url.as_str()).await.unwrap();
    // Another process takes SQLite's write lock and keeps it past the server's timeout.
    let held = other.begin().await.unwrap();
    held.execute_unprepared("INSERT INTO settings (key, value, updated_at) VALUES ('held', '1', '2026-01-01T00:00:00Z')")
        .await
        .unwrap();
    let response = app
        .request(
            Method::POST,
            "/api/v1/customers",
            &app.admin_token,
            Some(json!({"name": "Waits"})),
        )
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    problem_says_retry(status, &headers, &response.json().await.unwrap());
    held.rollback().await.unwrap();
    let created = app
        .create_customer(&app.admin_token, json!({"name": "Waits no more"}))
        .await;
    assert_eq!(created["name"], "Waits no more");
    assert_eq!(
        app.customer_count().await,
        1,
        "the refused write left nothing"
    );
}
