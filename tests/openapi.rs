//! The OpenAPI document is the product's face: committed, complete, and in step with the router.

use rapport_tests::{TestApp, backends, read};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[test]
fn the_committed_document_is_what_the_server_generates() {
    let generated = rapport_api::openapi::document_json();
    let committed = std::fs::read_to_string(rapport_openapi::committed_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -q -- openapi > openapi/openapi.json` and commit it"
    );
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn has_example(doc: &Value, schema: &Value) -> bool {
    let schema = resolve(doc, schema);
    schema.get("example").is_some()
        || schema.get("examples").is_some()
        || schema["properties"]["data"]["items"]
            .get("$ref")
            .is_some_and(|_| has_example(doc, &schema["properties"]["data"]["items"]))
}

#[test]
fn every_operation_is_fully_described() {
    let doc: Value = serde_json::from_str(&rapport_api::openapi::document_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(
            path.chars()
                .all(|c| c.is_ascii_lowercase() || "/{}_-0123456789".contains(c)),
            "{path} is kebab-case"
        );
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{at}: operationId"));
            assert!(
                ids.insert(id.to_owned()),
                "{at}: operationId {id} is unique"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: tag"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: summary"
            );
            assert!(op.get("security").is_some(), "{at}: security requirement");
            if let Some(body) = op.get("requestBody") {
                for (media_type, media) in body["content"].as_object().unwrap() {
                    // A JSON body's example is its schema's; a file's is the media type's own.
                    assert!(
                        media.get("example").is_some() || has_example(&doc, &media["schema"]),
                        "{at}: request example for {media_type}"
                    );
                }
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("503"), "{at}: 503");
            if path.starts_with("/api/v1/") {
                assert!(responses.contains_key("429"), "{at}: 429");
            }
            for (status, response) in responses {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{at} {status}: description"
                );
                let content = &response["content"];
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        content.get("application/problem+json").is_some(),
                        "{at} {status}: problem+json"
                    );
                } else if let Some(json) = content.get("application/json") {
                    assert!(has_example(&doc, &json["schema"]), "{at} {status}: example");
                }
            }
            if op.get("x-permission").is_some() {
                assert!(responses.contains_key("401"), "{at}: 401");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{at}: {status}");
                }
            }
        }
    }
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    assert!(
        codes
            .as_array()
            .is_some_and(|c| c.len() == rapport_api::problem::ErrorCode::ALL.len()),
        "every error code is listed"
    );
}

#[test]
fn the_permission_table_and_the_document_list_the_same_operations() {
    let doc: Value = serde_json::from_str(&rapport_api::openapi::document_json()).unwrap();
    for (method, pattern, _) in rapport_api::auth::permissions::ROUTES {
        let op = &doc["paths"][pattern][method.to_lowercase()];
        assert!(
            op.is_object(),
            "{method} {pattern} is in the permission table but not in the document"
        );
        assert!(
            op.get("x-permission").is_some(),
            "{method} {pattern} states its permission"
        );
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let public = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
            });
            let listed =
                rapport_api::auth::permissions::required(&method.to_uppercase(), path).is_some();
            assert!(
                public != listed,
                "{method} {path}: authenticated operations are in the permission table, public ones are not"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_answers_exactly_the_documented_operations() {
    let app = TestApp::spawn(&backends()[0]).await;
    let (status, served) = read(
        app.client
            .get(app.url("/api-docs/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let generated: Value = serde_json::from_str(&rapport_api::openapi::document_json()).unwrap();
    assert_eq!(
        served, generated,
        "the served document is the generated one"
    );
    for (path, item) in served["paths"].as_object().unwrap() {
        let concrete: String = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "01939f8e-0000-7000-8000-000000000000"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in METHODS {
            let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = app.send(verb, &concrete, "no-token", None).await;
            if item.get(method).is_some() {
                assert!(
                    status != StatusCode::NOT_FOUND || path.contains('{'),
                    "{method} {path} is documented but not routed: {body}"
                );
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but not routed"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} answers but is not documented: {body}"
                );
            }
        }
    }
}
