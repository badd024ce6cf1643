//! Care plans: a birthday plan for a segment's customers run twice, and by two server processes
//! (one of them an operating-system process of its own) at once, makes each customer's task once; completing the task records the outcome as a care
//! activity; dates of the year, recurrences and quiet customers; the plan's rules.

use chrono::{DateTime, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.send(method, path, &app.admin_token, body).await
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = send(app, method, path, body).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

async fn vip_segment(app: &TestApp) -> Value {
    ok(
        app,
        Method::POST,
        "/api/v1/segments",
        Some(json!({"name": "VIP", "kind": "dynamic",
            "filter": {"field": "tags", "op": "contains", "value": "vip"}})),
    )
    .await
}

async fn plan(app: &TestApp, body: Value) -> Value {
    let (status, created) = send(app, Method::POST, "/api/v1/care-plans", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn run(app: &TestApp, plan: &Value) -> Value {
    ok(
        app,
        Method::POST,
        &format!("/api/v1/care-plans/{}/run", plan["id"].as_str().unwrap()),
        None,
    )
    .await
}

async fn tasks_of(app: &TestApp, customer: &Value) -> Vec<Value> {
    let page = ok(
        app,
        Method::GET,
        &format!(
            "/api/v1/tasks?customer_id={}&limit=50&sort=created_at",
            customer["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birthday_plan_run_twice_makes_each_task_once_and_the_task_records_the_care() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-05T09:00:00Z"));
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let (sales_id, sales) = app.user_with_role("sales").await;
        let segment = vip_segment(&app).await;
        let customer = |name: &str, birthday: &str, tags: Value| json!({"name": name, "birthday": birthday, "tags": tags, "owner_id": sales_id});
        let fang = app
            .create_customer(
                &app.admin_token,
                customer("王芳", "1990-12-08", json!(["vip"])),
            )
            .await;
        let later = app
            .create_customer(
                &app.admin_token,
                customer("李雷", "1985-12-20", json!(["vip"])),
            )
            .await;
        let outside = app
            .create_customer(
                &app.admin_token,
                customer("韩梅梅", "1992-12-07", json!([])),
            )
            .await;
        let birthday = plan(
            &app,
            json!({"name": "生日关怀", "schedule": {"kind": "birthday", "days_before": 3},
                "segment_id": segment["id"], "manner": "call", "emits_event": true}),
        )
        .await;
        assert_eq!(birthday["makes_task"], true);
        assert_eq!(birthday["status"], "active");

        let first = run(&app, &birthday).await;
        assert_eq!(
            first,
            json!({"due": 1, "participations": 1, "tasks": 1, "events": 1})
        );
        let again = run(&app, &birthday).await;
        assert_eq!(
            again,
            json!({"due": 1, "participations": 0, "tasks": 0, "events": 0})
        );
        let tasks = tasks_of(&app, &fang).await;
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0]["title"], "Call 王芳: 生日关怀 (2026-12-08)");
        assert_eq!(tasks[0]["assignee_id"], sales_id.to_string());
        assert_eq!(tasks[0]["due_at"], "2026-12-08T23:59:59Z");
        assert!(tasks_of(&app, &later).await.is_empty(), "not yet");
        assert!(
            tasks_of(&app, &outside).await.is_empty(),
            "not in the segment"
        );
        let feed = ok(&app, Method::GET, "/api/v1/events?types=care.due", None).await;
        assert_eq!(feed["data"].as_array().unwrap().len(), 1);
        assert_eq!(feed["data"][0]["data"]["customer"]["id"], fang["id"]);

        let path = format!(
            "/api/v1/care-plans/{}/participations",
            birthday["id"].as_str().unwrap()
        );
        let list = ok(&app, Method::GET, &path, None).await;
        let participation = &list["data"][0];
        assert_eq!(participation["status"], "pending");
        assert_eq!(participation["occasion"], "2026-12-08");
        assert_eq!(participation["task_id"], tasks[0]["id"]);

        // The sales user completes the task: the occasion is done, with the feedback as a care
        // activity.
        let task_path = format!("/api/v1/tasks/{}", tasks[0]["id"].as_str().unwrap());
        let (status, done) = app
            .send(
                Method::PATCH,
                &task_path,
                &sales,
                Some(json!({"status": "done", "outcome": "很开心，下周来店里"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        let list = ok(&app, Method::GET, &path, None).await;
        let closed = &list["data"][0];
        assert_eq!(closed["status"], "done");
        assert_eq!(closed["feedback"], "很开心，下周来店里");
        let activity = ok(
            &app,
            Method::GET,
            &format!(
                "/api/v1/activities/{}",
                closed["activity_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
        assert_eq!(activity["kind"], "care");
        assert_eq!(activity["subject"], "生日关怀: done");
        assert_eq!(activity["body"], "很开心，下周来店里");
        assert_eq!(activity["customer_id"], fang["id"]);
        let fang_now = ok(
            &app,
            Method::GET,
            &format!("/api/v1/customers/{}", fang["id"].as_str().unwrap()),
            None,
        )
        .await;
        assert_eq!(fang_now["last_activity_at"], "2026-12-05T09:00:00Z");
        let (status, problem) = send(
            &app,
            Method::POST,
            &format!(
                "/api/v1/care-participations/{}/outcome",
                closed["id"].as_str().unwrap()
            ),
            Some(json!({"status": "declined"})),
        )
        .await;
        assert_problem(status, &problem, 409, "participation_closed");

        // The customer's data holds the occasion; erasing them wipes what they said.
        let cid = fang["id"].as_str().unwrap();
        let export = ok(
            &app,
            Method::GET,
            &format!("/api/v1/customers/{cid}/data-export"),
            None,
        )
        .await;
        assert_eq!(
            export["care_participations"][0]["feedback"],
            "很开心，下周来店里"
        );
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/customers/{cid}/anonymize"),
            None,
        )
        .await;
        let list = ok(&app, Method::GET, &path, None).await;
        assert_eq!(list["data"][0]["feedback"], Value::Null);
        assert_eq!(list["data"][0]["status"], "done");

        // A segment a plan is for stays.
        let (status, problem) = send(
            &app,
            Method::DELETE,
            &format!("/api/v1/segments/{}", segment["id"].as_str().unwrap()),
            None,
        )
        .await;
        assert_problem(status, &problem, 409, "segment_in_use");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_running_one_birthday_plan_at_once_make_each_task_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let process = app.process(env!("CARGO_BIN_EXE_rapport-test-server")).await;
        let other = &process.app;
        let today = Utc::now().date_naive();
        let mut customers = Vec::new();
        for i in 0..30 {
            let birthday = today
                .checked_sub_months(chrono::Months::new(12 * 30))
                .unwrap();
            customers.push(
                app.create_customer(
                    &app.admin_token,
                    json!({"name": format!("寿星 {i}"), "birthday": birthday.to_string()}),
                )
                .await,
            );
        }
        let birthday = plan(
            &app,
            json!({"name": "生日当天", "schedule": {"kind": "birthday"}, "manner": "sms",
                "emits_event": true}),
        )
        .await;
        let (a, b, c, d) = tokio::join!(
            run(&app, &birthday),
            run(other, &birthday),
            run(&app, &birthday),
            run(other, &birthday),
        );
        let made: i64 = [&a, &b, &c, &d]
            .iter()
            .map(|r| r["participations"].as_i64().unwrap())
            .sum();
        assert_eq!(made, 30, "{a} {b} {c} {d}");
        let tasks: i64 = [&a, &b, &c, &d]
            .iter()
            .map(|r| r["tasks"].as_i64().unwrap())
            .sum();
        assert_eq!(tasks, 30);
        for customer in &customers {
            assert_eq!(tasks_of(&app, customer).await.len(), 1);
        }
        let feed = ok(
            &app,
            Method::GET,
            "/api/v1/events?types=care.due&limit=200",
            None,
        )
        .await;
        assert_eq!(feed["data"].as_array().unwrap().len(), 30);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_of_the_year_recurrences_and_quiet_customers() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-24T02:00:00Z"));
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let ann = app
            .create_customer(&app.admin_token, json!({"name": "Ann"}))
            .await;
        let christmas = plan(
            &app,
            json!({"name": "圣诞问候", "schedule": {"kind": "fixed_date", "on": "12-25", "days_before": 1},
                "manner": "wechat", "makes_task": false, "emits_event": true}),
        )
        .await;
        assert_eq!(
            christmas["schedule"],
            json!({"kind": "fixed_date", "on": "12-25", "days_before": 1})
        );
        assert_eq!(
            run(&app, &christmas).await,
            json!({"due": 1, "participations": 1, "tasks": 0, "events": 1})
        );
        assert!(tasks_of(&app, &ann).await.is_empty(), "an event only");

        // Ann came today: no quiet yet, and her first return visit is a month away.
        let quiet = plan(
            &app,
            json!({"name": "唤醒沉睡客户", "schedule": {"kind": "inactivity", "days": 30},
                "manner": "call"}),
        )
        .await;
        assert_eq!(run(&app, &quiet).await["due"], 0);
        let monthly = plan(
            &app,
            json!({"name": "月度回访", "schedule": {"kind": "recurring", "every": 1, "unit": "months",
                "days_before": 0}, "manner": "visit"}),
        )
        .await;
        assert_eq!(run(&app, &monthly).await["due"], 0);

        // What came of an occasion, recorded on it: declined, with the task completed.
        let birthday = plan(
            &app,
            json!({"name": "生日", "schedule": {"kind": "birthday", "days_before": 2},
                "manner": "gift"}),
        )
        .await;
        let bo = app
            .create_customer(
                &app.admin_token,
                json!({"name": "Bo", "birthday": "1980-12-25"}),
            )
            .await;
        assert_eq!(run(&app, &birthday).await["tasks"], 1);
        let list = ok(
            &app,
            Method::GET,
            &format!(
                "/api/v1/care-plans/{}/participations?customer_id={}",
                birthday["id"].as_str().unwrap(),
                bo["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
        let (status, closed) = send(
            &app,
            Method::POST,
            &format!(
                "/api/v1/care-participations/{}/outcome",
                list["data"][0]["id"].as_str().unwrap()
            ),
            Some(json!({"status": "declined", "feedback": "不需要礼物"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert_eq!(closed["status"], "declined");
        let task = &tasks_of(&app, &bo).await[0];
        assert_eq!(task["title"], "Send a gift to Bo: 生日 (2026-12-25)");
        assert_eq!(
            (task["status"].as_str(), task["outcome"].as_str()),
            (Some("done"), Some("不需要礼物"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_checked_whole() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, problem) = send(
            &app,
            Method::POST,
            "/api/v1/care-plans",
            Some(
                json!({"name": "x", "schedule": {"kind": "birthday", "days_before": 61},
                "manner": "call", "makes_task": false}),
            ),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[
                ("makes_task", "no_action"),
                ("schedule.days_before", "out_of_range")
            ])
        );
        let (status, problem) = send(
            &app,
            Method::POST,
            "/api/v1/care-plans",
            Some(
                json!({"name": "x", "schedule": {"kind": "fixed_date", "on": "02-30"},
                "manner": "call"}),
            ),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("schedule.on", "out_of_range")])
        );
        let (status, problem) = send(
            &app,
            Method::POST,
            "/api/v1/care-plans",
            Some(
                json!({"name": "x", "schedule": {"kind": "fixed_date", "on": "tomorrow"},
                "manner": "call"}),
            ),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("schedule.on", "unknown_date_field")])
        );
        let first = plan(
            &app,
            json!({"name": "周年", "schedule": {"kind": "fixed_date", "on": "created_at"},
                "manner": "email", "segment_id": null}),
        )
        .await;
        let (status, problem) = send(
            &app,
            Method::POST,
            "/api/v1/care-plans",
            Some(json!({"name": "周年", "schedule": {"kind": "birthday"}, "manner": "call"})),
        )
        .await;
        assert_problem(status, &problem, 409, "care_plan_name_taken");
        let (status, problem) = send(
            &app,
            Method::POST,
            "/api/v1/care-plans",
            Some(
                json!({"name": "y", "schedule": {"kind": "birthday"}, "manner": "call",
                "segment_id": "0193a5c6-ffff-7000-8000-000000000000"}),
            ),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("segment_id", "not_found")]));
        let path = format!("/api/v1/care-plans/{}", first["id"].as_str().unwrap());
        let (status, paused) = send(
            &app,
            Method::PATCH,
            &path,
            Some(json!({"status": "paused", "schedule": {"kind": "recurring", "every": 90, "unit": "days"}})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{paused}");
        assert_eq!(
            paused["schedule"],
            json!({"kind": "recurring", "every": 90, "unit": "days", "days_before": 0})
        );
        let (status, _) = send(&app, Method::DELETE, &path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}
