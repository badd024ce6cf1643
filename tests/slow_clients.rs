//! Clients that send too slowly are cut off, on every route, sign-in included: a body that does
//! not arrive in time gets 408 `request_timeout` (problem+json), a head that does not arrive gets
//! 408 and the connection closed, and a hundred such clients do not stop the server from
//! answering others.

use std::time::Duration;

use rapport_tests::{TestApp, backends};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Seconds the test servers give a body or a head.
const TIMEOUT: u64 = 2;

/// A server on each database, giving a body or a head [`TIMEOUT`] seconds.
async fn slow_apps() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for backend in backends() {
        apps.push(
            TestApp::spawn_with(&backend, |c| {
                c.body_timeout = TIMEOUT;
                c.header_timeout = TIMEOUT;
            })
            .await,
        );
    }
    apps
}

/// Sends `head` at once, then `body` one byte every half second; returns what came back.
async fn drip(app: &TestApp, head: &str, body: &[u8]) -> (String, std::time::Duration) {
    let address = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    let started = std::time::Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let body = body.to_vec();
    let writing = tokio::spawn(async move {
        for byte in body {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(TIMEOUT * 5),
        reader.read_to_end(&mut answer),
    )
    .await;
    writing.abort();
    assert!(read.is_ok(), "the server kept the connection open");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn problem_of(answer: &str) -> Value {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_a_byte_at_a_time_is_cut_off_with_408() {
    for app in slow_apps().await {
        let body =
            br#"{"email": "admin@rapport.test", "password": "a password sent far too slowly"}"#;
        for (path, token) in [
            ("/api/v1/auth/login", None),
            ("/api/v1/customers", Some(app.admin_token.clone())),
        ] {
            let authorization = token
                .map(|t| format!("Authorization: Bearer {t}\r\n"))
                .unwrap_or_default();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: rapport\r\nContent-Type: application/json\r\n\
             {authorization}Content-Length: {}\r\n\r\n",
                body.len()
            );
            let (answer, took) = drip(&app, &head, body).await;
            assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
            assert!(answer.contains("application/problem+json"), "{answer}");
            assert_eq!(problem_of(&answer)["code"], "request_timeout", "{answer}");
            assert!(
                took < Duration::from_secs(TIMEOUT * 3),
                "{path} took {took:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_sent_a_byte_at_a_time_is_cut_off_with_408() {
    for app in slow_apps().await {
        let (answer, took) = drip(
            &app,
            "",
            b"GET /health/live HTTP/1.1\r\nHost: rapport\r\n\r\n",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(took < Duration::from_secs(TIMEOUT * 3), "took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_file_that_stops_coming_is_cut_off_with_408() {
    for app in slow_apps().await {
        let (status, job) = app
            .send(
                reqwest::Method::POST,
                "/api/v1/imports",
                &app.admin_token,
                Some(serde_json::json!({"resource_type": "customers", "format": "csv"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        let path = format!("/api/v1/imports/{}/file", job["id"].as_str().unwrap());
        let head = format!(
            "PUT {path} HTTP/1.1\r\nHost: rapport\r\nContent-Type: text/csv\r\n\
         Authorization: Bearer {}\r\nContent-Length: 1000\r\n\r\nname\nWang\n",
            app.admin_token
        );
        // The first piece arrives; then nothing, for longer than the timeout.
        let address = app.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(TIMEOUT * 5),
            stream.read_to_end(&mut answer),
        )
        .await
        .expect("the server answers")
        .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        let (_, after) = app
            .send(
                reqwest::Method::GET,
                &path.replace("/file", ""),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(
            after["status"], "awaiting_file",
            "the half file was dropped: {after}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_slow_clients_do_not_stop_the_server_answering() {
    for app in slow_apps().await {
        let address = app.base.trim_start_matches("http://").to_owned();
        let mut slow = Vec::new();
        for i in 0..100 {
            let mut stream = TcpStream::connect(&address).await.unwrap();
            let head = if i % 2 == 0 {
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: rapport\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
            } else {
                "GET /health/live HTTP/1.1\r\nHost: rap"
            };
            stream.write_all(head.as_bytes()).await.unwrap();
            slow.push(stream);
        }
        for _ in 0..5 {
            let response = app
                .client
                .get(app.url("/health/live"))
                .timeout(Duration::from_secs(TIMEOUT))
                .send()
                .await
                .expect("/health/live answers while a hundred clients dawdle");
            assert_eq!(response.status(), StatusCode::OK);
            let (status, _) = app
                .send(reqwest::Method::GET, "/api/v1/me", &app.admin_token, None)
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        drop(slow);
    }
}
