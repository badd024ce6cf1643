//! Return visits: the rules are checked whole (a ticket type exactly for tickets, days in range,
//! one rule per occasion) and a refused change keeps the old ones; on a moved clock, a resolved
//! complaint gives its agent a task the rule's days later and not a day before, a delivered order
//! gives a `return_visit` ticket, each occasion once however often the job runs, a reopened and
//! again resolved ticket is a new occasion, other ticket types and undelivered orders are not
//! followed, and occasions long past are let go; two nodes running the job at once make each
//! visit once.

use chrono::{DateTime, Duration, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, value) = app.send(method, path, &app.admin_token, body).await;
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(&app
        .create_customer(&app.admin_token, json!({"name": name}))
        .await)
}

/// A ticket of `kind` for `customer`, assigned to the administrator and resolved now.
async fn resolved_ticket(app: &TestApp, customer: &str, kind: &str, subject: &str) -> String {
    let ticket = ok(
        app,
        Method::POST,
        "/api/v1/tickets",
        Some(
            json!({"subject": subject, "type": kind, "channel": "wechat",
            "customer_id": customer, "assignee_id": admin_id(app).await}),
        ),
    )
    .await;
    let ticket = id(&ticket);
    for status in ["open", "resolved"] {
        move_ticket(app, &ticket, status).await;
    }
    ticket
}

async fn move_ticket(app: &TestApp, ticket: &str, status: &str) {
    ok(
        app,
        Method::PATCH,
        &format!("/api/v1/tickets/{ticket}"),
        Some(json!({"status": status})),
    )
    .await;
}

async fn admin_id(app: &TestApp) -> String {
    id(&ok(app, Method::GET, "/api/v1/me", None).await)
}

/// An order of `customer`'s as a shop records it: paid and shipped on the first of December,
/// and delivered at `delivered_at` when given (the shop says when, whatever the server's clock).
async fn order(
    app: &TestApp,
    customer: &str,
    external_id: &str,
    delivered_at: Option<&str>,
) -> String {
    let mut order = json!({
        "external_id": external_id, "customer_id": customer, "currency": "CNY",
        "lines": [{"description": "羊毛大衣", "quantity": 1, "unit_price": 129_900}],
        "placed_at": "2026-11-30T10:00:00Z", "status": "shipped",
        "payment": {"method": "alipay", "paid_at": "2026-11-30T10:01:00Z"},
        "shipment": {"carrier": "顺丰速运", "tracking_number": "SF1234567890",
            "shipped_at": "2026-12-01T08:00:00Z"}
    });
    if let Some(at) = delivered_at {
        order["status"] = json!("delivered");
        order["shipment"]["delivered_at"] = json!(at);
    }
    let result = ok(
        app,
        Method::POST,
        "/api/v1/orders/batch",
        Some(json!({ "orders": [order] })),
    )
    .await;
    assert_eq!(result["results"][0]["status"], "created", "{result}");
    id(&app.order_by_external_id(external_id).await)
}

async fn set_rules(app: &TestApp, rules: Value) -> (StatusCode, Value) {
    app.send(
        Method::PATCH,
        "/api/v1/settings/return-visits",
        &app.admin_token,
        Some(json!({ "rules": rules })),
    )
    .await
}

