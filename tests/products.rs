//! Products and stock seen from outside: variants with unique skus, a ledger that is the only way
//! stock moves and always sums to it, never below zero however many take at once, low-stock
//! alerts once per crossing, and the catalogue's references kept whole.

use rapport_tests::{TestApp, assert_problem, backends, error_pairs, item_statuses, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn shoe(skus: &[&str], stock: i64) -> Value {
    let variants: Vec<Value> = skus
        .iter()
        .enumerate()
        .map(|(i, sku)| {
            json!({
                "sku": sku,
                "options": {"colour": "红", "size": (42 + i).to_string()},
                "price": 49900,
                "currency": "CNY",
                "stock": stock,
                "low_stock_threshold": 2,
            })
        })
        .collect();
    json!({"name": "跑步鞋 Pro", "images": ["https://img.example.cn/p.jpg"], "variants": variants})
}

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, product) = app
        .send(
            Method::POST,
            "/api/v1/products",
            &app.admin_token,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    product
}

fn stock_path(product: &Value, index: usize, tail: &str) -> String {
    format!(
        "/api/v1/products/{}/variants/{}/{tail}",
        id(product),
        id(&product["variants"][index])
    )
}

async fn adjust(app: &TestApp, product: &Value, delta: i64) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &stock_path(product, 0, "stock-adjustments"),
        &app.admin_token,
        Some(json!({"delta": delta, "reason": "count"})),
    )
    .await
}

