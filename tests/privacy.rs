//! Privacy seen from outside: consent changes only as recorded decisions, a customer's data comes
//! out as one document, anonymisation leaves no personal data anywhere in the database, and a
//! viewer sees email and phone masked.

use rapport_tests::{Backend, TestApp, assert_problem, backends};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

fn path(customer: &Value, rest: &str) -> String {
    format!(
        "/api/v1/customers/{}{rest}",
        customer["id"].as_str().unwrap()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_changes_only_as_a_recorded_decision() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let customer = app
            .create_customer(
                token,
                json!({"name": "Ann", "marketing_consent": {"opted_in": true, "channel": "web"}}),
            )
            .await;
        let (status, body) = app
            .send(
                Method::PATCH,
                &path(&customer, ""),
                token,
                Some(json!({"marketing_consent": {"opted_in": false}})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "marketing_consent");

        let (status, changed) = app
            .send(
                Method::POST,
                &path(&customer, "/consent"),
                token,
                Some(json!({
                    "opted_in": false, "channel": "phone", "occurred_at": "2026-01-02T03:04:05Z"
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            changed["marketing_consent"],
            json!({"opted_in": false, "channel": "phone", "updated_at": "2026-01-02T03:04:05Z"})
        );
        assert_eq!(changed["version"], 2);
        let (_, history) = app
            .send(
                Method::GET,
                &path(&customer, "/consent?include_total=true"),
                token,
                None,
            )
            .await;
        assert_eq!(history["total"], 2, "{history}");
        let decisions: Vec<(bool, &str)> = history["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["opted_in"].as_bool().unwrap(),
                    d["channel"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            decisions,
            [(true, "web"), (false, "phone")],
            "newest decision first: {history}"
        );
        assert_eq!(history["data"][1]["recorded_by"]["type"], "user");

        for (body, field) in [
            (json!({"opted_in": true, "channel": ""}), "channel"),
            (
                json!({"opted_in": true, "channel": "web", "occurred_at": "2999-01-01T00:00:00Z"}),
                "occurred_at",
            ),
        ] {
            let (status, problem) = app
                .send(
                    Method::POST,
                    &path(&customer, "/consent"),
                    token,
                    Some(body),
                )
                .await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(problem["errors"][0]["field"], field);
        }
        let stale = app
            .request(
                Method::POST,
                &path(&customer, "/consent"),
                token,
                Some(json!({"opted_in": true, "channel": "web"})),
            )
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_email_and_phone_masked_and_cannot_probe_them() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, viewer) = app.user_with_role("viewer").await;
        let (_, support) = app.user_with_role("support").await;
        let company = app
            .create_customer(&app.admin_token, json!({"name": "王芳", "kind": "company", "email": "wang.fang@example.cn", "phone": "+86 138 0013 8000"}))
            .await;
        let (status, _) = app
            .send(
                Method::POST,
                &path(&company, "/contacts"),
                &app.admin_token,
                Some(json!({"name": "李雷", "email": "li.lei@example.cn", "phone": "13912345678"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);

        let (_, seen) = app
            .send(Method::GET, &path(&company, ""), &viewer, None)
            .await;
        assert_eq!(seen["email"], "w***@example.cn");
        assert_eq!(seen["phone"], "+*********8000");
        let (_, listed) = app
            .send(Method::GET, "/api/v1/customers", &viewer, None)
            .await;
        assert_eq!(listed["data"][0]["email"], "w***@example.cn");
        let (_, found) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                &viewer,
                Some(json!({"filter": {"field": "name", "op": "eq", "value": "王芳"}})),
            )
            .await;
        assert_eq!(found["data"][0]["phone"], "+*********8000");
        let (_, contacts) = app
            .send(Method::GET, &path(&company, "/contacts"), &viewer, None)
            .await;
        assert_eq!(contacts["data"][0]["email"], "l***@example.cn");
        assert_eq!(contacts["data"][0]["phone"], "*******5678");
        let (status, body) = app
            .send(Method::POST, "/api/v1/customers/search", &viewer, Some(json!({"filter": {"field": "email", "op": "eq", "value": "wang.fang@example.cn"}})))
            .await;
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(body["errors"][0]["code"], "unknown_field");

        let (_, full) = app
            .send(Method::GET, &path(&company, ""), &support, None)
            .await;
        assert_eq!(full["email"], "wang.fang@example.cn");
        assert_eq!(full["phone"], "+8613800138000");
    }
}

/// The ids of a page of customers.
fn ids(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_contact_details_cannot_be_learnt_another_way() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (_, viewer) = app.user_with_role("viewer").await;
        // A custom role that may change customers, segments and read the feeds, but sees contact
        // details masked.
        let grants: Vec<Value> = [
            "customers:read",
            "customers:write",
            "segments:read",
            "segments:write",
            "events:read",
            "audit_events:read",
            "privacy:read",
        ]
        .map(|p| json!({"permission": p, "scope": "all"}))
        .to_vec();
        let (status, role) = app
            .send(
                Method::POST,
                "/api/v1/roles",
                &app.admin_token,
                Some(json!({"name": "masked_operator", "permissions": grants})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{role}");
        let (_, operator) = app.user_with_role("masked_operator").await;
        let wang = app
            .create_customer(&app.admin_token, json!({"name": "王芳", "email": "wang.fang@example.cn", "phone": "+86 138 0013 8000"}))
            .await;
        let lee = app
            .create_customer(
                &app.admin_token,
                json!({"name": "Lee 138", "email": "lee@example.cn"}),
            )
            .await;
        let wang_id = wang["id"].as_str().unwrap();
        let lee_id = lee["id"].as_str().unwrap();

        // Free text matches names only: the phone's digits find Lee by name, never Wang.
        for (method, path, body) in [
            (Method::GET, "/api/v1/customers?q=138", None),
            (Method::GET, "/api/v1/customers?q=wang.fang", None),
            (
                Method::POST,
                "/api/v1/customers/search",
                Some(json!({"q": "138"})),
            ),
        ] {
            let (status, page) = app.send(method, path, &viewer, body).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(!ids(&page).contains(&wang_id), "{path}: {page}");
        }
        let (_, page) = app
            .send(Method::GET, "/api/v1/customers?q=138", &viewer, None)
            .await;
        assert_eq!(ids(&page), [lee_id]);
        let (_, page) = app
            .send(
                Method::GET,
                "/api/v1/customers?q=138",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(
            ids(&page).len(),
            2,
            "unmasked callers search contact details too"
        );
        let response = app
            .request(
                Method::GET,
                "/api/v1/customers/export?format=ndjson&q=wang.fang",
                &viewer,
                None,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.text().await.unwrap(),
            "",
            "the export searches names only too"
        );

        // Filters: refused by name wherever a filter is taken.
        let by_email = json!({"field": "email", "op": "starts_with", "value": "w"});
        for (path, body) in [
            ("/api/v1/segments/preview", json!({"filter": by_email})),
            (
                "/api/v1/segments",
                json!({"name": "Probe", "kind": "dynamic", "filter": by_email}),
            ),
            (
                "/api/v1/customers/tag",
                json!({"tags": ["probe"], "filter": by_email}),
            ),
        ] {
            let (status, body) = app.send(Method::POST, path, &operator, Some(body)).await;
            assert_problem(status, &body, 400, "bad_request");
            assert_eq!(body["errors"][0]["code"], "unknown_field", "{path}");
        }
        let (_, fields) = app
            .send(
                Method::GET,
                "/api/v1/customers/filter-fields",
                &viewer,
                None,
            )
            .await;
        let names: Vec<&str> = fields["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert!(
            !names.contains(&"email") && !names.contains(&"phone"),
            "{names:?}"
        );

        // A segment someone else saved on email: its definition is masked, its members and count
        // withheld.
        let (status, segment) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                &app.admin_token,
                Some(json!({
                    "name": "Wang by email", "kind": "dynamic",
                    "filter": {"field": "email", "op": "eq", "value": "wang.fang@example.cn"}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{segment}");
        let segment_id = segment["id"].as_str().unwrap();
        let (status, seen) = app
            .send(
                Method::GET,
                &format!("/api/v1/segments/{segment_id}"),
                &viewer,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen["filter"]["value"], "w***@example.cn");
        assert!(seen.get("customer_count").is_none(), "{seen}");
        let (_, listed) = app
            .send(Method::GET, "/api/v1/segments", &viewer, None)
            .await;
        assert!(!listed.to_string().contains("wang.fang"), "{listed}");
        for path in [
            format!("/api/v1/segments/{segment_id}/customers"),
            format!("/api/v1/customers/export?segment_id={segment_id}"),
        ] {
            let (status, body) = app.send(Method::GET, &path, &viewer, None).await;
            assert_problem(status, &body, 403, "forbidden");
        }
        let (_, counted) = app
            .send(
                Method::GET,
                &format!("/api/v1/segments/{segment_id}"),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(counted["customer_count"], 1);

        // The event feed, the audit trail and a data export do not hand them over either.
        let (status, feed) = app
            .send(Method::GET, "/api/v1/events?limit=200", &operator, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, trail) = app
            .send(
                Method::GET,
                "/api/v1/audit-events?limit=200",
                &operator,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for page in [&feed, &trail] {
            let text = page.to_string();
            assert!(text.contains("w***@example.cn"), "{text}");
            assert!(
                !text.contains("wang.fang@") && !text.contains("8613800138000"),
                "{text}"
            );
        }
        let (status, body) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{wang_id}/data-export"),
                &operator,
                None,
            )
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_data_export_holds_everything_about_them() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let customer = app
            .create_customer(token, json!({"name": "Ann", "kind": "company", "email": "ann@example.cn", "marketing_consent": {"opted_in": true, "channel": "web"}}))
            .await;
        app.send(
            Method::POST,
            &path(&customer, "/contacts"),
            token,
            Some(json!({"name": "Bo"})),
        )
        .await;
        app.send(
            Method::PATCH,
            &path(&customer, ""),
            token,
            Some(json!({"notes": "likes tea"})),
        )
        .await;
        let (_, list) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                token,
                Some(json!({"name": "Tea", "kind": "static"})),
            )
            .await;
        app.send(
            Method::POST,
            &format!(
                "/api/v1/segments/{}/add-customers",
                list["id"].as_str().unwrap()
            ),
            token,
            Some(json!({"customer_ids": [customer["id"]]})),
        )
        .await;
        let (status, order) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                token,
                Some(json!({
                    "customer_id": customer["id"], "currency": "CNY",
                    "lines": [{"description": "Tea ceremony", "quantity": 1, "unit_price": 5000}],
                    "recipient": {"name": "王伟", "phone": "+86 139 1234 5678"},
                    "ship_to": {"city": "上海市"}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");

        let response = app
            .request(Method::GET, &path(&customer, "/data-export"), token, None)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let document: Value = response.json().await.unwrap();
        assert_eq!(document["customer"]["notes"], "likes tea");
        assert_eq!(document["contacts"][0]["name"], "Bo");
        assert_eq!(document["consent_history"][0]["channel"], "web");
        assert_eq!(
            document["segments"],
            json!([{"id": list["id"], "name": "Tea"}])
        );
        let actions: Vec<&str> = document["audit_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "customer.created",
                "contact.created",
                "customer.updated",
                "order.created"
            ]
        );
        assert_eq!(document["events"].as_array().unwrap().len(), 4);
        assert_eq!(document["orders"][0]["id"], order["id"]);
        assert_eq!(
            document["orders"][0]["recipient"],
            json!({"name": "王伟", "phone": "+8613912345678"}),
            "who received an order is the customer's data too"
        );

        let (_, sales) = app.user_with_role("sales").await;
        let (status, body) = app
            .send(Method::GET, &path(&customer, "/data-export"), &sales, None)
            .await;
        assert_problem(status, &body, 403, "forbidden");
    }
}

/// Every cell of every table of the database, as text.
async fn every_cell(app: &TestApp) -> String {
    let conn = Database::connect(app.database_url.as_str()).await.unwrap();
    let backend = conn.get_database_backend();
    let tables_sql = match app.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres(_) => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let tables: Vec<String> = conn
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let mut all = String::new();
    for table in tables {
        let sql = match app.backend {
            Backend::Postgres(_) => format!("SELECT row_to_json(t)::text FROM \"{table}\" t"),
            Backend::Sqlite => {
                let columns: Vec<String> = conn
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("PRAGMA table_info(\"{table}\")"),
                    ))
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String>("", "name").unwrap())
                    .collect();
                let cells: Vec<String> = columns
                    .iter()
                    .map(|c| format!("COALESCE(CASE WHEN typeof(\"{c}\") = 'blob' THEN hex(\"{c}\") ELSE CAST(\"{c}\" AS TEXT) END, '')"))
                    .collect();
                format!("SELECT {} FROM \"{table}\"", cells.join(" || ' | ' || "))
            }
        };
        for row in conn
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
        {
            all.push_str(&table);
            all.push_str(": ");
            all.push_str(
                &row.try_get_by_index::<Option<String>>(0)
                    .unwrap()
                    .unwrap_or_default(),
            );
            all.push('\n');
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymisation_leaves_no_personal_data_anywhere() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("customer", "passport", "text", &[], false)
            .await;
        let markers = [
            "Zqx7Person",
            "zqx7mail",
            "13957340012",
            "Zqx7Street",
            "Zqx7Note",
            "ZQX7-EXT",
            "Zqx7Passport",
            "1987-03-04",
            "Zqx7Contact",
            "13822334455",
            "Zqx7Title",
            "Zqx7Parcel",
            "Zqx7Lost",
            "Zqx7Reply",
            "Zqx7Thanks",
            "ZQX7-MEMBER",
        ];
        let response = app
            .request(Method::POST, "/api/v1/customers", token, Some(json!({
                "name": "Zqx7Person Li", "kind": "company", "email": "zqx7mail@example.cn", "phone": "+86 139 5734 0012",
                "birthday": "1987-03-04", "address": {"city": "上海市", "street": "Zqx7Street 9"}, "notes": "Zqx7Note",
                "source": "tb", "external_id": "ZQX7-EXT", "tags": ["vip"], "custom_fields": {"passport": "Zqx7Passport"},
                "marketing_consent": {"opted_in": true, "channel": "web"}
            })))
            .header("Idempotency-Key", "create-zqx7")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let customer: Value = response.json().await.unwrap();
        let (status, contact) = app
            .send(Method::POST, &path(&customer, "/contacts"), token, Some(json!({
                "name": "Zqx7Contact", "title": "Zqx7Title", "phone": "13822334455", "is_primary": true
            })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{contact}");
        app.send(
            Method::PATCH,
            &path(&customer, ""),
            token,
            Some(json!({"notes": "Zqx7Note again", "lifecycle_stage": "customer"})),
        )
        .await;
        app.send(
            Method::POST,
            "/api/v1/customers/tag",
            token,
            Some(json!({"tags": ["followed"], "customer_ids": [customer["id"]]})),
        )
        .await;
        // Their membership: the number on their card is theirs too.
        let (status, membership) = app
            .send(
                Method::POST,
                &path(&customer, "/membership"),
                token,
                Some(json!({"signup_channel": "store", "member_number": "zqx7-member"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{membership}");
        // A ticket of theirs: what they asked, what was answered, what they said of it.
        let (status, ticket) = app
            .send(Method::POST, "/api/v1/tickets", token, Some(json!({
                "subject": "Zqx7Parcel late", "description": "Zqx7Lost in transit", "type": "complaint",
                "channel": "phone", "customer_id": customer["id"]
            })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        let ticket_path = format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap());
        for step in [
            (
                Method::POST,
                "/comments",
                json!({"body": "Zqx7Reply: sent again"}),
            ),
            (Method::PATCH, "", json!({"status": "open"})),
            (Method::PATCH, "", json!({"status": "resolved"})),
            (
                Method::POST,
                "/satisfaction",
                json!({"rating": 5, "comment": "Zqx7Thanks"}),
            ),
        ] {
            let (status, body) = app
                .send(
                    step.0,
                    &format!("{ticket_path}{}", step.1),
                    token,
                    Some(step.2),
                )
                .await;
            assert!(status.is_success(), "{body}");
        }
        let before = every_cell(&app).await;
        for marker in markers {
            assert!(
                before.contains(marker),
                "{marker} should be stored before: the test must see it to prove it gone"
            );
        }

        let (status, anonymised) = app
            .send(Method::POST, &path(&customer, "/anonymize"), token, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{anonymised}");
        assert_eq!(anonymised["name"], "Anonymised customer");
        assert!(anonymised["anonymised_at"].is_string());
        assert_eq!(
            anonymised["tags"],
            json!(["vip", "followed"]),
            "what is not personal stays"
        );
        assert_eq!(anonymised["lifecycle_stage"], "customer");

        let after = every_cell(&app).await;
        for marker in markers {
            let leftover: Vec<&str> = after.lines().filter(|l| l.contains(marker)).collect();
            assert!(
                leftover.is_empty(),
                "{backend:?}: {marker} is still stored:\n{}",
                leftover.join("\n")
            );
        }
        if backend == Backend::Sqlite {
            // Nor in the file's free pages or its write-ahead log, byte for byte.
            let file = app
                .database_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            let mut bytes = std::fs::read(&file).unwrap();
            bytes.extend(std::fs::read(format!("{file}-wal")).unwrap_or_default());
            for marker in markers {
                let found = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
                assert!(!found, "{marker} lingers in the SQLite files");
            }
        }
        let (_, events) = app
            .send(
                Method::GET,
                "/api/v1/events?types=customer.anonymized",
                token,
                None,
            )
            .await;
        assert_eq!(events["data"].as_array().unwrap().len(), 1);
        let (_, contacts) = app
            .send(Method::GET, &path(&customer, "/contacts"), token, None)
            .await;
        assert_eq!(contacts["data"][0]["name"], "Anonymised contact");
        assert_eq!(contacts["data"][0]["is_primary"], true);
    }
}
