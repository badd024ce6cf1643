//! SLA policies: a policy is checked whole, its name is its own, and at most one is active; the
//! active policy gives each new ticket a first-response and a resolution due time, counted in
//! business hours in the workspace's time zone (across a weekend, from Monday morning when the
//! ticket came in on Saturday); time spent pending does not count, and a new priority moves the
//! due times; the breach job records each breach once, announces it once, and leaves tickets
//! answered in time and tickets waiting on the customer alone; and a ticket made while no policy
//! is active has no SLA at all.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs, read};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const POLICIES: &str = "/api/v1/sla-policies";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// Targets for low, normal, high and urgent, each (first response, resolution) in minutes.
fn targets(minutes: [(u32, u32); 4]) -> Value {
    let [low, normal, high, urgent] = minutes.map(|(first, resolution)| {
        json!({"first_response_minutes": first, "resolution_minutes": resolution})
    });
    json!({"low": low, "normal": normal, "high": high, "urgent": urgent})
}

/// The spec's example: normal is answered within 120 business minutes, resolved within 480.
fn office_targets() -> Value {
    targets([(240, 960), (120, 480), (60, 240), (30, 120)])
}

/// Around the clock: normal 30 / 120 minutes, urgent 15 / 45, low 240 / 2880.
fn round_the_clock_targets() -> Value {
    targets([(240, 2880), (30, 120), (20, 60), (15, 45)])
}

fn office_hours() -> Value {
    json!({"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"})
}

async fn post_policy(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::POST, POLICIES, token, Some(body)).await
}

