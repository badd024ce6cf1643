//! Pipelines and deals: stages kept or removed, a deal's stage history with the time it spent in
//! each stage (on a clock the test moves), won and lost, each stage's open deals summed, and
//! sales users reaching their own deals only; deal owners reminded of close dates and of deals
//! that sat too long in a stage, once each, also when two nodes remind at once.

use chrono::{DateTime, Duration, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn pipeline(app: &TestApp, name: &str) -> Value {
    let (status, created) = app
        .send(
            Method::POST,
            "/api/v1/pipelines",
            &app.admin_token,
            Some(json!({"name": name, "stages": [
                {"name": "接洽", "probability": 10},
                {"name": "报价", "probability": 60},
                {"name": "谈判", "probability": 80}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn stage(pipeline: &Value, i: usize) -> String {
    pipeline["stages"][i]["id"].as_str().unwrap().to_owned()
}

async fn deal(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = app
        .send(Method::POST, "/api/v1/deals", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn patch_deal(app: &TestApp, id: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::PATCH,
        &format!("/api/v1/deals/{id}"),
        &app.admin_token,
        Some(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deals_stage_history_has_one_stay_per_move_with_its_duration() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let p = pipeline(&app, "企业团购").await;
        let buyer = app
            .create_customer(token, json!({"name": "上海云帆", "kind": "company"}))
            .await;
        let d = deal(
            &app,
            token,
            json!({"name": "年会礼品", "customer_id": buyer["id"], "pipeline_id": p["id"],
                "amount": 2_560_000, "currency": "CNY", "expected_close_date": "2026-12-20"}),
        )
        .await;
        assert_eq!(
            d["stage_id"], p["stages"][0]["id"],
            "the first stage by default"
        );
        assert_eq!(d["status"], "open");
        let id = d["id"].as_str().unwrap();

        moved.advance(Duration::hours(2));
        let (status, quoted) = patch_deal(&app, id, json!({"stage_id": stage(&p, 1)})).await;
        assert_eq!(status, StatusCode::OK, "{quoted}");
        assert_eq!(quoted["stage_entered_at"], "2026-12-01T11:00:00Z");
        moved.advance(Duration::hours(3));
        let (status, _) = patch_deal(&app, id, json!({"stage_id": stage(&p, 2)})).await;
        assert_eq!(status, StatusCode::OK);
        // The same stage again is no move.
        let (status, _) = patch_deal(&app, id, json!({"stage_id": stage(&p, 2)})).await;
        assert_eq!(status, StatusCode::OK);
        moved.advance(Duration::hours(1));

        let (status, history) = app
            .send(
                Method::GET,
                &format!("/api/v1/deals/{id}/stage-history"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{history}");
        let stays: Vec<(&str, i64, bool)> = history["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["stage_name"].as_str().unwrap(),
                    s["duration_seconds"].as_i64().unwrap(),
                    s["left_at"].is_null(),
                )
            })
            .collect();
        assert_eq!(
            stays,
            [
                ("接洽", 7_200, false),
                ("报价", 10_800, false),
                ("谈判", 3_600, true)
            ]
        );

        // Lost needs a reason; a lost deal does not move; reopened, it does.
        let (status, problem) = patch_deal(&app, id, json!({"status": "lost"})).await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("lost_reason", "required")]));
        let (status, lost) = patch_deal(
            &app,
            id,
            json!({"status": "lost", "lost_reason": "选择了其他供应商"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{lost}");
        assert_eq!(lost["closed_at"], "2026-12-01T15:00:00Z");
        let (status, problem) = patch_deal(&app, id, json!({"stage_id": stage(&p, 0)})).await;
        assert_problem(status, &problem, 409, "invalid_transition");
        let (status, problem) = patch_deal(&app, id, json!({"status": "won"})).await;
        assert_problem(status, &problem, 409, "invalid_transition");
        let (status, reopened) = patch_deal(&app, id, json!({"status": "open"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reopened["lost_reason"], Value::Null);

        // A stage of another pipeline is refused; so is a pipeline that does not exist.
        let other = pipeline(&app, "零售").await;
        let (status, problem) = patch_deal(&app, id, json!({"stage_id": stage(&other, 0)})).await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("stage_id", "not_in_pipeline")])
        );
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/deals",
                token,
                Some(json!({"name": "x", "customer_id": buyer["id"], "pipeline_id": uuid::Uuid::now_v7(),
                    "amount": 1, "currency": "CNY"})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("pipeline_id", "not_found")])
        );

        // The deal is on the customer's timeline.
        let (_, timeline) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/customers/{}/timeline?kinds=deal",
                    buyer["id"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        assert_eq!(timeline["data"][0]["deal"]["id"], id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_sums_its_stages_and_keeps_stages_that_hold_deals() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let p = pipeline(&app, "企业团购").await;
        let pid = p["id"].as_str().unwrap();
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/pipelines",
                token,
                Some(json!({"name": "企业团购", "stages": [{"name": "x", "probability": 1}]})),
            )
            .await;
        assert_problem(status, &problem, 409, "pipeline_name_taken");

        let (sales_id, sales) = app.user_with_role("sales").await;
        let buyer = app
            .create_customer(&sales, json!({"name": "自己的客户", "kind": "company"}))
            .await;
        for (name, amount, currency, stage_at, token) in [
            ("A", 1_000_000, "CNY", 1, token.as_str()),
            ("B", 2_000_001, "CNY", 1, token.as_str()),
            ("C", 500_000, "USD", 1, sales.as_str()),
            ("D", 300_000, "CNY", 2, sales.as_str()),
        ] {
            deal(
                &app,
                token,
                json!({"name": name, "customer_id": buyer["id"], "pipeline_id": pid,
                    "stage_id": stage(&p, stage_at), "amount": amount, "currency": currency}),
            )
            .await;
        }
        let won = deal(
            &app,
            token,
            json!({"name": "E", "customer_id": buyer["id"], "pipeline_id": pid, "amount": 9, "currency": "CNY"}),
        )
        .await;
        let (status, _) =
            patch_deal(&app, won["id"].as_str().unwrap(), json!({"status": "won"})).await;
        assert_eq!(status, StatusCode::OK);

        let (status, summary) = app
            .send(
                Method::GET,
                &format!("/api/v1/pipelines/{pid}/summary"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        let stages = summary["stages"].as_array().unwrap();
        assert_eq!(stages[0]["count"], 0, "the won deal is not open");
        assert_eq!(stages[1]["count"], 3);
        assert_eq!(
            stages[1]["totals"],
            json!([
                {"currency": "CNY", "count": 2, "amount": 3_000_001, "weighted_amount": 1_800_000},
                {"currency": "USD", "count": 1, "amount": 500_000, "weighted_amount": 300_000}
            ])
        );
        assert_eq!(stages[2]["totals"][0]["weighted_amount"], 240_000);

        // A sales user sees and sums their own deals only.
        let (_, mine) = app.send(Method::GET, "/api/v1/deals", &sales, None).await;
        let names: Vec<&str> = mine["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["D", "C"]);
        assert!(
            mine["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["owner_id"] == sales_id.to_string())
        );
        let (_, theirs) = app
            .send(
                Method::GET,
                &format!("/api/v1/pipelines/{pid}/summary"),
                &sales,
                None,
            )
            .await;
        assert_eq!(theirs["stages"][1]["count"], 1);
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/deals",
                &sales,
                Some(
                    json!({"name": "F", "customer_id": buyer["id"], "pipeline_id": pid,
                    "amount": 1, "currency": "CNY", "owner_id": app_admin_id(&app).await}),
                ),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("owner_id", "not_yours")]));
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/pipelines",
                &sales,
                Some(json!({"name": "mine", "stages": [{"name": "x", "probability": 1}]})),
            )
            .await;
        assert_problem(status, &problem, 403, "forbidden");

        // A stage that holds deals stays; an empty one goes, and a new one is added.
        let kept: Vec<Value> = p["stages"]
            .as_array()
            .unwrap()
            .iter()
            .take(2)
            .map(|s| json!({"id": s["id"], "name": s["name"], "probability": s["probability"]}))
            .collect();
        let (status, problem) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/pipelines/{pid}"),
                token,
                Some(json!({"stages": kept})),
            )
            .await;
        assert_problem(status, &problem, 409, "stage_in_use");
        let mut renamed = p["stages"].as_array().unwrap().clone();
        renamed.remove(0);
        let mut stages: Vec<Value> = renamed
            .iter()
            .map(|s| json!({"id": s["id"], "name": s["name"], "probability": s["probability"]}))
            .collect();
        stages.push(json!({"name": "签约", "probability": 95}));
        let (status, changed) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/pipelines/{pid}"),
                token,
                Some(json!({"stages": stages})),
            )
            .await;
        // The won deal E is in the first stage: it holds a deal too.
        assert_problem(status, &changed, 409, "stage_in_use");
        let (status, _) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/deals/{}", won["id"].as_str().unwrap()),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, changed) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/pipelines/{pid}"),
                token,
                Some(json!({"stages": stages})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        let names: Vec<&str> = changed["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["报价", "谈判", "签约"]);
        assert_eq!(changed["stages"][0]["id"], p["stages"][1]["id"], "kept");
        let (status, problem) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/pipelines/{pid}"),
                token,
                Some(json!({"stages": [{"id": uuid::Uuid::now_v7(), "name": "x", "probability": 5}]})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("stages[0].id", "unknown_stage")])
        );
        let (status, problem) = app
            .send(
                Method::DELETE,
                &format!("/api/v1/pipelines/{pid}"),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 409, "pipeline_in_use");
    }
}

async fn app_admin_id(app: &TestApp) -> String {
    let (_, me) = app
        .send(Method::GET, "/api/v1/me", &app.admin_token, None)
        .await;
    me["id"].as_str().unwrap().to_owned()
}

/// The titles of the tasks about a deal, oldest first.
async fn reminder_titles(app: &TestApp, deal: &Value) -> Vec<String> {
    let (status, page) = app
        .send(
            Method::GET,
            &format!(
                "/api/v1/tasks?deal_id={}&sort=created_at&limit=50",
                deal["id"].as_str().unwrap()
            ),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deal_reminders_make_one_task_per_close_date_and_per_stay_in_a_stage() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let (sales_id, sales) = app.user_with_role("sales").await;
        let p = pipeline(&app, "跟进提醒").await;
        let buyer = app
            .create_customer(&sales, json!({"name": "提醒客户"}))
            .await;
        let new_deal = |name: &str, close: &str| {
            json!({"name": name, "customer_id": buyer["id"], "pipeline_id": p["id"],
                "amount": 100, "currency": "CNY", "expected_close_date": close})
        };
        let closing = deal(&app, &sales, new_deal("Closing", "2026-12-03")).await;
        let later = deal(&app, &sales, new_deal("Later", "2026-12-20")).await;
        let unowned = deal(&app, token, new_deal("Unowned", "2026-12-02")).await;
        let (status, _) = patch_deal(
            &app,
            unowned["id"].as_str().unwrap(),
            json!({"owner_id": null}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);

        // Off by default: nothing.
        assert_eq!(app.run_job("deal_reminders").await["tasks"], 0);
        let (status, rules) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/deal-reminders",
                token,
                Some(json!({"close_date_days": 3, "stage_days": 7})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{rules}");
        let (status, problem) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/deal-reminders",
                token,
                Some(json!({"stage_days": 0})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");

        // A close date three days ahead, once however often the job runs.
        assert_eq!(app.run_job("deal_reminders").await["tasks"], 1);
        assert_eq!(app.run_job("deal_reminders").await["tasks"], 0);
        assert_eq!(
            reminder_titles(&app, &closing).await,
            ["Close “Closing” by 2026-12-03"]
        );
        assert!(reminder_titles(&app, &later).await.is_empty());
        assert!(reminder_titles(&app, &unowned).await.is_empty(), "no owner");
        let (_, mine) = app
            .send(Method::GET, "/api/v1/tasks?assignee=me", &sales, None)
            .await;
        assert_eq!(mine["data"][0]["assignee_id"], sales_id.to_string());
        assert_eq!(mine["data"][0]["deal_id"], closing["id"]);
        assert_eq!(mine["data"][0]["customer_id"], buyer["id"]);

        // An activity names the deal it was about, one of its customer's.
        let (status, call) = app
            .send(
                Method::POST,
                "/api/v1/activities",
                &sales,
                Some(
                    json!({"kind": "call", "subject": "催单", "customer_id": buyer["id"],
                    "deal_id": closing["id"]}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{call}");
        let stranger = app
            .create_customer(token, json!({"name": "别的客户"}))
            .await;
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/activities",
                token,
                Some(
                    json!({"kind": "note", "subject": "x", "customer_id": stranger["id"],
                    "deal_id": closing["id"]}),
                ),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("deal_id", "other_customer")])
        );
        let (_, about) = app
            .send(
                Method::GET,
                &format!(
                    "/api/v1/activities?deal_id={}",
                    closing["id"].as_str().unwrap()
                ),
                token,
                None,
            )
            .await;
        assert_eq!(about["data"][0]["id"], call["id"]);

        // A new close date is a new occasion.
        let (status, _) = patch_deal(
            &app,
            closing["id"].as_str().unwrap(),
            json!({"expected_close_date": "2026-12-04"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(app.run_job("deal_reminders").await["tasks"], 1);

        // Eight days in the first stage: both owned deals are reminded to move on, once.
        moved.advance(Duration::days(8));
        assert_eq!(app.run_job("deal_reminders").await["tasks"], 2);
        assert_eq!(app.run_job("deal_reminders").await["tasks"], 0);
        assert_eq!(
            reminder_titles(&app, &later).await,
            ["Move “Later” on: 8 days in its stage"]
        );

        // A move starts a new stay; its close date comes near too.
        let (status, _) = patch_deal(
            &app,
            later["id"].as_str().unwrap(),
            json!({"stage_id": stage(&p, 1)}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        moved.advance(Duration::days(8));
        assert_eq!(app.run_job("deal_reminders").await["tasks"], 2);
        assert_eq!(
            reminder_titles(&app, &later).await,
            [
                "Move “Later” on: 8 days in its stage",
                "Close “Later” by 2026-12-20",
                "Move “Later” on: 8 days in its stage"
            ],
            "the stage reminder again for the new stay"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_reminding_at_once_make_each_task_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let other = app.second_node().await;
        let token = &app.admin_token;
        let p = pipeline(&app, "两个节点").await;
        let buyer = app
            .create_customer(token, json!({"name": "并发提醒"}))
            .await;
        let today = Utc::now().date_naive().to_string();
        let mut ids = Vec::new();
        for i in 0..40 {
            let d = deal(
                &app,
                token,
                json!({"name": format!("D{i}"), "customer_id": buyer["id"], "pipeline_id": p["id"],
                    "amount": 100, "currency": "CNY", "expected_close_date": today}),
            )
            .await;
            ids.push(d["id"].as_str().unwrap().to_owned());
        }
        let (status, _) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/deal-reminders",
                token,
                Some(json!({"close_date_days": 0})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (a, b, c, d) = tokio::join!(
            app.run_job("deal_reminders"),
            other.run_job("deal_reminders"),
            app.run_job("deal_reminders"),
            other.run_job("deal_reminders"),
        );
        let made: i64 = [a, b, c, d]
            .iter()
            .map(|r| r["tasks"].as_i64().unwrap())
            .sum();
        assert_eq!(made, 40);
        let (_, tasks) = app
            .send(Method::GET, "/api/v1/tasks?limit=200", token, None)
            .await;
        let mut reminded: Vec<String> = tasks["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["deal_id"].as_str().map(str::to_owned))
            .collect();
        reminded.sort();
        ids.sort();
        assert_eq!(reminded, ids, "each deal once");
    }
}
