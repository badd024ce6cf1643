//! Tags seen from outside: counts within the caller's scope, and tagging or untagging many
//! customers at once, all or nothing, recorded as if changed one by one, safe under concurrency.

use rapport_tests::{TestApp, assert_problem, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn tag_counts(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = app
        .send(Method::GET, &format!("/api/v1/tags{query}"), token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagging_by_id_and_by_filter_changes_each_customer_as_by_hand() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let a = app
            .create_customer(
                token,
                json!({"name": "A", "tags": ["old"], "address": {"city": "上海市"}}),
            )
            .await;
        let b = app
            .create_customer(token, json!({"name": "B", "address": {"city": "上海市"}}))
            .await;
        let c = app
            .create_customer(token, json!({"name": "C", "address": {"city": "北京市"}}))
            .await;

        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/tag",
                token,
                Some(json!({
                    "tags": ["vip", " 双十一 "],
                    "filter": {"field": "address.city", "op": "eq", "value": "上海市"}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 2, "changed": 2}));
        let (_, a_now) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{}", a["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(a_now["tags"], json!(["old", "vip", "双十一"]));
        assert_eq!(a_now["version"], 2);

        // Tagging again changes nothing and bumps no version.
        let (_, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/tag",
                token,
                Some(json!({
                    "tags": ["vip"], "customer_ids": [a["id"], b["id"], c["id"]]
                })),
            )
            .await;
        assert_eq!(
            body,
            json!({"matched": 3, "changed": 1}),
            "only C lacked vip"
        );

        let counts = tag_counts(&app, token, "?include_total=true").await;
        assert_eq!(counts["total"], 3, "{counts}");
        assert_eq!(
            counts["data"][0],
            json!({"tag": "vip", "customer_count": 3})
        );
        assert_eq!(
            tag_counts(&app, token, "?prefix=%E5%8F%8C").await["data"],
            json!([{"tag": "双十一", "customer_count": 2}])
        );
        let first = tag_counts(&app, token, "?limit=1").await;
        let rest = tag_counts(
            &app,
            token,
            &format!(
                "?limit=10&cursor={}",
                first["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
        let names: Vec<&str> = rest["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tag"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["双十一", "old"], "most used first, then by tag");

        // Each change is audited and announced like a change by hand.
        let (_, audit) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/audit-events?resource_id={}",
                    c["id"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        assert_eq!(audit["data"][0]["action"], "customer.updated", "{audit}");
        assert_eq!(
            audit["data"][0]["changes"]["tags"],
            json!({"before": [], "after": ["vip"]})
        );
        let (_, events) = app
            .send(
                Method::GET,
                "/api/v1/events?types=customer.updated&limit=200",
                token,
                None,
            )
            .await;
        assert_eq!(events["data"].as_array().unwrap().len(), 3, "{events}");

        let (status, body) = app
            .send(Method::POST, "/api/v1/customers/untag", token, Some(json!({
                "tags": ["vip", "nope"], "filter": {"field": "tags", "op": "contains", "value": "vip"}
            })))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 3, "changed": 3}));
        assert_eq!(
            tag_counts(&app, token, "").await["data"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_change_that_breaks_a_rule_changes_nobody() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let many: Vec<String> = (0..49).map(|i| format!("t{i}")).collect();
        let full = app
            .create_customer(token, json!({"name": "Full", "tags": many}))
            .await;
        let other = app.create_customer(token, json!({"name": "Other"})).await;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/tag",
                token,
                Some(json!({
                    "tags": ["x", "y"], "customer_ids": [other["id"], full["id"]]
                })),
            )
            .await;
        assert_problem(status, &body, 409, "too_many_tags");
        assert_eq!(body["errors"][0]["field"], "tags");
        let (_, other_now) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{}", other["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(other_now["tags"], json!([]), "nothing changed");
        assert_eq!(other_now["version"], 1);

        // Neither or both of ids and filter; a bad filter is named; a bad tag too.
        for (body, status, field) in [
            (json!({"tags": ["x"]}), 422, "customer_ids"),
            (
                json!({"tags": ["x"], "customer_ids": [other["id"]], "filter": {"field": "name", "op": "eq", "value": "x"}}),
                422,
                "customer_ids",
            ),
            (
                json!({"tags": ["x"], "filter": {"field": "nme", "op": "eq", "value": "x"}}),
                400,
                "filter.field",
            ),
            (
                json!({"tags": [""], "customer_ids": [other["id"]]}),
                422,
                "tags[0]",
            ),
            (
                json!({"tags": [], "customer_ids": [other["id"]]}),
                422,
                "tags",
            ),
            (
                json!({"tags": ["x"], "customer_ids": null, "filter": {"field": "name", "op": "eq", "value": "x"}}),
                422,
                "customer_ids",
            ),
            (json!({"tags": ["x"], "filter": null}), 422, "filter"),
        ] {
            let (got, problem) = app
                .send(
                    Method::POST,
                    "/api/v1/customers/tag",
                    token,
                    Some(body.clone()),
                )
                .await;
            assert_eq!(got.as_u16(), status, "{body}: {problem}");
            assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_users_tag_and_count_only_their_own_customers() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, sales) = app.user_with_role("sales").await;
        let mine = app
            .create_customer(&sales, json!({"name": "Mine", "tags": ["vip"]}))
            .await;
        let theirs = app
            .create_customer(
                &app.admin_token,
                json!({"name": "Theirs", "tags": ["vip", "other"]}),
            )
            .await;
        assert_eq!(
            tag_counts(&app, &sales, "").await["data"],
            json!([{"tag": "vip", "customer_count": 1}])
        );
        let (_, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/tag",
                &sales,
                Some(json!({
                    "tags": ["followed"], "customer_ids": [mine["id"], theirs["id"]]
                })),
            )
            .await;
        assert_eq!(
            body,
            json!({"matched": 1, "changed": 1}),
            "another owner's customer is not matched"
        );
        let (_, viewer) = app.user_with_role("viewer").await;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/tag",
                &viewer,
                Some(json!({"tags": ["x"], "customer_ids": [mine["id"]]})),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bulk_changes_over_the_same_customers_lose_no_tag() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(
                app.create_customer(token, json!({"name": format!("c{i}")}))
                    .await["id"]
                    .clone(),
            );
        }
        let requests = (0..8).map(|i| {
            let body = json!({"tags": [format!("wave{i}")], "filter": {"field": "name", "op": "starts_with", "value": "c"}});
            app.send(Method::POST, "/api/v1/customers/tag", token, Some(body))
        });
        for (status, body) in futures_util::future::join_all(requests).await {
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["changed"], 20, "{body}");
        }
        for id in ids {
            let (_, customer) = app
                .send(
                    Method::GET,
                    &format!("/api/v1/customers/{}", id.as_str().unwrap()),
                    token,
                    None,
                )
                .await;
            assert_eq!(customer["tags"].as_array().unwrap().len(), 8, "{customer}");
            assert_eq!(customer["version"], 9, "one version per change: {customer}");
        }
        let counts = tag_counts(&app, token, "").await;
        assert!(
            counts["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["customer_count"] == 20),
            "{counts}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_over_more_than_a_thousand_customers_is_refused_and_changes_nobody() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        for (batch, size) in [(0, 1000), (1, 1)] {
            let customers: Vec<Value> = (0..size)
                .map(|i| json!({"source": "erp", "external_id": format!("E-{batch}-{i}"), "name": format!("Many {batch} {i}")}))
                .collect();
            app.batch_upsert(token, customers).await;
        }
        let every = json!({"field": "source", "op": "eq", "value": "erp"});
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers/tag",
                token,
                Some(json!({"tags": ["bulk"], "filter": every})),
            )
            .await;
        assert_problem(status, &body, 409, "too_many_matches");
        assert_eq!(body["errors"][0]["field"], "filter", "{body}");
        assert_eq!(
            tag_counts(&app, token, "?prefix=bulk").await["data"],
            json!([])
        );
    }
}