/// A policy created by the administrator.
async fn policy(app: &TestApp, body: Value) -> Value {
    let (status, created) = post_policy(app, &app.admin_token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = app.send(Method::GET, path, token, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The names of the policies, in the list's order (oldest first).
async fn policy_names(app: &TestApp, token: &str) -> Vec<String> {
    get_ok(app, token, POLICIES).await["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn in_shanghai(app: &TestApp) {
    let (status, settings) = app
        .send(
            Method::PATCH,
            "/api/v1/settings/workspace",
            &app.admin_token,
            Some(json!({"time_zone": "Asia/Shanghai"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
}

async fn customer(app: &TestApp) -> String {
    id(&app
        .create_customer(&app.admin_token, json!({"name": "王芳"}))
        .await)
}

/// A new complaint of `customer`'s over WeChat, at normal priority, made by the administrator.
async fn ticket(app: &TestApp, customer: &str, subject: &str) -> Value {
    let (status, created) = app
        .send(
            Method::POST,
            "/api/v1/tickets",
            &app.admin_token,
            Some(
                json!({"subject": subject, "type": "complaint", "channel": "wechat",
                "customer_id": customer}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn patch_ticket(app: &TestApp, ticket: &str, body: Value) -> Value {
    let (status, changed) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/tickets/{ticket}"),
            &app.admin_token,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    changed
}

async fn move_to(app: &TestApp, ticket: &str, status: &str) -> Value {
    patch_ticket(app, ticket, json!({"status": status})).await
}

/// A public reply by the administrator: the ticket's first response.
async fn answer(app: &TestApp, ticket: &str) {
    let (status, reply) = app
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/comments"),
            &app.admin_token,
            Some(json!({"body": "您好，我们正在处理"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
}

async fn sla_of(app: &TestApp, ticket: &str) -> Value {
    get_ok(app, &app.admin_token, &format!("/api/v1/tickets/{ticket}")).await["sla"].clone()
}

/// A ticket's `sla` while nothing is breached or paused.
fn on_time(policy: &Value, first_response_due: &str, resolution_due: &str) -> Value {
    json!({"policy_id": policy["id"], "first_response_due_at": first_response_due,
        "resolution_due_at": resolution_due, "paused": false,
        "first_response_breached_at": null, "resolution_breached_at": null})
}

/// The `ticket.sla_breached` events in the feed, oldest first, as (ticket id, breach).
async fn breaches(app: &TestApp) -> Vec<(String, String)> {
    let path = "/api/v1/events?types=ticket.sla_breached&limit=200";
    get_ok(app, &app.admin_token, path).await["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "ticket.sla_breached", "{e}");
            (
                id(&e["data"]),
                e["data"]["breach"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn ticket_ids(app: &TestApp, query: &str) -> BTreeSet<String> {
    let path = format!("/api/v1/tickets?limit=200&{query}");
    get_ok(app, &app.admin_token, &path).await["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(id)
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_are_checked_and_one_is_active_at_a_time() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;

        // A well-shaped policy names every rule it breaks at once, and nothing is written.
        let (status, problem) = post_policy(
            &app,
            token,
            json!({"name": "", "active": true,
                "business_hours": {"days": ["mon", "tue"], "start": "18:00", "end": "09:00"},
                "targets": targets([(240, 960), (0, 480), (60, 240), (30, 525_601)])}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("business_hours.end", "not_after_start"),
                ("name", "blank"),
                ("targets.normal.first_response_minutes", "out_of_range"),
                ("targets.urgent.resolution_minutes", "out_of_range"),
            ]),
            "{problem}"
        );
        // A day that is none of mon..sun is refused by the body's shape; a day that ends as it
        // starts is no day.
        let (status, problem) = post_policy(
            &app,
            token,
            json!({"name": "工作日",
                "business_hours": {"days": ["mon", "funday"], "start": "09:00", "end": "18:00"},
                "targets": office_targets()}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("business_hours.days[1]", "invalid_type")]),
            "{problem}"
        );
        let (status, problem) = post_policy(
            &app,
            token,
            json!({"name": "工作日",
                "business_hours": {"days": ["mon"], "start": "09:00", "end": "09:00"},
                "targets": office_targets()}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("business_hours.end", "not_after_start")]),
            "{problem}"
        );
        assert!(
            policy_names(&app, token).await.is_empty(),
            "a refused policy was written"
        );

        let response = app
            .request(
                Method::POST,
                POLICIES,
                token,
                Some(
                    json!({"name": "工作日", "active": true, "business_hours": office_hours(),
                    "targets": office_targets()}),
                ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["etag"], "\"1\"");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let (_, weekdays) = read(response).await;
        assert_eq!(location, format!("{POLICIES}/{}", id(&weekdays)));
        assert_eq!(weekdays["name"], "工作日");
        assert_eq!(weekdays["active"], true);
        assert_eq!(weekdays["business_hours"], office_hours());
        assert_eq!(weekdays["targets"], office_targets());
        assert_eq!(weekdays["version"], 1);
        assert_eq!(get_ok(&app, token, &location).await, weekdays);

        // A second active policy takes over: the first is no longer active.
        let all_day = policy(
            &app,
            json!({"name": "全天", "active": true, "targets": round_the_clock_targets()}),
        )
        .await;
        assert_eq!(all_day["active"], true);
        assert_eq!(all_day["business_hours"], Value::Null, "around the clock");
        assert_eq!(get_ok(&app, token, &location).await["active"], false);

        let (status, problem) = post_policy(
            &app,
            token,
            json!({"name": "工作日", "targets": office_targets()}),
        )
        .await;
        assert_problem(status, &problem, 409, "sla_policy_name_taken");

        // A manager writes policies too; a new policy is inactive unless said otherwise.
        let (_, manager) = app.user_with_role("manager").await;
        let (status, night) = post_policy(
            &app,
            &manager,
            json!({"name": "夜间", "targets": round_the_clock_targets()}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{night}");
        assert_eq!(night["active"], false);
        let all_day_path = format!("{POLICIES}/{}", id(&all_day));
        assert_eq!(get_ok(&app, token, &all_day_path).await["active"], true);

        // Support agents read the policies and change none of them.
        let (_, agent) = app.user_with_role("support").await;
        assert_eq!(policy_names(&app, &agent).await, ["工作日", "全天", "夜间"]);
        let (status, problem) = post_policy(
            &app,
            &agent,
            json!({"name": "客服自定", "targets": round_the_clock_targets()}),
        )
        .await;
        assert_problem(status, &problem, 403, "forbidden");
        let (status, problem) = app
            .send(
                Method::PATCH,
                &location,
                &agent,
                Some(json!({"active": true})),
            )
            .await;
        assert_problem(status, &problem, 403, "forbidden");
        let (status, problem) = app.send(Method::DELETE, &location, &agent, None).await;
        assert_problem(status, &problem, 403, "forbidden");

        // A change is partial; targets are replaced whole; null business hours mean around the
        // clock; becoming active makes the active one inactive.
        let (status, changed) = app
            .send(
                Method::PATCH,
                &location,
                token,
                Some(
                    json!({"name": "标准", "active": true, "business_hours": null,
                    "targets": round_the_clock_targets()}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["id"], weekdays["id"]);
        assert_eq!(changed["name"], "标准");
        assert_eq!(changed["active"], true);
        assert_eq!(changed["business_hours"], Value::Null);
        assert_eq!(changed["targets"], round_the_clock_targets());
        assert_eq!(get_ok(&app, token, &location).await, changed);
        assert_eq!(get_ok(&app, token, &all_day_path).await["active"], false);
        let actives: Vec<String> = get_ok(&app, token, POLICIES).await["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["active"] == true)
            .map(id)
            .collect();
        assert_eq!(actives, [id(&weekdays)], "one active policy");

        let (status, _) = app.send(Method::DELETE, &all_day_path, token, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, problem) = app.send(Method::GET, &all_day_path, token, None).await;
        assert_problem(status, &problem, 404, "not_found");
        assert_eq!(policy_names(&app, token).await, ["标准", "夜间"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_times_count_business_hours_across_a_weekend_in_the_workspace_time_zone() {
    for backend in backends() {
        // Friday 2026-12-04, 09:00 UTC: 17:00 in Shanghai.
        let clock = Clock::at(at("2026-12-04T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let wang = customer(&app).await;
        let weekdays = policy(
            &app,
            json!({"name": "工作日", "active": true, "business_hours": office_hours(),
                "targets": office_targets()}),
        )
        .await;

        // In UTC (the workspace's default) it is 09:00 on Friday: both fall due that day.
        let in_utc = ticket(&app, &wang, "UTC 的工作日").await;
        assert_eq!(
            in_utc["sla"],
            on_time(&weekdays, "2026-12-04T11:00:00Z", "2026-12-04T17:00:00Z"),
            "{in_utc}"
        );

        // In Shanghai it is 17:00 on Friday: 60 minutes on Friday, the rest from Monday 09:00.
        in_shanghai(&app).await;
        let friday = ticket(&app, &wang, "周五下班前").await;
        let expected = on_time(&weekdays, "2026-12-07T02:00:00Z", "2026-12-07T08:00:00Z");
        assert_eq!(friday["sla"], expected, "{friday}");
        assert_eq!(sla_of(&app, &id(&friday)).await, expected);

        // Saturday 10:00 in Shanghai: nothing counts before Monday 09:00.
        moved.advance(Duration::hours(17));
        let saturday = ticket(&app, &wang, "周六上午").await;
        assert_eq!(saturday["created_at"], "2026-12-05T02:00:00Z");
        assert_eq!(
            saturday["sla"],
            on_time(&weekdays, "2026-12-07T03:00:00Z", "2026-12-07T09:00:00Z"),
            "{saturday}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_time_does_not_count_and_a_new_priority_moves_the_due_times() {
    for backend in backends() {
        // Friday 17:00 in Shanghai.
        let clock = Clock::at(at("2026-12-04T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        in_shanghai(&app).await;
        let wang = customer(&app).await;
        let weekdays = policy(
            &app,
            json!({"name": "工作日", "active": true, "business_hours": office_hours(),
                "targets": office_targets()}),
        )
        .await;
        let tid = id(&ticket(&app, &wang, "等客户补充照片").await);
        let opened = move_to(&app, &tid, "open").await;
        assert_eq!(opened["sla"]["paused"], false);
        assert_eq!(opened["sla"]["resolution_due_at"], "2026-12-07T08:00:00Z");

        // Monday 10:00 in Shanghai: waiting on the customer, the resolution clock stands still.
        moved.advance(Duration::hours(65));
        let pending = move_to(&app, &tid, "pending").await;
        assert_eq!(pending["sla"]["paused"], true, "{pending}");
        assert_eq!(pending["sla"]["resolution_due_at"], "2026-12-07T08:00:00Z");

        // Tuesday 10:00: 540 business minutes later, still paused and still due as it was.
        moved.advance(Duration::hours(24));
        let waiting = sla_of(&app, &tid).await;
        assert_eq!(waiting["paused"], true, "{waiting}");
        assert_eq!(waiting["resolution_due_at"], "2026-12-07T08:00:00Z");

        // Back to open: due 540 business minutes later, Tuesday 16:00 in Shanghai.
        let reopened = move_to(&app, &tid, "open").await;
        let sla = &reopened["sla"];
        assert_eq!(sla["paused"], false, "{reopened}");
        assert_eq!(sla["resolution_due_at"], "2026-12-08T08:00:00Z");
        assert_eq!(sla["first_response_due_at"], "2026-12-07T02:00:00Z");
        assert_eq!(sla["policy_id"], weekdays["id"]);
        assert_eq!(
            sla_of(&app, &tid).await["resolution_due_at"],
            "2026-12-08T08:00:00Z"
        );

        // Another policy becomes active: the ticket keeps the policy it was made under.
        let all_day = policy(
            &app,
            json!({"name": "全天", "active": true, "targets": round_the_clock_targets()}),
        )
        .await;
        let kept = sla_of(&app, &tid).await;
        assert_eq!(kept["policy_id"], weekdays["id"]);
        assert_eq!(kept["resolution_due_at"], "2026-12-08T08:00:00Z");

        // A ticket made now (Tuesday 02:00 UTC) is due by the clock: normal 30 / 120 minutes.
        let fresh = ticket(&app, &wang, "加急").await;
        let fid = id(&fresh);
        assert_eq!(fresh["created_at"], "2026-12-08T02:00:00Z");
        assert_eq!(
            fresh["sla"],
            on_time(&all_day, "2026-12-08T02:30:00Z", "2026-12-08T04:00:00Z")
        );
        // Made urgent ten minutes later: due from created_at by urgent's 15 / 45 minutes.
        moved.advance(Duration::minutes(10));
        let urgent = patch_ticket(&app, &fid, json!({"priority": "urgent"})).await;
        assert_eq!(
            urgent["sla"],
            on_time(&all_day, "2026-12-08T02:15:00Z", "2026-12-08T02:45:00Z"),
            "{urgent}"
        );
        assert_eq!(
            sla_of(&app, &fid).await,
            on_time(&all_day, "2026-12-08T02:15:00Z", "2026-12-08T02:45:00Z")
        );
        // And low: 240 minutes and two days (2880 minutes) from created_at.
        let low = patch_ticket(&app, &fid, json!({"priority": "low"})).await;
        assert_eq!(
            low["sla"],
            on_time(&all_day, "2026-12-08T06:00:00Z", "2026-12-10T02:00:00Z"),
            "{low}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_is_recorded_and_announced_once() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let wang = customer(&app).await;
        // Normal: answered within 30 minutes, resolved within 120, around the clock.
        policy(
            &app,
            json!({"name": "全天", "active": true, "targets": round_the_clock_targets()}),
        )
        .await;
        let late = id(&ticket(&app, &wang, "没人理").await);
        let answered = id(&ticket(&app, &wang, "及时回复").await);
        let waiting = id(&ticket(&app, &wang, "等客户回复").await);

        app.run_job("sla_breaches").await;
        assert!(breaches(&app).await.is_empty(), "nothing is due yet");
        assert_eq!(
            sla_of(&app, &late).await["first_response_breached_at"],
            Value::Null
        );

        // 09:10: two are answered; one is resolved, the other waits on the customer.
        moved.advance(Duration::minutes(10));
        answer(&app, &answered).await;
        answer(&app, &waiting).await;
        move_to(&app, &answered, "open").await;
        move_to(&app, &answered, "resolved").await;
        move_to(&app, &waiting, "open").await;
        move_to(&app, &waiting, "pending").await;

        // 09:31: the unanswered one is a minute past its first response, announced once.
        moved.advance(Duration::minutes(21));
        app.run_job("sla_breaches").await;
        app.run_job("sla_breaches").await;
        let first = (late.clone(), "first_response".to_owned());
        assert_eq!(breaches(&app).await, vec![first.clone()]);
        let sla = sla_of(&app, &late).await;
        assert_eq!(
            sla["first_response_breached_at"], "2026-12-01T09:31:00Z",
            "{sla}"
        );
        assert_eq!(sla["resolution_breached_at"], Value::Null);
        assert_eq!(ticket_ids(&app, "breached=true").await, set(&[&late]));
        assert_eq!(
            ticket_ids(&app, "breached=false").await,
            set(&[&answered, &waiting])
        );

        // 11:31: past every resolution due (11:00). The new one is breached again, once; the
        // resolved one and the one waiting on the customer are not.
        moved.advance(Duration::hours(2));
        app.run_job("sla_breaches").await;
        app.run_job("sla_breaches").await;
        let second = (late.clone(), "resolution".to_owned());
        assert_eq!(breaches(&app).await, vec![first.clone(), second.clone()]);
        let sla = sla_of(&app, &late).await;
        assert_eq!(
            sla["first_response_breached_at"], "2026-12-01T09:31:00Z",
            "{sla}"
        );
        assert_eq!(sla["resolution_breached_at"], "2026-12-01T11:31:00Z");
        for kept in [&answered, &waiting] {
            let sla = sla_of(&app, kept).await;
            assert_eq!(sla["first_response_breached_at"], Value::Null, "{sla}");
            assert_eq!(sla["resolution_breached_at"], Value::Null, "{sla}");
        }
        let paused = sla_of(&app, &waiting).await;
        assert_eq!(paused["paused"], true, "{paused}");
        assert_eq!(paused["resolution_due_at"], "2026-12-01T11:00:00Z");
        assert_eq!(ticket_ids(&app, "breached=true").await, set(&[&late]));

        // Back from pending (09:10 to 11:31, 141 minutes): due at 13:21, not breached.
        let reopened = move_to(&app, &waiting, "open").await;
        assert_eq!(reopened["sla"]["paused"], false, "{reopened}");
        assert_eq!(reopened["sla"]["resolution_due_at"], "2026-12-01T13:21:00Z");
        app.run_job("sla_breaches").await;
        assert_eq!(breaches(&app).await, vec![first, second]);
        assert_eq!(
            ticket_ids(&app, "breached=false").await,
            set(&[&answered, &waiting])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_without_an_active_policy_has_no_sla() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let wang = customer(&app).await;
        let before_any = ticket(&app, &wang, "还没有政策").await;
        assert_eq!(before_any["sla"], Value::Null, "{before_any}");

        // A policy that is not active counts for nothing.
        let dormant = policy(
            &app,
            json!({"name": "全天", "targets": round_the_clock_targets()}),
        )
        .await;
        assert_eq!(dormant["active"], false);
        let beside_dormant = ticket(&app, &wang, "政策未启用").await;
        assert_eq!(beside_dormant["sla"], Value::Null, "{beside_dormant}");
        let (first, second) = (id(&before_any), id(&beside_dormant));

        // Two days on, neither is breached: there is nothing to breach.
        moved.advance(Duration::days(2));
        app.run_job("sla_breaches").await;
        assert!(breaches(&app).await.is_empty());
        assert!(ticket_ids(&app, "breached=true").await.is_empty());
        assert_eq!(
            ticket_ids(&app, "breached=false").await,
            set(&[&first, &second])
        );
        assert_eq!(sla_of(&app, &first).await, Value::Null);

        // Activated later, the policy covers new tickets only.
        let (status, active) = app
            .send(
                Method::PATCH,
                &format!("{POLICIES}/{}", id(&dormant)),
                &app.admin_token,
                Some(json!({"active": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{active}");
        assert_eq!(active["active"], true);
        assert_eq!(sla_of(&app, &first).await, Value::Null);
        assert_eq!(sla_of(&app, &second).await, Value::Null);
        let covered = ticket(&app, &wang, "政策已启用").await;
        assert_eq!(
            covered["sla"],
            on_time(&dormant, "2026-12-03T09:30:00Z", "2026-12-03T11:00:00Z")
        );
        app.run_job("sla_breaches").await;
        assert!(breaches(&app).await.is_empty());
    }
}
