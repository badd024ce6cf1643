//! Promotions seen from outside: checked as a whole, listed as a storefront sees them, and
//! applied without a code to every order they fit, the one that takes the most off, before the
//! coupon and the member's tier; an order keeps what it was given.

use rapport_tests::{TestApp, assert_problem, backends, error_pairs, id_of, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A product of one variant, 100 in stock: `(product id, variant id)`.
async fn product(
    app: &TestApp,
    name: &str,
    sku: &str,
    price: i64,
    category: Option<&str>,
) -> (String, String) {
    let mut body = json!({"name": name, "variants": [
        {"sku": sku, "options": {"sku": sku}, "price": price, "currency": "CNY", "stock": 100}]});
    if let Some(category) = category {
        body["category_id"] = json!(category);
    }
    let made = app.ok(Method::POST, "/api/v1/products", Some(body)).await;
    (id_of(&made), id_of(&made["variants"][0]))
}

async fn promotion(app: &TestApp, body: Value) -> Value {
    app.ok(Method::POST, "/api/v1/promotions", Some(body)).await
}

async fn quote(app: &TestApp, customer: &str, lines: Value, code: Option<&str>) -> Value {
    let mut body = json!({"customer_id": customer, "lines": lines});
    if let Some(code) = code {
        body["coupon_code"] = json!(code);
    }
    app.ok(Method::POST, "/api/v1/coupons/validate", Some(body))
        .await
}

/// `(source, name, amount)` of each discount line.
fn discounts(priced: &Value) -> Vec<(String, String, i64)> {
    priced["discounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["source"].as_str().unwrap().to_owned(),
                d["name"].as_str().unwrap().to_owned(),
                d["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line(source: &str, name: &str, amount: i64) -> (String, String, i64) {
    (source.to_owned(), name.to_owned(), amount)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_is_checked_whole_and_listed_while_in_force() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/promotions",
                &app.admin_token,
                Some(
                    json!({"name": "满减", "kind": "threshold", "amount_off": 5000,
                    "percent_off": 10, "gift_variant_id": "0193a5c6-0000-7000-8000-000000000000"}),
                ),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("gift_variant_id", "not_allowed"),
                ("min_order_amount", "required"),
                ("percent_off", "not_allowed"),
            ])
        );
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/promotions",
                &app.admin_token,
                Some(json!({"name": "送杯", "kind": "gift",
                    "gift_variant_id": "0193a5c6-0000-7000-8000-000000000000"})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("gift_variant_id", "not_found")])
        );

        let now = chrono::Utc::now();
        let running = promotion(
            &app,
            json!({"name": "冬季九折", "kind": "percentage", "percent_off": 10,
                "valid_until": now + chrono::Duration::days(7)}),
        )
        .await;
        assert_eq!(
            (running["currency"].clone(), running["in_force"].clone()),
            (json!("CNY"), json!(true))
        );
        let coming = promotion(
            &app,
            json!({"name": "双十二", "kind": "fixed_amount", "amount_off": 1200,
                "valid_from": now + chrono::Duration::days(3)}),
        )
        .await;
        assert_eq!(coming["in_force"], false);
        let paused = promotion(
            &app,
            json!({"name": "暂停的", "kind": "fixed_amount", "amount_off": 100, "status": "paused"}),
        )
        .await;
        let listed = app
            .ok(
                Method::GET,
                "/api/v1/promotions?active=true&include_total=true",
                None,
            )
            .await;
        let ids: Vec<&Value> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["id"])
            .collect();
        assert_eq!(ids, [&running["id"]], "only what prices orders now");
        assert_eq!(listed["total"], 1);
        let idle = app
            .ok(
                Method::GET,
                "/api/v1/promotions?active=false&include_total=true",
                None,
            )
            .await;
        assert_eq!(idle["total"], 2, "the one to come and the paused one");
        let all = app
            .ok(
                Method::GET,
                "/api/v1/promotions?sort=name&include_total=true",
                None,
            )
            .await;
        assert_eq!(all["total"], 3);
        let changed = app
            .ok(
                Method::PATCH,
                &format!("/api/v1/promotions/{}", id_of(&paused)),
                Some(json!({"status": "active", "amount_off": 200})),
            )
            .await;
        assert_eq!(
            (
                changed["in_force"].clone(),
                changed["amount_off"].clone(),
                changed["version"].clone()
            ),
            (json!(true), json!(200), json!(2))
        );
        let (status, problem) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/promotions/{}", id_of(&paused)),
                &app.admin_token,
                Some(json!({"percent_off": 5})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("percent_off", "not_allowed")])
        );
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/promotions/{}", id_of(&coming)),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_promotion_that_takes_the_most_off_prices_the_order_before_coupon_and_tier() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let tea_category = app
            .ok(
                Method::POST,
                "/api/v1/categories",
                Some(json!({"name": "茶"})),
            )
            .await;
        let (_, tea) = product(&app, "龙井", "TEA-1", 12_000, Some(&id_of(&tea_category))).await;
        let (_, cup) = product(&app, "茶杯", "CUP-1", 3_000, None).await;
        let (spoons, spoon) = product(&app, "茶匙", "SPOON-1", 800, None).await;
        let buyer = id_of(
            &app.create_customer(&app.admin_token, json!({"name": "促销买家"}))
                .await,
        );
        let tea_line = |quantity: i64| json!({"variant_id": tea, "quantity": quantity});
        let cup_line = json!({"variant_id": cup, "quantity": 1});

        // Nothing in force: nothing off.
        let plain = quote(&app, &buyer, json!([tea_line(1)]), None).await;
        assert_eq!(discounts(&plain), []);

        promotion(
            &app,
            json!({"name": "茶叶 9 折", "kind": "percentage", "percent_off": 10,
                "category_ids": [id_of(&tea_category)]}),
        )
        .await;
        promotion(
            &app,
            json!({"name": "满 300 减 50", "kind": "threshold", "amount_off": 5000,
                "min_order_amount": 30000}),
        )
        .await;
        let gift = promotion(
            &app,
            json!({"name": "满 150 送茶匙", "kind": "gift", "gift_variant_id": spoon,
                "min_order_amount": 15000}),
        )
        .await;

        // 120 of tea: 10% of the tea is 12; nothing else fits.
        let one = quote(&app, &buyer, json!([tea_line(1), cup_line]), None).await;
        assert_eq!(discounts(&one), [line("promotion", "茶叶 9 折", 1200)]);
        assert_eq!(
            (one["lines_total"].clone(), one["total"].clone()),
            (json!(15_000), json!(13_800))
        );
        // The spoon given above 150 (worth 8) was worth less than the tea's 10% (12) above;
        // 240 of tea and a cup: the tea's 10% (24) beats the spoon; 270 is under 300.
        let two = quote(&app, &buyer, json!([tea_line(2), cup_line]), None).await;
        assert_eq!(discounts(&two), [line("promotion", "茶叶 9 折", 2400)]);
        // 360 of tea: 300 − 50 takes 50, more than 36.
        let three = quote(&app, &buyer, json!([tea_line(3)]), None).await;
        assert_eq!(discounts(&three), [line("promotion", "满 300 减 50", 5000)]);

        // Without tea, the gift is the most a 150 order gets: a line, taken off again.
        let cups_only = quote(
            &app,
            &buyer,
            json!([{"variant_id": cup, "quantity": 5}]),
            None,
        )
        .await;
        assert_eq!(
            discounts(&cups_only),
            [line("promotion", "满 150 送茶匙", 800)]
        );
        let lines = cups_only["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["variant_id"], json!(spoon));
        assert_eq!(cups_only["discounts"][0]["gift_line_id"], lines[1]["id"]);
        assert_eq!(cups_only["total"], 15_000);

        // A coupon counts the lines bought, not the gift; a member's tier takes its share of
        // what is left.
        app.ok(
            Method::POST,
            "/api/v1/coupons",
            Some(json!({"name": "立减 10 元", "code": "TEN10", "kind": "fixed_amount", "amount_off": 1000})),
        )
        .await;
        app.ok(
            Method::POST,
            "/api/v1/membership-tiers",
            Some(
                json!({"name": "会员", "rank": 1, "qualification": "points", "threshold": 0,
                    "discount_percent": 10}),
            ),
        )
        .await;
        app.ok(
            Method::POST,
            &format!("/api/v1/customers/{buyer}/membership"),
            Some(json!({"signup_channel": "store"})),
        )
        .await;
        let all_three = quote(&app, &buyer, json!([tea_line(3)]), Some("TEN10")).await;
        assert_eq!(
            discounts(&all_three),
            [
                line("promotion", "满 300 减 50", 5000),
                line("coupon", "立减 10 元", 1000),
                line("tier", "会员", 3000),
            ],
            "{all_three}"
        );
        assert_eq!(all_three["total"], 36_000 - 5000 - 1000 - 3000);

        // The order keeps what it was priced with after the promotion goes, and its payment
        // takes the gift's stock.
        let (status, order) = app
            .send(
                Method::POST,
                "/api/v1/orders",
                &app.admin_token,
                Some(json!({"customer_id": buyer, "lines": [{"variant_id": cup, "quantity": 5}]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert_eq!(order["discounts"][0]["source"], "promotion");
        // The member's 10% counts the cups, not the free spoon.
        assert_eq!(
            discounts(&order),
            [
                line("promotion", "满 150 送茶匙", 800),
                line("tier", "会员", 1500)
            ]
        );
        app.ok(
            Method::DELETE,
            &format!("/api/v1/promotions/{}", id_of(&gift)),
            None,
        )
        .await;
        let paid = app
            .ok(
                Method::POST,
                &format!("/api/v1/orders/{}/pay", id_of(&order)),
                Some(json!({"method": "cash"})),
            )
            .await;
        assert_eq!(paid["discounts"], order["discounts"]);
        let spoon_product = app
            .ok(Method::GET, &format!("/api/v1/products/{spoons}"), None)
            .await;
        assert_eq!(
            spoon_product["variants"][0]["stock"], 99,
            "the gift's stock goes with the payment"
        );
    }
}
