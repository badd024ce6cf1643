//! Orders seen from outside: placed pending with prices copied as sold and totals computed here,
//! paid all or nothing (stock never overdrawn however many pay at once), moved on only by the
//! transitions that exist, and seen by a sales user only for their own customers.

use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A product with one variant per sku, each with `stock`; the variants' ids.
async fn variants(app: &TestApp, skus: &[&str], stock: i64) -> Vec<String> {
    let variants: Vec<Value> = skus
        .iter()
        .map(|sku| {
            json!({"sku": sku, "options": {"sku": sku}, "price": 1000, "currency": "CNY", "stock": stock})
        })
        .collect();
    let (status, product) = app
        .send(
            Method::POST,
            "/api/v1/products",
            &app.admin_token,
            Some(json!({"name": "Tea", "variants": variants})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

async fn customer(app: &TestApp, token: &str) -> String {
    id(&app.create_customer(token, json!({"name": "王芳"})).await)
}

async fn place(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, order) = app
        .send(Method::POST, "/api/v1/orders", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    order
}

async fn pay(app: &TestApp, token: &str, order: &str) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{order}/pay"),
        token,
        Some(json!({"method": "wechat_pay", "reference": "wx-1"})),
    )
    .await
}

async fn stock(app: &TestApp, variant: &str) -> i64 {
    let (_, page) = app
        .send(
            Method::GET,
            "/api/v1/products?limit=200",
            &app.admin_token,
            None,
        )
        .await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["variants"].as_array().unwrap().clone())
        .find(|v| v["id"] == variant)
        .map(|v| v["stock"].as_i64().unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_copies_what_was_sold_and_totals_it() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["TEA-1"], 5).await;
        let buyer = customer(&app, token).await;
        let order = place(
            &app,
            token,
            json!({
                "customer_id": buyer,
                "currency": "CNY",
                "lines": [
                    {"variant_id": v[0], "quantity": 2},
                    {"description": "Tasting session", "quantity": 1, "unit_price": 5000}
                ],
                "shipping": 800
            }),
        )
        .await;
        assert_eq!(order["status"], "pending");
        assert!(order["number"].as_str().unwrap().starts_with("SO-"));
        assert_eq!(order["lines"][0]["sku"], "TEA-1");
        assert_eq!(order["lines"][0]["name"], "Tea TEA-1");
        assert_eq!(order["lines"][0]["line_total"], 2000);
        assert_eq!(
            (order["subtotal"].clone(), order["total"].clone()),
            (json!(7000), json!(7800))
        );

        // Every mistake at once, each at its line.
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                token,
                Some(json!({
                    "customer_id": buyer,
                    "currency": "USD",
                    "lines": [
                        {"variant_id": v[0], "quantity": 1},
                        {"variant_id": "01939f8e-0000-7000-8000-000000000000", "quantity": 1},
                        {"variant_id": v[0], "description": "both", "quantity": 1}
                    ]
                })),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("lines[2]", "invalid_line")])
        );
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                token,
                Some(json!({
                    "customer_id": buyer,
                    "currency": "USD",
                    "lines": [
                        {"variant_id": v[0], "quantity": 1},
                        {"variant_id": "01939f8e-0000-7000-8000-000000000000", "quantity": 1}
                    ]
                })),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("lines[0].variant_id", "currency_mismatch"),
                ("lines[1].variant_id", "not_found")
            ])
        );

        // Only the transitions that exist.
        let number = id(&order);
        let (status, cancelled) = app
            .send(
                Method::POST,
                &format!("/api/v1/orders/{number}/cancel"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cancelled}");
        assert_eq!(cancelled["status"], "cancelled");
        for action in ["pay", "cancel"] {
            let body = (action == "pay").then(|| json!({"method": "cash"}));
            let (status, problem) = app
                .send(
                    Method::POST,
                    &format!("/api/v1/orders/{number}/{action}"),
                    token,
                    body,
                )
                .await;
            assert_problem(status, &problem, 409, "invalid_transition");
        }
        assert_eq!(
            stock(&app, &v[0]).await,
            5,
            "a cancelled order takes nothing"
        );

        // A customer with orders stays; anonymise instead.
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/customers/{buyer}"),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "has_orders");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_takes_every_line_or_none() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["A", "B", "C"], 3).await;
        let buyer = customer(&app, token).await;
        let lines: Vec<Value> = [(0, 2), (1, 2), (2, 4)]
            .iter()
            .map(|(i, q)| json!({"variant_id": v[*i], "quantity": q}))
            .collect();
        let order = place(
            &app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": lines}),
        )
        .await;
        let (status, problem) = pay(&app, token, &id(&order)).await;
        assert_problem(status, &problem, 409, "insufficient_stock");
        for variant in &v {
            assert_eq!(
                stock(&app, variant).await,
                3,
                "the first lines' stock is untouched"
            );
        }
        let (_, still) = app
            .send(
                Method::GET,
                &format!("/api/v1/orders/{}", id(&order)),
                token,
                None,
            )
            .await;
        assert_eq!(still["status"], "pending");

        let fits = place(
            &app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": [{"variant_id": v[0], "quantity": 3}]}),
        )
        .await;
        let (status, paid) = pay(&app, token, &id(&fits)).await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        assert_eq!(paid["payment"]["method"], "wechat_pay");
        assert_eq!(stock(&app, &v[0]).await, 0);
        let (_, ledger) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/products/{}/variants/{}/stock-movements",
                    paid["lines"][0]["product_id"].as_str().unwrap(),
                    v[0]
                ),
                token,
                None,
            )
            .await;
        assert_eq!(ledger["data"][0]["kind"], "order");
        assert_eq!(ledger["data"][0]["order_id"], paid["id"]);
        assert_eq!(ledger["data"][0]["reference"], paid["number"]);
    }
}

