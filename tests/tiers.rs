//! Membership tiers seen from outside: a member holds the highest tier their points earned or
//! money spent within the window reaches, reviewed when they pay, are refunded or have points
//! added, when the tiers or the window change, and daily; a tier takes its discount off their
//! orders as a line of the totals and multiplies the points they earn; enrolment is checked and
//! happens once.

use chrono::{Duration, Utc};
use futures_util::future::join_all;
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, id_of, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn tier(app: &TestApp, body: Value) -> String {
    id_of(
        &app.ok(Method::POST, "/api/v1/membership-tiers", Some(body))
            .await,
    )
}

async fn customer(app: &TestApp, name: &str) -> String {
    id_of(
        &app.create_customer(&app.admin_token, json!({"name": name}))
            .await,
    )
}

async fn enrol(app: &TestApp, customer: &str) -> Value {
    app.ok(
        Method::POST,
        &format!("/api/v1/customers/{customer}/membership"),
        Some(json!({"signup_channel": "store"})),
    )
    .await
}

async fn tier_of(app: &TestApp, customer: &str) -> Value {
    app.ok(Method::GET, &format!("/api/v1/customers/{customer}"), None)
        .await["tier_id"]
        .clone()
}

async fn place(app: &TestApp, customer: &str, amount: i64) -> Value {
    app.ok(
        Method::POST,
        "/api/v1/orders",
        Some(json!({"customer_id": customer, "currency": "CNY",
            "lines": [{"description": "会员商品", "quantity": 1, "unit_price": amount}]})),
    )
    .await
}

async fn pay(app: &TestApp, order: &Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/orders/{}/pay", id_of(order)),
        &app.admin_token,
        Some(json!({"method": "cash"})),
    )
    .await
}

async fn pay_order(app: &TestApp, customer: &str, amount: i64) -> Value {
    let order = place(app, customer, amount).await;
    let (status, paid) = pay(app, &order).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    paid
}

async fn add_points(app: &TestApp, customer: &str, points: i64) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/customers/{customer}/points/adjustments"),
        &app.admin_token,
        Some(json!({"points": points, "reason": "活动奖励"})),
    )
    .await
}

async fn balance(app: &TestApp, customer: &str) -> i64 {
    app.ok(
        Method::GET,
        &format!("/api/v1/customers/{customer}/points"),
        None,
    )
    .await["balance"]
        .as_i64()
        .unwrap()
}

