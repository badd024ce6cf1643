//! Points seen from outside: earned when an order is paid, taken back in proportion by refunds,
//! adjusted and redeemed by staff without ever overdrawing however many come at once, expired by
//! the scheduler; the balance is always the ledger's sum and what a plain model of the same
//! sequence gives.

use chrono::{Duration, Utc};
use futures_util::future::join_all;
use rapport_api::clock::Clock;
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

async fn customer(app: &TestApp) -> String {
    id(&app
        .create_customer(&app.admin_token, json!({"name": "积分会员"}))
        .await)
}

async fn adjust(app: &TestApp, customer: &str, points: i64) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/customers/{customer}/points/adjustments"),
        &app.admin_token,
        Some(json!({"points": points, "reason": "测试"})),
    )
    .await
}

async fn redeem(app: &TestApp, customer: &str, points: i64) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/customers/{customer}/points/redemptions"),
        &app.admin_token,
        Some(json!({"points": points, "reason": "兑换"})),
    )
    .await
}

async fn balance(app: &TestApp, customer: &str) -> i64 {
    ok(
        app,
        Method::GET,
        &format!("/api/v1/customers/{customer}/points"),
        None,
    )
    .await["balance"]
        .as_i64()
        .unwrap()
}

/// Every entry of the ledger, newest first.
async fn ledger(app: &TestApp, customer: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut path = format!("/api/v1/customers/{customer}/points/ledger?limit=200");
    loop {
        let page = ok(app, Method::GET, &path, None).await;
        entries.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path =
                    format!("/api/v1/customers/{customer}/points/ledger?limit=200&cursor={cursor}")
            }
            None => return entries,
        }
    }
}

