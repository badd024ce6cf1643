//! Every built-in role against every authenticated operation, derived from the OpenAPI document's
//! `x-permission` and the roles' own grants as the API reports them: a role is refused with 403
//! exactly when it lacks the operation's permission.

use std::collections::{HashMap, HashSet};

use rapport_tests::{TestApp, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "01939f8e-0000-7000-8000-000000000000"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_route() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let (_, roles) = app
        .send(
            Method::GET,
            "/api/v1/roles?limit=200",
            &app.admin_token,
            None,
        )
        .await;
    let mut granted: HashMap<String, HashSet<String>> = HashMap::new();
    for role in roles["data"].as_array().unwrap() {
        let permissions = role["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["permission"].as_str().unwrap().to_owned())
            .collect();
        granted.insert(role["name"].as_str().unwrap().to_owned(), permissions);
    }
    assert_eq!(granted.len(), 6, "the six built-in roles");
    let mut tokens = HashMap::new();
    for role in granted.keys() {
        tokens.insert(
            role.clone(),
            if role == "admin" {
                app.admin_token.clone()
            } else {
                app.user_with_role(role).await.1
            },
        );
    }

    let (_, doc) = rapport_tests::read(
        app.client
            .get(app.url("/api-docs/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(permission) = operation.get("x-permission").and_then(Value::as_str) else {
                continue;
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (role, token) in &tokens {
                let body = matches!(method, Method::POST | Method::PATCH).then(|| json!({}));
                let (status, problem) =
                    app.send(method.clone(), &concrete(path), token, body).await;
                let allowed = permission.contains(' ') || granted[role].contains(permission);
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{role} {method} {path}");
                if allowed {
                    assert_ne!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{role} {method} {path} needs {permission}: {problem}"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{role} {method} {path} lacks {permission}: {problem}"
                    );
                    assert_eq!(problem["code"], "forbidden");
                }
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 6 * 20,
        "every operation was tried by every role ({checked})"
    );
}
