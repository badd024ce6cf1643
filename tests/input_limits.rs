//! Every documented input limit, one past it: refused by name (a 422 naming the field, or a 400
//! naming the parameter or the filter), and nothing written. The benchmark `rapport-bench limits`
//! times the same bodies at their limits and over them.

use rapport_tests::{TestApp, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn many(n: usize, item: impl Fn(usize) -> Value) -> Value {
    Value::Array((0..n).map(item).collect())
}

fn condition(_: usize) -> Value {
    json!({"field": "name", "op": "eq", "value": "x"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_past_each_limit_is_refused_by_name() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let uuid = |_| json!(uuid::Uuid::now_v7());
        // One grant more than there are permissions: a role holds each at most once.
        let one_past_every_permission = rapport_domain::access::Permission::all().count() + 1;
        let grant = |i: usize| {
            let resources = ["customers", "users", "roles", "segments"];
            json!({"permission": format!("{}:read", resources[i % 4]), "scope": "all"})
        };
        let cases: Vec<(&str, Method, String, Value, u16, &str)> = vec![
            (
                "tags",
                Method::POST,
                "/api/v1/customers".into(),
                json!({"name": "x", "tags": many(51, |i| json!(format!("t{i}")))}),
                422,
                "tags",
            ),
            (
                "custom values",
                Method::POST,
                "/api/v1/customers".into(),
                json!({"name": "x", "custom_fields": (0..65).map(|i| (format!("k{i}"), json!(1))).collect::<serde_json::Map<_, _>>()}),
                422,
                "custom_fields",
            ),
            (
                "options",
                Method::POST,
                "/api/v1/custom-fields".into(),
                json!({"resource_type": "customer", "key": "k", "label": "K", "field_type": "enum",
                    "options": many(101, |i| json!(format!("o{i}")))}),
                422,
                "options",
            ),
            (
                "mapping",
                Method::POST,
                "/api/v1/imports".into(),
                json!({"resource_type": "customers", "format": "csv",
                    "mapping": (0..201).map(|i| (format!("c{i}"), Value::Null)).collect::<serde_json::Map<_, _>>()}),
                422,
                "mapping",
            ),
            (
                "conditions",
                Method::POST,
                "/api/v1/customers/search".into(),
                json!({"filter": {"and": many(51, condition)}}),
                400,
                "filter",
            ),
            (
                "values",
                Method::POST,
                "/api/v1/customers/search".into(),
                json!({"filter": {"field": "address.city", "op": "in", "value": many(101, |i| json!(format!("c{i}")))}}),
                400,
                "filter.value",
            ),
            (
                "sort keys",
                Method::POST,
                "/api/v1/customers/search".into(),
                json!({"sort": ["name", "created_at", "updated_at", "-name", "-created_at", "-updated_at"]}),
                400,
                "sort",
            ),
            (
                "sort keys in the query",
                Method::GET,
                "/api/v1/customers?sort=name,created_at,updated_at,-name,-created_at,-updated_at"
                    .into(),
                Value::Null,
                400,
                "sort",
            ),
            (
                "batch items",
                Method::POST,
                "/api/v1/customers/batch".into(),
                json!({"customers": many(1001, |i| json!({"external_id": format!("e{i}"), "name": "x"}))}),
                422,
                "customers",
            ),
            (
                "customer ids",
                Method::POST,
                "/api/v1/customers/tag".into(),
                json!({"tags": ["x"], "customer_ids": many(1001, uuid)}),
                422,
                "customer_ids",
            ),
            (
                "grants",
                Method::POST,
                "/api/v1/roles".into(),
                json!({"name": "too_many", "permissions": many(one_past_every_permission, grant)}),
                422,
                "permissions",
            ),
        ];
        for (what, method, path, body, status, field) in cases {
            let body = (!body.is_null()).then_some(body);
            let (got, problem) = app.send(method, &path, &app.admin_token, body).await;
            assert_eq!(got.as_u16(), status, "{what}: {problem}");
            let fields: Vec<&str> = problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert!(fields.contains(&field), "{what}: {problem}");
            assert!(
                fields.len() <= 2,
                "{what}: one mistake, not one per item: {problem}"
            );
        }
        assert_eq!(app.customer_count().await, 0);
        let (_, roles) = app
            .send(
                Method::GET,
                "/api/v1/roles?include_total=true",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(roles["total"], 6, "no role was made");
        let (status, _) = app
            .send(
                Method::GET,
                "/api/v1/customers?sort=name,created_at,updated_at,-name,-created_at",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "five keys are the limit, not past it"
        );
    }
}
