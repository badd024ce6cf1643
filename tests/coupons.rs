//! Coupons seen from outside: each kind prices a draft and says why it does not apply, an order
//! takes one by its code and its payment redeems it (never past a limit, however many pay at
//! once; never twice), issued codes belong to their holders, and a refund can give it back.

use futures_util::future::join_all;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = app.send(method, path, &app.admin_token, body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

async fn coupon(app: &TestApp, body: Value) -> Value {
    let (status, created) = app
        .send(
            Method::POST,
            "/api/v1/coupons",
            &app.admin_token,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(&app
        .create_customer(&app.admin_token, json!({"name": name}))
        .await)
}

/// A product with one variant per `(sku, price)`, 100 in stock each, optionally in a category;
/// `(product id, variant ids)`.
async fn product(
    app: &TestApp,
    name: &str,
    variants: &[(&str, i64)],
    category: Option<&str>,
) -> (String, Vec<String>) {
    let variants: Vec<Value> = variants
        .iter()
        .map(|(sku, price)| {
            json!({"sku": sku, "options": {"sku": sku}, "price": price, "currency": "CNY", "stock": 100})
        })
        .collect();
    let mut body = json!({"name": name, "variants": variants});
    if let Some(category) = category {
        body["category_id"] = json!(category);
    }
    let created = ok(app, Method::POST, "/api/v1/products", Some(body)).await;
    let ids = created["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    (id(&created), ids)
}

fn free_line(price: i64) -> Value {
    json!({"description": "服务", "quantity": 1, "unit_price": price})
}

async fn place(
    app: &TestApp,
    customer: &str,
    lines: Value,
    code: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({"customer_id": customer, "currency": "CNY", "lines": lines});
    if let Some(code) = code {
        body["coupon_code"] = json!(code);
    }
    app.send(Method::POST, "/api/v1/orders", &app.admin_token, Some(body))
        .await
}

async fn placed(app: &TestApp, customer: &str, lines: Value, code: Option<&str>) -> Value {
    let (status, order) = place(app, customer, lines, code).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    order
}

async fn pay(app: &TestApp, order: &str) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{order}/pay"),
        &app.admin_token,
        Some(json!({"method": "wechat_pay"})),
    )
    .await
}

async fn validate(app: &TestApp, customer: &str, lines: Value, code: &str) -> Value {
    ok(
        app,
        Method::POST,
        "/api/v1/coupons/validate",
        Some(json!({"customer_id": customer, "currency": "CNY", "lines": lines, "coupon_code": code})),
    )
    .await
}

async fn get_coupon(app: &TestApp, coupon: &Value) -> Value {
    ok(
        app,
        Method::GET,
        &format!("/api/v1/coupons/{}", id(coupon)),
        None,
    )
    .await
}

/// Answers to concurrent payments, as (paid, refused with `code`, anything else).
fn tally(answers: &[(StatusCode, Value)], code: &str) -> (usize, usize, Vec<String>) {
    let paid = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == code)
        .count();
    let odd = answers
        .iter()
        .filter(|(s, b)| !(*s == StatusCode::OK || *s == StatusCode::CONFLICT && b["code"] == code))
        .map(|(s, b)| format!("{s} {b}"))
        .collect();
    (paid, refused, odd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_payments_at_once_redeem_a_coupon_of_five_uses_five_times() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let c = coupon(
            &app,
            json!({"name": "五张", "code": "FIVE-ONLY", "kind": "fixed_amount", "currency": "CNY",
                "amount_off": 1000, "total_limit": 5}),
        )
        .await;
        let buyer = customer(&app, "李娜").await;
        let mut orders = Vec::new();
        for _ in 0..50 {
            let order = placed(&app, &buyer, json!([free_line(5000)]), Some("five-only")).await;
            assert_eq!(
                (&order["discount_total"], &order["total"]),
                (&json!(1000), &json!(4000))
            );
            orders.push(id(&order));
        }
        let answers = join_all(orders.iter().map(|o| pay(&app, o))).await;
        let (paid, refused, odd) = tally(&answers, "coupon_exhausted");
        assert_eq!((paid, refused), (5, 45), "{backend:?} {odd:?}");
        let refusal = answers
            .iter()
            .find(|(s, _)| *s == StatusCode::CONFLICT)
            .unwrap();
        assert_eq!(refusal.1["errors"][0]["field"], "coupon_code");
        let after = get_coupon(&app, &c).await;
        assert_eq!(after["redeemed_count"], 5);
        // The refused orders are still pending and were charged nothing.
        let list = ok(
            &app,
            Method::GET,
            "/api/v1/orders?status=pending&include_total=true",
            None,
        )
        .await;
        assert_eq!(list["total"], 45);
        let me = ok(
            &app,
            Method::GET,
            &format!("/api/v1/customers/{buyer}"),
            None,
        )
        .await;
        assert_eq!(me["total_spent"], 5 * 4000, "{me}");
        // One of them, with the coupon taken off, pays in full.
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/orders/{}", refusal_order(&answers, &orders)),
                &app.admin_token,
                Some(json!({"coupon_code": null})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, paid) = pay(&app, &refusal_order(&answers, &orders)).await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        assert_eq!(
            (&paid["total"], &paid["discount_total"]),
            (&json!(5000), &json!(0))
        );
        assert_eq!(get_coupon(&app, &c).await["redeemed_count"], 5);
    }
}