/// The tasks and the return-visit tickets of `customer`: (title or subject, what it is about).
async fn visits_of(app: &TestApp, customer: &str) -> (Vec<Value>, Vec<Value>) {
    let tasks = ok(
        app,
        Method::GET,
        &format!("/api/v1/tasks?customer_id={customer}&limit=200"),
        None,
    )
    .await;
    let tickets = ok(
        app,
        Method::GET,
        &format!("/api/v1/customers/{customer}/tickets?type=return_visit&limit=200"),
        None,
    )
    .await;
    (
        tasks["data"].as_array().cloned().unwrap_or_default(),
        tickets["data"].as_array().cloned().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_are_checked_whole() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (status, empty) = app
            .send(
                Method::GET,
                "/api/v1/settings/return-visits",
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{empty}");
        assert_eq!(empty["rules"], json!([]), "none by default");

        let good = json!([
            {"occasion": "ticket_resolved", "ticket_type": "complaint", "after_days": 3, "create": "task"},
            {"occasion": "order_delivered", "after_days": 7, "create": "ticket"}
        ]);
        let (status, saved) = set_rules(&app, good).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["rules"][1]["ticket_type"], Value::Null);
        assert_eq!(saved["version"], 2);

        let (status, refused) = set_rules(
            &app,
            json!([
                {"occasion": "ticket_resolved", "after_days": 3, "create": "task"},
                {"occasion": "order_delivered", "ticket_type": "complaint", "after_days": 0, "create": "task"},
                {"occasion": "order_delivered", "after_days": 7, "create": "ticket"},
                {"occasion": "order_delivered", "after_days": 9, "create": "task"}
            ]),
        )
        .await;
        assert_problem(status, &refused, 422, "validation_failed");
        assert_eq!(
            error_pairs(&refused),
            pairs(&[
                ("rules[0].ticket_type", "required"),
                ("rules[1].after_days", "out_of_range"),
                ("rules[1].ticket_type", "not_allowed"),
                ("rules[3].occasion", "duplicate"),
            ]),
            "{refused}"
        );
        let (status, unknown) = set_rules(
            &app,
            json!([{"occasion": "order_paid", "after_days": 3, "create": "task"}]),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
        let kept = ok(&app, Method::GET, "/api/v1/settings/return-visits", None).await;
        assert_eq!(
            kept["rules"], saved["rules"],
            "a refused change keeps the rules"
        );
        assert_eq!(kept["version"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_occasion_is_called_back_once_when_its_days_have_passed() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T10:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let (status, saved) = set_rules(
            &app,
            json!([
                {"occasion": "ticket_resolved", "ticket_type": "complaint", "after_days": 3, "create": "task"},
                {"occasion": "order_delivered", "after_days": 7, "create": "ticket"}
            ]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let admin = admin_id(&app).await;
        let wang = customer(&app, "王芳").await;
        let li = customer(&app, "李雷").await;
        let complaint = resolved_ticket(&app, &wang, "complaint", "快递延误三天").await;
        resolved_ticket(&app, &wang, "inquiry", "营业时间").await;
        let delivered = order(&app, &li, "tmall-1", Some("2026-12-01T10:00:00Z")).await;
        order(&app, &li, "tmall-2", None).await;

        // Two days on: nothing is due.
        moved.advance(Duration::days(2));
        assert_eq!(app.run_job("return_visits").await["visits"], 0);

        // Three days on: the complaint's agent is to call Wang back; the inquiry is not followed.
        moved.advance(Duration::days(1));
        assert_eq!(app.run_job("return_visits").await["visits"], 1);
        assert_eq!(app.run_job("return_visits").await["visits"], 0, "once");
        let (tasks, tickets) = visits_of(&app, &wang).await;
        assert_eq!(tasks.len(), 1, "{tasks:?}");
        assert!(tickets.is_empty(), "{tickets:?}");
        let task = &tasks[0];
        assert_eq!(task["title"], "Return visit: 快递延误三天", "{task}");
        assert_eq!(task["assignee_id"], admin.as_str());
        assert_eq!(task["status"], "open");
        assert_eq!(task["due_at"], "2026-12-05T10:00:00Z", "{task}");

        // Reopened and resolved again (day 3): a new occasion, called back three days later.
        move_ticket(&app, &complaint, "open").await;
        move_ticket(&app, &complaint, "resolved").await;
        moved.advance(Duration::days(3));
        assert_eq!(app.run_job("return_visits").await["visits"], 1);
        assert_eq!(visits_of(&app, &wang).await.0.len(), 2);

        // Seven days after delivery (day 7): Li gets a return-visit ticket about the delivered
        // order; the order still on its way gets none.
        moved.advance(Duration::days(1));
        assert_eq!(app.run_job("return_visits").await["visits"], 1);
        app.run_job("return_visits").await;
        let (tasks, tickets) = visits_of(&app, &li).await;
        assert!(tasks.is_empty(), "{tasks:?}");
        assert_eq!(tickets.len(), 1, "{tickets:?}");
        let ticket = &tickets[0];
        assert_eq!(ticket["type"], "return_visit", "{ticket}");
        assert_eq!(ticket["channel"], "phone");
        assert_eq!(ticket["status"], "new");
        assert_eq!(ticket["order_id"], delivered.as_str());
        assert!(
            ticket["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Return visit after order ")),
            "{ticket}"
        );

        // An occasion whose visit fell due more than a week ago is let go: a complaint resolved
        // now is followed on day 3 from now, but not once the job first comes 11 days later.
        let late = customer(&app, "赵敏").await;
        resolved_ticket(&app, &late, "complaint", "发票抬头错误").await;
        moved.advance(Duration::days(11));
        assert_eq!(app.run_job("return_visits").await["visits"], 0);
        assert!(visits_of(&app, &late).await.0.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_running_the_job_at_once_make_each_visit_once() {
    for backend in backends() {
        // The tickets are resolved two days ago by the first node's clock; the second node runs
        // on the real one.
        let clock = Clock::at(Utc::now() - Duration::days(2));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let other = app.second_node().await;
        set_rules(
            &app,
            json!([{"occasion": "ticket_resolved", "ticket_type": "after_sales", "after_days": 1, "create": "task"}]),
        )
        .await;
        let zhou = customer(&app, "周杰").await;
        for n in 0..30 {
            resolved_ticket(&app, &zhou, "after_sales", &format!("换货 {n}")).await;
        }
        moved.advance(Duration::days(2));
        let (a, b, c, d) = tokio::join!(
            app.run_job("return_visits"),
            other.run_job("return_visits"),
            app.run_job("return_visits"),
            other.run_job("return_visits"),
        );
        let made: i64 = [a, b, c, d]
            .iter()
            .map(|r| r["visits"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(made, 30);
        let (tasks, _) = visits_of(&app, &zhou).await;
        let mut titles: Vec<&str> = tasks.iter().filter_map(|t| t["title"].as_str()).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!((tasks.len(), titles.len()), (30, 30), "each ticket once");
    }
}
