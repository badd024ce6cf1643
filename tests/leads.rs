//! Leads: converted into a customer and a deal in one transaction (both or neither, once, even
//! when two requests race), linked to a customer that exists, moved along their statuses,
//! filtered by rating and score, and sales users reaching their own leads only.

use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn lead(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = app
        .send(Method::POST, "/api/v1/leads", token, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn pipeline(app: &TestApp, name: &str) -> Value {
    let (status, created) = app
        .send(
            Method::POST,
            "/api/v1/pipelines",
            &app.admin_token,
            Some(json!({"name": name, "stages": [
                {"name": "接洽", "probability": 10},
                {"name": "报价", "probability": 60}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn convert(app: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/leads/{id}/convert"),
        token,
        Some(body),
    )
    .await
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.send(Method::GET, path, &app.admin_token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn deal_count(app: &TestApp) -> u64 {
    get(app, "/api/v1/deals?include_total=true&limit=1").await["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_converted_with_a_deal_makes_both_or_neither() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let p = pipeline(&app, "展会线索").await;
        let other = pipeline(&app, "其他").await;
        let l = lead(
            &app,
            token,
            json!({"name": "王芳", "company": "明德茶业", "email": "wang.fang@mingde-tea.cn",
                "phone": "+86 138 0013 8000", "source": "trade_fair", "rating": "hot", "score": 80}),
        )
        .await;
        assert_eq!(
            (l["status"].as_str(), l["version"].as_i64()),
            (Some("new"), Some(1))
        );
        let id = l["id"].as_str().unwrap();
        let (customers, deals) = (app.customer_count().await, deal_count(&app).await);

        // The deal fails after the customer was made: nothing of it stays.
        let deal = |pipeline: &Value, stage: Option<&Value>| {
            json!({"name": "年会礼品", "pipeline_id": pipeline, "stage_id": stage,
                "amount": 2_560_000, "currency": "CNY"})
        };
        let (status, problem) = convert(
            &app,
            token,
            id,
            json!({"deal": deal(&json!(uuid::Uuid::now_v7()), None)}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("deal.pipeline_id", "not_found")])
        );
        let (status, problem) = convert(
            &app,
            token,
            id,
            json!({"deal": deal(&p["id"], Some(&other["stages"][0]["id"]))}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("deal.stage_id", "not_in_pipeline")])
        );
        assert_eq!(app.customer_count().await, customers, "no customer made");
        assert_eq!(deal_count(&app).await, deals, "no deal made");
        let still = get(&app, &format!("/api/v1/leads/{id}")).await;
        assert_eq!(
            (still["status"].as_str(), still["version"].as_i64()),
            (Some("new"), Some(1))
        );
        let found = get(&app, "/api/v1/customers?q=wang.fang%40mingde-tea.cn").await;
        assert_eq!(found["data"], json!([]), "the email is still free");

        // Converted: the customer is made from the lead, the deal opened for them.
        let (status, converted) =
            convert(&app, token, id, json!({"deal": deal(&p["id"], None)})).await;
        assert_eq!(status, StatusCode::OK, "{converted}");
        let customer = &converted["customer"];
        assert_eq!(converted["customer_created"], true);
        assert_eq!(customer["name"], "王芳");
        assert_eq!(customer["email"], "wang.fang@mingde-tea.cn");
        assert_eq!(customer["source"], "trade_fair");
        assert_eq!(customer["lifecycle_stage"], "prospect");
        assert_eq!(customer["owner_id"], l["owner_id"]);
        let deal = &converted["deal"];
        assert_eq!(deal["customer_id"], customer["id"]);
        assert_eq!(deal["stage_id"], p["stages"][0]["id"]);
        assert_eq!(deal["owner_id"], l["owner_id"]);
        let done = &converted["lead"];
        assert_eq!(done["status"], "converted");
        assert_eq!(done["customer_id"], customer["id"]);
        assert_eq!(done["deal_id"], deal["id"]);
        assert!(done["converted_at"].is_string());
        assert_eq!(app.customer_count().await, customers + 1);
        assert_eq!(deal_count(&app).await, deals + 1);

        // Once only; a converted lead changes no more.
        let (status, problem) = convert(&app, token, id, json!({})).await;
        assert_problem(status, &problem, 409, "lead_converted");
        let (status, problem) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/leads/{id}"),
                token,
                Some(json!({"score": 10})),
            )
            .await;
        assert_problem(status, &problem, 409, "lead_converted");
        assert_eq!(app.customer_count().await, customers + 1);

        // The feed tells integrators what the conversion made.
        let feed = get(&app, "/api/v1/events?limit=200").await;
        let kinds: Vec<&str> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["type"].as_str())
            .filter(|t| ["customer.created", "deal.created", "lead.converted"].contains(t))
            .collect();
        assert_eq!(
            kinds,
            ["customer.created", "deal.created", "lead.converted"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_conversions_at_once_make_one_customer() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let customers = app.customer_count().await;
        for round in 0..5 {
            let l = lead(
                &app,
                token,
                json!({"name": format!("并发线索 {round}"), "email": format!("race{round}@example.cn")}),
            )
            .await;
            let id = l["id"].as_str().unwrap();
            let (a, b) = tokio::join!(
                convert(&app, token, id, json!({})),
                convert(&app, token, id, json!({}))
            );
            let mut statuses = [a.0.as_u16(), b.0.as_u16()];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
            let refused = if a.0 == StatusCode::CONFLICT {
                &a.1
            } else {
                &b.1
            };
            assert_eq!(refused["code"], "lead_converted");
        }
        assert_eq!(app.customer_count().await, customers + 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_links_a_customer_that_exists_and_a_taken_email_changes_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let known = app
            .create_customer(token, json!({"name": "李雷", "email": "li.lei@example.cn"}))
            .await;
        let l = lead(
            &app,
            token,
            json!({"name": "Li Lei", "email": "LI.LEI@example.cn", "rating": "warm"}),
        )
        .await;
        let id = l["id"].as_str().unwrap();
        let customers = app.customer_count().await;

        let (status, problem) = convert(&app, token, id, json!({})).await;
        assert_problem(status, &problem, 409, "email_taken");
        let (status, problem) = convert(
            &app,
            token,
            id,
            json!({"customer_id": known["id"], "customer": {"name": "x"}}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("customer", "exclusive")]));
        let (status, problem) = convert(
            &app,
            token,
            id,
            json!({"customer": {"name": "", "email": "not an email"}}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        let fields: Vec<String> = error_pairs(&problem).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["customer.email", "customer.name"]);
        assert_eq!(app.customer_count().await, customers);

        let (status, linked) = convert(&app, token, id, json!({"customer_id": known["id"]})).await;
        assert_eq!(status, StatusCode::OK, "{linked}");
        assert_eq!(linked["customer_created"], false);
        assert_eq!(linked["customer"]["id"], known["id"]);
        assert_eq!(linked["deal"], Value::Null);
        assert_eq!(linked["lead"]["customer_id"], known["id"]);
        assert_eq!(app.customer_count().await, customers);

        // A disqualified lead is reopened before it converts.
        let out = lead(&app, token, json!({"name": "无预算"})).await;
        let out_id = out["id"].as_str().unwrap();
        let (status, disqualified) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/leads/{out_id}"),
                token,
                Some(json!({"status": "disqualified", "disqualified_reason": "没有预算"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{disqualified}");
        let (status, problem) = convert(&app, token, out_id, json!({})).await;
        assert_problem(status, &problem, 409, "invalid_transition");
        let (status, reopened) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/leads/{out_id}"),
                token,
                Some(json!({"status": "new"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reopened["disqualified_reason"], Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_filter_by_rating_and_score_and_sales_users_reach_their_own() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (sales_id, sales) = app.user_with_role("sales").await;
        for (name, rating, score, by) in [
            ("A", "hot", 90, token.as_str()),
            ("B", "hot", 40, token.as_str()),
            ("C", "cold", 70, token.as_str()),
            ("D", "hot", 60, sales.as_str()),
        ] {
            lead(
                &app,
                by,
                json!({"name": name, "rating": rating, "score": score, "source": "web_form"}),
            )
            .await;
        }
        let names = |page: &Value| -> Vec<String> {
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let hot = get(&app, "/api/v1/leads?rating=hot&min_score=50&sort=-score").await;
        assert_eq!(names(&hot), ["A", "D"]);
        let low = get(&app, "/api/v1/leads?max_score=60&sort=score").await;
        assert_eq!(names(&low), ["B", "D"]);
        let (status, problem) = app
            .send(Method::GET, "/api/v1/leads?min_score=101", token, None)
            .await;
        assert_problem(status, &problem, 400, "bad_request");

        // Forward only; back to new from disqualified alone.
        let a = &get(&app, "/api/v1/leads?sort=-score&limit=1").await["data"][0];
        let a_id = a["id"].as_str().unwrap();
        let path = format!("/api/v1/leads/{a_id}");
        let (status, qualified) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"status": "qualified"})),
            )
            .await;
        assert_eq!(
            (status, qualified["status"].as_str()),
            (StatusCode::OK, Some("qualified"))
        );
        let (status, problem) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"status": "contacted"})),
            )
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");
        let (status, problem) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"status": "converted"})),
            )
            .await;
        assert_problem(status, &problem, 409, "invalid_transition");
        let (status, problem) = app
            .send(
                Method::PATCH,
                &path,
                token,
                Some(json!({"disqualified_reason": "x"})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");

        // A sales user sees, converts and owns their own leads only.
        let mine = get_as(&app, &sales, "/api/v1/leads").await;
        assert_eq!(names(&mine), ["D"]);
        assert_eq!(mine["data"][0]["owner_id"], sales_id.to_string());
        let (status, problem) = app.send(Method::GET, &path, &sales, None).await;
        assert_problem(status, &problem, 404, "not_found");
        let (status, problem) = convert(&app, &sales, a_id, json!({})).await;
        assert_problem(status, &problem, 404, "not_found");
        let (status, problem) = app
            .send(
                Method::POST,
                "/api/v1/leads",
                &sales,
                Some(json!({"name": "E", "owner_id": a["owner_id"]})),
            )
            .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(error_pairs(&problem), pairs(&[("owner_id", "not_yours")]));
        let d_id = mine["data"][0]["id"].as_str().unwrap();
        let (status, converted) = convert(&app, &sales, d_id, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{converted}");
        assert_eq!(converted["customer"]["owner_id"], sales_id.to_string());

        // Support staff do not work leads.
        let (_, support) = app.user_with_role("support").await;
        let (status, problem) = app.send(Method::GET, "/api/v1/leads", &support, None).await;
        assert_problem(status, &problem, 403, "forbidden");
    }
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = app.send(Method::GET, path, token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}