async fn ledger(app: &TestApp, product: &Value) -> Vec<Value> {
    let (status, page) = app
        .send(
            Method::GET,
            &format!("{}?limit=200", stock_path(product, 0, "stock-movements")),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().unwrap().clone()
}

async fn stock_of(app: &TestApp, product: &Value) -> i64 {
    let (_, now) = app
        .send(
            Method::GET,
            &format!("/api/v1/products/{}", id(product)),
            &app.admin_token,
            None,
        )
        .await;
    now["variants"][0]["stock"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_has_variants_whose_stock_starts_its_ledger() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let product = create(&app, shoe(&["RUN-42", "RUN-43"], 10)).await;
        assert_eq!(product["status"], "active");
        assert_eq!(product["variants"][1]["options"]["size"], "43");
        assert_eq!(product["variants"][0]["stock"], 10);
        assert_eq!(product["variants"][0]["low_stock"], false);
        let rows = ledger(&app, &product).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0]["kind"].clone(), rows[0]["delta"].clone()),
            (json!("initial"), json!(10))
        );

        // Every mistake at once; a sku is unique across the catalogue.
        let mut bad = shoe(&["RUN 44", "RUN-45", "RUN-45"], 1);
        bad["variants"][0]["currency"] = json!("RMB");
        bad["variants"][2]["options"] = bad["variants"][1]["options"].clone();
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/products",
                &app.admin_token,
                Some(bad),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("variants[0].sku", "invalid_sku"),
                ("variants[0].currency", "invalid_currency"),
                ("variants[2].sku", "duplicate"),
                ("variants[2].options", "duplicate"),
            ])
        );
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/products",
                &app.admin_token,
                Some(shoe(&["RUN-43"], 1)),
            )
            .await;
        assert_problem(status, &problem, 409, "sku_taken");
        let mut unknown = shoe(&["RUN-50"], 1);
        unknown["category_id"] = json!("01939f8e-0000-7000-8000-000000000000");
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/products",
                &app.admin_token,
                Some(unknown),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("category_id", "not_found")])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_moves_only_through_the_ledger_and_never_below_zero() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let product = create(&app, shoe(&["TEE-S"], 10)).await;
        let (status, row) = adjust(&app, &product, -3).await;
        assert_eq!(status, StatusCode::CREATED, "{row}");
        assert_eq!(
            (row["stock_after"].clone(), row["kind"].clone()),
            (json!(7), json!("adjustment"))
        );
        let (status, problem) = adjust(&app, &product, -8).await;
        assert_problem(status, &problem, 409, "insufficient_stock");
        assert_eq!(stock_of(&app, &product).await, 7);

        // A retried adjustment is replayed, not repeated.
        let path = stock_path(&product, 0, "stock-adjustments");
        for _ in 0..2 {
            let response = app
                .request(
                    Method::POST,
                    &path,
                    &app.admin_token,
                    Some(json!({"delta": 5, "reason": "delivery 88"})),
                )
                .header("Idempotency-Key", "delivery-88")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        assert_eq!(stock_of(&app, &product).await, 12);

        // The stock is not a field: a change cannot set it.
        let (status, problem) = app
            .send(
                Method::PATCH,
                &format!(
                    "/api/v1/products/{}/variants/{}",
                    id(&product),
                    id(&product["variants"][0])
                ),
                &app.admin_token,
                Some(json!({"stock": 100})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        let rows = ledger(&app, &product).await;
        let sum: i64 = rows.iter().map(|r| r["delta"].as_i64().unwrap()).sum();
        assert_eq!((rows.len(), sum), (3, 12));
    }
}

/// Thirty takes of one unit each at the same moment from a stock of ten: exactly ten succeed,
/// the stock ends at zero, and the ledger sums to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_takes_never_overdraw_the_stock() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let product = create(&app, shoe(&["CAP-1"], 10)).await;
        let takes = (0..30).map(|_| adjust(&app, &product, -1));
        let answers = futures_util::future::join_all(takes).await;
        let taken = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        let refused = answers
            .iter()
            .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "insufficient_stock")
            .count();
        assert_eq!((taken, refused), (10, 20), "{backend:?}");
        assert_eq!(stock_of(&app, &product).await, 0);
        let rows = ledger(&app, &product).await;
        let sum: i64 = rows.iter().map(|r| r["delta"].as_i64().unwrap()).sum();
        assert_eq!(sum, 0);
        assert!(rows.iter().all(|r| r["stock_after"].as_i64().unwrap() >= 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_stock_is_announced_once_per_crossing_and_listed() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let product = create(&app, shoe(&["SOCK-1"], 10)).await;
        create(&app, shoe(&["SOCK-2"], 10)).await;
        for delta in [-8, -1, 5, -4] {
            let (status, row) = adjust(&app, &product, delta).await;
            assert_eq!(status, StatusCode::CREATED, "{row}");
        }
        // 10 → 2 crosses, 2 → 1 stays low, 1 → 6 → 2 crosses again.
        let (_, feed) = app
            .send(
                Method::GET,
                "/api/v1/events?types=product.low_stock&limit=50",
                &app.admin_token,
                None,
            )
            .await;
        let stocks: Vec<i64> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["data"]["stock"].as_i64().unwrap())
            .collect();
        assert_eq!(stocks, [2, 2], "{feed}");
        let (_, low) = app
            .send(
                Method::GET,
                "/api/v1/products?low_stock=true",
                &app.admin_token,
                None,
            )
            .await;
        let ids: Vec<String> = low["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, [id(&product)]);
        assert_eq!(low["data"][0]["variants"][0]["low_stock"], true);
        let (_, plenty) = app
            .send(
                Method::GET,
                "/api/v1/products?low_stock=false",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(plenty["data"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variants_change_with_the_product_version_and_the_catalogue_stays_whole() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (_, brand) = app
            .send(
                Method::POST,
                "/api/v1/brands",
                token,
                Some(json!({"name": "Anta"})),
            )
            .await;
        let (_, category) = app
            .send(
                Method::POST,
                "/api/v1/categories",
                token,
                Some(json!({"name": "Shoes"})),
            )
            .await;
        let mut body = shoe(&["ONE-1"], 0);
        body["brand_id"] = json!(id(&brand));
        body["category_id"] = json!(id(&category));
        let product = create(&app, body).await;
        let path = format!("/api/v1/products/{}", id(&product));

        // The same options as another variant are refused; new ones are added.
        let (status, problem) = app
            .send(
                Method::POST,
                &format!("{path}/variants"),
                token,
                Some(json!({"sku": "ONE-2", "options": {"colour": "红", "size": "42"}, "price": 100, "currency": "CNY"})),
            )
            .await;
        assert_problem(status, &problem, 409, "variant_options_taken");
        let added = app
            .request(
                Method::POST,
                &format!("{path}/variants"),
                token,
                Some(json!({"sku": "ONE-2", "options": {"colour": "蓝"}, "price": 100, "currency": "JPY"})),
            )
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), StatusCode::CREATED);
        assert_eq!(added.headers()["etag"], "\"2\"");
        let added: Value = added.json().await.unwrap();
        let second = id(&added["variants"][1]);
        let (status, changed) = app
            .send(
                Method::PATCH,
                &format!("{path}/variants/{second}"),
                token,
                Some(json!({"price": 120})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            (
                changed["variants"][1]["price"].clone(),
                changed["version"].clone()
            ),
            (json!(120), json!(3))
        );
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("{path}/variants/{second}"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let first = id(&product["variants"][0]);
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("{path}/variants/{first}"),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "last_variant");

        // What products name cannot go.
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/brands/{}", id(&brand)),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "brand_in_use");
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/categories/{}", id(&category)),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "category_in_use");

        // Filters by brand, category and status.
        let (status, archived) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"status": "archived"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{archived}");
        for query in [
            format!("brand_id={}", id(&brand)),
            format!("category_id={}", id(&category)),
            "status=archived".to_owned(),
        ] {
            let (_, page) = app
                .send(
                    Method::GET,
                    &format!("/api/v1/products?{query}"),
                    token,
                    None,
                )
                .await;
            assert_eq!(page["data"].as_array().unwrap().len(), 1, "{query}");
        }
        let (_, none) = app
            .send(Method::GET, "/api/v1/products?status=active", token, None)
            .await;
        assert!(none["data"].as_array().unwrap().is_empty());

        let (status, _) = app.send(Method::DELETE, &path, token, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/brands/{}", id(&brand)),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

/// The names of the products `filter` finds, sorted by name.
async fn found(app: &TestApp, filter: Value) -> Vec<String> {
    let (status, page) = app
        .send(
            Method::POST,
            "/api/v1/products/search",
            &app.admin_token,
            Some(json!({"filter": filter, "sort": ["name"], "limit": 200})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{filter}: {page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_are_searched_by_their_fields_and_their_variants() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (_, brand) = app
            .send(
                Method::POST,
                "/api/v1/brands",
                token,
                Some(json!({"name": "Éclair"})),
            )
            .await;
        let mut shoes = shoe(&["RUN-41", "RUN-42"], 10);
        shoes["brand_id"] = brand["id"].clone();
        shoes["external_id"] = json!("erp-shoe");
        create(&app, shoes).await;
        let mut tea = shoe(&["TEA-250"], 1);
        tea["name"] = json!("ÉCLAIR Tea 龙井");
        tea["variants"][0]["price"] = json!(12900);
        let tea = create(&app, tea).await;
        let mut old = shoe(&["OLD-1"], 0);
        old["name"] = json!("Old boots");
        old["status"] = json!("archived");
        create(&app, old).await;

        // The name ignoring case, beyond ASCII too; the product's own fields.
        assert_eq!(
            found(
                &app,
                json!({"field": "name", "op": "contains", "value": "éclair"})
            )
            .await,
            ["ÉCLAIR Tea 龙井"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "name", "op": "starts_with", "value": "跑步"})
            )
            .await,
            ["跑步鞋 Pro"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "status", "op": "eq", "value": "archived"})
            )
            .await,
            ["Old boots"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "brand_id", "op": "eq", "value": brand["id"]})
            )
            .await,
            ["跑步鞋 Pro"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "brand_id", "op": "is_null", "value": true})
            )
            .await,
            ["Old boots", "ÉCLAIR Tea 龙井"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "external_id", "op": "eq", "value": "erp-shoe"})
            )
            .await,
            ["跑步鞋 Pro"]
        );

        // A variant field selects the product when one of its variants passes.
        assert_eq!(
            found(
                &app,
                json!({"field": "variants.sku", "op": "eq", "value": "RUN-42"})
            )
            .await,
            ["跑步鞋 Pro"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "variants.price", "op": "lt", "value": 20000})
            )
            .await,
            ["ÉCLAIR Tea 龙井"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "variants.sku", "op": "in", "value": ["OLD-1", "TEA-250"]})
            )
            .await,
            ["Old boots", "ÉCLAIR Tea 龙井"]
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "low_stock", "op": "eq", "value": true})
            )
            .await,
            ["Old boots", "ÉCLAIR Tea 龙井"],
            "stock 0 and 1 are at or below the threshold of 2"
        );
        assert_eq!(
            found(
                &app,
                json!({"and": [
                    {"field": "low_stock", "op": "eq", "value": true},
                    {"field": "status", "op": "eq", "value": "active"}
                ]})
            )
            .await,
            ["ÉCLAIR Tea 龙井"]
        );

        // A renamed product is found by its new name only.
        let (status, renamed) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/products/{}", id(&tea)),
                token,
                Some(json!({"name": "Oolong"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{renamed}");
        assert!(
            found(
                &app,
                json!({"field": "name", "op": "contains", "value": "éclair"})
            )
            .await
            .is_empty()
        );
        assert_eq!(
            found(
                &app,
                json!({"field": "name", "op": "contains", "value": "OOL"})
            )
            .await,
            ["Oolong"]
        );

        // The fields, and what does not fit.
        let (status, fields) = app
            .send(Method::GET, "/api/v1/products/filter-fields", token, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let price = fields["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "variants.price")
            .unwrap();
        assert_eq!(price["type"], "number");
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/products/search",
                token,
                Some(json!({"filter": {"and": [
                    {"field": "status", "op": "eq", "value": "active"},
                    {"field": "colour", "op": "eq", "value": "红"},
                    {"field": "variants.sku", "op": "contains", "value": "RUN"}
                ]}})),
            )
            .await;
        assert_problem(status, &problem, 400, "bad_request");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("filter.and[1].field", "unknown_field"),
                ("filter.and[2].op", "unsupported_operator"),
            ])
        );
    }
}

