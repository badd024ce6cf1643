//! Following customers up: activities and the customer's `last_activity_at`, tasks with their
//! due windows in the workspace's time zone (on an injected clock) and their reminders, and the
//! customer's timeline across activities and orders.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn customer(app: &TestApp, token: &str, name: &str) -> String {
    let created = app
        .create_customer(token, json!({"name": name, "kind": "individual"}))
        .await;
    created["id"].as_str().unwrap().to_owned()
}

async fn record(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, activity) = app
        .send(Method::POST, "/api/v1/activities", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{activity}");
    activity
}

async fn last_activity_at(app: &TestApp, id: &str) -> Value {
    let (_, c) = app
        .send(
            Method::GET,
            &format!("/api/v1/customers/{id}"),
            &app.admin_token,
            None,
        )
        .await;
    c["last_activity_at"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_keep_the_customers_latest_contact_and_stay_within_scope() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let wang = customer(&app, token, "王芳").await;
        assert_eq!(last_activity_at(&app, &wang).await, Value::Null);

        let call = record(
            &app,
            token,
            json!({"kind": "call", "subject": " 回访 ", "occurred_at": "2026-12-01T09:00:00Z", "customer_id": wang}),
        )
        .await;
        assert_eq!(call["subject"], "回访");
        assert!(call["author_id"].is_string(), "the recording user: {call}");
        assert_eq!(last_activity_at(&app, &wang).await, "2026-12-01T09:00:00Z");
        let older = record(
            &app,
            token,
            json!({"kind": "note", "subject": "First visit", "occurred_at": "2026-11-01T09:00:00Z", "customer_id": wang}),
        )
        .await;
        assert_eq!(
            last_activity_at(&app, &wang).await,
            "2026-12-01T09:00:00Z",
            "an older activity does not move it back"
        );

        // Moving or removing the latest moves the customer's time with it.
        let (status, moved) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/activities/{}", older["id"].as_str().unwrap()),
                token,
                Some(json!({"occurred_at": "2026-12-02T09:00:00Z", "body": "Came back"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(last_activity_at(&app, &wang).await, "2026-12-02T09:00:00Z");
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/activities/{}", older["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(last_activity_at(&app, &wang).await, "2026-12-01T09:00:00Z");

        // "Nobody contacted them since December" is one filter.
        let quiet = customer(&app, token, "李雷").await;
        let (status, found) = app
            .send(
                Method::POST,
                "/api/v1/customers/search",
                token,
                Some(json!({"filter": {"or": [
                    {"field": "last_activity_at", "op": "lt", "value": "2026-12-01T12:00:00Z"},
                    {"field": "last_activity_at", "op": "is_null", "value": true}
                ]}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let ids: HashSet<&str> = found["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, HashSet::from([wang.as_str(), quiet.as_str()]));

        // Every mistake at once; a time more than a day ahead is refused.
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/activities",
                token,
                Some(json!({"kind": "visit", "subject": "", "occurred_at": "2099-01-01T00:00:00Z", "customer_id": wang})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("subject", "blank"), ("occurred_at", "in_future")])
        );

        // A sales user reaches the activities of their own customers only.
        let (sales_id, sales) = app.user_with_role("sales").await;
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/activities",
                &sales,
                Some(json!({"kind": "call", "subject": "Hello", "customer_id": wang})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("customer_id", "not_found")])
        );
        let (status, _) = app
            .send(
                Method::GET,
                &format!("/api/v1/activities/{}", call["id"].as_str().unwrap()),
                &sales,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let mine = app
            .create_customer(&sales, json!({"name": "自己的客户", "kind": "individual"}))
            .await;
        let own = record(
            &app,
            &sales,
            json!({"kind": "visit", "subject": "到店", "customer_id": mine["id"]}),
        )
        .await;
        assert_eq!(own["author_id"], sales_id.to_string());
        let (_, listed) = app
            .send(Method::GET, "/api/v1/activities", &sales, None)
            .await;
        let listed: Vec<&str> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(listed, [own["id"].as_str().unwrap()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn activities_recorded_at_once_leave_the_latest_time() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = app.admin_token.clone();
        let id = customer(&app, &token, "并发").await;
        let app = std::sync::Arc::new(app);
        let writers = (0..20).map(|i| {
            let (app, token, id) = (app.clone(), token.clone(), id.clone());
            tokio::spawn(async move {
                record(
                    &app,
                    &token,
                    json!({"kind": "note", "subject": format!("Note {i}"),
                        "occurred_at": format!("2026-11-{:02}T08:00:00Z", i + 1), "customer_id": id}),
                )
                .await
            })
        });
        for writer in writers {
            writer.await.unwrap();
        }
        assert_eq!(last_activity_at(&app, &id).await, "2026-11-20T08:00:00Z");
    }
}

/// A server whose clock stands at 00:30 on 6 December in Shanghai (16:30 on 5 December, UTC).
async fn at_half_past_midnight_in_shanghai(backend: &rapport_tests::Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.clock = Clock::at(at("2026-12-05T16:30:00Z"));
        c.scheduler = true;
    })
    .await
}

async fn titles(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, page) = app
        .send(Method::GET, &format!("/api/v1/tasks?{query}"), token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_and_due_today_follow_the_workspaces_time_zone() {
    for backend in backends() {
        let app = at_half_past_midnight_in_shanghai(&backend).await;
        let token = &app.admin_token;
        for (title, due) in [
            ("late evening", "2026-12-05T15:00:00Z"), // 23:00 on the 5th in Shanghai
            ("just past midnight", "2026-12-05T16:10:00Z"), // 00:10 on the 6th
            ("this evening", "2026-12-06T10:00:00Z"), // 18:00 on the 6th
            ("tomorrow", "2026-12-06T17:00:00Z"),     // 01:00 on the 7th
        ] {
            let (status, task) = app
                .send(
                    Method::POST,
                    "/api/v1/tasks",
                    token,
                    Some(json!({"title": title, "due_at": due})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{task}");
        }
        let (_, other) = app.user_with_role("sales").await;
        let (status, theirs) = app
            .send(
                Method::POST,
                "/api/v1/tasks",
                &other,
                Some(json!({"title": "someone else's", "due_at": "2026-12-05T15:00:00Z"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{theirs}");

        // In UTC (the default) it is still the 5th.
        assert_eq!(
            titles(&app, token, "assignee=me&due=today").await,
            ["late evening", "just past midnight"]
        );
        assert_eq!(
            titles(&app, token, "assignee=me&due=overdue").await,
            ["late evening", "just past midnight"]
        );
        assert_eq!(
            titles(&app, token, "due=overdue").await.len(),
            3,
            "everyone's"
        );

        let (status, settings) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/workspace",
                token,
                Some(json!({"time_zone": "Asia/Shanghai"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(
            titles(&app, token, "assignee=me&due=today").await,
            ["just past midnight", "this evening"]
        );
        assert_eq!(
            titles(&app, token, "assignee=me&due=overdue").await,
            ["late evening", "just past midnight"]
        );
        assert_eq!(
            titles(&app, token, "assignee=me&due=later").await,
            ["tomorrow"]
        );
        // A sales user sees their own tasks only, and assigns to themselves only.
        assert_eq!(
            titles(&app, &other, "due=overdue").await,
            ["someone else's"]
        );
        let (status, problem) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/workspace",
                token,
                Some(json!({"time_zone": "Mars/Olympus"})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("time_zone", "unknown_time_zone")])
        );

        // Done leaves the lists; done cannot be cancelled, only reopened.
        let (_, open) = app
            .send(
                Method::GET,
                "/api/v1/tasks?assignee=me&due=today",
                token,
                None,
            )
            .await;
        let first = open["data"][0]["id"].as_str().unwrap().to_owned();
        let (status, done) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/tasks/{first}"),
                token,
                Some(json!({"status": "done", "outcome": "已确认"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["completed_at"], "2026-12-05T16:30:00Z");
        assert_eq!(
            titles(&app, token, "assignee=me&due=today").await,
            ["this evening"]
        );
        let (status, problem) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/tasks/{first}"),
                token,
                Some(json!({"status": "cancelled"})),
            )
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");
        let (status, reopened) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/tasks/{first}"),
                token,
                Some(json!({"status": "open"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reopened["completed_at"], Value::Null);
    }
}

/// The `task.reminder_due` events in the feed, by task id.
async fn reminders(app: &TestApp) -> Vec<String> {
    let (_, feed) = app
        .send(
            Method::GET,
            "/api/v1/events?types=task.reminder_due&limit=200",
            &app.admin_token,
            None,
        )
        .await;
    feed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_goes_out_once_when_it_falls_due() {
    for backend in backends() {
        let app = at_half_past_midnight_in_shanghai(&backend).await;
        let token = &app.admin_token;
        let mut ids = Vec::new();
        for (title, remind_at) in [
            ("due", "2026-12-05T16:29:00Z"),
            ("not yet", "2026-12-05T16:31:00Z"),
        ] {
            let (_, task) = app
                .send(
                    Method::POST,
                    "/api/v1/tasks",
                    token,
                    Some(json!({"title": title, "remind_at": remind_at})),
                )
                .await;
            ids.push(task["id"].as_str().unwrap().to_owned());
        }
        for _ in 0..2 {
            app.run_job("task_reminders").await;
        }
        assert_eq!(
            reminders(&app).await,
            [ids[0].clone()],
            "once, and only the due one"
        );
        let (_, due) = app
            .send(
                Method::GET,
                &format!("/api/v1/tasks/{}", ids[0]),
                token,
                None,
            )
            .await;
        assert_eq!(due["reminded_at"], "2026-12-05T16:30:00Z");
        // A new reminder time is reminded of anew.
        let (status, _) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/tasks/{}", ids[0]),
                token,
                Some(json!({"remind_at": "2026-12-05T16:00:00Z"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, run) = app
            .send(
                Method::POST,
                "/api/v1/jobs",
                token,
                Some(json!({"kind": "task_reminders"})),
            )
            .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while reminders(&app).await.len() < 2 {
            assert!(Instant::now() < deadline, "the second reminder: {run}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(reminders(&app).await, [ids[0].clone(), ids[0].clone()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_pages_activities_and_orders_newest_first() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let id = customer(&app, token, "张伟").await;
        let mut expected = Vec::new();
        for day in ["2026-11-03", "2026-11-01", "2026-11-05"] {
            let a = record(
                &app,
                token,
                json!({"kind": "call", "subject": format!("Call {day}"),
                    "occurred_at": format!("{day}T08:00:00Z"), "customer_id": id}),
            )
            .await;
            expected.push((
                format!("{day}T08:00:00Z"),
                a["id"].as_str().unwrap().to_owned(),
            ));
        }
        for _ in 0..2 {
            let (status, order) = app
                .send(
                    Method::POST,
                    "/api/v1/orders",
                    token,
                    Some(json!({"customer_id": id, "currency": "CNY",
                        "lines": [{"description": "Tea", "quantity": 1, "unit_price": 5000}]})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{order}");
            expected.push((
                order["created_at"].as_str().unwrap().to_owned(),
                order["id"].as_str().unwrap().to_owned(),
            ));
        }
        // An activity about an order is about one of the customer's orders.
        let other = customer(&app, token, "别人").await;
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/activities",
                token,
                Some(
                    json!({"kind": "call", "subject": "About that order", "customer_id": other,
                    "order_id": expected.last().unwrap().1}),
                ),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("order_id", "other_customer")])
        );
        expected.sort_by(|a, b| b.cmp(a));
        let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/customers/{id}/timeline?limit=2&cursor={c}"),
                None => format!("/api/v1/customers/{id}/timeline?limit=2&include_total=true"),
            };
            let (status, page) = app.send(Method::GET, &path, token, None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            if cursor.is_none() {
                assert_eq!(page["total"], 5);
            }
            for entry in page["data"].as_array().unwrap() {
                let kind = entry["kind"].as_str().unwrap();
                seen.push(entry[kind]["id"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, expected, "newest first, each once");

        let (_, orders_only) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{id}/timeline?kinds=order"),
                token,
                None,
            )
            .await;
        assert_eq!(orders_only["data"].as_array().unwrap().len(), 2);
        assert!(
            orders_only["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["kind"] == "order" && e["order"]["number"].is_string())
        );
        let (status, problem) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{id}/timeline?kinds=campaign"),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 400, "bad_request");
        let (_, sales) = app.user_with_role("sales").await;
        let (status, _) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{id}/timeline"),
                &sales,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not their customer");

        // A data export holds the activities, with their audit trail.
        let (status, export) = app
            .send(
                Method::GET,
                &format!("/api/v1/customers/{id}/data-export"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(export["activities"].as_array().unwrap().len(), 3);
        assert!(
            export["audit_events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "activity.created"),
            "{export}"
        );

        // Erasure wipes what was written down, and keeps that it happened.
        let (status, _) = app
            .send(
                Method::POST,
                &format!("/api/v1/customers/{id}/anonymize"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, after) = app
            .send(
                Method::GET,
                &format!("/api/v1/activities?customer_id={id}"),
                token,
                None,
            )
            .await;
        assert!(
            after["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["subject"] == "(erased)" && a["body"].is_null()),
            "{after}"
        );
    }
}
