//! The workspace's default currency seen from outside: set in `/settings/workspace`, checked,
//! and taken by a new order, product variant, coupon, deal or quote that names no currency,
//! while records that name one keep theirs.

use rapport_tests::{TestApp, assert_problem, backends, error_pairs, id_of, pairs};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_without_a_currency_take_the_workspace_default() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let workspace = app
            .ok(Method::GET, "/api/v1/settings/workspace", None)
            .await;
        assert_eq!(workspace["default_currency"], "CNY");
        let (status, refused) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/workspace",
                &app.admin_token,
                Some(json!({"default_currency": "usd", "time_zone": "Mars/Olympus"})),
            )
            .await;
        assert_problem(status, &refused, 422, "validation_failed");
        assert_eq!(
            error_pairs(&refused),
            pairs(&[
                ("time_zone", "unknown_time_zone"),
                ("default_currency", "invalid_currency"),
            ])
        );
        // Nothing refused was stored: a record made now is still in yuan.
        let customer = id_of(
            &app.create_customer(&app.admin_token, json!({"name": "币种"}))
                .await,
        );
        let order = |currency: Option<&str>| {
            let mut body = json!({"customer_id": customer,
                "lines": [{"description": "服务费", "quantity": 1, "unit_price": 1000}]});
            if let Some(code) = currency {
                body["currency"] = json!(code);
            }
            body
        };
        let yuan = app
            .ok(Method::POST, "/api/v1/orders", Some(order(None)))
            .await;
        assert_eq!(yuan["currency"], "CNY");

        let changed = app
            .ok(
                Method::PATCH,
                "/api/v1/settings/workspace",
                Some(json!({"default_currency": "USD"})),
            )
            .await;
        assert_eq!(changed["default_currency"], "USD");
        assert_eq!(changed["time_zone"], "UTC");

        let dollars = app
            .ok(Method::POST, "/api/v1/orders", Some(order(None)))
            .await;
        assert_eq!(dollars["currency"], "USD");
        let euros = app
            .ok(Method::POST, "/api/v1/orders", Some(order(Some("EUR"))))
            .await;
        assert_eq!(euros["currency"], "EUR");
        let quote = app
            .ok(
                Method::POST,
                "/api/v1/coupons/validate",
                Some(json!({"customer_id": customer,
                    "lines": [{"description": "服务费", "quantity": 1, "unit_price": 1000}]})),
            )
            .await;
        assert_eq!(quote["currency"], "USD");

        let product = app
            .ok(
                Method::POST,
                "/api/v1/products",
                Some(json!({"name": "T 恤", "variants": [
                    {"sku": "TEE-S", "options": {"size": "S"}, "price": 1999},
                    {"sku": "TEE-M", "options": {"size": "M"}, "price": 12900, "currency": "CNY"}
                ]})),
            )
            .await;
        assert_eq!(product["variants"][0]["currency"], "USD");
        assert_eq!(product["variants"][1]["currency"], "CNY");
        let grown = app
            .ok(
                Method::POST,
                &format!("/api/v1/products/{}/variants", id_of(&product)),
                Some(json!({"sku": "TEE-L", "options": {"size": "L"}, "price": 1999})),
            )
            .await;
        assert_eq!(grown["variants"][2]["currency"], "USD", "{grown}");

        let coupon = app
            .ok(
                Method::POST,
                "/api/v1/coupons",
                Some(json!({"name": "$5 off", "kind": "fixed_amount", "amount_off": 500})),
            )
            .await;
        assert_eq!(coupon["currency"], "USD");

        let pipeline = app
            .ok(
                Method::POST,
                "/api/v1/pipelines",
                Some(json!({"name": "Export", "stages": [{"name": "Lead", "probability": 10}]})),
            )
            .await;
        let deal = app
            .ok(
                Method::POST,
                "/api/v1/deals",
                Some(json!({"name": "Wholesale", "customer_id": customer,
                    "pipeline_id": id_of(&pipeline), "amount": 500_000})),
            )
            .await;
        assert_eq!(deal["currency"], "USD");
    }
}
