//! Duplicates and merging seen from outside: likely duplicates with their reasons, and a merge
//! that moves everything the duplicate owned, fills the survivor's blanks, keeps the trail, and
//! survives two merges of one pair racing.

use rapport_tests::{TestApp, assert_problem, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn path(customer: &Value, rest: &str) -> String {
    format!(
        "/api/v1/customers/{}{rest}",
        customer["id"].as_str().unwrap()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_are_found_by_identifier_and_by_name() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let ann = app
            .create_customer(token, json!({"name": "上海云帆贸易有限公司", "email": "ann@example.cn", "phone": "13800000001", "external_id": "X1", "source": "tb"}))
            .await;
        let same_name = app
            .create_customer(token, json!({"name": "上海云帆贸易"}))
            .await;
        let same_external = app
            .create_customer(
                token,
                json!({"name": "Other", "external_id": "X1", "source": "jd"}),
            )
            .await;
        app.create_customer(
            token,
            json!({"name": "Unrelated", "email": "bo@example.cn"}),
        )
        .await;
        let (status, body) = app
            .send(Method::GET, &path(&ann, "/duplicates"), token, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let found: Vec<(&str, Vec<&str>)> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["customer"]["id"].as_str().unwrap(),
                    d["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (same_external["id"].as_str().unwrap(), vec!["external_id"]),
                (same_name["id"].as_str().unwrap(), vec!["name"]),
            ],
            "{body}"
        );
        assert_eq!(body["data"][0]["score"], 30);

        let (_, sales) = app.user_with_role("sales").await;
        let (status, body) = app
            .send(Method::GET, &path(&ann, "/duplicates"), &sales, None)
            .await;
        assert_problem(status, &body, 404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_moves_everything_the_duplicate_owned() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let survivor = app
            .create_customer(token, json!({"name": "Ann Lee", "kind": "company", "tags": ["vip"], "address": {"city": "上海市"}}))
            .await;
        let duplicate = app
            .create_customer(token, json!({
                "name": "ann lee", "kind": "company", "email": "ann@example.cn", "phone": "13800000001",
                "tags": ["b2b"], "address": {"city": "北京市", "street": "长安街 1 号"}, "notes": "from the fair",
                "marketing_consent": {"opted_in": true, "channel": "web"}
            }))
            .await;
        for (owner, name) in [
            (&survivor, "Primary of the survivor"),
            (&duplicate, "Primary of the duplicate"),
        ] {
            let (status, _) = app
                .send(
                    Method::POST,
                    &path(owner, "/contacts"),
                    token,
                    Some(json!({"name": name, "is_primary": true})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let (_, list) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                token,
                Some(json!({"name": "List", "kind": "static"})),
            )
            .await;
        let add = format!(
            "/api/v1/segments/{}/add-customers",
            list["id"].as_str().unwrap()
        );
        app.send(
            Method::POST,
            &add,
            token,
            Some(json!({"customer_ids": [survivor["id"], duplicate["id"]]})),
        )
        .await;

        let response = app
            .request(
                Method::POST,
                &path(&survivor, "/merge"),
                token,
                Some(json!({"duplicate_id": duplicate["id"]})),
            )
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let merged: Value = response.json().await.unwrap();
        assert_eq!(merged["name"], "Ann Lee", "the survivor keeps its values");
        assert_eq!(merged["address"]["city"], "上海市");
        assert_eq!(
            merged["address"]["street"], "长安街 1 号",
            "and takes what it lacked"
        );
        assert_eq!(merged["email"], "ann@example.cn");
        assert_eq!(merged["phone"], "13800000001");
        assert_eq!(merged["notes"], "from the fair");
        assert_eq!(merged["tags"], json!(["vip", "b2b"]));
        assert_eq!(merged["marketing_consent"]["opted_in"], true);
        assert_eq!(merged["version"], 2);

        let (status, _) = app
            .send(Method::GET, &path(&duplicate, ""), token, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "the duplicate is gone");
        let (_, contacts) = app
            .send(Method::GET, &path(&survivor, "/contacts"), token, None)
            .await;
        let contacts: Vec<(&str, bool)> = contacts["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap(),
                    c["is_primary"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            contacts,
            [
                ("Primary of the survivor", true),
                ("Primary of the duplicate", false)
            ]
        );
        let (_, consent) = app
            .send(Method::GET, &path(&survivor, "/consent"), token, None)
            .await;
        assert_eq!(
            consent["data"][0]["channel"], "web",
            "the decision moved with the customer"
        );
        let (_, members) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/segments/{}/customers?include_total=true",
                    list["id"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        assert_eq!(members["total"], 1);
        let (_, tagged) = app
            .send(Method::GET, "/api/v1/tags?prefix=b2b", token, None)
            .await;
        assert_eq!(tagged["data"], json!([{"tag": "b2b", "customer_count": 1}]));

        let (_, trail) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/audit-events?resource_id={}",
                    survivor["id"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        assert_eq!(trail["data"][0]["action"], "customer.merged");
        assert_eq!(
            trail["data"][0]["changes"]["merged_customer"]["after"]["id"],
            duplicate["id"]
        );
        let (_, feed) = app
            .send(
                Method::GET,
                "/api/v1/events?types=customer.merged,customer.deleted",
                token,
                None,
            )
            .await;
        let kinds: Vec<&str> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["customer.deleted", "customer.merged"]);
        assert_eq!(
            feed["data"][1]["data"]["merged_customer_id"],
            duplicate["id"]
        );
        assert_eq!(feed["data"][0]["data"]["merged_into"], survivor["id"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_that_breaks_a_rule_changes_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let person = app.create_customer(token, json!({"name": "Person"})).await;
        let company = app
            .create_customer(token, json!({"name": "Company", "kind": "company"}))
            .await;
        app.send(
            Method::POST,
            &path(&company, "/contacts"),
            token,
            Some(json!({"name": "Bo"})),
        )
        .await;
        let (status, body) = app
            .send(
                Method::POST,
                &path(&person, "/merge"),
                token,
                Some(json!({"duplicate_id": company["id"]})),
            )
            .await;
        assert_problem(status, &body, 409, "contacts_require_company");
        let (status, _) = app
            .send(Method::GET, &path(&company, ""), token, None)
            .await;
        assert_eq!(status, StatusCode::OK, "nothing was deleted");

        let (status, body) = app
            .send(
                Method::POST,
                &path(&person, "/merge"),
                token,
                Some(json!({"duplicate_id": person["id"]})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["code"], "same_customer");
        let (status, body) = app
            .send(
                Method::POST,
                &path(&person, "/merge"),
                token,
                Some(json!({"duplicate_id": "01939f8e-0000-7000-8000-000000000000"})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "duplicate_id");

        let (_, sales) = app.user_with_role("sales").await;
        let (status, body) = app
            .send(
                Method::POST,
                &path(&company, "/merge"),
                &sales,
                Some(json!({"duplicate_id": person["id"]})),
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_merges_of_one_pair_racing_leave_one_customer() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        for round in 0..5 {
            let a = app
                .create_customer(
                    token,
                    json!({"name": format!("A{round}"), "email": format!("a{round}@example.cn")}),
                )
                .await;
            let b = app
                .create_customer(
                    token,
                    json!({"name": format!("B{round}"), "phone": format!("1380000{round:04}")}),
                )
                .await;
            let (into_a, into_b) = (path(&a, "/merge"), path(&b, "/merge"));
            let (one, other) = tokio::join!(
                app.send(
                    Method::POST,
                    &into_a,
                    token,
                    Some(json!({"duplicate_id": b["id"]}))
                ),
                app.send(
                    Method::POST,
                    &into_b,
                    token,
                    Some(json!({"duplicate_id": a["id"]}))
                ),
            );
            let statuses = [one.0.as_u16(), other.0.as_u16()];
            assert!(
                statuses.contains(&200),
                "one merge wins: {statuses:?} {one:?} {other:?}"
            );
            assert!(
                statuses.iter().any(|s| [404, 422].contains(s)),
                "the other finds its customer gone: {statuses:?}"
            );
            let winner = if one.0 == StatusCode::OK {
                &one.1
            } else {
                &other.1
            };
            assert_eq!(winner["email"], format!("a{round}@example.cn"));
            assert!(winner["phone"].as_str().is_some());
        }
        let (_, page) = app
            .send(
                Method::GET,
                "/api/v1/customers?include_total=true",
                token,
                None,
            )
            .await;
        assert_eq!(page["total"], 5);
    }
}
