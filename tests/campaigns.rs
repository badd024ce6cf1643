//! Campaigns seen from outside: drafted, published to a segment whose customers freeze into its
//! members, started and completed by the scheduler, tracked in batches once per event id, shown
//! on the timeline, and summed up: reach, response, conversion, credited orders and a return on
//! the cost that matches a hand computation.

use chrono::{Duration, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, id_of, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn tagged(app: &TestApp, name: &str, tag: &str) -> String {
    id_of(
        &app.create_customer(&app.admin_token, json!({"name": name, "tags": [tag]}))
            .await,
    )
}

async fn segment(app: &TestApp, tag: &str) -> String {
    id_of(
        &app.ok(
            Method::POST,
            "/api/v1/segments",
            Some(json!({"name": format!("活动 {tag}"), "kind": "dynamic",
                "filter": {"field": "tags", "op": "contains", "value": tag}})),
        )
        .await,
    )
}

async fn members(app: &TestApp, campaign: &str) -> Vec<String> {
    let page = app
        .ok(
            Method::GET,
            &format!("/api/v1/campaigns/{campaign}/members?limit=200"),
            None,
        )
        .await;
    let mut ids: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["customer_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn track(app: &TestApp, campaign: &str, events: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/campaigns/{campaign}/events"),
        &app.admin_token,
        Some(json!({ "events": events })),
    )
    .await
}

fn event(id: &str, customer: &str, kind: &str) -> Value {
    json!({"event_id": id, "customer_id": customer, "kind": kind,
        "occurred_at": (Utc::now() - Duration::minutes(5)).to_rfc3339()})
}

