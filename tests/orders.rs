//! Orders seen from outside: placed pending with prices copied as sold and totals computed here,
//! paid all or nothing (stock never overdrawn however many pay at once), moved on only by the
//! transitions that exist, and seen by a sales user only for their own customers.

use rapport_tests::{
    TestApp, assert_problem, backends, csv_rows, error_pairs, item_statuses, pairs,
};
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
        let odd: Vec<_> = answers
            .iter()
            .filter(|(s, _)| *s != StatusCode::OK && *s != StatusCode::CONFLICT)
            .collect();
        assert_eq!((paid, refused), (10, 90), "{backend:?} {odd:?}");
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

/// `POST /api/v1/orders/{order}/{action}` with `body`.
async fn act(app: &TestApp, order: &str, action: &str, body: Option<Value>) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{order}/{action}"),
        &app.admin_token,
        body,
    )
    .await
}

/// Each action with a body it accepts.
fn actions() -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("pay", Some(json!({"method": "cash"}))),
        (
            "ship",
            Some(json!({"carrier": "顺丰速运", "tracking_number": "SF1"})),
        ),
        ("deliver", None),
        ("complete", None),
        ("cancel", None),
        (
            "refund-request",
            Some(json!({"amount": 100, "reason": "尺码不合适"})),
        ),
        ("refund", Some(json!({}))),
        ("refund-rejection", Some(json!({}))),
    ]
}

/// Walks orders through every state and, in each, tries every action: exactly the transitions of
/// the state machine succeed; every other one is 409 `invalid_transition` and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_illegal_transition_is_a_conflict() {
    // (the actions that bring a fresh order to the state, the state, the actions allowed there)
    let states: [(&[&str], &str, &[&str]); 8] = [
        (&[], "pending", &["pay", "cancel"]),
        (&["pay"], "paid", &["ship", "refund-request"]),
        (&["pay", "ship"], "shipped", &["deliver", "refund-request"]),
        (
            &["pay", "ship", "deliver"],
            "delivered",
            &["complete", "refund-request"],
        ),
        (&["pay", "ship", "deliver", "complete"], "completed", &[]),
        (&["cancel"], "cancelled", &[]),
        (
            &["pay", "refund-request"],
            "refund_requested",
            &["refund", "refund-rejection"],
        ),
        (&["pay", "full-refund-request", "refund"], "refunded", &[]),
    ];
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["WALK"], 1000).await;
        let buyer = customer(&app, token).await;
        let fresh = || async {
            let order = place(
                &app,
                token,
                json!({"customer_id": buyer, "currency": "CNY", "lines": [{"variant_id": v[0], "quantity": 1}]}),
            )
            .await;
            id(&order)
        };
        for (path, state, allowed) in states {
            let order = fresh().await;
            for step in path {
                let (action, body) = match *step {
                    "full-refund-request" => ("refund-request", Some(json!({"amount": 1000}))),
                    other => actions().into_iter().find(|(a, _)| *a == other).unwrap(),
                };
                let (status, body) = act(&app, &order, action, body).await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{action} on the way to {state}: {body}"
                );
            }
            let (_, before) = app
                .send(Method::GET, &format!("/api/v1/orders/{order}"), token, None)
                .await;
            assert_eq!(before["status"], state);
            for (action, body) in actions() {
                if allowed.contains(&action) {
                    continue;
                }
                let (status, problem) = act(&app, &order, action, body).await;
                assert_problem(status, &problem, 409, "invalid_transition");
            }
            let (_, after) = app
                .send(Method::GET, &format!("/api/v1/orders/{order}"), token, None)
                .await;
            assert_eq!(after, before, "refused actions change nothing ({state})");
            for action in allowed {
                let order = fresh().await;
                for step in path {
                    let (name, body) = match *step {
                        "full-refund-request" => ("refund-request", Some(json!({"amount": 1000}))),
                        other => actions().into_iter().find(|(a, _)| *a == other).unwrap(),
                    };
                    act(&app, &order, name, body).await;
                }
                let body = actions().into_iter().find(|(a, _)| a == action).unwrap().1;
                let (status, body) = act(&app, &order, action, body).await;
                assert_eq!(status, StatusCode::OK, "{action} from {state}: {body}");
            }
        }
    }
}