/// A hundred orders of one unit each, paid at the same moment, for a variant with ten in stock:
/// exactly ten are paid, ninety are refused, the stock ends at zero and equals its ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_payments_never_sell_what_is_not_there() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["LAST-10"], 10).await;
        let buyer = customer(&app, token).await;
        let mut orders = Vec::new();
        for _ in 0..100 {
            let order = place(
                &app,
                token,
                json!({"customer_id": buyer, "currency": "CNY", "lines": [{"variant_id": v[0], "quantity": 1}]}),
            )
            .await;
            orders.push(id(&order));
        }
        let answers =
            futures_util::future::join_all(orders.iter().map(|o| pay(&app, token, o))).await;
        let paid = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        let refused = answers
            .iter()
            .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "insufficient_stock")
            .count();
        assert_eq!((paid, refused), (10, 90), "{backend:?}");
        assert_eq!(stock(&app, &v[0]).await, 0);
        let (_, list) = app
            .send(
                Method::GET,
                "/api/v1/orders?status=paid&include_total=true",
                token,
                None,
            )
            .await;
        assert_eq!(list["total"], 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sales_user_sees_only_their_own_customers_orders() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let v = variants(&app, &["S-1"], 10).await;
        let (seller, seller_token) = app.user_with_role("sales").await;
        let (_, other_token) = app.user_with_role("sales").await;
        let mine = customer(&app, &seller_token).await;
        let theirs = customer(&app, &other_token).await;
        let line = json!([{"variant_id": v[0], "quantity": 1}]);
        let own = place(
            &app,
            &seller_token,
            json!({"customer_id": mine, "currency": "CNY", "lines": line}),
        )
        .await;
        assert_eq!(
            own["sales_user_id"],
            seller.to_string(),
            "credited to the customer's owner"
        );
        let other = place(
            &app,
            &other_token,
            json!({"customer_id": theirs, "currency": "CNY", "lines": line}),
        )
        .await;

        let (_, list) = app
            .send(Method::GET, "/api/v1/orders", &seller_token, None)
            .await;
        let ids: Vec<String> = list["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, [id(&own)]);
        let (status, _) = app
            .send(
                Method::GET,
                &format!("/api/v1/orders/{}", id(&other)),
                &seller_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = pay(&app, &seller_token, &id(&other)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{theirs}/orders"),
                &seller_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                &seller_token,
                Some(json!({"customer_id": theirs, "currency": "CNY", "lines": line})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("customer_id", "not_found")])
        );

        let (_, both) = app
            .send(Method::GET, "/api/v1/orders", &app.admin_token, None)
            .await;
        assert_eq!(both["data"].as_array().unwrap().len(), 2);
        let (_, hers) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{mine}/orders"),
                &seller_token,
                None,
            )
            .await;
        assert_eq!(hers["data"].as_array().unwrap().len(), 1);
    }
}
