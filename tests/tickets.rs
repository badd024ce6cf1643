//! Tickets: a refused ticket writes nothing and a new one starts `new` at `normal` priority; a
//! ticket moves along its statuses and nowhere else, and a closed one changes no more; the first
//! public reply stamps the first response while internal notes stay internal; a resolved ticket is
//! rated once, however many ratings race; twenty tickets opened at once spread evenly over the
//! active agents when assignment is automatic; support agents reach unassigned tickets and their
//! own and assign only themselves; the lists filter by every field they offer, the filter
//! language searches tickets by their own fields, rating, SLA clock and custom fields, and a
//! customer's tickets are on their timeline for those who may read tickets; and custom fields
//! defined for tickets are checked and kept.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs, read};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

/// A complaint by `customer` over WeChat about `subject`, with `extra` fields on top.
fn ticket_body(customer: &str, subject: &str, extra: Value) -> Value {
    let mut body = json!({
        "subject": subject, "type": "complaint", "channel": "wechat", "customer_id": customer
    });
    if let (Some(fields), Value::Object(extra)) = (body.as_object_mut(), extra) {
        fields.extend(extra);
    }
    body
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(&app
        .create_customer(&app.admin_token, json!({"name": name}))
        .await)
}

/// An order of `customer`'s with one free line; its id.
async fn order_of(app: &TestApp, customer: &str) -> String {
    let (status, order) = app
        .send(
            Method::POST,
            "/api/v1/orders",
            &app.admin_token,
            Some(json!({"customer_id": customer, "currency": "CNY",
                "lines": [{"description": "跑鞋", "quantity": 1, "unit_price": 59_900}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    id(&order)
}

async fn create(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::POST, "/api/v1/tickets", token, Some(body))
        .await
}

async fn open_ticket(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = create(app, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn patch(app: &TestApp, token: &str, ticket: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::PATCH,
        &format!("/api/v1/tickets/{ticket}"),
        token,
        Some(body),
    )
    .await
}

/// Moves `ticket` to `status` as the administrator; the changed ticket.
async fn move_to(app: &TestApp, ticket: &str, status: &str) -> Value {
    let (code, changed) = patch(app, &app.admin_token, ticket, json!({"status": status})).await;
    assert_eq!(code, StatusCode::OK, "to {status}: {changed}");
    assert_eq!(changed["status"], status, "{changed}");
    changed
}

/// A new ticket of `customer`'s, opened and resolved; its id.
async fn resolved_ticket(app: &TestApp, customer: &str, subject: &str) -> String {
    let body = ticket_body(customer, subject, json!({}));
    let ticket = id(&open_ticket(app, &app.admin_token, body).await);
    move_to(app, &ticket, "open").await;
    move_to(app, &ticket, "resolved").await;
    ticket
}

async fn comment(app: &TestApp, token: &str, ticket: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/comments"),
        token,
        Some(body),
    )
    .await
}

async fn rate(app: &TestApp, token: &str, ticket: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/satisfaction"),
        token,
        Some(body),
    )
    .await
}

async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = app.send(Method::GET, path, token, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// The ids of the records a list at `path` answers `token` with.
async fn ids_at(app: &TestApp, token: &str, path: &str) -> BTreeSet<String> {
    get_ok(app, token, path).await["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(id)
        .collect()
}

async fn ticket_count(app: &TestApp) -> u64 {
    get_ok(
        app,
        &app.admin_token,
        "/api/v1/tickets?include_total=true&limit=1",
    )
    .await["total"]
        .as_u64()
        .expect("total")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_ticket_writes_nothing_and_a_new_one_starts_new_at_normal_priority() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let wang = customer(&app, "王芳").await;
        let li = customer(&app, "李雷").await;
        let wangs_order = order_of(&app, &wang).await;
        let lis_order = order_of(&app, &li).await;
        let nobody = Uuid::now_v7().to_string();

        // A body of the wrong shape is refused before anything is looked up; a well-shaped one
        // names every rule it breaks before the database is asked.
        let (status, problem) = create(
            &app,
            token,
            json!({"subject": "", "type": "grievance", "channel": "wechat",
                "customer_id": nobody, "order_id": lis_order}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("type", "invalid_type")]),
            "{problem}"
        );
        let (status, problem) = create(
            &app,
            token,
            json!({"subject": " ", "type": "complaint", "channel": "wechat",
                "customer_id": nobody, "tags": ["x".repeat(51)]}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("subject", "blank"), ("tags[0]", "too_long")]),
            "{problem}"
        );

        // What a well-formed body names must exist, and the order be the customer's.
        for (body, field, code) in [
            (
                ticket_body(&nobody, "鞋子开胶", json!({})),
                "customer_id",
                "not_found",
            ),
            (
                ticket_body(&wang, "鞋子开胶", json!({"order_id": lis_order})),
                "order_id",
                "other_customer",
            ),
            (
                ticket_body(&wang, "鞋子开胶", json!({"order_id": Uuid::now_v7()})),
                "order_id",
                "not_found",
            ),
        ] {
            let (status, problem) = create(&app, token, body).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(error_pairs(&problem), pairs(&[(field, code)]), "{problem}");
        }
        assert_eq!(ticket_count(&app).await, 0, "a refused ticket was written");

        let created = open_ticket(
            &app,
            token,
            ticket_body(
                &wang,
                "跑鞋穿了两周就开胶",
                json!({"description": "鞋底和鞋面分开了，想退货", "order_id": wangs_order,
                    "tags": [" 退货 ", "退货", "vip"]}),
            ),
        )
        .await;
        assert_eq!(created["status"], "new");
        assert_eq!(created["priority"], "normal");
        assert_eq!(created["type"], "complaint");
        assert_eq!(created["channel"], "wechat");
        assert_eq!(created["subject"], "跑鞋穿了两周就开胶");
        assert_eq!(created["description"], "鞋底和鞋面分开了，想退货");
        assert_eq!(created["customer_id"], wang.as_str());
        assert_eq!(created["order_id"], wangs_order.as_str());
        assert_eq!(created["tags"], json!(["退货", "vip"]));
        assert_eq!(created["custom_fields"], json!({}));
        assert_eq!(created["version"], 1);
        for empty in [
            "assignee_id",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "satisfaction",
        ] {
            assert_eq!(created[empty], Value::Null, "{empty}: {created}");
        }
        assert!(created.get("number").is_none(), "{created}");

        let stored = get_ok(&app, token, &format!("/api/v1/tickets/{}", id(&created))).await;
        assert_eq!(stored["id"], created["id"]);
        assert_eq!(stored["tags"], json!(["退货", "vip"]));
        assert_eq!(stored["priority"], "normal");
        assert_eq!(ticket_count(&app).await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_moves_along_its_statuses_and_nowhere_else() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let wang = customer(&app, "王芳").await;
        let t = open_ticket(&app, token, ticket_body(&wang, "退款还没到账", json!({}))).await;
        let tid = id(&t);
        let path = format!("/api/v1/tickets/{tid}");

        // From new, only to open.
        for skipped in ["pending", "resolved", "closed"] {
            let (status, problem) = patch(&app, token, &tid, json!({"status": skipped})).await;
            assert_problem(status, &problem, 409, "invalid_transition");
        }
        let still = get_ok(&app, token, &path).await;
        assert_eq!(
            (still["status"].as_str(), still["version"].as_i64()),
            (Some("new"), Some(1))
        );

        assert_eq!(move_to(&app, &tid, "open").await["version"], 2);
        // A change made against an older version is refused.
        let response = app
            .request(
                Method::PATCH,
                &path,
                token,
                Some(json!({"priority": "high"})),
            )
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap();
        let (status, problem) = read(response).await;
        assert_problem(status, &problem, 412, "precondition_failed");

        assert_eq!(move_to(&app, &tid, "pending").await["version"], 3);
        let (status, problem) = patch(&app, token, &tid, json!({"status": "closed"})).await;
        assert_problem(status, &problem, 409, "invalid_transition");
        assert_eq!(move_to(&app, &tid, "open").await["version"], 4);

        moved.advance(Duration::minutes(10));
        let resolved = move_to(&app, &tid, "resolved").await;
        assert_eq!(resolved["version"], 5);
        assert_eq!(resolved["resolved_at"], "2026-12-01T09:10:00Z");
        assert_eq!(resolved["closed_at"], Value::Null);

        // Reopened: no longer resolved; it must be resolved again before it closes.
        moved.advance(Duration::minutes(10));
        let reopened = move_to(&app, &tid, "open").await;
        assert_eq!(reopened["version"], 6);
        assert_eq!(reopened["resolved_at"], Value::Null);
        let (status, problem) = patch(&app, token, &tid, json!({"status": "closed"})).await;
        assert_problem(status, &problem, 409, "invalid_transition");

        moved.advance(Duration::minutes(10));
        let again = move_to(&app, &tid, "resolved").await;
        assert_eq!(again["version"], 7);
        assert_eq!(again["resolved_at"], "2026-12-01T09:30:00Z");
        moved.advance(Duration::minutes(10));
        let closed = move_to(&app, &tid, "closed").await;
        assert_eq!(closed["version"], 8);
        assert_eq!(closed["closed_at"], "2026-12-01T09:40:00Z");
        assert_eq!(closed["resolved_at"], "2026-12-01T09:30:00Z");

        // Closed, it changes no more: not its status, not anything else.
        for change in [
            json!({"status": "open"}),
            json!({"status": "resolved"}),
            json!({"subject": "另一个问题"}),
            json!({"priority": "urgent"}),
        ] {
            let (status, problem) = patch(&app, token, &tid, change).await;
            assert_problem(status, &problem, 409, "invalid_transition");
        }
        let final_state = get_ok(&app, token, &path).await;
        assert_eq!(final_state["status"], "closed");
        assert_eq!(final_state["subject"], "退款还没到账");
        assert_eq!(final_state["priority"], "normal");
        assert_eq!(final_state["version"], 8);

        // Waiting on the customer, a ticket may be resolved straight away.
        let other = id(&open_ticket(&app, token, ticket_body(&wang, "发票抬头", json!({}))).await);
        move_to(&app, &other, "open").await;
        move_to(&app, &other, "pending").await;
        let done = move_to(&app, &other, "resolved").await;
        assert_eq!(done["version"], 4);
        assert_eq!(done["resolved_at"], "2026-12-01T09:40:00Z");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_public_reply_stamps_the_first_response_and_internal_notes_stay_internal() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let me = get_ok(&app, token, "/api/v1/me").await;
        let author = json!({"type": "user", "id": me["id"]});
        let wang = customer(&app, "王芳").await;
        let tid = id(&open_ticket(&app, token, ticket_body(&wang, "快递丢件", json!({}))).await);
        let path = format!("/api/v1/tickets/{tid}");
        let comments = format!("{path}/comments");

        moved.advance(Duration::minutes(5));
        let (status, note) = comment(
            &app,
            token,
            &tid,
            json!({"body": "先查一下物流记录", "public": false}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(note["ticket_id"], tid.as_str());
        assert_eq!(note["body"], "先查一下物流记录");
        assert_eq!(note["public"], false);
        assert_eq!(note["author"], author);
        assert_eq!(note["created_at"], "2026-12-01T09:05:00Z");
        assert_eq!(
            get_ok(&app, token, &path).await["first_responded_at"],
            Value::Null,
            "an internal note is no response"
        );

        moved.advance(Duration::minutes(5));
        let reply_body = json!({"body": "您好，已为您联系快递公司"});
        let (status, reply) = comment(&app, token, &tid, reply_body).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        assert_eq!(reply["public"], true, "public unless said otherwise");
        assert_eq!(reply["author"], author);
        assert_eq!(
            get_ok(&app, token, &path).await["first_responded_at"],
            "2026-12-01T09:10:00Z"
        );

        moved.advance(Duration::minutes(10));
        let (status, later) = comment(
            &app,
            token,
            &tid,
            json!({"body": "包裹已找到，明天送达", "public": true}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{later}");
        assert_eq!(
            get_ok(&app, token, &path).await["first_responded_at"],
            "2026-12-01T09:10:00Z",
            "a later reply does not move the first response"
        );

        // Oldest first; each visibility alone.
        let every = get_ok(&app, token, &comments).await;
        let listed: Vec<String> = every["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(listed, [id(&note), id(&reply), id(&later)]);
        for c in every["data"].as_array().unwrap() {
            assert_eq!(c["author"], author, "{c}");
        }
        let public = get_ok(&app, token, &format!("{comments}?visibility=public")).await;
        let listed: Vec<String> = public["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(listed, [id(&reply), id(&later)]);
        let internal = get_ok(&app, token, &format!("{comments}?visibility=internal")).await;
        let listed: Vec<String> = internal["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect();
        assert_eq!(listed, [id(&note)]);

        // A comment says something.
        for (body, code) in [
            (json!({"body": ""}), "blank"),
            (json!({"public": true}), "required"),
        ] {
            let (status, problem) = comment(&app, token, &tid, body).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(error_pairs(&problem), pairs(&[("body", code)]), "{problem}");
        }

        // A closed ticket takes no comments, public or internal.
        move_to(&app, &tid, "open").await;
        move_to(&app, &tid, "resolved").await;
        move_to(&app, &tid, "closed").await;
        for public in [true, false] {
            let body = json!({"body": "还有问题", "public": public});
            let (status, problem) = comment(&app, token, &tid, body).await;
            assert_problem(status, &problem, 409, "invalid_transition");
        }
        let after = get_ok(&app, token, &comments).await;
        assert_eq!(after["data"].as_array().unwrap().len(), 3, "{after}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_is_rated_once_and_only_after_it_is_resolved() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-01T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let wang = customer(&app, "王芳").await;
        let tid = id(&open_ticket(&app, token, ticket_body(&wang, "尺码不合适", json!({}))).await);
        let path = format!("/api/v1/tickets/{tid}");

        let (status, problem) = rate(&app, token, &tid, json!({"rating": 4})).await;
        assert_problem(status, &problem, 409, "not_resolved");
        move_to(&app, &tid, "open").await;
        let (status, problem) = rate(&app, token, &tid, json!({"rating": 4})).await;
        assert_problem(status, &problem, 409, "not_resolved");
        assert_eq!(
            get_ok(&app, token, &path).await["satisfaction"],
            Value::Null
        );

        move_to(&app, &tid, "resolved").await;
        for outside in [0, 6] {
            let (status, problem) = rate(&app, token, &tid, json!({"rating": outside})).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(
                error_pairs(&problem),
                pairs(&[("rating", "out_of_range")]),
                "{problem}"
            );
        }

        moved.advance(Duration::minutes(30));
        let (status, rated) = rate(
            &app,
            token,
            &tid,
            json!({"rating": 4, "comment": "处理很快"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{rated}");
        assert_eq!(rated["id"], tid.as_str());
        assert_eq!(rated["status"], "resolved");
        let satisfaction =
            json!({"rating": 4, "comment": "处理很快", "rated_at": "2026-12-01T09:30:00Z"});
        assert_eq!(rated["satisfaction"], satisfaction);

        moved.advance(Duration::minutes(30));
        let (status, problem) = rate(
            &app,
            token,
            &tid,
            json!({"rating": 1, "comment": "改主意了"}),
        )
        .await;
        assert_problem(status, &problem, 409, "already_rated");
        assert_eq!(
            get_ok(&app, token, &path).await["satisfaction"],
            satisfaction
        );

        // A closed ticket may still be rated, once.
        let closed = resolved_ticket(&app, &wang, "换货").await;
        move_to(&app, &closed, "closed").await;
        let (status, rated) = rate(&app, token, &closed, json!({"rating": 5})).await;
        assert_eq!(status, StatusCode::OK, "{rated}");
        assert_eq!(
            rated["satisfaction"],
            json!({"rating": 5, "comment": null, "rated_at": "2026-12-01T10:00:00Z"})
        );
        let (status, problem) = rate(&app, token, &closed, json!({"rating": 2})).await;
        assert_problem(status, &problem, 409, "already_rated");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_ratings_at_once_leave_exactly_one() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let wang = customer(&app, "王芳").await;
        for round in 0..3 {
            let tid = resolved_ticket(&app, &wang, &format!("并发评价 {round}")).await;
            let attempts = (1..=10).map(|i| {
                rate(
                    &app,
                    &app.admin_token,
                    &tid,
                    json!({"rating": i % 5 + 1, "comment": format!("attempt {i}")}),
                )
            });
            let answers = futures_util::future::join_all(attempts).await;
            let winners: Vec<&Value> = answers
                .iter()
                .filter(|(s, _)| *s == StatusCode::OK)
                .map(|(_, body)| body)
                .collect();
            assert_eq!(winners.len(), 1, "{answers:?}");
            for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
                assert_problem(*status, body, 409, "already_rated");
            }
            let stored = get_ok(&app, &app.admin_token, &format!("/api/v1/tickets/{tid}")).await;
            assert_eq!(stored["satisfaction"], winners[0]["satisfaction"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_tickets_opened_at_once_spread_evenly_over_the_active_agents() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let wang = customer(&app, "王芳").await;
        let mut agents = Vec::new();
        for _ in 0..5 {
            agents.push(app.user_with_role("support").await.0.to_string());
        }
        let disabled = agents.pop().unwrap();
        let (status, body) = app
            .send(
                Method::PATCH,
                &format!("/api/v1/users/{disabled}"),
                token,
                Some(json!({"status": "disabled"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Off by default: a ticket opened with no assignee stays unassigned.
        let plain = open_ticket(&app, token, ticket_body(&wang, "无人处理", json!({}))).await;
        assert_eq!(plain["assignee_id"], Value::Null);
        let (status, settings) = app
            .send(
                Method::PATCH,
                "/api/v1/settings/ticket-assignment",
                token,
                Some(json!({"automatic": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{settings}");
        assert_eq!(settings["automatic"], true);

        let opened = futures_util::future::join_all((0..20).map(|i| {
            create(
                &app,
                token,
                ticket_body(&wang, &format!("并发工单 {i}"), json!({})),
            )
        }))
        .await;
        let mut load: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for (status, ticket) in &opened {
            assert_eq!(*status, StatusCode::CREATED, "{ticket}");
            let agent = ticket["assignee_id"].as_str().expect("assigned").to_owned();
            *load.entry(agent).or_default() += 1;
        }
        let expected: std::collections::BTreeMap<String, usize> =
            agents.iter().map(|a| (a.clone(), 5)).collect();
        assert_eq!(load, expected, "never the disabled agent, and five each");

        // A ticket that names its agent keeps them.
        let named = open_ticket(
            &app,
            token,
            ticket_body(&wang, "指定处理人", json!({"assignee_id": agents[0]})),
        )
        .await;
        assert_eq!(named["assignee_id"], agents[0].as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_agents_reach_unassigned_tickets_and_their_own_and_assign_only_themselves() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (agent_id, agent) = app.user_with_role("support").await;
        let (colleague_id, colleague) = app.user_with_role("support").await;
        let (_, sales) = app.user_with_role("sales").await;
        let wang = customer(&app, "王芳").await;
        let unassigned =
            id(&open_ticket(&app, token, ticket_body(&wang, "无人认领", json!({}))).await);
        let mine = id(&open_ticket(
            &app,
            token,
            ticket_body(&wang, "分给我的", json!({"assignee_id": agent_id})),
        )
        .await);
        let theirs = id(&open_ticket(
            &app,
            token,
            ticket_body(&wang, "分给同事的", json!({"assignee_id": colleague_id})),
        )
        .await);

        assert_eq!(
            ids_at(&app, &agent, "/api/v1/tickets?limit=200").await,
            set(&[&unassigned, &mine])
        );
        let (status, problem) = app
            .send(
                Method::GET,
                &format!("/api/v1/tickets/{theirs}"),
                &agent,
                None,
            )
            .await;
        assert_problem(status, &problem, 404, "not_found");
        let (status, problem) = patch(&app, &agent, &theirs, json!({"priority": "high"})).await;
        assert_problem(status, &problem, 404, "not_found");

        // Assigning: to themselves only.
        let (status, problem) = patch(
            &app,
            &agent,
            &unassigned,
            json!({"assignee_id": colleague_id}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("assignee_id", "not_yours")])
        );
        let (status, problem) = create(
            &app,
            &agent,
            ticket_body(&wang, "替同事建的", json!({"assignee_id": colleague_id})),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("assignee_id", "not_yours")])
        );
        assert_eq!(ticket_count(&app).await, 3);
        let (status, taken) =
            patch(&app, &agent, &unassigned, json!({"assignee_id": agent_id})).await;
        assert_eq!(status, StatusCode::OK, "{taken}");
        assert_eq!(taken["assignee_id"], agent_id.to_string());
        // Taken, it is out of the colleague's reach.
        let (status, problem) = app
            .send(
                Method::GET,
                &format!("/api/v1/tickets/{unassigned}"),
                &colleague,
                None,
            )
            .await;
        assert_problem(status, &problem, 404, "not_found");
        assert_eq!(
            ids_at(&app, &colleague, "/api/v1/tickets?limit=200").await,
            set(&[&theirs])
        );

        // Sales staff do not work tickets; support staff do not delete them.
        let (status, problem) = app.send(Method::GET, "/api/v1/tickets", &sales, None).await;
        assert_problem(status, &problem, 403, "forbidden");
        let mine_path = format!("/api/v1/tickets/{mine}");
        let (status, problem) = app.send(Method::DELETE, &mine_path, &agent, None).await;
        assert_problem(status, &problem, 403, "forbidden");
        let (status, _) = app.send(Method::DELETE, &mine_path, token, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, problem) = app.send(Method::GET, &mine_path, token, None).await;
        assert_problem(status, &problem, 404, "not_found");
        assert_eq!(
            ids_at(&app, &agent, "/api/v1/tickets?limit=200").await,
            set(&[&unassigned])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_listed_by_status_priority_type_assignee_tag_and_customer() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (agent_id, _) = app.user_with_role("support").await;
        let (colleague_id, _) = app.user_with_role("support").await;
        let wang = customer(&app, "王芳").await;
        let li = customer(&app, "李雷").await;
        let t1 = id(&open_ticket(
            &app,
            token,
            ticket_body(
                &wang,
                "退款",
                json!({"priority": "high", "tags": ["refund"]}),
            ),
        )
        .await);
        let t2 = id(&open_ticket(
            &app,
            token,
            ticket_body(
                &wang,
                "咨询",
                json!({"type": "inquiry", "assignee_id": agent_id, "tags": ["vip"]}),
            ),
        )
        .await);
        let t3 = id(&open_ticket(
            &app,
            token,
            ticket_body(
                &li,
                "加急退款",
                json!({"priority": "urgent", "assignee_id": agent_id, "tags": ["vip", "refund"]}),
            ),
        )
        .await);
        let t4 = id(&open_ticket(
            &app,
            token,
            ticket_body(
                &li,
                "维修",
                json!({"type": "after_sales", "priority": "low", "channel": "phone",
                    "assignee_id": colleague_id}),
            ),
        )
        .await);
        move_to(&app, &t3, "open").await;

        let tickets = |query: &str| format!("/api/v1/tickets?limit=200&{query}");
        for (query, expected) in [
            ("include_total=true".to_owned(), set(&[&t1, &t2, &t3, &t4])),
            ("status=open".to_owned(), set(&[&t3])),
            ("status=new".to_owned(), set(&[&t1, &t2, &t4])),
            ("status=closed".to_owned(), BTreeSet::new()),
            ("priority=high".to_owned(), set(&[&t1])),
            ("priority=normal".to_owned(), set(&[&t2])),
            ("type=complaint".to_owned(), set(&[&t1, &t3])),
            ("channel=phone".to_owned(), set(&[&t4])),
            (format!("assignee_id={agent_id}"), set(&[&t2, &t3])),
            (format!("assignee_id={colleague_id}"), set(&[&t4])),
            ("unassigned=true".to_owned(), set(&[&t1])),
            ("tag=vip".to_owned(), set(&[&t2, &t3])),
            ("tag=refund".to_owned(), set(&[&t1, &t3])),
            (format!("customer_id={wang}"), set(&[&t1, &t2])),
            (format!("customer_id={li}&type=complaint"), set(&[&t3])),
        ] {
            assert_eq!(
                ids_at(&app, token, &tickets(&query)).await,
                expected,
                "{query}"
            );
        }

        // A customer's own tickets, with the same filters.
        let of = |customer: &str, query: &str| {
            format!("/api/v1/customers/{customer}/tickets?limit=200&{query}")
        };
        for (customer, query, expected) in [
            (&li, "include_total=true", set(&[&t3, &t4])),
            (&wang, "include_total=true", set(&[&t1, &t2])),
            (&li, "type=after_sales", set(&[&t4])),
            (&wang, "tag=vip", set(&[&t2])),
            (&wang, "unassigned=true", set(&[&t1])),
        ] {
            assert_eq!(
                ids_at(&app, token, &of(customer, query)).await,
                expected,
                "{customer} {query}"
            );
        }
        let (status, problem) = app
            .send(
                Method::GET,
                &of(&Uuid::now_v7().to_string(), "include_total=true"),
                token,
                None,
            )
            .await;
        assert_problem(status, &problem, 404, "not_found");

        // A customer's tickets are on their timeline, newest first, for those who may read
        // tickets only.
        let timeline =
            |customer: &str| format!("/api/v1/customers/{customer}/timeline?kinds=ticket");
        let page = get_ok(&app, token, &timeline(&wang)).await;
        let entries: Vec<(&str, &str)> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().unwrap(),
                    e["ticket"]["id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(entries, [("ticket", t2.as_str()), ("ticket", t1.as_str())]);
        let (_, marketing) = app.user_with_role("marketing").await;
        let page = get_ok(
            &app,
            &marketing,
            &format!("/api/v1/customers/{wang}/timeline"),
        )
        .await;
        assert_eq!(page["data"], json!([]), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_ticket_field_must_be_given_and_is_kept() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field(
            "ticket",
            "product_line",
            "enum",
            &["shoes", "apparel"],
            true,
        )
        .await;
        let wang = customer(&app, "王芳").await;

        for (extra, code) in [
            (json!({}), "required"),
            (json!({"custom_fields": {}}), "required"),
            (
                json!({"custom_fields": {"product_line": "hats"}}),
                "invalid_option",
            ),
        ] {
            let body = ticket_body(&wang, "鞋码偏小", extra);
            let (status, problem) = create(&app, token, body).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(
                error_pairs(&problem),
                pairs(&[("custom_fields.product_line", code)]),
                "{problem}"
            );
        }
        assert_eq!(ticket_count(&app).await, 0, "a refused ticket was written");

        let created = open_ticket(
            &app,
            token,
            ticket_body(
                &wang,
                "鞋码偏小",
                json!({"custom_fields": {"product_line": "shoes"}}),
            ),
        )
        .await;
        assert_eq!(created["custom_fields"], json!({"product_line": "shoes"}));
        let tid = id(&created);
        let path = format!("/api/v1/tickets/{tid}");
        assert_eq!(
            get_ok(&app, token, &path).await["custom_fields"],
            json!({"product_line": "shoes"})
        );

        // Changed by key; a required one is not removed.
        let (status, changed) = patch(
            &app,
            token,
            &tid,
            json!({"custom_fields": {"product_line": "apparel"}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["custom_fields"], json!({"product_line": "apparel"}));
        let (status, problem) = patch(
            &app,
            token,
            &tid,
            json!({"custom_fields": {"product_line": null}}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("custom_fields.product_line", "required")])
        );
        assert_eq!(
            get_ok(&app, token, &path).await["custom_fields"],
            json!({"product_line": "apparel"})
        );
    }
}

/// `POST /tickets/search` over the ticket's own fields, its rating, its custom fields, the
/// subject in any case, with a mistake named by its path; `GET /tickets/filter-fields` lists
/// what a filter may test; an agent finds only the tickets within reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_searched_with_the_filter_language() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        app.define_field(
            "ticket",
            "product_line",
            "enum",
            &["shoes", "apparel"],
            false,
        )
        .await;
        let wang = customer(&app, "王芳").await;
        let late = id(&open_ticket(
            &app,
            token,
            ticket_body(
                &wang,
                "Parcel LATE again",
                json!({"priority": "urgent",
                "custom_fields": {"product_line": "shoes"}}),
            ),
        )
        .await);
        let question = id(&open_ticket(
            &app,
            token,
            ticket_body(&wang, "尺码咨询", json!({"type": "inquiry"})),
        )
        .await);
        let rated = resolved_ticket(&app, &wang, "退货退款").await;
        let (status, _) = rate(&app, token, &rated, json!({"rating": 2})).await;
        assert_eq!(status, StatusCode::OK);

        let search = |filter: Value| {
            let app = &app;
            async move {
                let (status, found) = app
                    .send(
                        Method::POST,
                        "/api/v1/tickets/search",
                        &app.admin_token,
                        Some(json!({"filter": filter, "include_total": true})),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{found}");
                found["data"]
                    .as_array()
                    .expect("a page")
                    .iter()
                    .map(id)
                    .collect::<BTreeSet<String>>()
            }
        };
        assert_eq!(
            search(json!({"and": [
                {"field": "type", "op": "eq", "value": "complaint"},
                {"field": "status", "op": "in", "value": ["new", "open", "pending"]}
            ]}))
            .await,
            set(&[&late])
        );
        assert_eq!(
            search(json!({"field": "subject", "op": "contains", "value": "late"})).await,
            set(&[&late]),
            "the subject in any case"
        );
        assert_eq!(
            search(json!({"field": "satisfaction.rating", "op": "lte", "value": 3})).await,
            set(&[&rated])
        );
        assert_eq!(
            search(json!({"field": "resolved_at", "op": "is_null", "value": true})).await,
            set(&[&late, &question])
        );
        assert_eq!(
            search(json!({"field": "custom_fields.product_line", "op": "eq", "value": "shoes"}))
                .await,
            set(&[&late])
        );

        let (status, refused) = app
            .send(
                Method::POST,
                "/api/v1/tickets/search",
                token,
                Some(json!({"filter": {"and": [
                    {"field": "type", "op": "eq", "value": "complaint"},
                    {"field": "mood", "op": "eq", "value": "angry"}
                ]}})),
            )
            .await;
        assert_problem(status, &refused, 400, "bad_request");
        assert_eq!(
            error_pairs(&refused),
            pairs(&[("filter.and[1].field", "unknown_field")]),
            "{refused}"
        );

        let fields = get_ok(&app, token, "/api/v1/tickets/filter-fields").await;
        let names: Vec<&str> = fields["data"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        for expected in [
            "type",
            "priority",
            "sla.resolution_due_at",
            "satisfaction.rating",
            "custom_fields.product_line",
        ] {
            assert!(names.contains(&expected), "{expected}: {fields}");
        }

        // An agent finds the unassigned tickets and their own, not a colleague's.
        let (ann, ann_token) = app.user_with_role("support").await;
        let (bob, _) = app.user_with_role("support").await;
        let (status, _) = patch(&app, token, &late, json!({"assignee_id": bob})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = patch(&app, token, &question, json!({"assignee_id": ann})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, found) = app
            .send(
                Method::POST,
                "/api/v1/tickets/search",
                &ann_token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let theirs: BTreeSet<String> = found["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(theirs, set(&[&question, &rated]), "{found}");
    }
}