/// A delivered order refunded in two parts: the first puts one unit back in stock and returns the
/// order to `delivered`; more than is left is refused; the rest ends it `refunded`. A rejected
/// request leaves the money where it was. The shipment keeps its history in time order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_are_partial_bounded_and_restock_what_they_name() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["R-1"], 5).await;
        let buyer = customer(&app, token).await;
        let order = place(
            &app,
            token,
            json!({
                "customer_id": buyer,
                "currency": "CNY",
                "lines": [
                    {"variant_id": v[0], "quantity": 2},
                    {"description": "Engraving", "quantity": 1, "unit_price": 500}
                ],
                "shipping": 300
            }),
        )
        .await;
        let o = id(&order);
        let (variant_line, free_line) = (id(&order["lines"][0]), id(&order["lines"][1]));
        assert_eq!(order["total"], 2800);
        assert_eq!(order["refundable"], 0, "nothing to refund before payment");
        act(&app, &o, "pay", Some(json!({"method": "card"}))).await;
        assert_eq!(stock(&app, &v[0]).await, 3);
        let (status, shipped) = act(
            &app,
            &o,
            "ship",
            Some(json!({"carrier": "顺丰速运", "tracking_number": "SF1234567890"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{shipped}");
        assert_eq!(shipped["shipment"]["carrier"], "顺丰速运");
        for (status, place, at) in [
            ("out_for_delivery", "北京", "2026-12-05T09:00:00Z"),
            ("in_transit", "深圳", "2026-12-05T01:00:00Z"),
        ] {
            let (code, body) = act(
                &app,
                &o,
                "shipment-events",
                Some(json!({"status": status, "place": place, "occurred_at": at})),
            )
            .await;
            assert_eq!(code, StatusCode::OK, "{body}");
        }
        let (_, delivered) = act(&app, &o, "deliver", None).await;
        let steps: Vec<&str> = delivered["shipment"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["status"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["in_transit", "out_for_delivery"]);
        assert!(delivered["shipment"]["delivered_at"].is_string());

        // A rejected request changes no money.
        act(&app, &o, "refund-request", Some(json!({"amount": 2800}))).await;
        let (status, rejected) = act(
            &app,
            &o,
            "refund-rejection",
            Some(json!({"reason": "超出七天无理由退货期"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{rejected}");
        assert_eq!(rejected["status"], "delivered");
        assert_eq!(rejected["refunds"][0]["status"], "rejected");
        assert_eq!(rejected["refundable"], 2800);

        // A partial refund that restocks one unit of the variant line.
        let (status, requested) =
            act(&app, &o, "refund-request", Some(json!({"amount": 1000}))).await;
        assert_eq!(status, StatusCode::OK, "{requested}");
        assert_eq!(requested["status"], "refund_requested");
        for (restock, field, code) in [
            (
                json!([{"line_id": free_line, "quantity": 1}]),
                "restock[0].line_id",
                "not_stocked",
            ),
            (
                json!([{"line_id": variant_line, "quantity": 3}]),
                "restock[0].quantity",
                "exceeds_sold",
            ),
            (
                json!([{"line_id": buyer, "quantity": 1}]),
                "restock[0].line_id",
                "not_found",
            ),
        ] {
            let (status, problem) =
                act(&app, &o, "refund", Some(json!({"restock": restock}))).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(error_pairs(&problem), pairs(&[(field, code)]));
        }
        let (status, partial) = act(
            &app,
            &o,
            "refund",
            Some(
                json!({"reference": "RF-1", "restock": [{"line_id": variant_line, "quantity": 1}]}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{partial}");
        assert_eq!(
            partial["status"], "delivered",
            "money is left: back where it was"
        );
        assert_eq!(partial["refunded_total"], 1000);
        assert_eq!(partial["refundable"], 1800);
        assert_eq!(partial["lines"][0]["restocked"], 1);
        assert_eq!(partial["refunds"][1]["restocked"], 1);
        assert_eq!(stock(&app, &v[0]).await, 4);

        // Never more than is left; the rest ends the order.
        let (status, problem) =
            act(&app, &o, "refund-request", Some(json!({"amount": 1801}))).await;
        assert_problem(status, &problem, 409, "refund_exceeds_refundable");
        act(&app, &o, "refund-request", Some(json!({"amount": 1800}))).await;
        let (status, problem) = act(
            &app,
            &o,
            "refund",
            Some(json!({"restock": [{"line_id": variant_line, "quantity": 2}]})),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        let (status, refunded) = act(
            &app,
            &o,
            "refund",
            Some(json!({"restock": [{"line_id": variant_line, "quantity": 1}]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{refunded}");
        assert_eq!(refunded["status"], "refunded");
        assert_eq!(refunded["refunded_total"], 2800);
        assert_eq!(refunded["refundable"], 0);
        assert_eq!(stock(&app, &v[0]).await, 5);
        let (_, ledger) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/products/{}/variants/{}/stock-movements",
                    refunded["lines"][0]["product_id"].as_str().unwrap(),
                    v[0]
                ),
                token,
                None,
            )
            .await;
        let kinds: Vec<&str> = ledger["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["refund", "refund", "order", "initial"]);
        let sum: i64 = ledger["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["delta"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 5, "the stock equals its ledger");

        // Every step is in the event feed, in order.
        let (_, feed) = app
            .send(Method::GET, "/api/v1/events?limit=200", token, None)
            .await;
        let steps: Vec<&str> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["resource_id"] == o.as_str() || e["data"]["id"] == o.as_str())
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                "order.created",
                "order.paid",
                "order.shipped",
                "order.shipment_updated",
                "order.shipment_updated",
                "order.delivered",
                "order.refund_requested",
                "order.refund_rejected",
                "order.refund_requested",
                "order.refunded",
                "order.refund_requested",
                "order.refunded",
            ]
        );
    }
}

/// The refund window is a setting: closed, a request is refused; the settings are the
/// administrator's to change, versioned like every record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refund_window_is_a_setting() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let buyer = customer(&app, token).await;
        let order = place(
            &app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": [{"description": "Fitting", "quantity": 1, "unit_price": 900}]}),
        )
        .await;
        let o = id(&order);
        act(&app, &o, "pay", Some(json!({"method": "cash"}))).await;

        let (status, settings) = app
            .send(Method::GET, "/api/v1/settings/commerce", token, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings["refund_window_days"], 30);
        let (_, seller_token) = app.user_with_role("sales").await;
        let (status, _) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/commerce",
                &seller_token,
                Some(json!({"refund_window_days": 0})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, problem) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/commerce",
                token,
                Some(json!({"refund_window_days": 3651})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        let stale = app
            .request(
                Method::PATCH,
                "/api/v1/settings/commerce",
                token,
                Some(json!({"refund_window_days": 0})),
            )
            .header("If-Match", "\"7\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
        let (status, changed) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/commerce",
                token,
                Some(json!({"refund_window_days": 0})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            changed["version"],
            settings["version"].as_i64().unwrap() + 1
        );

        let (status, problem) = act(&app, &o, "refund-request", Some(json!({"amount": 900}))).await;
        assert_problem(status, &problem, 409, "refund_window_closed");
    }
}

/// A payment retried with its Idempotency-Key is answered again, not done again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_payment_is_replayed() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["ONCE"], 5).await;
        let buyer = customer(&app, token).await;
        let order = place(
            &app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": [{"variant_id": v[0], "quantity": 2}]}),
        )
        .await;
        let mut answers = Vec::new();
        for _ in 0..2 {
            let response = app
                .request(
                    Method::POST,
                    &format!("/api/v1/orders/{}/pay", id(&order)),
                    token,
                    Some(json!({"method": "alipay", "reference": "2026120522001"})),
                )
                .header("Idempotency-Key", "pay-55120")
                .send()
                .await
                .unwrap();
            let replayed = response.headers().contains_key("idempotent-replayed");
            answers.push((response.status(), replayed));
        }
        assert_eq!(answers, [(StatusCode::OK, false), (StatusCode::OK, true)]);
        assert_eq!(stock(&app, &v[0]).await, 3, "taken once");
    }
}

/// A customer's purchase figures follow their payments and refunds: two orders paid, one
/// refunded in part and the other in whole, and "spent at least this much" and "sorted by what
/// they spent" are one search each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_reverses_the_customers_figures() {
    for backend in backends() {
        let spawned = TestApp::spawn(&backend).await;
        let app = &spawned;
        let token = &app.admin_token;
        let buyer = customer(app, token).await;
        let other = customer(app, token).await;
        let free =
            |price: i64| json!([{"description": "Fitting", "quantity": 1, "unit_price": price}]);
        let figures = |c: &str| {
            let path = format!("/api/v1/customers/{c}");
            async move {
                let (_, c) = app.send(Method::GET, &path, token, None).await;
                (
                    c["orders_count"].as_i64().unwrap(),
                    c["total_spent"].as_i64().unwrap(),
                    c["average_order_value"].as_i64().unwrap(),
                )
            }
        };
        assert_eq!(figures(&buyer).await, (0, 0, 0));
        let first = place(
            app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": free(2800)}),
        )
        .await;
        let second = place(
            app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": free(1000)}),
        )
        .await;
        place(
            app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": free(99_000)}),
        )
        .await;
        let (_, paid_first) = act(app, &id(&first), "pay", Some(json!({"method": "cash"}))).await;
        act(app, &id(&second), "pay", Some(json!({"method": "cash"}))).await;
        let spender = place(
            app,
            token,
            json!({"customer_id": other, "currency": "CNY", "lines": free(500)}),
        )
        .await;
        act(app, &id(&spender), "pay", Some(json!({"method": "cash"}))).await;
        assert_eq!(
            figures(&buyer).await,
            (2, 3800, 1900),
            "a pending order does not count"
        );

        act(
            app,
            &id(&first),
            "refund-request",
            Some(json!({"amount": 1000})),
        )
        .await;
        act(app, &id(&first), "refund", Some(json!({}))).await;
        assert_eq!(
            figures(&buyer).await,
            (2, 2800, 1400),
            "a partial refund takes its money out"
        );
        act(
            app,
            &id(&second),
            "refund-request",
            Some(json!({"amount": 1000})),
        )
        .await;
        act(app, &id(&second), "refund", Some(json!({}))).await;
        assert_eq!(
            figures(&buyer).await,
            (1, 1800, 1800),
            "a whole refund uncounts the order"
        );
        let (_, c) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{buyer}"),
                token,
                None,
            )
            .await;
        assert_eq!(c["last_order_at"], paid_first["payment"]["paid_at"]);
        assert_eq!(c["first_order_at"], paid_first["payment"]["paid_at"]);
        assert_eq!(c["version"], 1, "the figures are not edits of the customer");

        let (status, found) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                token,
                Some(json!({
                    "filter": {"and": [
                        {"field": "total_spent", "op": "gte", "value": 1000},
                        {"field": "last_order_at", "op": "gte", "value": "2026-01-01T00:00:00Z"}
                    ]},
                    "sort": ["-total_spent"]
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let ids: Vec<String> = found["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, std::slice::from_ref(&buyer));
        let (_, sorted) = app
            .send(
                Method::GET,
                "/api/v1/customers?sort=-total_spent&limit=1",
                token,
                None,
            )
            .await;
        assert_eq!(sorted["data"][0]["id"], buyer.as_str());
        let (_, next) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/customers?sort=-total_spent&limit=1&cursor={}",
                    sorted["next_cursor"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        assert_eq!(next["data"][0]["id"], other.as_str());
    }
}

/// Levels follow a customer's figures both ways: up as they pay, down when a refund takes money
/// back, and again when the business changes or deletes a level; each move is an event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_holds_the_highest_level_their_figures_reach() {
    for backend in backends() {
        let spawned = TestApp::spawn(&backend).await;
        let app = &spawned;
        let token = &app.admin_token;
        let level = |body: Value| async move {
            let (status, level) = app
                .send(Method::POST, "/api/v1/customer-levels", token, Some(body))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{level}");
            level
        };
        let silver = level(json!({"name": "银卡", "rank": 1, "min_total_spent": 1000})).await;
        let gold = level(
            json!({"name": "金卡", "rank": 2, "min_total_spent": 3000, "min_orders_count": 2}),
        )
        .await;
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/customer-levels",
                token,
                Some(json!({"name": "铜卡", "rank": 1, "min_orders_count": 1})),
            )
            .await;
        assert_problem(status, &problem, 409, "level_rank_taken");
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/customer-levels",
                token,
                Some(json!({"name": "铜卡", "rank": 0})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        // A change that is wrong is told so even against a stale version; a right one is not made.
        let silver_path = format!("/api/v1/customer-levels/{}", silver["id"].as_str().unwrap());
        for (body, expected) in [
            (
                json!({"min_orders_count": -1}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"min_orders_count": 1}),
                StatusCode::PRECONDITION_FAILED,
            ),
        ] {
            let answer = app
                .request(Method::PATCH, &silver_path, token, Some(body))
                .header("If-Match", "\"9\"")
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), expected);
        }
        let (_, seller_token) = app.user_with_role("sales").await;
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/customer-levels",
                &seller_token,
                Some(json!({"name": "铜卡", "rank": 0, "min_orders_count": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let buyer = customer(app, token).await;
        let level_of = |c: String| async move {
            let (_, c) = app
                .send(Method::GET, &format!("/api/v1/customers/{c}"), token, None)
                .await;
            c["level_id"].clone()
        };
        let paid = |price: i64| {
            let buyer = buyer.clone();
            async move {
                let order = place(
                    app,
                    token,
                    json!({"customer_id": buyer, "currency": "CNY", "lines": [{"description": "Fitting", "quantity": 1, "unit_price": price}]}),
                )
                .await;
                act(app, &id(&order), "pay", Some(json!({"method": "cash"}))).await;
                id(&order)
            }
        };
        assert_eq!(level_of(buyer.clone()).await, Value::Null);
        paid(1500).await;
        assert_eq!(level_of(buyer.clone()).await, silver["id"]);
        let second = paid(2000).await;
        assert_eq!(level_of(buyer.clone()).await, gold["id"]);
        act(
            app,
            &second,
            "refund-request",
            Some(json!({"amount": 2000})),
        )
        .await;
        act(app, &second, "refund", Some(json!({}))).await;
        assert_eq!(
            level_of(buyer.clone()).await,
            silver["id"],
            "a refund moves them down"
        );

        let (status, found) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                token,
                Some(json!({"filter": {"field": "level_id", "op": "eq", "value": silver["id"]}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found["data"].as_array().unwrap().len(), 1);

        // The business raises silver's bar: the customer no longer reaches it.
        let (status, raised) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/customer-levels/{}", id(&silver)),
                token,
                Some(json!({"min_total_spent": 2000})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{raised}");
        assert_eq!(level_of(buyer.clone()).await, Value::Null);
        // Lowered again, and gold's orders bar dropped: gold, until gold goes.
        app.send(
            Method::PATCH,
            &format!("/api/v1/customer-levels/{}", id(&gold)),
            token,
            Some(json!({"min_total_spent": 1000, "min_orders_count": null})),
        )
        .await;
        assert_eq!(level_of(buyer.clone()).await, gold["id"]);
        app.send(
            Method::PATCH,
            &format!("/api/v1/customer-levels/{}", id(&silver)),
            token,
            Some(json!({"min_total_spent": 500})),
        )
        .await;
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/customer-levels/{}", id(&gold)),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(level_of(buyer.clone()).await, silver["id"]);

        let (_, feed) = app
            .send(
                Method::GET,
                "/api/v1/events?types=customer.level_changed&limit=50",
                token,
                None,
            )
            .await;
        let moves: Vec<(Value, Value)> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["previous"]["level_id"].clone(),
                    e["data"]["level_id"].clone(),
                )
            })
            .collect();
        assert_eq!(
            moves,
            [
                (Value::Null, silver["id"].clone()),
                (silver["id"].clone(), gold["id"].clone()),
                (gold["id"].clone(), silver["id"].clone()),
                (silver["id"].clone(), Value::Null),
                (Value::Null, gold["id"].clone()),
                (gold["id"].clone(), silver["id"].clone()),
            ]
        );
    }
}

/// One step of the property test's sequences.
#[derive(Debug, Clone)]
enum Step {
    /// Adjust variant `v` by `delta`.
    Adjust { v: usize, delta: i64 },
    /// Place an order for customer `c` with `(variant, quantity)` lines.
    Place { c: usize, lines: Vec<(usize, i64)> },
    /// Pay order `o` (of those placed so far).
    Pay { o: usize },
    /// Cancel order `o`.
    Cancel { o: usize },
    /// Refund `percent` of what order `o` can still refund, putting its units back or not.
    Refund {
        o: usize,
        percent: i64,
        restock: bool,
    },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (0usize..3, -4i64..6).prop_map(|(v, delta)| Step::Adjust {
            v,
            delta: if delta == 0 { 1 } else { delta }
        }),
        (
            0usize..2,
            proptest::collection::vec((0usize..3, 1i64..4), 1..4)
        )
            .prop_map(|(c, lines)| Step::Place { c, lines }),
        (0usize..8).prop_map(|o| Step::Pay { o }),
        (0usize..8).prop_map(|o| Step::Cancel { o }),
        (0usize..8, 1i64..101, any::<bool>()).prop_map(|(o, percent, restock)| Step::Refund {
            o,
            percent,
            restock
        }),
    ]
}

/// An order as the model keeps it.
#[derive(Debug, Clone)]
struct ModelOrder {
    id: String,
    customer: usize,
    /// (variant, quantity, line id, units put back)
    lines: Vec<(usize, i64, String, i64)>,
    total: i64,
    status: &'static str,
    refunded: i64,
}

/// Random sequences of adjustments, orders, payments, cancellations and refunds leave every
/// variant's stock and every customer's figures where a plain in-memory model of the same
/// sequence puts them, on every database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stock_and_figures_follow_a_plain_model() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    const PRICES: [i64; 3] = [1000, 2500, 700];
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 12,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = proptest::collection::vec(step(), 1..30);
    let sequences: Vec<Vec<Step>> = (0..12)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        for (case, steps) in sequences.iter().enumerate() {
            let skus: Vec<String> = (0..3).map(|i| format!("P{case}-{i}")).collect();
            let variants: Vec<Value> = skus
                .iter()
                .zip(PRICES)
                .map(|(sku, price)| json!({"sku": sku, "options": {"sku": sku}, "price": price, "currency": "CNY", "stock": 5}))
                .collect();
            let (_, product) = app
                .send(
                    Method::POST,
                    "/api/v1/products",
                    token,
                    Some(json!({"name": "Model", "variants": variants})),
                )
                .await;
            let product_id = id(&product);
            let v: Vec<String> = product["variants"]
                .as_array()
                .unwrap()
                .iter()
                .map(id)
                .collect();
            let customers = [customer(&app, token).await, customer(&app, token).await];
            let mut stock = [5i64; 3];
            let mut orders: Vec<ModelOrder> = Vec::new();
            for step in steps {
                match step.clone() {
                    Step::Adjust { v: i, delta } => {
                        let (status, _) = app
                            .send(
                                Method::POST,
                                &format!(
                                    "/api/v1/products/{product_id}/variants/{}/stock-adjustments",
                                    v[i]
                                ),
                                token,
                                Some(json!({"delta": delta, "reason": "count"})),
                            )
                            .await;
                        if stock[i] + delta >= 0 {
                            assert_eq!(status, StatusCode::CREATED, "{step:?}");
                            stock[i] += delta;
                        } else {
                            assert_eq!(status, StatusCode::CONFLICT, "{step:?}");
                        }
                    }
                    Step::Place { c, lines } => {
                        let body: Vec<Value> = lines
                            .iter()
                            .map(|(i, q)| json!({"variant_id": v[*i], "quantity": q}))
                            .collect();
                        let order = place(
                            &app,
                            token,
                            json!({"customer_id": customers[c], "currency": "CNY", "lines": body}),
                        )
                        .await;
                        let line_ids = order["lines"].as_array().unwrap().iter().map(id);
                        orders.push(ModelOrder {
                            id: id(&order),
                            customer: c,
                            lines: lines
                                .iter()
                                .zip(line_ids)
                                .map(|((i, q), l)| (*i, *q, l, 0))
                                .collect(),
                            total: lines.iter().map(|(i, q)| PRICES[*i] * q).sum(),
                            status: "pending",
                            refunded: 0,
                        });
                    }
                    Step::Pay { .. } | Step::Cancel { .. } | Step::Refund { .. }
                        if orders.is_empty() => {}
                    Step::Pay { o } => {
                        let o = o % orders.len();
                        let (status, _) =
                            act(&app, &orders[o].id, "pay", Some(json!({"method": "cash"}))).await;
                        let mut wanted = [0i64; 3];
                        for (i, q, _, _) in &orders[o].lines {
                            wanted[*i] += q;
                        }
                        let fits = (0..3).all(|i| wanted[i] <= stock[i]);
                        if orders[o].status == "pending" && fits {
                            assert_eq!(status, StatusCode::OK, "{step:?}");
                            (0..3).for_each(|i| stock[i] -= wanted[i]);
                            orders[o].status = "paid";
                        } else {
                            assert_eq!(status, StatusCode::CONFLICT, "{step:?}");
                        }
                    }
                    Step::Cancel { o } => {
                        let o = o % orders.len();
                        let (status, _) = act(&app, &orders[o].id, "cancel", None).await;
                        if orders[o].status == "pending" {
                            assert_eq!(status, StatusCode::OK, "{step:?}");
                            orders[o].status = "cancelled";
                        } else {
                            assert_eq!(status, StatusCode::CONFLICT, "{step:?}");
                        }
                    }
                    Step::Refund {
                        o,
                        percent,
                        restock,
                    } => {
                        let o = o % orders.len();
                        let left = orders[o].total - orders[o].refunded;
                        let amount = (left * percent / 100).max(1);
                        let (status, _) = act(
                            &app,
                            &orders[o].id,
                            "refund-request",
                            Some(json!({"amount": amount})),
                        )
                        .await;
                        if orders[o].status != "paid" {
                            assert_eq!(status, StatusCode::CONFLICT, "{step:?}");
                            continue;
                        }
                        assert_eq!(status, StatusCode::OK, "{step:?}");
                        // Whatever each line has not yet put back.
                        let back: Vec<(usize, i64)> = if restock {
                            orders[o]
                                .lines
                                .iter()
                                .enumerate()
                                .filter(|(_, (_, q, _, put))| put < q)
                                .map(|(n, (_, q, _, put))| (n, q - put))
                                .collect()
                        } else {
                            Vec::new()
                        };
                        let body: Vec<Value> = back
                            .iter()
                            .map(|(n, q)| json!({"line_id": orders[o].lines[*n].2, "quantity": q}))
                            .collect();
                        let (status, answer) = act(
                            &app,
                            &orders[o].id,
                            "refund",
                            Some(json!({"restock": body})),
                        )
                        .await;
                        assert_eq!(status, StatusCode::OK, "{step:?}: {answer}");
                        for (n, q) in back {
                            let line = &mut orders[o].lines[n];
                            line.3 += q;
                            stock[line.0] += q;
                        }
                        orders[o].refunded += amount;
                        if orders[o].refunded == orders[o].total {
                            orders[o].status = "refunded";
                        }
                    }
                }
            }
            for i in 0..3 {
                assert_eq!(
                    stock_of_variant(&app, &product_id, &v[i]).await,
                    stock[i],
                    "case {case}, variant {i}: {steps:?}"
                );
            }
            for (c, customer_id) in customers.iter().enumerate() {
                let counted = orders
                    .iter()
                    .filter(|o| o.customer == c && o.status == "paid")
                    .count() as i64;
                let spent: i64 = orders
                    .iter()
                    .filter(|o| o.customer == c && matches!(o.status, "paid" | "refunded"))
                    .map(|o| o.total - o.refunded)
                    .sum();
                let (_, found) = app
                    .send(
                        Method::GET,
                        &format!("/api/v1/customers/{customer_id}"),
                        token,
                        None,
                    )
                    .await;
                assert_eq!(
                    (
                        found["orders_count"].as_i64().unwrap(),
                        found["total_spent"].as_i64().unwrap()
                    ),
                    (counted, spent),
                    "case {case}, customer {c}: {steps:?}"
                );
            }
        }
    }
}

/// A variant's stock as its product shows it.
async fn stock_of_variant(app: &TestApp, product: &str, variant: &str) -> i64 {
    let (_, product) = app
        .send(
            Method::GET,
            &format!("/api/v1/products/{product}"),
            &app.admin_token,
            None,
        )
        .await;
    product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == variant)
        .map(|v| v["stock"].as_i64().unwrap())
        .unwrap()
}

/// Merging customers carries the duplicate's orders, and with them its figures, to the survivor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_carries_the_figures_to_the_survivor() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let survivor = customer(&app, token).await;
        let duplicate = customer(&app, token).await;
        for (buyer, price) in [(&survivor, 300), (&duplicate, 700)] {
            let order = place(
                &app,
                token,
                json!({"customer_id": buyer, "currency": "CNY", "lines": [{"description": "Tea", "quantity": 1, "unit_price": price}]}),
            )
            .await;
            act(&app, &id(&order), "pay", Some(json!({"method": "cash"}))).await;
        }
        let (status, merged) = app
            .send(
                Method::POST,
                &format!("/api/v1/customers/{survivor}/merge"),
                token,
                Some(json!({"duplicate_id": duplicate})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{merged}");
        assert_eq!(
            (
                merged["orders_count"].clone(),
                merged["total_spent"].clone()
            ),
            (json!(2), json!(1000))
        );
    }
}

/// A pending order can be changed: new lines are priced again and the totals follow, shipping
/// alone moves only the total, a stale version changes nothing, and once paid only actions move
/// the order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_order_can_be_changed_and_a_paid_one_cannot() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["EDIT"], 10).await;
        let buyer = customer(&app, token).await;
        let order = place(
            &app,
            token,
            json!({"customer_id": buyer, "currency": "CNY", "lines": [{"variant_id": v[0], "quantity": 1}]}),
        )
        .await;
        let o = id(&order);
        let path = format!("/api/v1/orders/{o}");
        let (status, changed) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({
                    "lines": [
                        {"variant_id": v[0], "quantity": 3},
                        {"description": "Gift wrapping", "quantity": 1, "unit_price": 500}
                    ],
                    "note": "门店自提"
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            (
                changed["subtotal"].clone(),
                changed["total"].clone(),
                changed["version"].clone()
            ),
            (json!(3500), json!(3500), json!(2))
        );
        let (_, shipped) = app
            .send(Method::PATCH, &path, token, Some(json!({"shipping": 800})))
            .await;
        assert_eq!(shipped["total"], 4300);
        assert_eq!(
            shipped["lines"][0]["id"], changed["lines"][0]["id"],
            "the lines stay"
        );
        let stale = app
            .request(Method::PATCH, &path, token, Some(json!({"note": null})))
            .header("If-Match", "\"2\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
        let (status, problem) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"lines": [{"variant_id": buyer, "quantity": 1}]})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("lines[0].variant_id", "not_found")])
        );

        let (status, paid) = act(&app, &o, "pay", Some(json!({"method": "cash"}))).await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        assert_eq!(stock(&app, &v[0]).await, 7);
        let (status, problem) = app
            .send(Method::PATCH, &path, token, Some(json!({"shipping": 0})))
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");
    }
}

/// The customers a `purchases` condition selects, by name, in name order.
async fn buyers(app: &TestApp, op: &str, test: Value) -> Vec<String> {
    let (status, page) = app
        .send(
            Method::POST,
            "/api/v1/customers/search",
            &app.admin_token,
            Some(json!({
                "filter": {"field": "purchases", "op": op, "value": test},
                "sort": ["name"],
                "limit": 200
            })),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purchase_filter_finds_who_bought_what_and_when() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (_, shoes) = app
            .send(
                Method::POST,
                "/api/v1/categories",
                token,
                Some(json!({"name": "跑步鞋"})),
            )
            .await;
        let (status, shoe) = app
            .send(
                Method::POST,
                "/api/v1/products",
                token,
                Some(json!({"name": "跑步鞋 Pro", "category_id": shoes["id"], "variants": [
                    {"sku": "RUN-42", "options": {"size": "42"}, "price": 49900, "currency": "CNY", "stock": 10}
                ]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{shoe}");
        let shoe_variant = id(&shoe["variants"][0]);
        let tea = variants(&app, &["TEA-9"], 10).await;
        let mut names = Vec::new();
        for name in ["a 鞋", "b 茶", "c 未付", "d 全退"] {
            let customer = app.create_customer(token, json!({"name": name})).await;
            names.push(id(&customer));
        }
        let order = |customer: &str, variant: &str| {
            json!({"customer_id": customer, "currency": "CNY",
                   "lines": [{"variant_id": variant, "quantity": 1}]})
        };
        let shoe_order = place(&app, token, order(&names[0], &shoe_variant)).await;
        assert_eq!(pay(&app, token, &id(&shoe_order)).await.0, StatusCode::OK);
        let tea_order = place(&app, token, order(&names[1], &tea[0])).await;
        assert_eq!(pay(&app, token, &id(&tea_order)).await.0, StatusCode::OK);
        place(&app, token, order(&names[2], &shoe_variant)).await;
        let returned = place(&app, token, order(&names[3], &shoe_variant)).await;
        let returned = id(&returned);
        assert_eq!(pay(&app, token, &returned).await.0, StatusCode::OK);
        let (status, _) = act(
            &app,
            &returned,
            "refund-request",
            Some(json!({"amount": 49900})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, refunded) = act(&app, &returned, "refund", Some(json!({}))).await;
        assert_eq!(refunded["status"], "refunded", "{status} {refunded}");

        let product = shoe["id"].clone();
        assert_eq!(
            buyers(&app, "exists", json!({"product_id": product})).await,
            ["a 鞋"],
            "unpaid and wholly refunded orders are no purchase"
        );
        assert_eq!(
            buyers(&app, "exists", json!({"category_id": shoes["id"]})).await,
            ["a 鞋"]
        );
        assert_eq!(
            buyers(&app, "exists", json!({"variant_id": tea[0]})).await,
            ["b 茶"]
        );
        assert_eq!(buyers(&app, "exists", json!({})).await, ["a 鞋", "b 茶"]);
        assert_eq!(
            buyers(&app, "not_exists", json!({"product_id": product})).await,
            ["b 茶", "c 未付", "d 全退"]
        );
        let hour = chrono::Duration::hours(1);
        let now = chrono::Utc::now();
        assert_eq!(
            buyers(
                &app,
                "exists",
                json!({"product_id": product, "paid_since": (now - hour).to_rfc3339()})
            )
            .await,
            ["a 鞋"]
        );
        assert!(
            buyers(
                &app,
                "exists",
                json!({"product_id": product, "paid_since": (now + hour).to_rfc3339()})
            )
            .await
            .is_empty()
        );
        assert!(
            buyers(
                &app,
                "exists",
                json!({"paid_before": (now - hour).to_rfc3339()})
            )
            .await
            .is_empty()
        );

        // A saved segment keeps the condition and selects the same customers.
        let (status, segment) = app
            .send(
                Method::POST,
                "/api/v1/segments",
                token,
                Some(json!({"name": "买过跑步鞋", "kind": "dynamic",
                    "filter": {"field": "purchases", "op": "exists", "value": {"category_id": shoes["id"]}}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{segment}");
        assert_eq!(
            segment["filter"]["value"],
            json!({"category_id": shoes["id"]})
        );

        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                token,
                Some(json!({"filter": {"and": [
                    {"field": "purchases", "op": "exists", "value": {"sku": "RUN-42"}},
                    {"field": "purchases", "op": "eq", "value": {}},
                    {"field": "purchases", "op": "exists", "value": {"paid_since": "yesterday"}},
                    {"field": "purchases", "op": "not_exists", "value": "RUN-42"}
                ]}})),
            )
            .await;
        assert_problem(status, &problem, 400, "bad_request");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("filter.and[0].value.sku", "invalid_value"),
                ("filter.and[1].op", "unsupported_operator"),
                ("filter.and[2].value.paid_since", "invalid_value"),
                ("filter.and[3].value", "invalid_value"),
            ])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_searched_with_the_filter_language() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["SEARCH-1"], 100).await;
        let (seller, seller_token) = app.user_with_role("sales").await;
        let mine = customer(&app, &seller_token).await;
        let other = customer(&app, token).await;
        let line = |quantity: i64| json!([{"variant_id": v[0], "quantity": quantity}]);
        let small = place(
            &app,
            token,
            json!({"customer_id": mine, "currency": "CNY", "lines": line(1), "channel": "web"}),
        )
        .await;
        let big = place(
            &app,
            token,
            json!({"customer_id": mine, "currency": "CNY", "lines": line(9), "channel": "store"}),
        )
        .await;
        let others = place(
            &app,
            token,
            json!({"customer_id": other, "currency": "CNY", "lines": line(5)}),
        )
        .await;
        assert_eq!(pay(&app, token, &id(&big)).await.0, StatusCode::OK);
        assert_eq!(pay(&app, token, &id(&others)).await.0, StatusCode::OK);

        let search = |token: String, body: Value| {
            let app = &app;
            async move {
                let (status, page) = app
                    .send(Method::POST, "/api/v1/orders/search", &token, Some(body))
                    .await;
                assert_eq!(status, StatusCode::OK, "{page}");
                let numbers: Vec<String> =
                    page["data"].as_array().unwrap().iter().map(id).collect();
                (numbers, page["total"].clone())
            }
        };
        let (found, total) = search(
            token.clone(),
            json!({"filter": {"and": [
                {"field": "status", "op": "eq", "value": "paid"},
                {"field": "total", "op": "gte", "value": 5000}
            ]}, "sort": ["-total"], "include_total": true}),
        )
        .await;
        assert_eq!(found, [id(&big), id(&others)]);
        assert_eq!(total, 2);
        let (found, _) = search(
            token.clone(),
            json!({"filter": {"or": [
                {"field": "channel", "op": "in", "value": ["web"]},
                {"field": "payment.paid_at", "op": "is_null", "value": false}
            ]}, "sort": ["total"]}),
        )
        .await;
        assert_eq!(found, [id(&small), id(&others), id(&big)]);
        let (found, _) = search(
            token.clone(),
            json!({"filter": {"field": "channel", "op": "ne", "value": "web"}, "sort": ["total"]}),
        )
        .await;
        assert_eq!(
            found,
            [id(&others), id(&big)],
            "`ne` includes orders without a channel"
        );

        // A sales user finds only their own customers' orders.
        let (found, _) = search(
            seller_token.clone(),
            json!({"filter": {"field": "status", "op": "eq", "value": "paid"}}),
        )
        .await;
        assert_eq!(found, [id(&big)], "{seller}");

        // Pages follow the cursor through every match.
        let (status, first) = app
            .send(
                Method::POST,
                "/api/v1/orders/search",
                token,
                Some(json!({"sort": ["total"], "limit": 2})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, second) = app
            .send(
                Method::POST,
                "/api/v1/orders/search",
                token,
                Some(json!({"sort": ["total"], "limit": 2, "cursor": first["next_cursor"]})),
            )
            .await;
        let ids: Vec<String> = first["data"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["data"].as_array().unwrap())
            .map(id)
            .collect();
        assert_eq!(ids, [id(&small), id(&others), id(&big)]);

        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/orders/search",
                token,
                Some(json!({"filter": {"and": [
                    {"field": "number", "op": "contains", "value": "SO"},
                    {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
                    {"field": "status", "op": "eq", "value": "lost"}
                ]}, "sort": ["name"]})),
            )
            .await;
        assert_problem(status, &problem, 400, "bad_request");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("filter.and[0].op", "unsupported_operator"),
                ("filter.and[1].field", "unknown_field"),
                ("filter.and[2].value", "invalid_value"),
                ("sort[0]", "invalid_sort"),
            ])
        );

        let (status, fields) = app
            .send(Method::GET, "/api/v1/orders/filter-fields", token, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let number = fields["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "number")
            .unwrap();
        assert_eq!(number["type"], "keyword");
        assert_eq!(number["operators"], json!(["eq", "ne", "in", "not_in"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_carries_its_recipient_and_where_it_goes() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["SHIP-1"], 10).await;
        let buyer = customer(&app, token).await;
        let order = place(
            &app,
            token,
            json!({
                "customer_id": buyer, "currency": "CNY",
                "lines": [{"variant_id": v[0], "quantity": 1}],
                "recipient": {"name": " 王伟 ", "phone": "+86 139 1234 5678"},
                "ship_to": {"country": "CN", "city": "上海市", "street": "世纪大道 100 号"}
            }),
        )
        .await;
        assert_eq!(
            order["recipient"],
            json!({"name": "王伟", "phone": "+8613912345678"})
        );
        assert_eq!(order["ship_to"]["city"], "上海市");
        assert_eq!(order["ship_to"]["province"], Value::Null);

        // Replaced as a whole while pending.
        let (status, changed) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/orders/{}", id(&order)),
                token,
                Some(json!({"ship_to": {"country": "CN", "city": "杭州市"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["ship_to"]["city"], "杭州市");
        assert_eq!(changed["ship_to"]["street"], Value::Null);
        assert_eq!(changed["recipient"]["name"], "王伟");

        // Searchable by where it goes.
        let (_, found) = app
            .send(
                Method::POST,
                "/api/v1/orders/search",
                token,
                Some(json!({"filter": {"field": "ship_to.city", "op": "eq", "value": "杭州市"}})),
            )
            .await;
        assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");

        // Who may not see a customer's phone does not see the recipient's either.
        let (_, viewer) = app.user_with_role("viewer").await;
        let (status, seen) = app
            .send(
                Method::GET,
                &format!("/api/v1/orders/{}", id(&order)),
                &viewer,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        let phone = seen["recipient"]["phone"].as_str().unwrap();
        assert!(phone.contains('*') && phone != "+8613912345678", "{phone}");

        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                token,
                Some(json!({
                    "customer_id": buyer, "currency": "CNY",
                    "lines": [{"variant_id": v[0], "quantity": 1}],
                    "recipient": {"phone": "call me"},
                    "ship_to": {"city": "x".repeat(201)}
                })),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("recipient.phone", "invalid_phone"),
                ("ship_to.city", "too_long"),
            ])
        );
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                token,
                Some(json!({
                    "customer_id": buyer, "currency": "CNY",
                    "lines": [{"variant_id": v[0], "quantity": 1}],
                    "recipient": [null, null]
                })),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("recipient", "invalid_type")])
        );

        // Anonymising the customer forgets who received their orders and where, here and in the
        // copies the audit trail and the feed hold.
        let (status, _) = app
            .send(
                Method::POST,
                &format!("/api/v1/customers/{buyer}/anonymize"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, forgotten) = app
            .send(
                Method::GET,
                &format!("/api/v1/orders/{}", id(&order)),
                token,
                None,
            )
            .await;
        assert_eq!(forgotten["recipient"], json!({"name": null, "phone": null}));
        assert_eq!(forgotten["ship_to"]["city"], Value::Null);
        assert_eq!(
            forgotten["lines"][0]["sku"], "SHIP-1",
            "what was sold stays"
        );
        let (_, feed) = app
            .send(
                Method::GET,
                "/api/v1/events?types=order.created&limit=200",
                token,
                None,
            )
            .await;
        let created = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["data"]["id"] == order["id"])
            .unwrap();
        assert_eq!(created["data"]["recipient"], Value::Null, "{created}");
    }
}

async fn export_orders(app: &TestApp, token: &str, query: &str) -> (StatusCode, String, Vec<u8>) {
    app.download(&format!("/api/v1/orders/export{query}"), token)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_export_holds_each_line_once_in_either_format() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["EXP-1", "EXP-2"], 10).await;
        let buyer = customer(&app, token).await;
        let other = customer(&app, token).await;
        let first = place(
            &app,
            token,
            json!({
                "customer_id": buyer, "currency": "CNY",
                "lines": [{"variant_id": v[0], "quantity": 2}, {"variant_id": v[1], "quantity": 1}],
                "recipient": {"name": "王伟", "phone": "+86 139 1234 5678"},
                "ship_to": {"country": "CN", "city": "上海市"},
                "note": "=HYPERLINK(\"x\")"
            }),
        )
        .await;
        let (status, _) = pay(&app, token, &id(&first)).await;
        assert_eq!(status, StatusCode::OK);
        let second = place(
            &app,
            token,
            json!({
                "customer_id": buyer, "currency": "CNY",
                "lines": [{"description": "Tea ceremony", "quantity": 1, "unit_price": 5000}]
            }),
        )
        .await;
        let third = place(
            &app,
            token,
            json!({
                "customer_id": other, "currency": "CNY",
                "lines": [{"variant_id": v[0], "quantity": 1}]
            }),
        )
        .await;

        // CSV: one row per line, oldest order first, the order's cells on each of its rows.
        let (status, content_type, bytes) =
            export_orders(&app, token, &format!("?customer_id={buyer}&bom=true")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let body = bytes
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .expect("the file starts with the byte-order mark");
        let rows = csv_rows(body);
        let numbers: Vec<&str> = rows.iter().map(|r| r["number"].as_str()).collect();
        let skus: Vec<&str> = rows.iter().map(|r| r["line.sku"].as_str()).collect();
        assert_eq!(
            numbers,
            [first["number"].as_str().unwrap(); 2]
                .into_iter()
                .chain([second["number"].as_str().unwrap()])
                .collect::<Vec<_>>()
        );
        assert_eq!(skus, ["EXP-1", "EXP-2", ""]);
        assert_eq!(rows[0]["status"], "paid");
        assert_eq!(rows[0]["payment.method"], "wechat_pay");
        assert_eq!(rows[0]["total"], "3000");
        assert_eq!(rows[0]["line.line_total"], "2000");
        assert_eq!(rows[1]["line.quantity"], "1");
        assert_eq!(
            rows[0]["recipient.phone"], "'+8613912345678",
            "a leading + is kept from the spreadsheet's formulas"
        );
        assert_eq!(rows[1]["ship_to.city"], "上海市");
        assert_eq!(
            rows[0]["note"], "'=HYPERLINK(\"x\")",
            "a formula is neutralised"
        );
        assert_eq!(rows[2]["line.name"], "Tea ceremony");
        assert_eq!(rows[2]["status"], "pending");
        assert_eq!(rows[2]["payment.paid_at"], "");

        // Without the mark unless asked for; the list's filters narrow it.
        let (_, _, bytes) = export_orders(&app, token, "?status=pending").await;
        assert!(bytes.starts_with(b"id,number,status,"));
        let pending: Vec<String> = csv_rows(&bytes).iter().map(|r| r["id"].clone()).collect();
        assert_eq!(pending, [id(&second), id(&third)]);
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        let (_, _, bytes) = export_orders(
            &app,
            token,
            &format!("?created_from={}", later.format("%Y-%m-%dT%H:%M:%SZ")),
        )
        .await;
        assert!(csv_rows(&bytes).is_empty(), "only the header");

        // JSON lines: one order per line, as `GET /orders/{id}` answers it.
        let (status, content_type, bytes) = export_orders(&app, token, "?format=ndjson").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/x-ndjson");
        let orders: Vec<Value> = String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let ids: Vec<String> = orders.iter().map(id).collect();
        assert_eq!(ids, [id(&first), id(&second), id(&third)]);
        assert_eq!(orders[0]["lines"].as_array().unwrap().len(), 2);
        assert_eq!(
            orders[0]["note"], "=HYPERLINK(\"x\")",
            "JSON carries it as stored"
        );

        // Who may not see phones sees the recipient's masked.
        let (_, viewer) = app.user_with_role("viewer").await;
        let (status, _, bytes) = export_orders(&app, &viewer, "?status=paid").await;
        assert_eq!(status, StatusCode::OK);
        let phone = csv_rows(&bytes)[0]["recipient.phone"].clone();
        assert!(phone.contains('*') && phone != "+8613912345678", "{phone}");

        // A byte-order mark belongs to CSV only; unknown parameters are refused.
        for query in ["?format=ndjson&bom=true", "?colour=red"] {
            let (status, _, bytes) = export_orders(&app, token, query).await;
            let problem: Value = serde_json::from_slice(&bytes).unwrap();
            assert_problem(status, &problem, 400, "bad_request");
        }

        // Every export is in the audit trail, with what was asked for.
        let (_, trail) = app
            .send(
                Method::GET,
                "/api/v1/audit-events?action=orders.exported&limit=200",
                token,
                None,
            )
            .await;
        let trail = trail["data"].as_array().unwrap();
        assert_eq!(
            trail.len(),
            5,
            "refused exports are not recorded: {trail:?}"
        );
        let marked: Vec<&Value> = trail
            .iter()
            .filter(|e| e["detail"]["bom"] == true)
            .collect();
        assert_eq!(marked.len(), 1);
        assert_eq!(marked[0]["detail"]["customer_id"], buyer);
    }
}

/// A customer's `orders_count` and `total_spent`.
async fn purchase_figures(app: &TestApp, customer: &str) -> (i64, i64) {
    let (status, found) = app
        .send(
            Method::GET,
            &format!("/api/v1/customers/{customer}"),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    (
        found["orders_count"].as_i64().unwrap(),
        found["total_spent"].as_i64().unwrap(),
    )
}

async fn order_batch(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        "/api/v1/orders/batch",
        &app.admin_token,
        Some(body),
    )
    .await
}

/// A shop records its orders: they arrive in the state sent with the prices they were sold at,
/// move no stock, count in the customer's figures once paid, announce each step, and move only
/// forward afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_records_its_orders_in_the_state_they_reached() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let v = variants(&app, &["RUN-42"], 5).await;
        let buyer = customer(&app, token).await;
        let shipped = json!({
            "external_id": "tmall-1", "customer_id": buyer, "currency": "CNY",
            "lines": [{"sku": "RUN-42", "quantity": 2, "unit_price": 900}],
            "shipping": 500, "channel": "tmall", "placed_at": "2026-11-11T00:05:00Z",
            "status": "shipped",
            "payment": {"method": "alipay", "reference": "2026111122001", "paid_at": "2026-11-11T00:06:00Z"},
            "shipment": {"carrier": "顺丰速运", "tracking_number": "SF1", "shipped_at": "2026-11-12T09:00:00Z"}
        });
        let pending = json!({
            "external_id": "tmall-2", "customer_id": buyer, "currency": "CNY",
            "lines": [{"description": "Gait analysis", "quantity": 1, "unit_price": 9900}]
        });
        let (status, first) = order_batch(&app, json!({"orders": [shipped, pending]})).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(item_statuses(&first), ["created", "created"]);

        let recorded = app.order_by_external_id("tmall-1").await;
        assert_eq!(recorded["status"], "shipped");
        assert_eq!(recorded["lines"][0]["sku"], "RUN-42");
        assert_eq!(recorded["lines"][0]["unit_price"], 900, "the price as sold");
        assert_eq!(recorded["total"], 2300);
        assert_eq!(recorded["created_at"], "2026-11-11T00:05:00Z");
        assert!(
            recorded["number"]
                .as_str()
                .unwrap()
                .starts_with("SO-20261111-"),
            "{recorded}"
        );
        assert_eq!(recorded["payment"]["paid_at"], "2026-11-11T00:06:00Z");
        assert_eq!(recorded["shipment"]["carrier"], "顺丰速运");
        assert_eq!(
            stock(&app, &v[0]).await,
            5,
            "a recorded order moves no stock"
        );
        assert_eq!(purchase_figures(&app, &buyer).await, (1, 2300));
        let (_, feed) = app
            .send(
                Method::GET,
                "/api/v1/events?types=order.created,order.paid,order.shipped&limit=50",
                token,
                None,
            )
            .await;
        let announced: Vec<(&str, &str)> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap(),
                    e["data"]["external_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            announced,
            [
                ("order.created", "tmall-1"),
                ("order.paid", "tmall-1"),
                ("order.shipped", "tmall-1"),
                ("order.created", "tmall-2"),
            ]
        );

        // Forward only; past pending, only the state and the custom fields change; the same
        // state again changes nothing.
        let (status, second) = order_batch(
            &app,
            json!({"mode": "per_item", "orders": [
                {"external_id": "tmall-1", "status": "delivered",
                 "shipment": {"carrier": "顺丰速运", "delivered_at": "2026-11-13T10:00:00Z"}},
                {"external_id": "tmall-2", "status": "paid", "payment": {"method": "cash"}},
                {"external_id": "tmall-1", "status": "paid", "payment": {"method": "alipay"}},
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{second}");
        assert_eq!(item_statuses(&second), ["updated", "updated", "failed"]);
        assert_eq!(
            second["results"][2]["errors"][0]["code"],
            "duplicate_in_batch"
        );
        let delivered = app.order_by_external_id("tmall-1").await;
        assert_eq!(delivered["status"], "delivered");
        assert_eq!(
            delivered["shipment"]["delivered_at"],
            "2026-11-13T10:00:00Z"
        );
        assert_eq!(
            delivered["shipment"]["shipped_at"], "2026-11-12T09:00:00Z",
            "kept"
        );
        assert_eq!(purchase_figures(&app, &buyer).await, (2, 12200));

        let (status, third) = order_batch(
            &app,
            json!({"mode": "per_item", "orders": [
                {"external_id": "tmall-1", "status": "paid", "payment": {"method": "alipay"}},
                {"external_id": "tmall-2", "lines": [{"description": "Gait analysis", "quantity": 2, "unit_price": 9900}]},
                {"external_id": "tmall-2", "lines": [{"description": "Gait analysis", "quantity": 1, "unit_price": 9900}]},
                {"external_id": "tmall-3", "customer_id": buyer, "currency": "CNY",
                 "lines": [{"sku": "NO-SUCH-SKU", "quantity": 1}]},
                {"external_id": "tmall-4", "currency": "CNY", "lines": [{"sku": "RUN-42", "quantity": 1}]},
                {"external_id": "tmall-5", "customer_id": buyer, "currency": "CNY",
                 "lines": [{"sku": "RUN-42", "quantity": 1}], "placed_at": "2099-01-01T00:00:00Z"},
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{third}");
        assert_eq!(
            item_statuses(&third),
            ["failed", "failed", "failed", "failed", "failed", "failed"]
        );
        let first_error = |i: usize| {
            let e = &third["results"][i]["errors"][0];
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        };
        assert_eq!(
            first_error(0),
            ("status".to_owned(), "invalid_transition".to_owned())
        );
        assert_eq!(
            first_error(1),
            (String::new(), "invalid_transition".to_owned())
        );
        assert_eq!(
            first_error(2),
            ("external_id".to_owned(), "duplicate_in_batch".to_owned())
        );
        assert_eq!(
            first_error(3),
            ("lines[0].sku".to_owned(), "not_found".to_owned())
        );
        assert_eq!(
            first_error(4),
            ("customer_id".to_owned(), "required".to_owned())
        );
        assert_eq!(
            first_error(5),
            ("placed_at".to_owned(), "in_future".to_owned())
        );
        let (status, same) = order_batch(
            &app,
            json!({"orders": [{"external_id": "tmall-2", "status": "paid",
                              "payment": {"method": "cash"},
                              "lines": [{"description": "Gait analysis", "quantity": 1, "unit_price": 9900}]}]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{same}");
        assert_eq!(item_statuses(&same), ["unchanged"]);
    }
}

/// A state without what it needs is a malformed item that refuses the batch; a refused item
/// refuses an all-or-nothing batch, and nothing of it is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_batch_is_all_or_nothing_unless_asked() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let buyer = customer(&app, token).await;
        let free = json!([{"description": "Consultation", "quantity": 1, "unit_price": 5000}]);
        let (status, body) = order_batch(
            &app,
            json!({"orders": [
                {"external_id": "erp-1", "customer_id": buyer, "currency": "CNY", "lines": free, "status": "shipped"},
                {"external_id": "erp-2", "customer_id": buyer, "currency": "CNY", "lines": free,
                 "payment": {"method": "cash"}}
            ]}),
        )
        .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("orders[1].payment", "unexpected")])
        );
        let (status, body) = order_batch(
            &app,
            json!({"orders": [
                {"external_id": "erp-1", "customer_id": buyer, "currency": "CNY", "lines": free, "status": "shipped"}
            ]}),
        )
        .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("orders[0].payment", "required"),
                ("orders[0].shipment", "required")
            ])
        );
        let (status, body) = order_batch(
            &app,
            json!({"orders": [
                {"external_id": "erp-1", "customer_id": buyer, "currency": "CNY", "lines": free, "status": "completed",
                 "payment": {"method": "cash"}, "shipment": {"carrier": "到店自提"}},
                {"external_id": "erp-2", "currency": "CNY", "lines": free}
            ]}),
        )
        .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("orders[1].customer_id", "required")])
        );
        let (_, page) = app.send(Method::GET, "/api/v1/orders", token, None).await;
        assert_eq!(page["data"], json!([]), "nothing was written");

        // With an Idempotency-Key a retry replays the first answer.
        let mut answers = Vec::new();
        for _ in 0..2 {
            let response = app
                .request(
                    Method::POST,
                    "/api/v1/orders/batch",
                    token,
                    Some(json!({"orders": [{"external_id": "erp-1", "customer_id": buyer, "currency": "CNY",
                                           "lines": free, "status": "completed",
                                           "payment": {"method": "cash"}, "shipment": {"carrier": "到店自提"}}]})),
                )
                .header("Idempotency-Key", "erp-batch-1")
                .send()
                .await
                .unwrap();
            let replayed = response.headers().contains_key("idempotent-replayed");
            let (_, body) = rapport_tests::read(response).await;
            answers.push((item_statuses(&body).join(","), replayed));
        }
        assert_eq!(
            answers,
            [("created".to_owned(), false), ("created".to_owned(), true)]
        );
        let completed = app.order_by_external_id("erp-1").await;
        assert_eq!(completed["status"], "completed");
        assert!(completed["completed_at"].is_string(), "{completed}");
    }
}

/// Ten integrators recording the same paid order at once leave one order, counted once in the
/// customer's figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_recording_one_order_create_it_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let buyer = customer(&app, &app.admin_token).await;
        let sends = (0..10).map(|_| {
            order_batch(
                &app,
                json!({"orders": [{"external_id": "race", "customer_id": buyer, "currency": "CNY",
                                   "lines": [{"description": "Tea ceremony", "quantity": 1, "unit_price": 8800}],
                                   "status": "paid", "payment": {"method": "cash"}}]}),
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
        let ids: std::collections::HashSet<&str> = answers
            .iter()
            .map(|(_, r)| r["results"][0]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 1, "every answer names the one order");
        assert_eq!(purchase_figures(&app, &buyer).await, (1, 8800));
    }
}