async fn paid_order(app: &TestApp, body: Value) -> Value {
    let order = app.ok(Method::POST, "/api/v1/orders", Some(body)).await;
    app.ok(
        Method::POST,
        &format!("/api/v1/orders/{}/pay", id_of(&order)),
        Some(json!({"method": "wechat_pay"})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_freezes_the_audience_and_the_results_add_up_by_hand() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let a = tagged(&app, "甲", "winter").await;
        let b = tagged(&app, "乙", "winter").await;
        let c = tagged(&app, "丙", "winter").await;
        let outsider = tagged(&app, "丁", "summer").await;
        let winter = segment(&app, "winter").await;
        let coupon = app
            .ok(
                Method::POST,
                "/api/v1/coupons",
                Some(json!({"name": "冬季券", "code": "WINTER10", "kind": "fixed_amount", "amount_off": 1000})),
            )
            .await;

        // A draft with every mistake named, then a good one.
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/campaigns",
                &app.admin_token,
                Some(
                    json!({"name": "冬季回馈", "campaign_type": "sms", "cost": -1,
                    "starts_at": "2026-12-10T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z",
                    "segment_id": "0193a5c6-0000-7000-8000-000000000000"}),
                ),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("cost", "out_of_range"), ("ends_at", "out_of_range")])
        );
        let draft = app
            .ok(
                Method::POST,
                "/api/v1/campaigns",
                Some(
                    json!({"name": "冬季回馈", "campaign_type": "sms", "cost": 120000,
                    "budget": 200000, "coupon_id": id_of(&coupon),
                    "starts_at": (Utc::now() - Duration::hours(1)).to_rfc3339()}),
                ),
            )
            .await;
        let campaign = id_of(&draft);
        assert_eq!(
            (draft["status"].clone(), draft["currency"].clone()),
            (json!("draft"), json!("CNY"))
        );
        let path = format!("/api/v1/campaigns/{campaign}");
        let (status, problem) = app
            .send(
                Method::POST,
                &format!("{path}/publish"),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "no_audience");
        let (status, problem) = track(&app, &campaign, json!([event("x", &a, "sent")])).await;
        assert_problem(status, &problem, 409, "not_published");
        app.ok(Method::PATCH, &path, Some(json!({"segment_id": winter})))
            .await;
        let published = app.ok(Method::POST, &format!("{path}/publish"), None).await;
        assert_eq!(
            (
                published["status"].clone(),
                published["member_count"].clone()
            ),
            (json!("active"), json!(3)),
            "it started an hour ago: active at once"
        );
        let mut expected = vec![a.clone(), b.clone(), c.clone()];
        expected.sort();
        assert_eq!(members(&app, &campaign).await, expected);

        // The segment changes; the audience does not.
        tagged(&app, "戊", "winter").await;
        app.ok(
            Method::PATCH,
            &format!("/api/v1/customers/{c}"),
            Some(json!({"tags": ["summer"]})),
        )
        .await;
        assert_eq!(members(&app, &campaign).await, expected);
        let (status, problem) = app
            .send(
                Method::PATCH,
                &path,
                &app.admin_token,
                Some(json!({"segment_id": null, "cost": 150000})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("segment_id", "not_allowed")])
        );
        let (status, problem) = app
            .send(
                Method::POST,
                &format!("{path}/publish"),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");

        // Tracking: all three sent and delivered, a opened and clicked, b opened; a's click sent
        // twice and a duplicate id within the batch are kept once; an outsider is refused whole.
        let (status, problem) = track(
            &app,
            &campaign,
            json!([event("s-a", &a, "sent"), event("s-out", &outsider, "sent")]),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("events[1].customer_id", "not_a_member")])
        );
        let batch = json!([
            event("s-a", &a, "sent"),
            event("s-b", &b, "sent"),
            event("s-c", &c, "sent"),
            event("d-a", &a, "delivered"),
            event("d-b", &b, "delivered"),
            event("d-c", &c, "delivered"),
            event("o-a", &a, "opened"),
            event("k-a", &a, "clicked"),
            event("o-b", &b, "opened"),
            event("o-b", &b, "opened"),
        ]);
        let (status, first) = track(&app, &campaign, batch.clone()).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first, json!({"accepted": 9, "duplicates": 1}));
        let (_, again) = track(&app, &campaign, batch).await;
        assert_eq!(again, json!({"accepted": 0, "duplicates": 10}));

        // Orders: one naming the campaign (¥300, paid), one taking its coupon (¥500 less ¥10,
        // paid, then ¥90 refunded), one naming it but never paid, one in another currency.
        paid_order(
            &app,
            json!({"customer_id": a, "campaign_id": campaign,
                "lines": [{"description": "羽绒服", "quantity": 1, "unit_price": 30000}]}),
        )
        .await;
        let by_coupon = paid_order(
            &app,
            json!({"customer_id": outsider, "coupon_code": "winter10",
                "lines": [{"description": "围巾", "quantity": 1, "unit_price": 50000}]}),
        )
        .await;
        assert_eq!(by_coupon["total"], 49000);
        let refund = format!("/api/v1/orders/{}", id_of(&by_coupon));
        app.ok(
            Method::POST,
            &format!("{refund}/refund-request"),
            Some(json!({"amount": 9000})),
        )
        .await;
        app.ok(Method::POST, &format!("{refund}/refund"), Some(json!({})))
            .await;
        app.ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({"customer_id": b, "campaign_id": campaign,
                "lines": [{"description": "帽子", "quantity": 1, "unit_price": 8000}]})),
        )
        .await;
        paid_order(
            &app,
            json!({"customer_id": b, "campaign_id": campaign, "currency": "USD",
                "lines": [{"description": "gloves", "quantity": 1, "unit_price": 2000}]}),
        )
        .await;

        // By hand: reached 3 (all delivered); responded 2 (a, b opened); converted 1 (a, by the
        // paid order naming the campaign; the coupon's buyer is no member); orders 2 (a's ¥300
        // and the coupon's ¥490), revenue 30000 + 49000 − 9000 = 70000 fen; cost 120000, so the
        // return is (70000 − 120000) / 120000 = −0.4167.
        let stats = app.ok(Method::GET, &format!("{path}/stats"), None).await;
        assert_eq!(
            stats,
            json!({
                "campaign_id": campaign, "currency": "CNY", "audience": 3,
                "sent": 3, "delivered": 3, "opened": 2, "clicked": 1,
                "reached": 3, "responded": 2, "converted": 1,
                "response_rate": 0.6667, "conversion_rate": 0.3333,
                "orders": 2, "revenue": 70000, "cost": 120000, "budget": 200000, "roi": -0.4167
            })
        );
        // A conversion event counts b in; a cost of ¥500 turns the return positive.
        track(&app, &campaign, json!([event("c-b", &b, "converted")])).await;
        app.ok(Method::PATCH, &path, Some(json!({"cost": 50000})))
            .await;
        let stats = app.ok(Method::GET, &format!("{path}/stats"), None).await;
        assert_eq!(
            (stats["converted"].clone(), stats["roi"].clone()),
            (json!(2), json!(0.4))
        );

        // Each touch is on its customer's timeline.
        let timeline = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{a}/timeline?kinds=campaign_touch"),
                None,
            )
            .await;
        let kinds: Vec<&str> = timeline["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["campaign_touch"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.len(), 4, "{timeline}");
        assert_eq!(
            timeline["data"][0]["campaign_touch"]["campaign_name"],
            "冬季回馈"
        );
        let export = app
            .ok(
                Method::GET,
                &format!("/api/v1/customers/{a}/data-export"),
                None,
            )
            .await;
        assert_eq!(export["campaign_touches"].as_array().unwrap().len(), 4);

        // A running campaign stays; cancelled, it can go.
        let (status, problem) = app
            .send(Method::DELETE, &path, &app.admin_token, None)
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");
        let done = app
            .ok(Method::POST, &format!("{path}/complete"), None)
            .await;
        assert_eq!(done["status"], "completed");
        let (status, problem) = app
            .send(
                Method::POST,
                &format!("{path}/cancel"),
                &app.admin_token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_starts_and_completes_a_campaign_on_time() {
    for backend in backends() {
        let clock = Clock::at(Utc::now());
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        tagged(&app, "会员", "spring").await;
        let spring = segment(&app, "spring").await;
        let now = moved.now();
        let campaign = app
            .ok(
                Method::POST,
                "/api/v1/campaigns",
                Some(
                    json!({"name": "春季上新", "campaign_type": "email", "segment_id": spring,
                    "starts_at": (now + Duration::days(2)).to_rfc3339(),
                    "ends_at": (now + Duration::days(9)).to_rfc3339()}),
                ),
            )
            .await;
        let path = format!("/api/v1/campaigns/{}", id_of(&campaign));
        let published = app.ok(Method::POST, &format!("{path}/publish"), None).await;
        assert_eq!(published["status"], "scheduled");
        assert_eq!(app.run_job("campaigns").await["campaigns_moved"], 0);
        assert_eq!(status_of(&app, &path).await, "scheduled");
        moved.advance(Duration::days(3));
        assert_eq!(app.run_job("campaigns").await["campaigns_moved"], 1);
        assert_eq!(status_of(&app, &path).await, "active");
        moved.advance(Duration::days(7));
        app.run_job("campaigns").await;
        assert_eq!(status_of(&app, &path).await, "completed");
        let (status, problem) = app
            .send(Method::DELETE, &path, &app.admin_token, None)
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");

        // A draft that is cancelled can be deleted.
        let draft = app
            .ok(
                Method::POST,
                "/api/v1/campaigns",
                Some(json!({"name": "作废", "campaign_type": "event",
                    "starts_at": now.to_rfc3339()})),
            )
            .await;
        let draft_path = format!("/api/v1/campaigns/{}", id_of(&draft));
        app.ok(Method::POST, &format!("{draft_path}/cancel"), None)
            .await;
        let (status, _) = app
            .send(Method::DELETE, &draft_path, &app.admin_token, None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

async fn status_of(app: &TestApp, path: &str) -> Value {
    app.ok(Method::GET, path, None).await["status"].clone()
}