async fn batch(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        "/api/v1/products/batch",
        &app.admin_token,
        Some(body),
    )
    .await
}

async fn product(app: &TestApp, product_id: &Value) -> Value {
    let (status, product) = app
        .send(
            Method::GET,
            &format!("/api/v1/products/{}", product_id.as_str().unwrap()),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{product}");
    product
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_batch_creates_changes_and_counts_by_key() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, first) = batch(
            &app,
            json!({"products": [
                {"external_id": "erp-1", "name": "跑步鞋 Pro", "variants": [
                    {"sku": "A-1", "options": {"size": "42"}, "price": 49900, "currency": "CNY", "stock": 5},
                    {"sku": "A-2", "options": {"size": "43"}, "price": 49900, "currency": "CNY", "stock": 5}
                ]},
                {"name": "Tea", "variants": [{"sku": "TEA-1", "price": 12900, "currency": "CNY", "stock": 3}]}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(item_statuses(&first), ["created", "created"]);
        let shoe_id = first["results"][0]["id"].clone();
        let tea_id = first["results"][1]["id"].clone();
        let shoe = product(&app, &shoe_id).await;
        assert_eq!(shoe["external_id"], "erp-1");
        assert_eq!(shoe["variants"][1]["stock"], 5);

        // Named by external id and by sku; a count moves the stock through the ledger; a sku the
        // product lacks is added; what is not sent stays.
        let (status, second) = batch(
            &app,
            json!({"products": [
                {"external_id": "erp-1", "name": "跑步鞋 Pro 2", "variants": [
                    {"sku": "A-1", "price": 45900, "stock": 8},
                    {"sku": "A-3", "options": {"size": "44"}, "price": 49900, "currency": "CNY", "stock": 2}
                ]},
                {"variants": [{"sku": "TEA-1", "stock": 3}]}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{second}");
        assert_eq!(item_statuses(&second), ["updated", "unchanged"]);
        assert_eq!(second["results"][0]["version"], 2);
        assert_eq!(
            (second["updated"].clone(), second["unchanged"].clone()),
            (json!(1), json!(1))
        );
        let shoe = product(&app, &shoe_id).await;
        assert_eq!(shoe["name"], "跑步鞋 Pro 2");
        let skus: Vec<&str> = shoe["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["sku"].as_str().unwrap())
            .collect();
        assert_eq!(skus, ["A-1", "A-2", "A-3"]);
        assert_eq!(
            (
                shoe["variants"][0]["price"].clone(),
                shoe["variants"][0]["stock"].clone()
            ),
            (json!(45900), json!(8))
        );
        assert_eq!(shoe["variants"][0]["options"], json!({"size": "42"}));
        assert_eq!(shoe["variants"][1]["stock"], 5);
        assert_eq!(shoe["variants"][2]["stock"], 2);
        let moves = ledger(&app, &shoe).await;
        assert_eq!(
            moves
                .iter()
                .map(|m| (m["kind"].clone(), m["delta"].clone(), m["reason"].clone()))
                .collect::<Vec<_>>(),
            [
                (json!("adjustment"), json!(3), json!("count")),
                (json!("initial"), json!(5), Value::Null)
            ]
        );
        assert_eq!(product(&app, &tea_id).await["version"], 1);

        // All or nothing: a new product without a name refuses the batch; nothing changes.
        let (status, problem) = batch(
            &app,
            json!({"products": [
                {"external_id": "erp-1", "name": "Renamed"},
                {"external_id": "erp-2", "variants": [{"sku": "B-1"}]}
            ]}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        let (status, problem) = batch(
            &app,
            json!({"products": [
                {"external_id": "erp-1", "name": "Renamed", "variants": [{"sku": "A-2"}]},
                {"external_id": "erp-2", "variants": [{"sku": "B-1"}]}
            ]}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("products[1].name", "required"),
                ("products[1].variants[0].price", "required"),
                ("products[1].variants[0].currency", "required"),
            ])
        );
        assert_eq!(product(&app, &shoe_id).await["name"], "跑步鞋 Pro 2");

        // Item by item: each on its own.
        let (status, third) = batch(
            &app,
            json!({"mode": "per_item", "products": [
                {"variants": [{"sku": "A-2"}, {"sku": "TEA-1"}]},
                {"external_id": "erp-1", "variants": [{"sku": "TEA-1", "price": 1, "currency": "CNY"}]},
                {"external_id": "tea", "name": "Tea", "variants": [{"sku": "TEA-2", "price": 100, "currency": "CNY"}]},
                {"external_id": "tea", "name": "Tea", "variants": [{"sku": "TEA-3", "price": 100, "currency": "CNY"}]},
                {"external_id": "erp-1", "variants": [{"sku": "A-2", "stock": 0, "low_stock_threshold": 1}]}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{third}");
        assert_eq!(
            item_statuses(&third),
            ["failed", "failed", "created", "failed", "failed"]
        );
        let codes: Vec<&str> = third["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["errors"][0]["code"].as_str())
            .collect();
        assert_eq!(
            codes,
            [
                "skus_of_several_products",
                "sku_taken",
                "duplicate_in_batch",
                "duplicate_in_batch"
            ]
        );
        assert_eq!(third["failed"], 4);
        let taken = third["results"][1]["errors"][0]["message"]
            .as_str()
            .unwrap();
        assert!(
            taken.starts_with("variants[0]:"),
            "named at the item's variant: {taken}"
        );
        assert_eq!(product(&app, &shoe_id).await["variants"][1]["stock"], 5);

        // A retry with the same Idempotency-Key gets the first answer, and writes nothing again.
        let retry = || {
            app.request(
                Method::POST,
                "/api/v1/products/batch",
                &app.admin_token,
                Some(
                    json!({"products": [{"external_id": "erp-3", "name": "Cap", "variants": [
                        {"sku": "CAP-1", "price": 100, "currency": "CNY", "stock": 1}
                    ]}]}),
                ),
            )
            .header("Idempotency-Key", "product-batch-retry-1")
            .send()
        };
        let first = retry().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let first: Value = first.json().await.unwrap();
        let again = retry().await.unwrap();
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let again: Value = again.json().await.unwrap();
        assert_eq!(again, first);
        assert_eq!(item_statuses(&again), ["created"]);

        // A malformed item refuses the batch in either mode.
        let (status, problem) = batch(
            &app,
            json!({"mode": "per_item", "products": [
                {"variants": [{"sku": "bad sku", "stock": -1}]},
                {"variants": []}
            ]}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("products[0].variants[0].sku", "invalid_sku"),
                ("products[0].variants[0].stock", "out_of_range"),
                ("products[1].variants", "out_of_range"),
            ])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_naming_one_new_product_create_it_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let sends = (0..10).map(|i| {
            batch(
                &app,
                json!({"products": [{"external_id": "race", "name": format!("Race {i}"), "variants": [
                    {"sku": "RACE-1", "price": 100, "currency": "CNY", "stock": 1}
                ]}]}),
            )
        });
        let answers = futures_util::future::join_all(sends).await;
        let mut created = 0;
        for (status, result) in &answers {
            assert_eq!(*status, StatusCode::OK, "{result}");
            if result["created"] == 1 {
                created += 1;
            }
        }
        assert_eq!(created, 1, "{answers:?}");
        let ids: std::collections::HashSet<String> = answers
            .iter()
            .map(|(_, r)| r["results"][0]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "every answer names the one product");
        let (_, found) = app
            .send(
                Method::POST,
                "/api/v1/products/search",
                &app.admin_token,
                Some(json!({"filter": {"field": "external_id", "op": "eq", "value": "race"}, "include_total": true})),
            )
            .await;
        assert_eq!(found["total"], 1, "{found}");
    }
}