/// The first order whose payment was refused.
fn refusal_order(answers: &[(StatusCode, Value)], orders: &[String]) -> String {
    let at = answers
        .iter()
        .position(|(s, _)| *s == StatusCode::CONFLICT)
        .unwrap();
    orders[at].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_limit_of_one_holds_under_ten_payments_at_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let c = coupon(
            &app,
            json!({"name": "新客立减", "code": "HELLO10", "kind": "percentage", "currency": "CNY",
                "percent_off": 10, "max_discount": 300, "per_customer_limit": 1}),
        )
        .await;
        let buyer = customer(&app, "张伟").await;
        let other = customer(&app, "赵敏").await;
        let mut orders = Vec::new();
        for _ in 0..10 {
            let order = placed(&app, &buyer, json!([free_line(1999)]), Some("HELLO10")).await;
            // 10% of 19.99 rounds down to 1.99.
            assert_eq!(order["discount_total"], 199);
            orders.push(id(&order));
        }
        let answers = join_all(orders.iter().map(|o| pay(&app, o))).await;
        let (paid, refused, odd) = tally(&answers, "customer_limit_reached");
        assert_eq!((paid, refused), (1, 9), "{backend:?} {odd:?}");
        // The limit is the customer's: another still uses it, capped at 3.00.
        let theirs = placed(&app, &other, json!([free_line(100_000)]), Some("hello10")).await;
        assert_eq!(theirs["discount_total"], 300);
        assert_eq!(pay(&app, &id(&theirs)).await.0, StatusCode::OK);
        assert_eq!(get_coupon(&app, &c).await["redeemed_count"], 2);
        // Placing another order with it now says why at once.
        let (status, refused) =
            place(&app, &buyer, json!([free_line(1999)]), Some("HELLO10")).await;
        assert_problem(status, &refused, 422, "validation_failed");
        assert_eq!(
            error_pairs(&refused),
            pairs(&[("coupon_code", "customer_limit_reached")])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_prices_a_draft_and_says_why_not() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let buyer = customer(&app, "陈静").await;
        let category = ok(
            &app,
            Method::POST,
            "/api/v1/categories",
            Some(json!({"name": "茶"})),
        )
        .await;
        let (_, tea) = product(&app, "龙井", &[("TEA-1", 12_000)], Some(&id(&category))).await;
        let (cup, cups) = product(&app, "茶杯", &[("CUP-1", 3_000)], None).await;
        let (_, gifts) = product(&app, "茶匙", &[("SPOON-1", 800)], None).await;
        let tea_line = json!({"variant_id": tea[0], "quantity": 2});
        let cup_line = json!({"variant_id": cups[0], "quantity": 1});

        // Spend 200 on tea, get 30 off: the cup does not count towards it.
        coupon(
            &app,
            json!({"name": "茶满 200 减 30", "code": "TEA200", "kind": "threshold", "currency": "CNY",
                "amount_off": 3000, "min_order_amount": 20000, "category_ids": [id(&category)]}),
        )
        .await;
        let quote = validate(&app, &buyer, json!([tea_line, cup_line]), "tea200").await;
        assert_eq!(quote["coupon"]["applies"], true, "{quote}");
        assert_eq!(
            (
                &quote["lines_total"],
                &quote["discount_total"],
                &quote["subtotal"],
                &quote["total"]
            ),
            (
                &json!(27_000),
                &json!(3_000),
                &json!(24_000),
                &json!(24_000)
            )
        );
        let short = validate(
            &app,
            &buyer,
            json!([{"variant_id": tea[0], "quantity": 1}, cup_line]),
            "TEA200",
        )
        .await;
        assert_eq!(short["coupon"]["reason_code"], "below_minimum");
        assert_eq!(short["discount_total"], 0);
        let no_tea = validate(&app, &buyer, json!([cup_line]), "TEA200").await;
        assert_eq!(no_tea["coupon"]["reason_code"], "no_eligible_items");

        // A sum off the cups only, never more than they cost.
        coupon(
            &app,
            json!({"name": "杯子立减", "code": "CUP50", "kind": "fixed_amount", "currency": "CNY",
                "amount_off": 5000, "product_ids": [cup]}),
        )
        .await;
        let quote = validate(&app, &buyer, json!([tea_line, cup_line]), "CUP50").await;
        assert_eq!(quote["discount_total"], 3_000);

        // A gift: a line at its price, taken off again; its stock goes with the payment.
        coupon(
            &app,
            json!({"name": "送茶匙", "code": "SPOON", "kind": "gift", "currency": "CNY",
                "gift_variant_id": gifts[0]}),
        )
        .await;
        let order = placed(&app, &buyer, json!([tea_line]), Some("SPOON")).await;
        let lines = order["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["variant_id"], gifts[0]);
        assert_eq!(order["discounts"][0]["gift_line_id"], lines[1]["id"]);
        assert_eq!(
            (
                &order["lines_total"],
                &order["discount_total"],
                &order["total"]
            ),
            (&json!(24_800), &json!(800), &json!(24_000))
        );
        // Changing the lines prices the gift again, once.
        let changed = ok(
            &app,
            Method::PATCH,
            &format!("/api/v1/orders/{}", id(&order)),
            Some(json!({"lines": [cup_line]})),
        )
        .await;
        assert_eq!(changed["lines"].as_array().unwrap().len(), 2);
        assert_eq!(changed["total"], 3_000);
        assert_eq!(pay(&app, &id(&order)).await.0, StatusCode::OK);
        let spoon = ok(&app, Method::GET, "/api/v1/products?limit=50", None).await;
        let spoon_stock = spoon["data"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["variants"].as_array().unwrap().clone())
            .find(|v| v["id"] == gifts[0])
            .unwrap()["stock"]
            .clone();
        assert_eq!(spoon_stock, 99);

        // Why not: unknown, another currency, not yet, no longer, paused.
        let unknown = validate(&app, &buyer, json!([cup_line]), "NOPE-NOPE").await;
        assert_eq!(unknown["coupon"]["reason_code"], "unknown_code");
        coupon(
            &app,
            json!({"name": "美元券", "code": "USD5", "kind": "fixed_amount", "currency": "USD", "amount_off": 500}),
        )
        .await;
        let usd = validate(&app, &buyer, json!([cup_line]), "USD5").await;
        assert_eq!(usd["coupon"]["reason_code"], "currency_mismatch");
        coupon(
            &app,
            json!({"name": "明年", "code": "LATER", "kind": "fixed_amount", "currency": "CNY",
                "amount_off": 100, "valid_from": "2099-01-01T00:00:00Z"}),
        )
        .await;
        let later = validate(&app, &buyer, json!([cup_line]), "LATER").await;
        assert_eq!(later["coupon"]["reason_code"], "not_started");
        let past = coupon(
            &app,
            json!({"name": "去年", "code": "EARLIER", "kind": "fixed_amount", "currency": "CNY",
                "amount_off": 100, "valid_until": "2020-01-01T00:00:00Z"}),
        )
        .await;
        let earlier = validate(&app, &buyer, json!([cup_line]), "EARLIER").await;
        assert_eq!(earlier["coupon"]["reason_code"], "coupon_expired");
        ok(
            &app,
            Method::PATCH,
            &format!("/api/v1/coupons/{}", id(&past)),
            Some(json!({"valid_until": null, "status": "paused"})),
        )
        .await;
        let paused = validate(&app, &buyer, json!([cup_line]), "EARLIER").await;
        assert_eq!(paused["coupon"]["reason_code"], "coupon_paused");
        let (status, refused) = place(&app, &buyer, json!([cup_line]), Some("EARLIER")).await;
        assert_eq!(
            (status, error_pairs(&refused)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                pairs(&[("coupon_code", "coupon_paused")])
            )
        );
        let usable = ok(
            &app,
            Method::GET,
            "/api/v1/coupons?usable=true&limit=50",
            None,
        )
        .await;
        let names: Vec<&str> = usable["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        assert!(
            !names.contains(&"EARLIER") && !names.contains(&"LATER"),
            "{names:?}"
        );
        assert!(names.contains(&"TEA200"), "{names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_codes_belong_to_their_holders_and_a_refund_gives_one_back() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let wang = customer(&app, "王芳").await;
        let li = customer(&app, "李雷").await;
        let zhou = customer(&app, "周杰").await;
        let c = coupon(
            &app,
            json!({"name": "会员专享 8 折", "kind": "percentage", "currency": "CNY", "percent_off": 20}),
        )
        .await;
        assert_eq!(c["code"], Value::Null);
        let issue = format!("/api/v1/coupons/{}/issue", id(&c));
        let outcome = ok(
            &app,
            Method::POST,
            &issue,
            Some(json!({"customer_ids": [wang, li]})),
        )
        .await;
        assert_eq!(outcome, json!({"issued": 2, "skipped": 0}));
        // A static segment of all three: those who hold one unused are passed over.
        let segment = ok(
            &app,
            Method::POST,
            "/api/v1/segments",
            Some(json!({"name": "三位", "kind": "static"})),
        )
        .await;
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/segments/{}/add-customers", id(&segment)),
            Some(json!({"customer_ids": [wang, li, zhou]})),
        )
        .await;
        let outcome = ok(
            &app,
            Method::POST,
            &issue,
            Some(json!({"segment_id": id(&segment)})),
        )
        .await;
        assert_eq!(outcome, json!({"issued": 1, "skipped": 2}));
        assert_eq!(get_coupon(&app, &c).await["issued_count"], 3);
        let (status, refused) = app
            .send(
                Method::POST,
                &issue,
                &app.admin_token,
                Some(json!({"customer_ids": [wang, "01a24ab2-0000-7000-8000-000000000000"]})),
            )
            .await;
        assert_eq!(
            (status, error_pairs(&refused)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                pairs(&[("customer_ids[1]", "not_found")])
            )
        );

        let wallet = ok(
            &app,
            Method::GET,
            &format!("/api/v1/customers/{wang}/coupons"),
            None,
        )
        .await;
        let mine = wallet["data"][0].clone();
        let code = mine["code"].as_str().unwrap().to_owned();
        assert_eq!(
            (mine["used"].clone(), mine["name"].clone()),
            (json!(false), c["name"].clone())
        );
        // Someone else's code is not theirs to use.
        let theirs = validate(&app, &li, json!([free_line(10_000)]), &code).await;
        assert_eq!(theirs["coupon"]["reason_code"], "not_issued_to_customer");

        let order = placed(
            &app,
            &wang,
            json!([free_line(10_000)]),
            Some(&code.to_lowercase()),
        )
        .await;
        assert_eq!(order["total"], 8_000);
        let again = placed(&app, &wang, json!([free_line(10_000)]), Some(&code)).await;
        assert_eq!(pay(&app, &id(&order)).await.0, StatusCode::OK);
        let wallet = ok(
            &app,
            Method::GET,
            &format!("/api/v1/customers/{wang}/coupons?unused=true"),
            None,
        )
        .await;
        assert_eq!(wallet["data"].as_array().unwrap().len(), 0);
        // The second order took the same code before the first was paid: its payment is refused.
        let (status, refused) = pay(&app, &id(&again)).await;
        assert_problem(status, &refused, 409, "already_used");
        let (status, refused) = place(&app, &wang, json!([free_line(10_000)]), Some(&code)).await;
        assert_eq!(
            (status, error_pairs(&refused)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                pairs(&[("coupon_code", "already_used")])
            )
        );

        // A full refund that gives the coupon back: the code is theirs to use again.
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/orders/{}/refund-request", id(&order)),
            Some(json!({"amount": 8_000, "reason": "不想要了"})),
        )
        .await;
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/orders/{}/refund", id(&order)),
            Some(json!({"return_coupon": true})),
        )
        .await;
        assert_eq!(get_coupon(&app, &c).await["redeemed_count"], 0);
        let wallet = ok(
            &app,
            Method::GET,
            &format!("/api/v1/customers/{wang}/coupons?unused=true"),
            None,
        )
        .await;
        assert_eq!(wallet["data"][0]["code"], code.as_str());
        assert_eq!(pay(&app, &id(&again)).await.0, StatusCode::OK);
        assert_eq!(get_coupon(&app, &c).await["redeemed_count"], 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_coupon_writes_change_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, refused) = app
            .send(
                Method::POST,
                "/api/v1/coupons",
                &app.admin_token,
                Some(json!({"name": "坏券", "code": "no spaces", "kind": "fixed_amount", "currency": "CNY",
                    "percent_off": 10, "valid_from": "2027-01-01T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            error_pairs(&refused),
            pairs(&[
                ("code", "invalid_code"),
                ("amount_off", "required"),
                ("percent_off", "not_allowed"),
                ("valid_until", "out_of_range"),
            ])
        );
        let list = ok(
            &app,
            Method::GET,
            "/api/v1/coupons?include_total=true",
            None,
        )
        .await;
        assert_eq!(list["total"], 0);

        let c = coupon(
            &app,
            json!({"name": "限量", "code": "LIMITED", "kind": "fixed_amount", "currency": "CNY", "amount_off": 100}),
        )
        .await;
        let (status, taken) = app
            .send(
                Method::POST,
                "/api/v1/coupons",
                &app.admin_token,
                Some(json!({"name": "重名码", "code": "limited", "kind": "fixed_amount", "currency": "CNY", "amount_off": 100})),
            )
            .await;
        assert_problem(status, &taken, 409, "coupon_code_taken");
        let buyer = customer(&app, "吴磊").await;
        let order = placed(&app, &buyer, json!([free_line(1_000)]), Some("LIMITED")).await;
        assert_eq!(pay(&app, &id(&order)).await.0, StatusCode::OK);
        // A limit below the redemptions made is refused; so is deleting a coupon an order took.
        let path = format!("/api/v1/coupons/{}", id(&c));
        ok(&app, Method::PATCH, &path, Some(json!({"total_limit": 1}))).await;
        let (status, refused) = app
            .send(
                Method::PATCH,
                &path,
                &app.admin_token,
                Some(json!({"total_limit": null, "per_customer_limit": 0})),
            )
            .await;
        assert_eq!(
            (status, error_pairs(&refused)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                pairs(&[("per_customer_limit", "out_of_range")])
            )
        );
        let (status, in_use) = app
            .send(Method::DELETE, &path, &app.admin_token, None)
            .await;
        assert_problem(status, &in_use, 409, "coupon_in_use");
        let after = get_coupon(&app, &c).await;
        assert_eq!(
            (after["total_limit"].clone(), after["version"].clone()),
            (json!(1), json!(2))
        );

        // Marketing manages coupons; sales read them.
        let (_, sales) = app.user_with_role("sales").await;
        let (status, _) = app.send(Method::GET, "/api/v1/coupons", &sales, None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app
            .send(
                Method::POST,
                "/api/v1/coupons",
                &sales,
                Some(json!({"name": "x", "kind": "fixed_amount", "currency": "CNY", "amount_off": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_paid_at_or_above_the_amount_earns_the_coupon() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let earned = coupon(
            &app,
            json!({"name": "满 100 返 10 元券", "kind": "fixed_amount", "amount_off": 1000,
                "issued_for_orders_from": 10000}),
        )
        .await;
        assert_eq!(earned["issued_for_orders_from"], 10000);
        let other_currency = coupon(
            &app,
            json!({"name": "USD back", "kind": "fixed_amount", "currency": "USD",
                "amount_off": 100, "issued_for_orders_from": 1}),
        )
        .await;
        let buyer = customer(&app, "满额返券").await;
        let below = placed(&app, &buyer, json!([free_line(9999)]), None).await;
        assert_eq!(pay(&app, &id(&below)).await.0, StatusCode::OK);
        assert_eq!(
            wallet(&app, &buyer).await,
            json!([]),
            "9,999 is under the amount"
        );
        let at = placed(&app, &buyer, json!([free_line(10000)]), None).await;
        assert_eq!(pay(&app, &id(&at)).await.0, StatusCode::OK);
        let held = wallet(&app, &buyer).await;
        assert_eq!(held.as_array().unwrap().len(), 1, "{held}");
        assert_eq!(held[0]["coupon_id"], earned["id"]);
        assert!(held[0]["code"].is_string(), "a code of its own");
        assert_ne!(held[0]["coupon_id"], other_currency["id"]);
        // Paused, it earns nothing.
        ok(
            &app,
            Method::PATCH,
            &format!("/api/v1/coupons/{}", id(&earned)),
            Some(json!({"status": "paused"})),
        )
        .await;
        let more = placed(&app, &buyer, json!([free_line(20000)]), None).await;
        assert_eq!(pay(&app, &id(&more)).await.0, StatusCode::OK);
        assert_eq!(wallet(&app, &buyer).await.as_array().unwrap().len(), 1);
        assert_eq!(get_coupon(&app, &earned).await["issued_count"], 1);
    }
}

async fn wallet(app: &TestApp, customer: &str) -> Value {
    let path = format!("/api/v1/customers/{customer}/coupons");
    ok(app, Method::GET, &path, None).await["data"].clone()
}
