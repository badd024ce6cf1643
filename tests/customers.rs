//! Customers and contacts over HTTP: the life cycle, data scope, validation, races and retries.

use std::collections::HashSet;

use rapport_tests::{TestApp, assert_problem, backends, error_fields, error_pairs, pairs, read};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_lives_through_create_read_list_patch_and_delete() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("customer", "industry", "enum", &["retail", "food"], false)
            .await;
        let response = app
            .request(Method::POST, "/api/v1/customers", token, Some(json!({
                "name": "王芳", "email": "Wang.Fang@Example.cn", "phone": "+86 138 0013 8000",
                "tags": ["vip", "vip", " 新客 "], "address": {"city": "上海市"}, "custom_fields": {"industry": "retail"}
            })))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(response.headers()["etag"], "\"1\"");
        let (_, created) = read(response).await;
        assert_eq!(created["email"], "wang.fang@example.cn");
        assert_eq!(created["phone"], "+8613800138000");
        assert_eq!(created["tags"], json!(["vip", "新客"]));
        assert_eq!(created["lifecycle_stage"], "lead");
        assert_eq!(
            location,
            format!("/api/v1/customers/{}", created["id"].as_str().unwrap())
        );

        let (status, fetched) = app.send(Method::GET, &location, token, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fetched, created);

        let (status, list) = app
            .send(
                Method::GET,
                "/api/v1/customers?tag=vip&q=WANG&include_total=true",
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["total"], 1);
        assert_eq!(list["data"][0]["id"], created["id"]);
        assert_eq!(list["has_more"], false);

        let response = app
            .request(
                Method::PATCH,
                &location,
                token,
                Some(json!({"lifecycle_stage": "customer", "notes": "VIP since 2020"})),
            )
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["etag"], "\"2\"");
        let (_, patched) = read(response).await;
        assert_eq!(patched["lifecycle_stage"], "customer");
        assert_eq!(patched["version"], 2);

        let response = app
            .request(
                Method::PATCH,
                &location,
                token,
                Some(json!({"notes": null})),
            )
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap();
        let (status, body) = read(response).await;
        assert_problem(status, &body, 412, "precondition_failed");
        assert_eq!(body["current_version"], 2);
        let (_, unchanged) = app.send(Method::GET, &location, token, None).await;
        assert_eq!(
            unchanged["notes"], "VIP since 2020",
            "a stale If-Match changes nothing"
        );

        let (status, _) = app.send(Method::DELETE, &location, token, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = app.send(Method::GET, &location, token, None).await;
        assert_problem(status, &body, 404, "not_found");

        let (_, audit) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/audit-events?resource_id={}",
                    created["id"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        let actions: Vec<&str> = audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec!["customer.deleted", "customer.updated", "customer.created"]
        );
        assert_eq!(
            audit["data"][1]["changes"]["lifecycle_stage"],
            json!({"before": "lead", "after": "customer"})
        );

        let (_, events) = app
            .send(
                Method::GET,
                "/api/v1/events?types=customer.created,customer.updated,customer.deleted",
                token,
                None,
            )
            .await;
        let types: Vec<&str> = events["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            vec!["customer.created", "customer.updated", "customer.deleted"]
        );
        assert_eq!(events["data"][1]["previous"]["lifecycle_stage"], "lead");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_error_is_reported_at_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, body) = app
            .send(Method::POST, "/api/v1/customers", &app.admin_token, Some(json!({
                "name": " ", "email": "not-an-email", "phone": "12ab", "birthday": "2999-01-01",
                "tags": ["ok", ""], "address": {"city": "x".repeat(201)}, "custom_fields": {"Bad Key": 1}
            })))
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        let mut fields = error_fields(&body);
        fields.sort_unstable();
        assert_eq!(
            fields,
            vec![
                "address.city",
                "birthday",
                "custom_fields.Bad Key",
                "email",
                "name",
                "phone",
                "tags[1]"
            ]
        );
        let (_, list) = app
            .send(
                Method::GET,
                "/api/v1/customers?include_total=true",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(list["total"], 0, "an invalid write changes nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_type_does_not_hide_the_other_fields_mistakes() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        // A number for the name, an object for the phone, an unknown gender, an unknown field:
        // none of them hides the email's or the birthday's mistake, nor each other.
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &app.admin_token,
                Some(json!({
                    "name": 42, "email": "not-an-email", "phone": {"number": 1}, "gender": "robot",
                    "birthday": "2999-01-01", "nickname": "x", "tags": ["ok", 7]
                })),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("birthday", "in_future"),
                ("email", "invalid_email"),
                ("gender", "invalid_type"),
                ("name", "invalid_type"),
                ("nickname", "unknown_field"),
                ("phone", "invalid_type"),
                ("tags[1]", "invalid_type"),
            ]),
            "{body}"
        );
        // A change likewise; and the values that did not fit are not repeated back.
        let created = app
            .create_customer(&app.admin_token, json!({"name": "王芳"}))
            .await;
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/customers/{}", created["id"].as_str().unwrap()),
                &app.admin_token,
                Some(json!({"phone": 13800138000_u64, "email": "x@localhost", "name": "\u{202E}txt.exe"})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("email", "invalid_email"),
                ("name", "invalid_characters"),
                ("phone", "invalid_type"),
            ]),
            "{body}"
        );
        assert!(!body.to_string().contains("13800138000"), "{body}");
        assert_eq!(
            app.customer_count().await,
            1,
            "an invalid write changes nothing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_unknown_fields_are_rejected_by_name() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        for field in ["id", "version", "created_at", "nmae"] {
            let (status, body) = app
                .send(
                    Method::POST,
                    "/api/v1/customers",
                    &app.admin_token,
                    Some(json!({"name": "A", field: 1})),
                )
                .await;
            assert_problem(status, &body, 422, "validation_failed");
            assert_eq!(body["errors"][0]["field"], field);
            assert_eq!(body["errors"][0]["code"], "unknown_field");
        }
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &app.admin_token,
                Some(json!({"name": 5})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "name");
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &app.admin_token,
                Some(json!({"email": "a@b.cn"})),
            )
            .await;
        assert_eq!(body["errors"][0]["code"], "required", "{status} {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_and_phone_are_unique() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let first = app
            .create_customer(
                token,
                json!({"name": "A", "email": "same@example.cn", "phone": "13800138000"}),
            )
            .await;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                token,
                Some(json!({"name": "B", "email": "SAME@example.cn"})),
            )
            .await;
        assert_problem(status, &body, 409, "email_taken");
        assert_eq!(body["errors"][0]["field"], "email");
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                token,
                Some(json!({"name": "B", "phone": "138-0013-8000"})),
            )
            .await;
        assert_problem(status, &body, 409, "phone_taken");
        let second = app.create_customer(token, json!({"name": "B"})).await;
        let path = format!("/api/v1/customers/{}", second["id"].as_str().unwrap());
        let (status, body) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"email": "same@example.cn"})),
            )
            .await;
        assert_problem(status, &body, 409, "email_taken");
        let (_, list) = app
            .send(
                Method::GET,
                "/api/v1/customers?include_total=true",
                token,
                None,
            )
            .await;
        assert_eq!(list["total"], 2);
        assert_ne!(first["id"], second["id"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_user_gets_404_for_another_owners_customer_and_never_sees_it() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (alice_id, alice) = app.user_with_role("sales").await;
        let (_, bob) = app.user_with_role("sales").await;
        let own = app
            .create_customer(
                &alice,
                json!({"name": "Alice's customer", "email": "mine@example.cn"}),
            )
            .await;
        assert_eq!(
            own["owner_id"],
            alice_id.to_string(),
            "a sales user owns what they create"
        );
        let others = app
            .create_customer(
                &bob,
                json!({"name": "Bob's customer", "email": "theirs@example.cn", "tags": ["vip"]}),
            )
            .await;
        let theirs = format!("/api/v1/customers/{}", others["id"].as_str().unwrap());

        for (method, body) in [
            (Method::GET, None),
            (Method::PATCH, Some(json!({"name": "x"}))),
        ] {
            let (status, problem) = app.send(method, &theirs, &alice, body).await;
            assert_problem(status, &problem, 404, "not_found");
        }
        let (status, _) = app
            .send(Method::GET, &format!("{theirs}/contacts"), &alice, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for query in ["", "?q=bob", "?tag=vip", "?q=theirs"] {
            let (status, list) = app
                .send(
                    Method::GET,
                    &format!("/api/v1/customers{query}"),
                    &alice,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                list["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c["id"] != others["id"]),
                "{query}: {list}"
            );
        }
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/customers",
                &alice,
                Some(json!({"name": "Gift", "owner_id": others["owner_id"]})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["code"], "owner_out_of_scope");
        let (status, body) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/customers/{}", own["id"].as_str().unwrap()),
                &alice,
                None,
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
        let (_, admin_view) = app.send(Method::GET, &theirs, &app.admin_token, None).await;
        assert_eq!(admin_view["name"], "Bob's customer", "nothing changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_twenty_concurrent_patches_with_one_if_match_exactly_one_wins() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let customer = app
            .create_customer(&app.admin_token, json!({"name": "Race"}))
            .await;
        let path = format!("/api/v1/customers/{}", customer["id"].as_str().unwrap());
        let requests = (0..20).map(|i| {
            app.request(
                Method::PATCH,
                &path,
                &app.admin_token,
                Some(json!({"notes": format!("writer {i}")})),
            )
            .header("if-match", "\"1\"")
            .send()
        });
        let statuses: Vec<u16> = futures_util::future::join_all(requests)
            .await
            .into_iter()
            .map(|r| r.unwrap().status().as_u16())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 412).count(),
            19,
            "{statuses:?}"
        );
        let (_, after) = app.send(Method::GET, &path, &app.admin_token, None).await;
        assert_eq!(after["version"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_retry_replays_and_twenty_concurrent_posts_create_one_record() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let body = json!({"name": "Once", "email": "once@example.cn"});
        let send = |key: &str, body: Value| {
            app.request(
                Method::POST,
                "/api/v1/customers",
                &app.admin_token,
                Some(body),
            )
            .header("idempotency-key", key)
            .send()
        };
        let first = send("key-1", body.clone()).await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let (_, first_body) = read(first).await;
        let replay = send("key-1", body.clone()).await.unwrap();
        assert_eq!(replay.status(), StatusCode::CREATED);
        assert_eq!(replay.headers()["idempotent-replayed"], "true");
        let (_, replay_body) = read(replay).await;
        assert_eq!(replay_body, first_body);
        let (status, problem) = read(send("key-1", json!({"name": "Other"})).await.unwrap()).await;
        assert_problem(status, &problem, 422, "idempotency_key_reused");

        let concurrent = json!({"name": "Twenty", "email": "twenty@example.cn"});
        let results =
            futures_util::future::join_all((0..20).map(|_| send("key-20", concurrent.clone())))
                .await;
        let mut ids = HashSet::new();
        for result in results {
            let (status, body) = read(result.unwrap()).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "every answer names the same record");
        let (_, list) = app
            .send(
                Method::GET,
                "/api/v1/customers?q=twenty&include_total=true",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(list["total"], 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pagination_walk_during_concurrent_inserts_returns_no_duplicates() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        for i in 0..30 {
            app.create_customer(
                &app.admin_token,
                json!({"name": format!("Existing {i:02}")}),
            )
            .await;
        }
        let writer = {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/api/v1/customers"),
                app.admin_token.clone(),
            );
            tokio::spawn(async move {
                for i in 0..20 {
                    let _ = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"name": format!("New {i:02}")}))
                        .send()
                        .await;
                }
            })
        };
        for sort in ["-created_at", "name", "-updated_at,name"] {
            let mut seen = HashSet::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut path = format!("/api/v1/customers?limit=7&sort={sort}");
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let (status, page) = app.send(Method::GET, &path, &app.admin_token, None).await;
                assert_eq!(status, StatusCode::OK, "{page}");
                for customer in page["data"].as_array().unwrap() {
                    assert!(
                        seen.insert(customer["id"].as_str().unwrap().to_owned()),
                        "duplicate in {sort}"
                    );
                }
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
            }
            assert!(seen.len() >= 30, "{sort}: every existing customer was seen");
        }
        writer.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_has_at_most_one_primary_contact() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let person = app.create_customer(token, json!({"name": "Solo"})).await;
        let (status, body) = app
            .send(
                Method::POST,
                &format!(
                    "/api/v1/customers/{}/contacts",
                    person["id"].as_str().unwrap()
                ),
                token,
                Some(json!({"name": "X"})),
            )
            .await;
        assert_problem(status, &body, 409, "contacts_require_company");

        let company = app
            .create_customer(
                token,
                json!({"name": "上海贸易有限公司", "kind": "company"}),
            )
            .await;
        let contacts = format!(
            "/api/v1/customers/{}/contacts",
            company["id"].as_str().unwrap()
        );
        let (status, first) = app
            .send(
                Method::POST,
                &contacts,
                token,
                Some(json!({"name": "李雷", "is_primary": true})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let (_, second) = app
            .send(
                Method::POST,
                &contacts,
                token,
                Some(json!({"name": "韩梅梅", "is_primary": true})),
            )
            .await;
        let (_, list) = app.send(Method::GET, &contacts, token, None).await;
        let primaries: Vec<&Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["is_primary"] == true)
            .collect();
        assert_eq!(primaries.len(), 1);
        assert_eq!(primaries[0]["id"], second["id"]);

        let first_path = format!("{contacts}/{}", first["id"].as_str().unwrap());
        let (status, _) = app
            .send(
                Method::PATCH,
                &first_path,
                token,
                Some(json!({"is_primary": true, "title": "经理"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, list) = app.send(Method::GET, &contacts, token, None).await;
        let primaries: Vec<&Value> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["is_primary"] == true)
            .collect();
        assert_eq!(primaries.len(), 1);
        assert_eq!(primaries[0]["id"], first["id"]);

        let racers = (0..10).map(|i| {
            app.request(
                Method::POST,
                &contacts,
                token,
                Some(json!({"name": format!("P{i}"), "is_primary": true})),
            )
            .send()
        });
        for response in futures_util::future::join_all(racers).await {
            assert_eq!(response.unwrap().status(), StatusCode::CREATED);
        }
        let (_, list) = app
            .send(Method::GET, &format!("{contacts}?limit=200"), token, None)
            .await;
        assert_eq!(
            list["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["is_primary"] == true)
                .count(),
            1
        );

        let (status, _) = app.send(Method::DELETE, &first_path, token, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/customers/{}", company["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app.send(Method::GET, &contacts, token, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_fills_missing_search_text_and_skips_a_row_it_cannot_read() {
    use sea_orm::{ConnectionTrait, Database, Statement};
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.create_customer(
            token,
            json!({"name": "Zhou Ruo", "email": "zhou@example.cn"}),
        )
        .await;
        app.create_customer(token, json!({"name": "Song Qing"}))
            .await;
        let conn = Database::connect(app.database_url.as_str()).await.unwrap();
        let run = |sql: &'static str| {
            let conn = &conn;
            async move {
                conn.execute_raw(Statement::from_string(conn.get_database_backend(), sql))
                    .await
                    .unwrap();
            }
        };
        // Rows written around the API: one without its derived text, one with a kind the API
        // does not know as well.
        run("UPDATE customers SET folded = NULL, name_key = NULL WHERE name = 'Zhou Ruo'").await;
        run(
            "UPDATE customers SET folded = NULL, name_key = NULL, kind = 'alien' \
             WHERE name = 'Song Qing'",
        )
        .await;

        // A node starting on this database fills what it can read and still serves.
        let node = app.second_node().await;
        let folded_is_set = |name: &str| {
            let conn = &conn;
            let sql =
                format!("SELECT folded IS NOT NULL AS filled FROM customers WHERE name = '{name}'");
            async move {
                let row = conn
                    .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get::<bool>("", "filled").unwrap()
            }
        };
        assert!(folded_is_set("Zhou Ruo").await);
        assert!(!folded_is_set("Song Qing").await);
        let (status, body) = read(
            node.request(
                Method::GET,
                "/api/v1/customers?q=zhou",
                &node.admin_token,
                None,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    }
}
