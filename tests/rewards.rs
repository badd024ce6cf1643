//! Rewards seen from outside: a catalogue checked as a whole, exchanges that take stock, points
//! and (for a coupon) a place in the wallet together or not at all, however many come at once,
//! and gifts marked handed over once.

use futures_util::future::join_all;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, id_of, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn customer_with(app: &TestApp, points: i64) -> String {
    let customer = id_of(
        &app.create_customer(&app.admin_token, json!({"name": "兑换会员"}))
            .await,
    );
    if points > 0 {
        app.ok(
            Method::POST,
            &format!("/api/v1/customers/{customer}/points/adjustments"),
            Some(json!({"points": points, "reason": "开卡赠送"})),
        )
        .await;
    }
    customer
}

async fn exchange(app: &TestApp, customer: &str, reward: &str) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/customers/{customer}/reward-exchanges"),
        &app.admin_token,
        Some(json!({"reward_id": reward})),
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

async fn reward(app: &TestApp, body: Value) -> Value {
    app.ok(Method::POST, "/api/v1/rewards", Some(body)).await
}

fn count(answers: &[(StatusCode, Value)], status: StatusCode, code: Option<&str>) -> usize {
    answers
        .iter()
        .filter(|(s, b)| *s == status && code.is_none_or(|c| b["code"] == c))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coupon_reward_spends_points_takes_stock_and_fills_the_wallet_or_changes_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let coupon = app
            .ok(
                Method::POST,
                "/api/v1/coupons",
                Some(
                    json!({"name": "积分兑换 50 元券", "kind": "fixed_amount", "amount_off": 5000}),
                ),
            )
            .await;
        let coupon_id = id_of(&coupon);

        // Every mistake at once.
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/rewards",
                &app.admin_token,
                Some(
                    json!({"name": " ", "kind": "coupon", "points_cost": 0, "stock": -1,
                    "variant_id": "0193a5c6-0000-7000-8000-000000000000"}),
                ),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("stock", "out_of_range"),
                ("points_cost", "out_of_range"),
                ("name", "blank"),
                ("coupon_id", "required"),
                ("variant_id", "not_allowed"),
            ])
        );
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/rewards",
                &app.admin_token,
                Some(json!({"name": "券", "kind": "coupon", "points_cost": 10,
                    "coupon_id": "0193a5c6-0000-7000-8000-000000000000"})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("coupon_id", "not_found")]));

        let offered = reward(
            &app,
            json!({"name": "50 元代金券", "kind": "coupon", "coupon_id": coupon_id,
                "points_cost": 500, "stock": 10}),
        )
        .await;
        let reward_id = id_of(&offered);
        assert_eq!(
            (offered["available"].clone(), offered["version"].clone()),
            (json!(true), json!(1))
        );

        // Too few points: nothing moves.
        let member = customer_with(&app, 400).await;
        let (status, problem) = exchange(&app, &member, &reward_id).await;
        assert_problem(status, &problem, 409, "insufficient_points");
        let unchanged = app
            .ok(Method::GET, &format!("/api/v1/rewards/{reward_id}"), None)
            .await;
        assert_eq!(
            (
                unchanged["stock"].clone(),
                unchanged["exchanged_count"].clone()
            ),
            (json!(10), json!(0))
        );
        let wallet = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/coupons"),
                None,
            )
            .await;
        assert_eq!(wallet["data"], json!([]));
        assert_eq!(balance(&app, &member).await, 400);

        app.ok(
            Method::POST,
            &format!("/api/v1/customers/{member}/points/adjustments"),
            Some(json!({"points": 600, "reason": "补足"})),
        )
        .await;
        let (status, done) = exchange(&app, &member, &reward_id).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        assert_eq!(done["points"], 500);
        assert_eq!(done["kind"], "coupon");
        let code = done["coupon_code"].as_str().expect("a code of its own");
        assert_eq!(balance(&app, &member).await, 500);
        let ledger = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/points/ledger"),
                None,
            )
            .await;
        assert_eq!(ledger["data"][0]["id"], done["points_entry_id"]);
        assert_eq!(
            (
                ledger["data"][0]["kind"].clone(),
                ledger["data"][0]["points"].clone()
            ),
            (json!("redeem"), json!(-500))
        );
        let wallet = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/coupons"),
                None,
            )
            .await;
        assert_eq!(wallet["data"][0]["code"], code);
        assert_eq!(wallet["data"][0]["id"], done["issued_coupon_id"]);
        let after = app
            .ok(Method::GET, &format!("/api/v1/rewards/{reward_id}"), None)
            .await;
        assert_eq!(
            (
                after["stock"].clone(),
                after["exchanged_count"].clone(),
                after["version"].clone()
            ),
            (json!(9), json!(1), json!(2))
        );
        let listed = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/reward-exchanges"),
                None,
            )
            .await;
        assert_eq!(listed["data"][0]["coupon_code"], code);

        // The coupon a reward offers cannot go; an unknown or paused reward is refused.
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/coupons/{coupon_id}"),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "coupon_in_use");
        let (status, problem) =
            exchange(&app, &member, "0193a5c6-0000-7000-8000-000000000000").await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("reward_id", "not_found")]));
        app.ok(
            Method::PATCH,
            &format!("/api/v1/rewards/{reward_id}"),
            Some(json!({"status": "paused"})),
        )
        .await;
        let (status, problem) = exchange(&app, &member, &reward_id).await;
        assert_problem(status, &problem, 409, "reward_paused");
        assert_eq!(balance(&app, &member).await, 500);
        let available = app
            .ok(Method::GET, "/api/v1/rewards?available=true", None)
            .await;
        assert_eq!(available["data"], json!([]));
        // With the reward gone, the coupon the customer bought with points still holds it.
        app.ok(
            Method::DELETE,
            &format!("/api/v1/rewards/{reward_id}"),
            None,
        )
        .await;
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/coupons/{coupon_id}"),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "coupon_in_use");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("bought with points"),
            "{problem}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_exchanges_never_pass_the_stock_or_the_balance() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let gift = reward(
            &app,
            json!({"name": "限量保温杯", "kind": "gift", "points_cost": 10, "stock": 5}),
        )
        .await;
        let gift_id = id_of(&gift);
        let mut members = Vec::new();
        for _ in 0..20 {
            members.push(customer_with(&app, 100).await);
        }
        let answers = join_all(members.iter().map(|m| exchange(&app, m, &gift_id))).await;
        let odd: Vec<_> = answers
            .iter()
            .filter(|(s, _)| *s != StatusCode::CREATED && *s != StatusCode::CONFLICT)
            .collect();
        assert_eq!(
            (
                count(&answers, StatusCode::CREATED, None),
                count(&answers, StatusCode::CONFLICT, Some("out_of_stock"))
            ),
            (5, 15),
            "{backend:?} {odd:?}"
        );
        let after = app
            .ok(Method::GET, &format!("/api/v1/rewards/{gift_id}"), None)
            .await;
        assert_eq!(
            (
                after["stock"].clone(),
                after["exchanged_count"].clone(),
                after["available"].clone()
            ),
            (json!(0), json!(5), json!(false))
        );
        let mut spent = 0;
        for m in &members {
            spent += 100 - balance(&app, m).await;
        }
        assert_eq!(spent, 50, "only the exchanges made spent points");

        // One customer's balance, many exchanges at once.
        let unlimited = reward(
            &app,
            json!({"name": "咖啡一杯", "kind": "gift", "points_cost": 30}),
        )
        .await;
        let unlimited_id = id_of(&unlimited);
        let member = customer_with(&app, 100).await;
        let answers = join_all((0..10).map(|_| exchange(&app, &member, &unlimited_id))).await;
        assert_eq!(
            (
                count(&answers, StatusCode::CREATED, None),
                count(&answers, StatusCode::CONFLICT, Some("insufficient_points"))
            ),
            (3, 7),
            "{backend:?}"
        );
        assert_eq!(balance(&app, &member).await, 10);
        let made = app
            .ok(
                Method::GET,
                &format!("/api/v1/rewards/{}", id_of(&unlimited)),
                None,
            )
            .await;
        assert_eq!(
            (made["stock"].clone(), made["exchanged_count"].clone()),
            (Value::Null, json!(3))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gift_is_fulfilled_once_and_its_exchange_outlives_the_reward() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let gift = reward(
            &app,
            json!({"name": "定制帆布袋", "kind": "gift", "points_cost": 200, "stock": 3}),
        )
        .await;
        let member = customer_with(&app, 300).await;
        let (status, done) = exchange(&app, &member, &id_of(&gift)).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        assert_eq!(
            (done["fulfilled_at"].clone(), done["coupon_code"].clone()),
            (Value::Null, Value::Null)
        );
        let waiting = app
            .ok(
                Method::GET,
                "/api/v1/reward-exchanges?fulfilled=false",
                None,
            )
            .await;
        assert_eq!(waiting["data"][0]["id"], done["id"]);

        let path = format!("/api/v1/reward-exchanges/{}/fulfilment", id_of(&done));
        let fulfilled = app
            .ok(
                Method::POST,
                &path,
                Some(json!({"note": "顺丰 SF1234567890"})),
            )
            .await;
        assert_eq!(fulfilled["fulfilment_note"], "顺丰 SF1234567890");
        assert!(fulfilled["fulfilled_at"].is_string());
        let (status, problem) = app
            .send(Method::POST, &path, &app.admin_token, Some(json!({})))
            .await;
        assert_problem(status, &problem, 409, "already_fulfilled");
        let waiting = app
            .ok(
                Method::GET,
                "/api/v1/reward-exchanges?fulfilled=false",
                None,
            )
            .await;
        assert_eq!(waiting["data"], json!([]));

        // A coupon reward is given at once.
        let coupon = app
            .ok(
                Method::POST,
                "/api/v1/coupons",
                Some(json!({"name": "兑换券", "code": "SWAP10", "kind": "fixed_amount", "amount_off": 1000})),
            )
            .await;
        let coupon_reward = reward(
            &app,
            json!({"name": "10 元券", "kind": "coupon", "coupon_id": id_of(&coupon), "points_cost": 50}),
        )
        .await;
        let (_, given) = exchange(&app, &member, &id_of(&coupon_reward)).await;
        assert_eq!(
            given["coupon_code"], "SWAP10",
            "a shared code is the code to use"
        );
        let (status, problem) = app
            .send(
                Method::POST,
                &format!("/api/v1/reward-exchanges/{}/fulfilment", id_of(&given)),
                &app.admin_token,
                Some(json!({})),
            )
            .await;
        assert_problem(status, &problem, 409, "not_a_gift");

        // Deleting the reward keeps what was exchanged, by name; the export carries it.
        app.ok(
            Method::DELETE,
            &format!("/api/v1/rewards/{}", id_of(&gift)),
            None,
        )
        .await;
        let listed = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/reward-exchanges"),
                None,
            )
            .await;
        let kept = &listed["data"][1];
        assert_eq!(
            (kept["reward_id"].clone(), kept["reward_name"].clone()),
            (Value::Null, json!("定制帆布袋"))
        );
        let export = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{member}/data-export"),
                None,
            )
            .await;
        assert_eq!(export["reward_exchanges"].as_array().unwrap().len(), 2);
    }
}
