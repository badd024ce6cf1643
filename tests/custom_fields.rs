//! Custom fields seen from outside: definitions, values checked against them on customers and
//! contacts, and deleted definitions that leave stored records as they were.

use rapport_tests::{
    Backend, TestApp, assert_problem, backends, error_pairs, pairs, read, within_two_seconds,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_are_checked_against_the_definitions_on_every_write() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("customer", "industry", "enum", &["retail", "food"], false)
            .await;
        app.define_field("customer", "sizes", "multi_enum", &["s", "m", "l"], false)
            .await;
        app.define_field("customer", "employees", "number", &[], false)
            .await;
        app.define_field("customer", "vat_id", "text", &[], true)
            .await;
        app.define_field("customer", "founded", "date", &[], false)
            .await;
        app.define_field("customer", "wholesale", "boolean", &[], false)
            .await;

        // Every mistake at once, each named by its key; nothing is written.
        let (status, body) = app
            .send(Method::POST, "/api/v1/customers", token, Some(json!({
                "name": "上海零售有限公司", "kind": "company",
                "custom_fields": {
                    "industry": "mining", "sizes": ["xl"], "employees": "12", "founded": "1999-2-3",
                    "wholesale": 1, "colour": "red"
                }
            })))
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("custom_fields.colour", "unknown_field"),
                ("custom_fields.employees", "invalid_value"),
                ("custom_fields.founded", "invalid_value"),
                ("custom_fields.industry", "invalid_option"),
                ("custom_fields.sizes", "invalid_option"),
                ("custom_fields.vat_id", "required"),
                ("custom_fields.wholesale", "invalid_value"),
            ]),
            "{body}"
        );
        let (_, list) = app
            .send(
                Method::GET,
                "/api/v1/customers?include_total=true",
                token,
                None,
            )
            .await;
        assert_eq!(list["total"], 0);

        let created = app
            .create_customer(token, json!({
                "name": "上海零售有限公司", "kind": "company",
                "custom_fields": {
                    "industry": "retail", "sizes": ["m", "s", "m"], "employees": 120,
                    "vat_id": " CN-91310000 ", "founded": "1999-02-03", "wholesale": true, "note": null
                }
            }))
            .await;
        assert_eq!(
            created["custom_fields"],
            json!({"industry": "retail", "sizes": ["m", "s"], "employees": 120, "vat_id": "CN-91310000",
                   "founded": "1999-02-03", "wholesale": true})
        );
        let path = format!("/api/v1/customers/{}", created["id"].as_str().unwrap());

        // A change sets the keys it sends, removes those sent as null, and keeps the others.
        let (status, changed) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({
                    "custom_fields": {"employees": 130, "sizes": null}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            changed["custom_fields"],
            json!({"industry": "retail", "employees": 130, "vat_id": "CN-91310000",
                   "founded": "1999-02-03", "wholesale": true})
        );
        assert_eq!(changed["version"], 2);

        // A required value cannot be removed; nothing changes.
        let (status, body) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({
                    "name": "Renamed", "custom_fields": {"vat_id": null}
                })),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("custom_fields.vat_id", "required")])
        );
        let (_, fetched) = app.send(Method::GET, &path, token, None).await;
        assert_eq!(fetched, changed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_have_their_own_fields() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("contact", "wechat_id", "text", &[], false)
            .await;
        app.define_field("customer", "industry", "text", &[], false)
            .await;
        let company = app
            .create_customer(token, json!({"name": "Acme", "kind": "company"}))
            .await;
        let contacts = format!(
            "/api/v1/customers/{}/contacts",
            company["id"].as_str().unwrap()
        );
        // A customer's field is not a contact's.
        let (status, body) = app
            .send(
                Method::POST,
                &contacts,
                token,
                Some(json!({
                    "name": "李雷", "custom_fields": {"industry": "retail"}
                })),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("custom_fields.industry", "unknown_field")])
        );
        let (status, contact) = app
            .send(
                Method::POST,
                &contacts,
                token,
                Some(json!({
                    "name": "李雷", "custom_fields": {"wechat_id": "lilei_buyer"}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{contact}");
        assert_eq!(
            contact["custom_fields"],
            json!({"wechat_id": "lilei_buyer"})
        );
        let path = format!("{contacts}/{}", contact["id"].as_str().unwrap());
        let (status, changed) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"custom_fields": {"wechat_id": null}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["custom_fields"], json!({}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_definition_leaves_stored_values_readable_and_removable() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let definition = app
            .define_field("customer", "loyalty_code", "text", &[], false)
            .await;
        app.define_field("customer", "industry", "text", &[], false)
            .await;
        let customer = app
            .create_customer(
                token,
                json!({
                    "name": "王芳", "custom_fields": {"loyalty_code": "GOLD-7", "industry": "food"}
                }),
            )
            .await;
        let path = format!("/api/v1/customers/{}", customer["id"].as_str().unwrap());
        let field = format!(
            "/api/v1/custom-fields/{}",
            definition["id"].as_str().unwrap()
        );
        let (status, _) = app
            .request(Method::DELETE, &field, token, None)
            .header("if-match", "\"1\"")
            .send()
            .await
            .map(|r| (r.status(), ()))
            .unwrap();
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app.send(Method::GET, &field, token, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The record is as it was, and other changes to it still work.
        let (_, fetched) = app.send(Method::GET, &path, token, None).await;
        assert_eq!(fetched, customer);
        let (status, changed) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"custom_fields": {"industry": "retail"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            changed["custom_fields"],
            json!({"loyalty_code": "GOLD-7", "industry": "retail"})
        );
        // The key takes no new value, and null removes what was left.
        let (status, body) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"custom_fields": {"loyalty_code": "GOLD-8"}})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("custom_fields.loyalty_code", "unknown_field")])
        );
        let (status, cleaned) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"custom_fields": {"loyalty_code": null}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cleaned}");
        assert_eq!(cleaned["custom_fields"], json!({"industry": "retail"}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_have_a_life_cycle_and_their_own_rules() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let response = app
            .request(
                Method::POST,
                "/api/v1/custom-fields",
                token,
                Some(json!({
                    "resource_type": "customer", "key": "industry", "label": "Industry",
                    "field_type": "enum", "options": ["retail", "food", " retail "],
                    "description": "Main line of business"
                })),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["etag"], "\"1\"");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = response.json().await.unwrap();
        assert_eq!(created["options"], json!(["retail", "food"]));
        assert_eq!(created["required"], false);
        assert_eq!(
            location,
            format!("/api/v1/custom-fields/{}", created["id"].as_str().unwrap())
        );

        // The same key on the same kind of record is taken; on another kind it is free.
        let (status, body) = app
            .send(Method::POST, "/api/v1/custom-fields", token, Some(json!({
                "resource_type": "customer", "key": "industry", "label": "Again", "field_type": "text"
            })))
            .await;
        assert_problem(status, &body, 409, "key_taken");
        app.define_field("contact", "industry", "text", &[], false)
            .await;

        // Every rule of a definition at once.
        let (status, body) = app
            .send(Method::POST, "/api/v1/custom-fields", token, Some(json!({
                "resource_type": "customer", "key": "Bad Key", "label": " ", "field_type": "text",
                "options": ["a"]
            })))
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("key", "invalid_key"),
                ("label", "blank"),
                ("options", "not_allowed")
            ])
        );
        let (status, body) = app
            .send(Method::POST, "/api/v1/custom-fields", token, Some(json!({
                "resource_type": "customer", "key": "tier", "label": "Tier", "field_type": "enum"
            })))
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(error_pairs(&body), pairs(&[("options", "invalid_count")]));
        // Key and type are fixed once defined.
        let (status, body) = app
            .send(
                Method::PATCH,
                &location,
                token,
                Some(json!({"field_type": "text"})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("field_type", "unknown_field")])
        );

        // A stale version changes nothing.
        let (status, body) = app
            .request(
                Method::PATCH,
                &location,
                token,
                Some(json!({"label": "Sector"})),
            )
            .header("if-match", "\"7\"")
            .send()
            .await
            .map(|r| (r.status(), r))
            .unwrap();
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        drop(body);
        // A malformed change is refused as such, whatever version it names.
        let (status, body) = read(
            app.request(
                Method::PATCH,
                &location,
                token,
                Some(json!({"description": "a\u{11}b", "options": ["x".repeat(101)]})),
            )
            .header("if-match", "\"7\"")
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("description", "invalid_characters"),
                ("options[0]", "too_long")
            ])
        );
        let (status, changed) = app
            .send(
                Method::PATCH,
                &location,
                token,
                Some(json!({
                    "label": "Sector", "options": ["retail", "food", "services"], "required": true,
                    "description": null
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            (
                &changed["label"],
                &changed["version"],
                &changed["description"],
                &changed["required"]
            ),
            (&json!("Sector"), &json!(2), &Value::Null, &json!(true))
        );
        let (_, list) = app
            .send(
                Method::GET,
                "/api/v1/custom-fields?resource_type=customer&include_total=true",
                token,
                None,
            )
            .await;
        assert_eq!(list["total"], 1, "{list}");
        assert_eq!(list["data"][0], changed);
        let (_, all) = app
            .send(Method::GET, "/api/v1/custom-fields?limit=1", token, None)
            .await;
        assert_eq!(all["has_more"], true, "{all}");
        let cursor = all["next_cursor"].as_str().unwrap();
        let (_, next) = app
            .send(
                Method::GET,
                &format!("/api/v1/custom-fields?limit=1&cursor={cursor}"),
                token,
                None,
            )
            .await;
        assert_eq!(next["has_more"], false, "{next}");
        assert_ne!(next["data"][0]["id"], all["data"][0]["id"]);

        // The change is in the audit trail and the event feed.
        let (_, events) = app
            .send(
                Method::GET,
                "/api/v1/events?types=custom_field.updated",
                token,
                None,
            )
            .await;
        assert_eq!(events["data"][0]["resource_id"], changed["id"], "{events}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_definitions_is_for_every_role_and_changing_them_is_not() {
    let backend = &backends()[0];
    let app = TestApp::spawn(backend).await;
    let (_, sales) = app.user_with_role("sales").await;
    let (_, manager) = app.user_with_role("manager").await;
    let (status, _) = app
        .send(Method::GET, "/api/v1/custom-fields", &sales, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({"resource_type": "customer", "key": "industry", "label": "Industry", "field_type": "text"});
    let (status, problem) = app
        .send(
            Method::POST,
            "/api/v1/custom-fields",
            &sales,
            Some(body.clone()),
        )
        .await;
    assert_problem(status, &problem, 403, "forbidden");
    let (status, created) = app
        .send(Method::POST, "/api/v1/custom-fields", &manager, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_definitions_never_pass_the_limit_of_64() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        for i in 0..60 {
            app.define_field("customer", &format!("f{i}"), "text", &[], false)
                .await;
        }
        let attempts = (60..72).map(|i| {
            app.send(
                Method::POST,
                "/api/v1/custom-fields",
                &app.admin_token,
                Some(json!({"resource_type": "customer", "key": format!("f{i}"), "label": "F", "field_type": "text"})),
            )
        });
        let results = futures_util::future::join_all(attempts).await;
        let created = results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 4, "{results:?}");
        for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
            assert_problem(*status, body, 409, "too_many_custom_fields");
        }
        let (_, list) = app
            .send(
                Method::GET,
                "/api/v1/custom-fields?include_total=true&limit=1",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(list["total"], 64);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_definition_changed_on_one_node_counts_on_every_other() {
    // Each node remembers the definitions it checks writes against; a change on one must reach
    // the other (PostgreSQL NOTIFY): when a field is defined, changed and deleted.
    for backend in backends().into_iter().filter(|b| *b != Backend::Sqlite) {
        let first = TestApp::spawn(&backend).await;
        let second = first.second_node().await;
        let create = async |custom_fields: Value| {
            second
                .send(
                    Method::POST,
                    "/api/v1/customers",
                    &second.admin_token,
                    Some(json!({"name": "x", "custom_fields": custom_fields})),
                )
                .await
                .0
        };
        let with_vat_id = async || create(json!({"vat_id": "CN-1"})).await;
        let without = async || create(json!({})).await;
        assert_eq!(
            without().await,
            StatusCode::CREATED,
            "no fields defined yet"
        );
        assert_eq!(with_vat_id().await, StatusCode::UNPROCESSABLE_ENTITY);

        let field = first
            .define_field("customer", "vat_id", "text", &[], false)
            .await;
        let status = within_two_seconds(with_vat_id, |s| s == StatusCode::CREATED).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "the new field is unknown on the second node"
        );

        let path = format!("/api/v1/custom-fields/{}", field["id"].as_str().unwrap());
        let (status, _) = first
            .send(
                Method::PATCH,
                &path,
                &first.admin_token,
                Some(json!({"required": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let status = within_two_seconds(without, |s| s == StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the second node still takes customers without the now required field"
        );

        let (status, _) = first
            .send(Method::DELETE, &path, &first.admin_token, None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let status =
            within_two_seconds(with_vat_id, |s| s == StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the second node still takes values for the deleted field"
        );
    }
}