/// The balance, checked against the ledger's sum and its last entry's `balance_after`.
async fn checked_balance(app: &TestApp, customer: &str) -> i64 {
    let balance = balance(app, customer).await;
    let entries = ledger(app, customer).await;
    let sum: i64 = entries.iter().map(|e| e["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, balance, "the balance is the ledger's sum");
    if let Some(newest) = entries.first() {
        assert_eq!(newest["balance_after"], balance);
    }
    balance
}

async fn pay_order(app: &TestApp, customer: &str, amount: i64) -> Value {
    let order = ok(
        app,
        Method::POST,
        "/api/v1/orders",
        Some(json!({"customer_id": customer, "currency": "CNY",
            "lines": [{"description": "积分商品", "quantity": 1, "unit_price": amount}]})),
    )
    .await;
    ok(
        app,
        Method::POST,
        &format!("/api/v1/orders/{}/pay", id(&order)),
        Some(json!({"method": "cash"})),
    )
    .await
}

async fn refund(app: &TestApp, order: &str, amount: i64) {
    ok(
        app,
        Method::POST,
        &format!("/api/v1/orders/{order}/refund-request"),
        Some(json!({"amount": amount})),
    )
    .await;
    ok(
        app,
        Method::POST,
        &format!("/api/v1/orders/{order}/refund"),
        Some(json!({})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_redemptions_at_once_never_overdraw_a_hundred_points() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = customer(&app).await;
        assert_eq!(adjust(&app, &member, 100).await.0, StatusCode::CREATED);
        let answers = join_all((0..50).map(|_| redeem(&app, &member, 10))).await;
        let spent = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        let refused = answers
            .iter()
            .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "insufficient_points")
            .count();
        let odd: Vec<_> = answers
            .iter()
            .filter(|(s, _)| *s != StatusCode::CREATED && *s != StatusCode::CONFLICT)
            .collect();
        assert_eq!((spent, refused), (10, 40), "{backend:?} {odd:?}");
        assert_eq!(checked_balance(&app, &member).await, 0);
        // Taking more than there is by an adjustment is refused the same way.
        let (status, refused) = adjust(&app, &member, -1).await;
        assert_problem(status, &refused, 409, "insufficient_points");
        assert_eq!(ledger(&app, &member).await.len(), 11);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_earns_refunds_take_back_and_unspent_points_expire() {
    for backend in backends() {
        let clock = Clock::at(Utc::now());
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        ok(
            &app,
            Method::PATCH,
            "/api/v1/settings/loyalty",
            Some(json!({"points_per_unit": 2, "points_expire_days": 30})),
        )
        .await;
        let member = customer(&app).await;
        // ¥355.99 at two points a yuan: 711.
        let order = pay_order(&app, &member, 35_599).await;
        let points = ok(
            &app,
            Method::GET,
            &format!("/api/v1/customers/{member}/points"),
            None,
        )
        .await;
        assert_eq!(points["balance"], 711);
        let earn = &points["recent"][0];
        assert_eq!(
            (&earn["kind"], &earn["order_id"], &earn["reason"]),
            (&json!("earn"), &order["id"], &order["number"])
        );
        assert!(earn["expires_at"].is_string());
        // Half refunded: half the points back, rounded down; the rest with the rest.
        refund(&app, &id(&order), 17_799).await;
        assert_eq!(checked_balance(&app, &member).await, 711 - 355);
        refund(&app, &id(&order), 17_800).await;
        assert_eq!(checked_balance(&app, &member).await, 0);

        // Earned points are spent before points that never expire; what is left of them expires.
        let order = pay_order(&app, &member, 10_000).await;
        assert_eq!(order["status"], "paid");
        assert_eq!(adjust(&app, &member, 50).await.0, StatusCode::CREATED);
        assert_eq!(redeem(&app, &member, 120).await.0, StatusCode::CREATED);
        assert_eq!(checked_balance(&app, &member).await, 130);
        let job = app.run_job("points_expiry").await;
        assert_eq!(job["points"], 0, "nothing is due yet: {job}");
        moved.advance(Duration::days(31));
        let job = app.run_job("points_expiry").await;
        assert_eq!(job["points"], 80, "{job}");
        assert_eq!(checked_balance(&app, &member).await, 50);
        let newest = &ledger(&app, &member).await[0];
        assert_eq!(
            (&newest["kind"], &newest["points"]),
            (&json!("expire"), &json!(-80))
        );
        // Run again, nothing more expires.
        let job = app.run_job("points_expiry").await;
        assert_eq!(job["points"], 0);

        // Orders in another currency earn nothing; a bad rule is refused whole.
        let (status, refused) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/loyalty",
                &app.admin_token,
                Some(json!({"points_per_unit": 5000, "points_currency": "cny", "points_expire_days": 0})),
            )
            .await;
        assert_eq!(
            (status, error_pairs(&refused)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                pairs(&[
                    ("points_per_unit", "out_of_range"),
                    ("points_currency", "invalid_currency"),
                    ("points_expire_days", "out_of_range"),
                ])
            )
        );
        let events = ok(
            &app,
            Method::GET,
            "/api/v1/events?types=points.earn,points.expire&limit=50",
            None,
        )
        .await;
        assert_eq!(events["data"].as_array().unwrap().len(), 3);
    }
}

/// One step of the property test's sequences.
#[derive(Debug, Clone)]
enum Step {
    /// Pay an order of this many yuan.
    Pay(i64),
    /// Refund order `n` (of those paid) in full.
    Refund(usize),
    /// Redeem points.
    Redeem(i64),
    /// Add points that never expire.
    Add(i64),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (1i64..300).prop_map(Step::Pay),
        (0usize..6).prop_map(Step::Refund),
        (1i64..250).prop_map(Step::Redeem),
        (1i64..100).prop_map(Step::Add),
    ]
}

/// Points added and what is left of them, in the order deductions take from them.
#[derive(Debug, Clone)]
struct Lot {
    left: i64,
    expires: bool,
    seq: usize,
}

fn take(lots: &mut [Lot], mut points: i64) {
    lots.sort_by_key(|l| (!l.expires, l.seq));
    for lot in lots.iter_mut() {
        let taken = lot.left.min(points);
        lot.left -= taken;
        points -= taken;
    }
}

/// Random sequences of payments, full refunds, redemptions and additions, and at the end the
/// expiry of what was earned, leave every balance equal to its ledger's sum and to what a plain
/// in-memory model of the same sequence gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn balances_follow_a_plain_model() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 8,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = proptest::collection::vec(step(), 1..25);
    let sequences: Vec<Vec<Step>> = (0..8)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    for backend in backends() {
        let clock = Clock::at(Utc::now());
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        ok(
            &app,
            Method::PATCH,
            "/api/v1/settings/loyalty",
            Some(json!({"points_per_unit": 1, "points_expire_days": 30})),
        )
        .await;
        let mut members = Vec::new();
        for (case, steps) in sequences.iter().enumerate() {
            let member = customer(&app).await;
            let mut lots: Vec<Lot> = Vec::new();
            // (order id, points earned, refunded)
            let mut orders: Vec<(String, i64, bool)> = Vec::new();
            for (seq, step) in steps.iter().enumerate() {
                let balance: i64 = lots.iter().map(|l| l.left).sum();
                match step.clone() {
                    Step::Pay(yuan) => {
                        let order = pay_order(&app, &member, yuan * 100).await;
                        orders.push((id(&order), yuan, false));
                        lots.push(Lot {
                            left: yuan,
                            expires: true,
                            seq,
                        });
                    }
                    Step::Refund(n) => {
                        let Some((order, earned, refunded)) = orders.get_mut(n) else {
                            continue;
                        };
                        if *refunded {
                            continue;
                        }
                        refund(&app, order, *earned * 100).await;
                        *refunded = true;
                        take(&mut lots, (*earned).min(balance));
                    }
                    Step::Redeem(points) => {
                        let (status, _) = redeem(&app, &member, points).await;
                        if points <= balance {
                            assert_eq!(status, StatusCode::CREATED, "case {case}: {steps:?}");
                            take(&mut lots, points);
                        } else {
                            assert_eq!(status, StatusCode::CONFLICT, "case {case}: {steps:?}");
                        }
                    }
                    Step::Add(points) => {
                        assert_eq!(adjust(&app, &member, points).await.0, StatusCode::CREATED);
                        lots.push(Lot {
                            left: points,
                            expires: false,
                            seq,
                        });
                    }
                }
            }
            let model: i64 = lots.iter().map(|l| l.left).sum();
            assert_eq!(
                checked_balance(&app, &member).await,
                model,
                "case {case}: {steps:?}"
            );
            let kept: i64 = lots.iter().filter(|l| !l.expires).map(|l| l.left).sum();
            members.push((member, kept, steps.clone()));
        }
        moved.advance(Duration::days(31));
        app.run_job("points_expiry").await;
        for (case, (member, kept, steps)) in members.iter().enumerate() {
            assert_eq!(
                checked_balance(&app, member).await,
                *kept,
                "case {case} after expiry: {steps:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_joins_the_points_of_both_customers() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let kept = customer(&app).await;
        let absorbed = customer(&app).await;
        let alone = customer(&app).await;
        assert_eq!(adjust(&app, &kept, 100).await.0, StatusCode::CREATED);
        assert_eq!(adjust(&app, &absorbed, 30).await.0, StatusCode::CREATED);
        assert_eq!(redeem(&app, &absorbed, 10).await.0, StatusCode::CREATED);
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/customers/{kept}/merge"),
            Some(json!({"duplicate_id": absorbed})),
        )
        .await;
        assert_eq!(balance(&app, &kept).await, 120);
        let entries = ledger(&app, &kept).await;
        assert_eq!(entries.len(), 3);
        let sum: i64 = entries.iter().map(|e| e["points"].as_i64().unwrap()).sum();
        assert_eq!(sum, 120);
        // The joined account goes on from there, and one without points of its own takes the
        // other's whole.
        assert_eq!(redeem(&app, &kept, 120).await.0, StatusCode::CREATED);
        assert_eq!(checked_balance(&app, &kept).await, 0);
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/customers/{alone}/merge"),
            Some(json!({"duplicate_id": kept})),
        )
        .await;
        assert_eq!(checked_balance(&app, &alone).await, 0);
        assert_eq!(ledger(&app, &alone).await.len(), 4);
    }
}

/// Paying earns points, and placing an order for the same customer at the same time holds locks
/// on the customer and the event feed: neither ever waits for the other in a circle.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn payments_and_new_orders_of_one_customer_at_once_all_go_through() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = customer(&app).await;
        let place = || async {
            app.send(
                Method::POST,
                "/api/v1/orders",
                &app.admin_token,
                Some(json!({"customer_id": member, "currency": "CNY",
                    "lines": [{"description": "积分商品", "quantity": 1, "unit_price": 10_000}]})),
            )
            .await
        };
        let mut pending = Vec::new();
        for _ in 0..20 {
            let (status, order) = place().await;
            assert_eq!(status, StatusCode::CREATED);
            pending.push(id(&order));
        }
        let paths: Vec<String> = pending
            .iter()
            .map(|order| format!("/api/v1/orders/{order}/pay"))
            .collect();
        let pays = join_all(paths.iter().map(|path| {
            app.send(
                Method::POST,
                path,
                &app.admin_token,
                Some(json!({"method": "cash"})),
            )
        }));
        let places = join_all((0..20).map(|_| place()));
        let (paid, placed) = tokio::join!(pays, places);
        let odd: Vec<_> = paid
            .iter()
            .chain(placed.iter())
            .filter(|(s, _)| !s.is_success())
            .collect();
        assert!(odd.is_empty(), "{backend:?} {odd:?}");
        assert_eq!(checked_balance(&app, &member).await, 20 * 100);
    }
}