/// The `customer.tier_changed` events of `customer`, oldest first: `(previous, reached)`.
async fn tier_moves(app: &TestApp, customer: &str) -> Vec<(Value, Value)> {
    let feed = app
        .ok(
            Method::GET,
            "/api/v1/events?types=customer.tier_changed&limit=200",
            None,
        )
        .await;
    feed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["id"] == customer)
        .map(|e| {
            (
                e["previous"]["tier_id"].clone(),
                e["data"]["tier_id"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_reach_tiers_by_points_or_spend_earn_more_and_pay_less() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let silver = tier(
            &app,
            json!({"name": "银卡", "rank": 1, "qualification": "points", "threshold": 100,
                "points_multiplier": 1.5, "benefits": ["生日礼"]}),
        )
        .await;
        let gold = tier(
            &app,
            json!({"name": "金卡", "rank": 2, "qualification": "spend", "threshold": 100_000,
                "discount_percent": 10, "points_multiplier": 2}),
        )
        .await;
        let listed = app
            .ok(Method::GET, "/api/v1/membership-tiers?sort=-rank", None)
            .await;
        assert_eq!(listed["data"][0]["name"], "金卡");
        assert_eq!(listed["data"][1]["points_multiplier"], 1.5);

        let member = customer(&app, "会员甲").await;
        let guest = customer(&app, "散客乙").await;
        let joined = enrol(&app, &member).await;
        assert!(joined["member_number"].as_str().unwrap().starts_with('M'));
        assert_eq!(joined["tier_id"], Value::Null);

        // Points added reach silver; a guest with as many reaches nothing.
        assert_eq!(add_points(&app, &member, 100).await.0, StatusCode::CREATED);
        assert_eq!(add_points(&app, &guest, 100).await.0, StatusCode::CREATED);
        assert_eq!(tier_of(&app, &member).await, json!(silver));
        assert_eq!(tier_of(&app, &guest).await, Value::Null);
        assert_eq!(
            tier_moves(&app, &member).await,
            vec![(Value::Null, json!(silver))]
        );

        // ¥500 at silver earns 500 × 1.5; the guest earns 500.
        pay_order(&app, &member, 50_000).await;
        pay_order(&app, &guest, 50_000).await;
        assert_eq!(balance(&app, &member).await, 100 + 750);
        assert_eq!(balance(&app, &guest).await, 100 + 500);
        // Where the member stands, and what gold still asks for.
        let progress = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/membership"),
                None,
            )
            .await;
        assert_eq!(
            (
                &progress["standing"]["points"],
                &progress["standing"]["spend"]
            ),
            (&json!(850), &json!(50_000))
        );
        assert!(progress["standing"]["since"].is_string());
        assert_eq!(
            (
                &progress["next_tier"]["tier_id"],
                &progress["next_tier"]["missing"]
            ),
            (&json!(gold), &json!(50_000))
        );
        // ¥600 more earns at the tier held when paying, then spend reaches gold.
        pay_order(&app, &member, 60_000).await;
        assert_eq!(balance(&app, &member).await, 850 + 900);
        assert_eq!(tier_of(&app, &member).await, json!(gold));
        let membership = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/membership"),
                None,
            )
            .await;
        assert_eq!(membership["tier_id"], json!(gold));
        assert_eq!(membership["signup_channel"], "store");
        assert_eq!(membership["next_tier"], Value::Null, "gold is the top");

        // Gold's 10 % is a line of the totals; the guest pays in full.
        let order = place(&app, &member, 12_345).await;
        assert_eq!(order["lines_total"], 12_345);
        assert_eq!(order["discounts"].as_array().unwrap().len(), 1, "{order}");
        let discount = &order["discounts"][0];
        assert_eq!(
            (
                &discount["source"],
                &discount["source_id"],
                &discount["amount"]
            ),
            (&json!("tier"), &json!(gold), &json!(1234))
        );
        assert_eq!(
            (&order["subtotal"], &order["total"]),
            (&json!(11_111), &json!(11_111))
        );
        let plain = place(&app, &guest, 12_345).await;
        assert_eq!(
            (&plain["discount_total"], &plain["total"]),
            (&json!(0), &json!(12_345))
        );
        // The quote a storefront shows prices the member the same way.
        let quote = app
            .ok(
                Method::POST,
                "/api/v1/coupons/validate",
                Some(json!({"customer_id": member, "currency": "CNY",
                    "lines": [{"description": "会员商品", "quantity": 1, "unit_price": 12_345}]})),
            )
            .await;
        assert_eq!(quote["total"], 11_111, "{quote}");

        // Tier is filterable.
        let found = app
            .ok(
                Method::POST,
                "/api/v1/customers/search",
                Some(json!({"filter": {"field": "tier_id", "op": "eq", "value": gold}})),
            )
            .await;
        assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
        assert_eq!(found["data"][0]["id"], json!(member));
        assert_eq!(found["data"][0]["member_number"], joined["member_number"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_follow_the_window_and_changes_of_the_tiers() {
    for backend in backends() {
        let clock = Clock::at(Utc::now());
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let silver = tier(
            &app,
            json!({"name": "银卡", "rank": 1, "qualification": "spend", "threshold": 10_000}),
        )
        .await;
        let gold = tier(
            &app,
            json!({"name": "金卡", "rank": 2, "qualification": "spend", "threshold": 100_000}),
        )
        .await;
        let member = customer(&app, "会员丙").await;
        // Spending before enrolling counts once they join.
        pay_order(&app, &member, 100_000).await;
        assert_eq!(tier_of(&app, &member).await, Value::Null);
        assert_eq!(enrol(&app, &member).await["tier_id"], json!(gold));

        // Gold asks for more: the member moves down in the same request.
        app.ok(
            Method::PATCH,
            &format!("/api/v1/membership-tiers/{gold}"),
            Some(json!({"threshold": 200_000})),
        )
        .await;
        assert_eq!(tier_of(&app, &member).await, json!(silver));

        // A year and a day later the spending has left the 365-day window.
        let job = app.run_job("tier_review").await;
        assert_eq!(job["members_moved"], 0, "{job}");
        moved.advance(Duration::days(366));
        let job = app.run_job("tier_review").await;
        assert_eq!(job["members_moved"], 1, "{job}");
        assert_eq!(tier_of(&app, &member).await, Value::Null);
        // A window of all time brings it back, in the same request.
        app.ok(
            Method::PATCH,
            "/api/v1/settings/loyalty",
            Some(json!({"tier_window_days": null})),
        )
        .await;
        assert_eq!(tier_of(&app, &member).await, json!(silver));

        // The tier goes: its members hold the next one they reach, here none.
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/membership-tiers/{silver}"),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(tier_of(&app, &member).await, Value::Null);
        assert_eq!(
            tier_moves(&app, &member).await,
            vec![
                (Value::Null, json!(gold)),
                (json!(gold), json!(silver)),
                (json!(silver), Value::Null),
                (Value::Null, json!(silver)),
                (json!(silver), Value::Null),
            ]
        );

        // Leaving the programme takes the number and the tier; the points stay.
        app.ok(
            Method::PATCH,
            &format!("/api/v1/membership-tiers/{gold}"),
            Some(json!({"threshold": 1})),
        )
        .await;
        assert_eq!(tier_of(&app, &member).await, json!(gold));
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/customers/{member}/membership"),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let after = app
            .ok(Method::GET, &format!("/api/v1/customers/{member}"), None)
            .await;
        assert_eq!(
            (
                &after["tier_id"],
                &after["member_number"],
                &after["member_since"]
            ),
            (&Value::Null, &Value::Null, &Value::Null)
        );
        let (status, body) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{member}/membership"),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &body, 404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_and_tiers_are_checked() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let first = customer(&app, "会员丁").await;
        let second = customer(&app, "会员戊").await;
        let path = |c: &str| format!("/api/v1/customers/{c}/membership");
        let joined = app
            .ok(
                Method::POST,
                &path(&first),
                Some(
                    json!({"signup_channel": "mini_program", "member_number": "vip-0001",
                    "member_since": "2020-01-02T03:04:05Z"}),
                ),
            )
            .await;
        assert_eq!(joined["member_number"], "VIP-0001");
        assert_eq!(joined["member_since"], "2020-01-02T03:04:05Z");
        let (status, body) = app
            .send(
                Method::POST,
                &path(&first),
                &app.admin_token,
                Some(json!({"signup_channel": "web"})),
            )
            .await;
        assert_problem(status, &body, 409, "already_member");
        let (status, body) = app
            .send(
                Method::POST,
                &path(&second),
                &app.admin_token,
                Some(json!({"signup_channel": "web", "member_number": "VIP-0001"})),
            )
            .await;
        assert_problem(status, &body, 409, "member_number_taken");
        let (status, body) = app
            .send(
                Method::POST,
                &path(&second),
                &app.admin_token,
                Some(json!({"signup_channel": "web", "member_number": "a b",
                    "member_since": "2999-01-01T00:00:00Z"})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("member_number", "invalid_member_number"),
                ("member_since", "out_of_range")
            ])
        );
        let (status, body) = app
            .send(Method::GET, &path(&second), &app.admin_token, None)
            .await;
        assert_problem(status, &body, 404, "not_found");

        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/membership-tiers",
                &app.admin_token,
                Some(
                    json!({"name": "钻石", "rank": 5000, "qualification": "spend",
                    "threshold": 0, "discount_percent": 95, "benefits": [""]}),
                ),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[
                ("rank", "out_of_range"),
                ("benefits[0]", "blank"),
                ("discount_percent", "out_of_range"),
            ])
        );
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/membership-tiers",
                &app.admin_token,
                Some(json!({"name": "钻石", "rank": 5, "qualification": "spend",
                    "threshold": 0, "points_multiplier": 1.234})),
            )
            .await;
        assert_problem(status, &body, 422, "validation_failed");
        assert_eq!(
            error_pairs(&body),
            pairs(&[("points_multiplier", "invalid_multiplier")])
        );
        tier(
            &app,
            json!({"name": "钻石", "rank": 5, "qualification": "points", "threshold": 0}),
        )
        .await;
        let (status, body) = app
            .send(
                Method::POST,
                "/api/v1/membership-tiers",
                &app.admin_token,
                Some(json!({"name": "钻石", "rank": 6, "qualification": "points", "threshold": 0})),
            )
            .await;
        assert_problem(status, &body, 409, "tier_name_taken");
        // Nothing refused was stored.
        let listed = app
            .ok(
                Method::GET,
                "/api/v1/membership-tiers?include_total=true",
                None,
            )
            .await;
        assert_eq!(listed["total"], 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_and_points_at_once_leave_the_tier_the_standing_reaches() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        tier(
            &app,
            json!({"name": "银卡", "rank": 1, "qualification": "points", "threshold": 500}),
        )
        .await;
        let gold = tier(
            &app,
            json!({"name": "金卡", "rank": 2, "qualification": "spend", "threshold": 300_000}),
        )
        .await;
        let member = customer(&app, "会员己").await;
        enrol(&app, &member).await;
        let mut orders = Vec::new();
        for _ in 0..10 {
            orders.push(place(&app, &member, 30_000).await);
        }
        let payments = join_all(orders.iter().map(|o| pay(&app, o)));
        let additions = join_all((0..10).map(|_| add_points(&app, &member, 60)));
        let (payments, additions) = tokio::join!(payments, additions);
        for (status, body) in payments {
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        for (status, body) in additions {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        assert_eq!(tier_of(&app, &member).await, json!(gold));
        let moves = tier_moves(&app, &member).await;
        assert_eq!(moves.last().unwrap().1, json!(gold), "{moves:?}");
        // Each move starts where the one before ended.
        for pair in moves.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "{moves:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_keeps_one_membership() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let gold = tier(
            &app,
            json!({"name": "金卡", "rank": 2, "qualification": "points", "threshold": 100}),
        )
        .await;
        let kept = customer(&app, "保留").await;
        let absorbed = customer(&app, "并入").await;
        let joined = enrol(&app, &absorbed).await;
        assert_eq!(add_points(&app, &kept, 60).await.0, StatusCode::CREATED);
        assert_eq!(add_points(&app, &absorbed, 60).await.0, StatusCode::CREATED);
        app.ok(
            Method::POST,
            &format!("/api/v1/customers/{kept}/merge"),
            Some(json!({"duplicate_id": absorbed})),
        )
        .await;
        let membership = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{kept}/membership"),
                None,
            )
            .await;
        assert_eq!(membership["member_number"], joined["member_number"]);
        assert_eq!(membership["tier_id"], json!(gold));
    }
}
