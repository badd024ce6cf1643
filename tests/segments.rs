//! Segments seen from outside: dynamic segments follow their filter, static ones keep the
//! customers added to them, members and counts respect the caller's scope, and every rule has its
//! answer.

use rapport_tests::{TestApp, assert_problem, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn create_segment(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = app
        .send(Method::POST, "/api/v1/segments", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn members(app: &TestApp, token: &str, segment: &Value) -> Vec<String> {
    let (status, page) = app
        .send(
            Method::GET,
            &format!(
                "/api/v1/segments/{}/customers?limit=200&sort=name",
                id(segment)
            ),
            token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn count(app: &TestApp, token: &str, segment: &Value) -> u64 {
    let (status, body) = app
        .send(
            Method::GET,
            &format!("/api/v1/segments/{}", id(segment)),
            token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["customer_count"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_segment_is_whoever_its_filter_selects_now() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("customer", "tier", "enum", &["gold", "silver"], false)
            .await;
        for (name, city, tier) in [
            ("Ann", "上海市", "gold"),
            ("Bo", "上海市", "silver"),
            ("Cy", "北京市", "gold"),
        ] {
            app.create_customer(
                token,
                json!({"name": name, "address": {"city": city}, "custom_fields": {"tier": tier}}),
            )
            .await;
        }
        let filter = json!({"and": [
            {"field": "address.city", "op": "eq", "value": "上海市"},
            {"field": "custom_fields.tier", "op": "eq", "value": "gold"}
        ]});
        let (status, preview) = app
            .send(
                Method::POST,
                "/api/v1/segments/preview",
                token,
                Some(json!({"filter": filter})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["customer_count"], 1);
        assert_eq!(preview["sample"][0]["name"], "Ann");

        let segment = create_segment(
            &app,
            token,
            json!({"name": "Shanghai gold", "kind": "dynamic", "filter": filter}),
        )
        .await;
        assert_eq!(segment["filter"], filter);
        assert_eq!(members(&app, token, &segment).await, ["Ann"]);
        app.create_customer(
            token,
            json!({"name": "Di", "address": {"city": "上海市"}, "custom_fields": {"tier": "gold"}}),
        )
        .await;
        assert_eq!(
            members(&app, token, &segment).await,
            ["Ann", "Di"],
            "a new match belongs at once"
        );
        assert_eq!(count(&app, token, &segment).await, 2);

        // A new filter, with If-Match.
        let response = app
            .request(
                Method::PATCH,
                &format!("/api/v1/segments/{}", id(&segment)),
                token,
                Some(json!({
                    "filter": {"field": "custom_fields.tier", "op": "eq", "value": "gold"}
                })),
            )
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["etag"], "\"2\"");
        assert_eq!(members(&app, token, &segment).await, ["Ann", "Cy", "Di"]);

        // A static segment takes no filter; a dynamic one needs one; names are unique.
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                token,
                Some(json!({"name": "x", "kind": "static", "filter": filter})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["code"], "not_allowed");
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                token,
                Some(json!({"name": "x", "kind": "dynamic"})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["code"], "required");
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                token,
                Some(json!({"name": "Shanghai gold", "kind": "static"})),
            )
            .await;
        assert_problem(status, &body, 409, "segment_name_taken");
        let (status, body) = app
            .send(
                Method::POST,
                &format!("/api/v1/segments/{}/add-customers", id(&segment)),
                token,
                Some(json!({
                    "filter": {"field": "name", "op": "eq", "value": "Bo"}
                })),
            )
            .await;
        assert_problem(status, &body, 409, "segment_is_dynamic");

        // When a field its filter names is deleted, the segment says so instead of guessing.
        let (_, fields) = app
            .send(Method::GET, "/api/v1/custom-fields", token, None)
            .await;
        let tier = fields["data"][0]["id"].as_str().unwrap().to_owned();
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/custom-fields/{tier}"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = app
            .send(
                Method::GET,
                &format!("/api/v1/segments/{}/customers", id(&segment)),
                token,
                None,
            )
            .await;
        assert_problem(status, &body, 409, "segment_filter_outdated");
        assert_eq!(body["errors"][0]["field"], "filter.field", "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_segment_keeps_the_customers_added_to_it() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let ann = app
            .create_customer(token, json!({"name": "Ann", "tags": ["vip"]}))
            .await;
        let bo = app
            .create_customer(token, json!({"name": "Bo", "tags": ["vip"]}))
            .await;
        let cy = app.create_customer(token, json!({"name": "Cy"})).await;
        let segment = create_segment(
            &app,
            token,
            json!({"name": "Hand picked", "kind": "static", "description": "for the fair"}),
        )
        .await;
        assert_eq!(count(&app, token, &segment).await, 0);
        let add_path = format!("/api/v1/segments/{}/add-customers", id(&segment));
        let add = |body: Value| app.send(Method::POST, &add_path, token, Some(body));
        let (status, body) =
            add(json!({"filter": {"field": "tags", "op": "contains", "value": "vip"}})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"matched": 2, "changed": 2}));
        let (_, body) = add(
            json!({"customer_ids": [ann["id"], cy["id"], "01939f8e-0000-7000-8000-000000000000"]}),
        )
        .await;
        assert_eq!(
            body,
            json!({"matched": 2, "changed": 1}),
            "Ann was in already; the unknown id matches nothing"
        );
        assert_eq!(members(&app, token, &segment).await, ["Ann", "Bo", "Cy"]);

        // Members stay when they no longer match anything; they go when removed or deleted.
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/customers/{}", id(&bo)),
                token,
                Some(json!({"tags": []})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(count(&app, token, &segment).await, 3);
        let (_, body) = app
            .send(
                Method::POST,
                &format!("/api/v1/segments/{}/remove-customers", id(&segment)),
                token,
                Some(json!({"customer_ids": [bo["id"]]})),
            )
            .await;
        assert_eq!(body, json!({"matched": 1, "changed": 1}));
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/customers/{}", id(&cy)),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(members(&app, token, &segment).await, ["Ann"]);

        // The membership changes are in the audit trail and the event feed.
        let (_, events) = app
            .send(
                Method::GET,
                "/api/v1/events?types=segment.customers_added,segment.customers_removed",
                token,
                None,
            )
            .await;
        let kinds: Vec<&str> = events["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "segment.customers_added",
                "segment.customers_added",
                "segment.customers_removed"
            ]
        );
        assert_eq!(events["data"][2]["data"]["customer_ids"], json!([bo["id"]]));

        // A static segment takes no filter later either; deleting it leaves the customers.
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/segments/{}", id(&segment)),
                token,
                Some(json!({
                    "filter": {"field": "name", "op": "eq", "value": "Ann"}
                })),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/segments/{}", id(&segment)),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{}", id(&ann)),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = app
            .send(
                Method::GET,
                &format!("/api/v1/segments/{}", id(&segment)),
                token,
                None,
            )
            .await;
        assert_problem(status, &body, 404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_and_counts_cover_only_customers_the_caller_may_see() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, sales) = app.user_with_role("sales").await;
        let (_, marketing) = app.user_with_role("marketing").await;
        let mine = app
            .create_customer(&sales, json!({"name": "Mine", "tags": ["vip"]}))
            .await;
        app.create_customer(&app.admin_token, json!({"name": "Theirs", "tags": ["vip"]}))
            .await;
        let segment = create_segment(&app, &marketing, json!({
            "name": "VIPs", "kind": "dynamic", "filter": {"field": "tags", "op": "contains", "value": "vip"}
        }))
        .await;
        assert_eq!(count(&app, &marketing, &segment).await, 2);
        assert_eq!(count(&app, &sales, &segment).await, 1);
        assert_eq!(members(&app, &sales, &segment).await, ["Mine"]);
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                &sales,
                Some(json!({"name": "Mine", "kind": "static"})),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");

        // Adding to a static list reaches only customers the caller may see, too.
        let list = create_segment(
            &app,
            &app.admin_token,
            json!({"name": "List", "kind": "static"}),
        )
        .await;
        let (_, body) = app
            .send(
                Method::POST,
                &format!("/api/v1/segments/{}/add-customers", id(&list)),
                &app.admin_token,
                Some(json!({
                    "filter": {"field": "tags", "op": "contains", "value": "vip"}
                })),
            )
            .await;
        assert_eq!(body["changed"], 2, "{body}");
        assert_eq!(members(&app, &sales, &list).await, ["Mine"]);
        assert_eq!(mine["name"], "Mine");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_additions_to_one_list_add_each_customer_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let mut ids = Vec::new();
        for i in 0..30 {
            ids.push(
                app.create_customer(token, json!({"name": format!("c{i:02}")}))
                    .await["id"]
                    .clone(),
            );
        }
        let list = create_segment(&app, token, json!({"name": "List", "kind": "static"})).await;
        let path = format!("/api/v1/segments/{}/add-customers", id(&list));
        let requests = (0..6).map(|i| {
            let chosen: Vec<Value> = ids.iter().skip(i * 3).take(15).cloned().collect();
            app.send(
                Method::POST,
                &path,
                token,
                Some(json!({"customer_ids": chosen})),
            )
        });
        let mut added = 0;
        for (status, body) in futures_util::future::join_all(requests).await {
            assert_eq!(status, StatusCode::OK, "{body}");
            added += body["changed"].as_u64().unwrap();
        }
        let expected = 30;
        assert_eq!(added, expected, "every customer was added exactly once");
        assert_eq!(count(&app, token, &list).await, expected);
    }
}
