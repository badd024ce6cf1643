//! Custom fields seen from outside: definitions, values checked against them on customers,
//! contacts, products, orders and deals, filters and exports that carry them, and deleted definitions
//! that leave stored records as they were.

use rapport_tests::{
    Backend, TestApp, assert_problem, backends, csv_rows, error_pairs, pairs, read,
    within_two_seconds,
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

/// The ids a search of `resource` (`products`, `orders`) finds with `filter`, or the problem.
async fn search(app: &TestApp, resource: &str, filter: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/{resource}/search"),
        &app.admin_token,
        Some(json!({ "filter": filter, "limit": 200 })),
    )
    .await
}

fn ids(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_carry_custom_fields_through_every_way_in_and_out() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("product", "season", "enum", &["spring", "winter"], true)
            .await;
        app.define_field("product", "material", "text", &[], false)
            .await;
        app.define_field("product", "weight_g", "number", &[], false)
            .await;
        let variant =
            |sku: &str| json!({"sku": sku, "price": 49900, "currency": "CNY", "stock": 3});

        // Checked as on customers: every mistake named by its key, nothing written.
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/products",
                token,
                Some(json!({
                    "name": "跑步鞋 Pro", "variants": [variant("RUN-1")],
                    "custom_fields": {"season": "summer", "weight_g": "heavy", "colour": "red"}
                })),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("custom_fields.colour", "unknown_field"),
                ("custom_fields.season", "invalid_option"),
                ("custom_fields.weight_g", "invalid_value"),
            ])
        );
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/products",
                token,
                Some(json!({
                    "name": "跑步鞋 Pro", "variants": [variant("RUN-1")]
                })),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("custom_fields.season", "required")])
        );

        let (status, boot) = app
            .send(
                Method::POST,
                "/api/v1/products",
                token,
                Some(json!({
                    "name": "Boot", "variants": [variant("BOOT-1")],
                    "custom_fields": {"season": "winter", "material": "leather", "weight_g": 820}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{boot}");
        assert_eq!(
            boot["custom_fields"],
            json!({"season": "winter", "material": "leather", "weight_g": 820})
        );
        let boot_id = boot["id"].as_str().unwrap().to_owned();
        let (status, sandal) = app
            .send(
                Method::POST,
                "/api/v1/products",
                token,
                Some(json!({
                    "name": "Sandal", "variants": [variant("SANDAL-1")],
                    "custom_fields": {"season": "spring", "weight_g": 240}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{sandal}");
        let sandal_id = sandal["id"].as_str().unwrap().to_owned();

        // A change sets what it sends, `null` removes, the rest stays; a required field stays.
        let (status, changed) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/products/{boot_id}"),
                token,
                Some(json!({"custom_fields": {"material": null, "weight_g": 800}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            changed["custom_fields"],
            json!({"season": "winter", "weight_g": 800})
        );
        assert_eq!(changed["version"], 2);
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/products/{boot_id}"),
                token,
                Some(json!({"custom_fields": {"season": null}})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("custom_fields.season", "required")])
        );

        // Filters take them by their definitions; text is matched exactly.
        let (_, fields) = app
            .send(Method::GET, "/api/v1/products/filter-fields", token, None)
            .await;
        let season = fields["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "custom_fields.season")
            .unwrap_or_else(|| panic!("{fields}"));
        assert_eq!(season["type"], "enum", "{season}");
        assert_eq!(season["options"], json!(["spring", "winter"]));
        for (filter, expected) in [
            (
                json!({"field": "custom_fields.season", "op": "eq", "value": "winter"}),
                vec![boot_id.as_str()],
            ),
            (
                json!({"field": "custom_fields.weight_g", "op": "lt", "value": 500}),
                vec![sandal_id.as_str()],
            ),
            (
                json!({"field": "custom_fields.material", "op": "is_null", "value": true}),
                vec![sandal_id.as_str(), boot_id.as_str()],
            ),
        ] {
            let (status, page) = search(&app, "products", filter.clone()).await;
            assert_eq!(status, StatusCode::OK, "{filter}: {page}");
            let mut found = ids(&page);
            found.sort();
            let mut expected = expected;
            expected.sort();
            assert_eq!(found, expected, "{filter}");
        }
        let (status, body) = search(
            &app,
            "products",
            json!({"field": "custom_fields.material", "op": "contains", "value": "lea"}),
        )
        .await;
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(body["errors"][0]["code"], "unsupported_operator", "{body}");

        // A batch item whose values the definitions refuse is refused alone; a new product
        // needs every required field, a change does not.
        let (status, result) = app
            .send(Method::POST, "/api/v1/products/batch", token, Some(json!({
                "mode": "per_item",
                "products": [
                    {"external_id": "erp-cap", "name": "Cap", "variants": [variant("CAP-1")],
                     "custom_fields": {"season": "autumn"}},
                    {"external_id": "erp-scarf", "name": "Scarf", "variants": [variant("SCARF-1")]},
                    {"variants": [{"sku": "BOOT-1"}], "custom_fields": {"material": "suede"}},
                    {"external_id": "erp-hat", "name": "Hat", "variants": [variant("HAT-1")],
                     "custom_fields": {"season": "winter"}}
                ]
            })))
            .await;
        assert_eq!(status, StatusCode::OK, "{result}");
        let statuses: Vec<&str> = result["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["failed", "failed", "updated", "created"],
            "{result}"
        );
        assert_eq!(
            result["results"][0]["errors"][0]["field"],
            "custom_fields.season"
        );
        assert_eq!(result["results"][0]["errors"][0]["code"], "invalid_option");
        assert_eq!(
            result["results"][1]["errors"][0]["field"],
            "custom_fields.season"
        );
        assert_eq!(result["results"][1]["errors"][0]["code"], "required");
        let (_, boot) = app
            .send(
                Method::GET,
                &format!("/api/v1/products/{boot_id}"),
                token,
                None,
            )
            .await;
        assert_eq!(
            boot["custom_fields"],
            json!({"season": "winter", "weight_g": 800, "material": "suede"})
        );

        // The export has a column per field, which an import reads back.
        let (status, _, bytes) = app.download("/api/v1/products/export", token).await;
        assert_eq!(status, StatusCode::OK);
        let rows = csv_rows(&bytes);
        let boot_row = rows.iter().find(|r| r["sku"] == "BOOT-1").unwrap();
        assert_eq!(boot_row["custom_fields.season"], "winter");
        assert_eq!(boot_row["custom_fields.material"], "suede");
        assert_eq!(boot_row["custom_fields.weight_g"], "800");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_carry_custom_fields_that_change_at_any_status() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("order", "invoice_title", "text", &[], false)
            .await;
        app.define_field(
            "order",
            "delivery_slot",
            "enum",
            &["morning", "evening"],
            false,
        )
        .await;
        let customer = app.create_customer(token, json!({"name": "王芳"})).await;
        let order = |custom_fields: Value| {
            json!({
                "customer_id": customer["id"], "currency": "CNY",
                "lines": [{"description": "Gait analysis", "quantity": 1, "unit_price": 9900}],
                "custom_fields": custom_fields,
            })
        };
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                token,
                Some(order(json!({"delivery_slot": "noon"}))),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("custom_fields.delivery_slot", "invalid_option")])
        );

        let (status, placed) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                token,
                Some(order(json!({"delivery_slot": "morning"}))),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{placed}");
        assert_eq!(placed["custom_fields"], json!({"delivery_slot": "morning"}));
        let order_path = format!("/api/v1/orders/{}", placed["id"].as_str().unwrap());
        let (status, paid) = app
            .send(
                Method::POST,
                &format!("{order_path}/pay"),
                token,
                Some(json!({"method": "wechat_pay", "reference": "wx-1"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{paid}");

        // Past pending, only the custom fields change.
        let (status, body) = app
            .send(
                Method::PATCH,
                &order_path,
                token,
                Some(json!({"note": "leave at the door", "custom_fields": {"invoice_title": "ACME"}})),
            )
            .await;
        assert_problem(status, &body, 409, "invalid_transition");
        let (status, changed) = app
            .send(
                Method::PATCH,
                &order_path,
                token,
                Some(json!({"custom_fields": {"invoice_title": "上海跑者体育用品有限公司"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["status"], "paid");
        assert_eq!(changed["note"], Value::Null);
        assert_eq!(
            changed["custom_fields"],
            json!({"delivery_slot": "morning", "invoice_title": "上海跑者体育用品有限公司"})
        );
        assert_eq!(changed["version"], paid["version"].as_i64().unwrap() + 1);

        let (status, page) = search(
            &app,
            "orders",
            json!({"field": "custom_fields.invoice_title", "op": "eq", "value": "上海跑者体育用品有限公司"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(ids(&page), [placed["id"].as_str().unwrap()]);
        let (status, page) = search(
            &app,
            "orders",
            json!({"field": "custom_fields.delivery_slot", "op": "eq", "value": "evening"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(ids(&page).is_empty(), "{page}");

        let (status, _, bytes) = app.download("/api/v1/orders/export", token).await;
        assert_eq!(status, StatusCode::OK);
        let rows = csv_rows(&bytes);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0]["custom_fields.invoice_title"],
            "上海跑者体育用品有限公司"
        );
        assert_eq!(rows[0]["custom_fields.delivery_slot"], "morning");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deals_carry_custom_fields_and_are_found_by_them() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field("deal", "delivery_window", "enum", &["Q1", "Q2"], true)
            .await;
        app.define_field("deal", "seats", "number", &[], false)
            .await;
        let customer = app
            .create_customer(token, json!({"name": "上海跑者"}))
            .await;
        let (status, pipeline) = app
            .send(
                Method::POST,
                "/api/v1/pipelines",
                token,
                Some(json!({"name": "企业客户", "stages": [{"name": "接洽", "probability": 20}]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{pipeline}");
        let deal = |name: &str, custom_fields: Value| {
            json!({
                "name": name, "customer_id": customer["id"], "pipeline_id": pipeline["id"],
                "amount": 2_560_000, "currency": "CNY", "custom_fields": custom_fields,
            })
        };

        // Checked against the definitions: every mistake named by its key, nothing written.
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/deals",
                token,
                Some(deal(
                    "Annual Gifts",
                    json!({"seats": "many", "colour": "red"}),
                )),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("custom_fields.colour", "unknown_field"),
                ("custom_fields.delivery_window", "required"),
                ("custom_fields.seats", "invalid_value"),
            ])
        );
        let (_, list) = app.send(Method::GET, "/api/v1/deals", token, None).await;
        assert_eq!(list["data"], json!([]), "a refused deal was written");

        let (status, gifts) = app
            .send(
                Method::POST,
                "/api/v1/deals",
                token,
                Some(deal(
                    "Annual Gifts",
                    json!({"delivery_window": "Q1", "seats": 200}),
                )),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{gifts}");
        assert_eq!(
            gifts["custom_fields"],
            json!({"delivery_window": "Q1", "seats": 200})
        );
        let (status, other) = app
            .send(
                Method::POST,
                "/api/v1/deals",
                token,
                Some(deal("Uniforms", json!({"delivery_window": "Q2"}))),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{other}");

        // A change sets and removes by key; a required one stays.
        let gifts_path = format!("/api/v1/deals/{}", gifts["id"].as_str().unwrap());
        let (status, body) = app
            .send(
                Method::PATCH,
                &gifts_path,
                token,
                Some(json!({"custom_fields": {"delivery_window": null}})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("custom_fields.delivery_window", "required")])
        );
        let (status, changed) = app
            .send(
                Method::PATCH,
                &gifts_path,
                token,
                Some(json!({"custom_fields": {"seats": null, "delivery_window": "Q2"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["custom_fields"], json!({"delivery_window": "Q2"}));
        assert_eq!(changed["version"], 2);
        let (status, changed) = app
            .send(
                Method::PATCH,
                &gifts_path,
                token,
                Some(json!({"custom_fields": {"seats": 240}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            changed["custom_fields"],
            json!({"delivery_window": "Q2", "seats": 240})
        );

        // Found by their custom fields and their own, the name in any case.
        let (status, page) = search(
            &app,
            "deals",
            json!({"field": "custom_fields.seats", "op": "gte", "value": 100}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(ids(&page), [gifts["id"].as_str().unwrap()]);
        let (status, page) = search(
            &app,
            "deals",
            json!({"and": [
                {"field": "custom_fields.delivery_window", "op": "eq", "value": "Q2"},
                {"field": "name", "op": "contains", "value": "uniform"},
                {"field": "status", "op": "eq", "value": "open"}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(ids(&page), [other["id"].as_str().unwrap()]);
        let (status, body) = search(
            &app,
            "deals",
            json!({"field": "custom_fields.colour", "op": "eq", "value": "red"}),
        )
        .await;
        assert_problem(status, &body, 400, "bad_request");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("filter.field", "unknown_field")])
        );
        let (status, fields) = app
            .send(Method::GET, "/api/v1/deals/filter-fields", token, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{fields}");
        let window = fields["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "custom_fields.delivery_window")
            .unwrap_or_else(|| panic!("{fields}"));
        assert_eq!(window["options"], json!(["Q1", "Q2"]));

        // A lead's deal is checked the same way, at `deal.custom_fields`.
        let (status, lead) = app
            .send(
                Method::POST,
                "/api/v1/leads",
                token,
                Some(json!({"name": "李雷", "company": "跑者俱乐部"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{lead}");
        let convert = format!("/api/v1/leads/{}/convert", lead["id"].as_str().unwrap());
        let converted_deal = |custom_fields: Value| {
            json!({"customer_id": customer["id"], "deal": {
                "name": "Club kits", "pipeline_id": pipeline["id"], "amount": 880_000,
                "currency": "CNY", "custom_fields": custom_fields,
            }})
        };
        let (status, body) = app
            .send(
                Method::POST,
                &convert,
                token,
                Some(converted_deal(json!({}))),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("deal.custom_fields.delivery_window", "required")])
        );
        let (status, converted) = app
            .send(
                Method::POST,
                &convert,
                token,
                Some(converted_deal(json!({"delivery_window": "Q1"}))),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{converted}");
        assert_eq!(
            converted["deal"]["custom_fields"],
            json!({"delivery_window": "Q1"})
        );
    }
}
