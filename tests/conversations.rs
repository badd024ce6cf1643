//! Live chat: a refused conversation writes nothing and a new one opens `open`, its opening time
//! standing for its last message until there is one; staff speak as agents and an integration's
//! API key for the customer (or as the system), each in its own voice only, the first agent
//! message stamps the first response and every message moves the last; a closed conversation
//! takes no messages until it is reopened, each change leaving a system message behind, and a
//! change made against an older version is refused; support agents reach unassigned
//! conversations and their own and assign only themselves; a conversation turns into a ticket
//! once, with its transcript as the description; the lists filter by every field they offer and
//! a customer's conversations are on their timeline for those who may read conversations; and a
//! customer's conversations come out in their data export and are erased with them.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use rapport_api::clock::Clock;
use rapport_tests::{TestApp, assert_problem, backends, error_fields, error_pairs, pairs, read};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const CONVERSATIONS: &str = "/api/v1/conversations";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A conversation with `customer` on `channel`, with `extra` fields on top.
fn conversation_body(customer: &str, channel: &str, extra: Value) -> Value {
    let mut body = json!({"customer_id": customer, "channel": channel});
    if let (Some(fields), Value::Object(extra)) = (body.as_object_mut(), extra) {
        fields.extend(extra);
    }
    body
}

fn path_of(conversation: &str) -> String {
    format!("{CONVERSATIONS}/{conversation}")
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(&app
        .create_customer(&app.admin_token, json!({"name": name}))
        .await)
}

async fn create(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::POST, CONVERSATIONS, token, Some(body))
        .await
}

async fn open_conversation(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = create(app, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn patch(app: &TestApp, token: &str, conversation: &str, body: Value) -> (StatusCode, Value) {
    app.send(Method::PATCH, &path_of(conversation), token, Some(body))
        .await
}

async fn post(app: &TestApp, token: &str, conversation: &str, body: Value) -> (StatusCode, Value) {
    app.send(
        Method::POST,
        &format!("{}/messages", path_of(conversation)),
        token,
        Some(body),
    )
    .await
}

/// Posts `text` into `conversation` as `token`, in its default voice; the message.
async fn say(app: &TestApp, token: &str, conversation: &str, text: &str) -> Value {
    let (status, message) = post(app, token, conversation, json!({"body": text})).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    message
}

/// An answer posted into `conversation` as `token`, whatever the answer.
async fn answer(app: &TestApp, token: &str, conversation: &str) -> (StatusCode, Value) {
    let body = json!({"body": "您好，我来帮您处理"});
    post(app, token, conversation, body).await
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

/// Every message of `conversation`, oldest first, as the administrator lists them.
async fn messages_of(app: &TestApp, conversation: &str) -> Vec<Value> {
    get_ok(
        app,
        &app.admin_token,
        &format!("{}/messages?limit=200", path_of(conversation)),
    )
    .await["data"]
        .as_array()
        .expect("a page")
        .clone()
}

/// The last message of `conversation`.
async fn last_message(app: &TestApp, conversation: &str) -> Value {
    messages_of(app, conversation)
        .await
        .last()
        .cloned()
        .expect("a message")
}

async fn conversation_count(app: &TestApp) -> u64 {
    get_ok(
        app,
        &app.admin_token,
        "/api/v1/conversations?include_total=true&limit=1",
    )
    .await["total"]
        .as_u64()
        .expect("total")
}

/// The administrator's user id.
async fn admin_id(app: &TestApp) -> String {
    id(&get_ok(app, &app.admin_token, "/api/v1/me").await)
}

/// An API key for an integration relaying a chat channel, with a role that may only read and
/// write conversations; the key's id and its secret.
async fn relay_key(app: &TestApp) -> (String, String) {
    let (status, role) = app
        .send(
            Method::POST,
            "/api/v1/roles",
            &app.admin_token,
            Some(json!({"name": "chat_relay", "permissions": [
                {"permission": "conversations:read", "scope": "all"},
                {"permission": "conversations:write", "scope": "all"}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let (status, key) = app
        .send(
            Method::POST,
            "/api/v1/api-keys",
            &app.admin_token,
            Some(json!({"name": "WeChat relay", "role": "chat_relay"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let secret = key["secret"].as_str().expect("the secret").to_owned();
    (id(&key), secret)
}

/// The kind and conversation id of each entry of a timeline page, in order.
fn timeline_entries(page: &Value) -> Vec<(String, String)> {
    page["data"]
        .as_array()
        .expect("a page")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_owned(),
                e["conversation"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_conversation_writes_nothing_and_a_new_one_opens_as_its_own_last_message() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-06T09:00:00Z"));
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let wang = customer(&app, "王芳").await;
        let nobody = Uuid::now_v7().to_string();

        // Fields the request does not have are refused by name, and so are missing ones.
        for (body, expected) in [
            (
                conversation_body(&wang, "wechat", json!({"priority": "high"})),
                pairs(&[("priority", "unknown_field")]),
            ),
            (
                conversation_body(&wang, "wechat", json!({"status": "closed"})),
                pairs(&[("status", "unknown_field")]),
            ),
            (
                json!({"channel": "wechat", "subject": "快递还没到"}),
                pairs(&[("customer_id", "required")]),
            ),
            (
                json!({"customer_id": wang, "subject": "快递还没到"}),
                pairs(&[("channel", "required")]),
            ),
            (json!({}), pairs(&[("customer_id", "required")])),
        ] {
            let (status, problem) = create(&app, token, body).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(error_pairs(&problem), expected, "{problem}");
        }

        // A channel there is, a subject of at most 200 characters, an assignee who exists.
        for (body, field) in [
            (conversation_body(&wang, "telegram", json!({})), "channel"),
            (
                conversation_body(&wang, "wechat", json!({"subject": "快".repeat(201)})),
                "subject",
            ),
            (
                conversation_body(&wang, "wechat", json!({"assignee_id": nobody})),
                "assignee_id",
            ),
        ] {
            let (status, problem) = create(&app, token, body).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(error_fields(&problem), [field], "{problem}");
        }

        // The customer must exist.
        let (status, problem) = create(
            &app,
            token,
            conversation_body(&nobody, "wechat", json!({"subject": "快递还没到"})),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("customer_id", "not_found")]),
            "{problem}"
        );
        let listed = get_ok(&app, token, "/api/v1/conversations?include_total=true").await;
        assert_eq!(
            listed["data"],
            json!([]),
            "a refused conversation was written: {listed}"
        );
        assert_eq!(listed["total"], 0, "{listed}");

        let response = app
            .request(
                Method::POST,
                CONVERSATIONS,
                token,
                Some(conversation_body(
                    &wang,
                    "wechat",
                    json!({"subject": "快递三天还没到"}),
                )),
            )
            .send()
            .await
            .unwrap();
        let headers = response.headers().clone();
        let (status, created) = read(response).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let cid = id(&created);
        let location = format!("/api/v1/conversations/{cid}");
        assert_eq!(header(&headers, "location"), Some(location.as_str()));
        assert_eq!(header(&headers, "etag"), Some("\"1\""));
        assert_eq!(created["status"], "open");
        assert_eq!(created["channel"], "wechat");
        assert_eq!(created["customer_id"], wang.as_str());
        assert_eq!(created["subject"], "快递三天还没到");
        assert_eq!(created["created_at"], "2026-12-06T09:00:00Z");
        assert_eq!(
            created["last_message_at"], created["created_at"],
            "no message yet: the opening stands for the last one: {created}"
        );
        assert_eq!(created["version"], 1);
        for empty in [
            "assignee_id",
            "ticket_id",
            "first_responded_at",
            "closed_at",
        ] {
            assert_eq!(created[empty], Value::Null, "{empty}: {created}");
        }
        assert_eq!(get_ok(&app, token, &location).await, created);
        assert!(messages_of(&app, &cid).await.is_empty());

        // The subject may be left out.
        let plain =
            open_conversation(&app, token, conversation_body(&wang, "web", json!({}))).await;
        assert_eq!(plain["subject"], Value::Null, "{plain}");
        assert_eq!(plain["status"], "open");
        assert_eq!(conversation_count(&app).await, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_speaks_in_their_own_voice_and_the_first_agent_message_is_the_first_response() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-06T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let me = admin_id(&app).await;
        let (key_id, relay) = relay_key(&app).await;
        let wang = customer(&app, "王芳").await;
        let cid = id(&open_conversation(
            &app,
            token,
            conversation_body(&wang, "wechat", json!({"subject": "快递延误"})),
        )
        .await);
        let path = path_of(&cid);

        // The customer writes in through the integration: a message, but no response yet.
        moved.advance(Duration::minutes(2));
        let asked = say(
            &app,
            &relay,
            &cid,
            "你好，我的快递三天了还没到，单号 SF1234567890",
        )
        .await;
        assert_eq!(asked["conversation_id"], cid.as_str());
        assert_eq!(asked["sender"], json!({"type": "customer", "id": key_id}));
        assert_eq!(
            asked["body"],
            "你好，我的快递三天了还没到，单号 SF1234567890"
        );
        assert_eq!(asked["created_at"], "2026-12-06T09:02:00Z");
        assert!(asked["seq"].is_u64(), "{asked}");
        let stored = get_ok(&app, token, &path).await;
        assert_eq!(
            stored["first_responded_at"],
            Value::Null,
            "a customer's message is no response"
        );
        assert_eq!(stored["last_message_at"], "2026-12-06T09:02:00Z");

        // Staff answer as agents.
        moved.advance(Duration::minutes(3));
        let answered = say(&app, token, &cid, "您好，包裹在上海转运中心，预计明天送达").await;
        assert_eq!(answered["sender"], json!({"type": "agent", "id": me}));
        assert_eq!(answered["created_at"], "2026-12-06T09:05:00Z");
        let stored = get_ok(&app, token, &path).await;
        assert_eq!(stored["first_responded_at"], "2026-12-06T09:05:00Z");
        assert_eq!(stored["last_message_at"], "2026-12-06T09:05:00Z");

        // Each speaks in its own voice only: staff not as the customer nor the system, a key not
        // as an agent.
        for sender in ["customer", "system"] {
            let (status, problem) = post(
                &app,
                token,
                &cid,
                json!({"body": "好的，谢谢", "sender": sender}),
            )
            .await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(
                error_pairs(&problem),
                pairs(&[("sender", "not_allowed")]),
                "{sender}: {problem}"
            );
        }
        let (status, problem) = post(
            &app,
            &relay,
            &cid,
            json!({"body": "This is the agent speaking", "sender": "agent"}),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("sender", "not_allowed")]),
            "{problem}"
        );

        // A message says something, and not too much.
        for body in [json!({"body": ""}), json!({"body": "好".repeat(5001)})] {
            let (status, problem) = post(&app, token, &cid, body).await;
            assert_problem(status, &problem, 422, "validation_failed");
            assert_eq!(error_fields(&problem), ["body"], "{problem}");
        }
        let (status, problem) = post(&app, token, &cid, json!({"sender": "agent"})).await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("body", "required")]),
            "{problem}"
        );

        // A key may speak as the system; that is no response either.
        moved.advance(Duration::minutes(2));
        let (status, note) = post(
            &app,
            &relay,
            &cid,
            json!({"body": "客户已通过微信发送位置信息", "sender": "system"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(note["sender"], json!({"type": "system", "id": key_id}));
        let stored = get_ok(&app, token, &path).await;
        assert_eq!(stored["first_responded_at"], "2026-12-06T09:05:00Z");
        assert_eq!(stored["last_message_at"], "2026-12-06T09:07:00Z");

        // A later answer moves the last message, not the first response.
        moved.advance(Duration::minutes(3));
        let (status, later) = post(
            &app,
            token,
            &cid,
            json!({"body": "快递员明天上午十点前联系您", "sender": "agent"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{later}");
        assert_eq!(later["sender"], json!({"type": "agent", "id": me}));
        let stored = get_ok(&app, token, &path).await;
        assert_eq!(
            stored["first_responded_at"], "2026-12-06T09:05:00Z",
            "a later answer does not move the first response"
        );
        assert_eq!(stored["last_message_at"], "2026-12-06T09:10:00Z");

        // Oldest first, each after the one before; the refused ones were not written.
        let listed = messages_of(&app, &cid).await;
        let ids: Vec<String> = listed.iter().map(id).collect();
        assert_eq!(ids, [id(&asked), id(&answered), id(&note), id(&later)]);
        let senders: Vec<&str> = listed
            .iter()
            .map(|m| m["sender"]["type"].as_str().expect("a sender"))
            .collect();
        assert_eq!(senders, ["customer", "agent", "system", "agent"]);
        let seqs: Vec<u64> = listed
            .iter()
            .map(|m| m["seq"].as_u64().expect("a seq"))
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        assert_eq!(listed[0], asked);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_conversation_takes_no_messages_until_it_is_reopened() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-06T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let (_, relay) = relay_key(&app).await;
        let wang = customer(&app, "王芳").await;
        let cid = id(&open_conversation(
            &app,
            token,
            conversation_body(&wang, "wechat", json!({"subject": "退货地址"})),
        )
        .await);
        let path = path_of(&cid);
        moved.advance(Duration::minutes(1));
        say(&app, &relay, &cid, "请问退货寄到哪里？").await;
        say(&app, token, &cid, "请寄到上海市浦东新区张江路 88 号").await;

        // Closed: stamped, and a system message of Rapport's own says so.
        moved.advance(Duration::minutes(20));
        let (status, closed) = patch(&app, token, &cid, json!({"status": "closed"})).await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["closed_at"], "2026-12-06T09:21:00Z");
        let last = last_message(&app, &cid).await;
        assert_eq!(
            last["sender"],
            json!({"type": "system", "id": null}),
            "{last}"
        );
        assert_eq!(last["body"], "The conversation was closed.");
        let written = messages_of(&app, &cid).await.len();
        assert_eq!(written, 3);

        // Nobody writes into it: neither staff nor the customer.
        for who in [token.as_str(), relay.as_str()] {
            let (status, problem) = post(&app, who, &cid, json!({"body": "还在吗？"})).await;
            assert_problem(status, &problem, 409, "conversation_closed");
        }
        assert_eq!(messages_of(&app, &cid).await.len(), written);

        // Reopening against an older version is refused.
        let response = app
            .request(Method::PATCH, &path, token, Some(json!({"status": "open"})))
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap();
        let (status, problem) = read(response).await;
        assert_problem(status, &problem, 412, "precondition_failed");
        let still = get_ok(&app, token, &path).await;
        assert_eq!(still["status"], "closed", "{still}");
        assert_eq!(still["closed_at"], "2026-12-06T09:21:00Z");

        // Against the current version it reopens: no longer closed, and said so.
        let response = app
            .request(Method::GET, &path, token, None)
            .send()
            .await
            .unwrap();
        let etag = header(response.headers(), "etag")
            .expect("an ETag")
            .to_owned();
        let (status, current) = read(response).await;
        assert_eq!(status, StatusCode::OK, "{current}");
        assert_eq!(etag, format!("\"{}\"", current["version"]));
        moved.advance(Duration::minutes(5));
        let response = app
            .request(Method::PATCH, &path, token, Some(json!({"status": "open"})))
            .header("if-match", etag.as_str())
            .send()
            .await
            .unwrap();
        let (status, reopened) = read(response).await;
        assert_eq!(status, StatusCode::OK, "{reopened}");
        assert_eq!(reopened["status"], "open");
        assert_eq!(reopened["closed_at"], Value::Null, "{reopened}");
        let last = last_message(&app, &cid).await;
        assert_eq!(
            last["sender"],
            json!({"type": "system", "id": null}),
            "{last}"
        );
        assert_eq!(last["body"], "The conversation was reopened.");

        // Open again, it takes messages again.
        let again = say(&app, &relay, &cid, "我还想问一下退款多久到账").await;
        assert_eq!(again["sender"]["type"], "customer");
        let reply = say(&app, token, &cid, "退款将在 3 个工作日内原路返回").await;
        assert_eq!(reply["sender"]["type"], "agent");
        assert_eq!(messages_of(&app, &cid).await.len(), written + 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_agents_reach_unassigned_conversations_and_their_own_and_assign_only_themselves() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (agent_id, agent) = app.user_with_role("support").await;
        let (colleague_id, colleague) = app.user_with_role("support").await;
        let (_, sales) = app.user_with_role("sales").await;
        let wang = customer(&app, "王芳").await;
        let unassigned = id(&open_conversation(
            &app,
            token,
            conversation_body(&wang, "wechat", json!({"subject": "无人接待"})),
        )
        .await);
        let mine = id(&open_conversation(
            &app,
            token,
            conversation_body(
                &wang,
                "wechat",
                json!({"subject": "分给我的", "assignee_id": agent_id}),
            ),
        )
        .await);
        let theirs = id(&open_conversation(
            &app,
            token,
            conversation_body(
                &wang,
                "web",
                json!({"subject": "分给同事的", "assignee_id": colleague_id}),
            ),
        )
        .await);
        let list = "/api/v1/conversations?limit=200";

        assert_eq!(ids_at(&app, &agent, list).await, set(&[&unassigned, &mine]));
        let (status, problem) = app.send(Method::GET, &path_of(&theirs), &agent, None).await;
        assert_problem(status, &problem, 404, "not_found");
        let (status, problem) = answer(&app, &agent, &theirs).await;
        assert_problem(status, &problem, 404, "not_found");
        let (status, problem) = patch(&app, &agent, &theirs, json!({"subject": "改个标题"})).await;
        assert_problem(status, &problem, 404, "not_found");
        let (status, answered) = answer(&app, &agent, &unassigned).await;
        assert_eq!(status, StatusCode::CREATED, "{answered}");

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
            conversation_body(&wang, "phone", json!({"assignee_id": colleague_id})),
        )
        .await;
        assert_problem(status, &problem, 422, "validation_failed");
        assert_eq!(
            error_pairs(&problem),
            pairs(&[("assignee_id", "not_yours")])
        );
        assert_eq!(conversation_count(&app).await, 3);
        let (status, taken) =
            patch(&app, &agent, &unassigned, json!({"assignee_id": agent_id})).await;
        assert_eq!(status, StatusCode::OK, "{taken}");
        assert_eq!(taken["assignee_id"], agent_id.to_string());
        let last = last_message(&app, &unassigned).await;
        assert_eq!(
            last["sender"],
            json!({"type": "system", "id": null}),
            "{last}"
        );
        assert_eq!(last["body"], "The conversation was assigned.");

        // Taken, it is out of the colleague's reach.
        let (status, problem) = app
            .send(Method::GET, &path_of(&unassigned), &colleague, None)
            .await;
        assert_problem(status, &problem, 404, "not_found");
        assert_eq!(ids_at(&app, &colleague, list).await, set(&[&theirs]));
        assert_eq!(ids_at(&app, &agent, list).await, set(&[&unassigned, &mine]));

        // Sales staff do not chat.
        let (status, problem) = app.send(Method::GET, CONVERSATIONS, &sales, None).await;
        assert_problem(status, &problem, 403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_turns_into_a_ticket_once_with_its_transcript_as_the_description() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-06T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let (_, relay) = relay_key(&app).await;
        let wang = customer(&app, "王芳").await;
        let cid = id(&open_conversation(
            &app,
            token,
            conversation_body(&wang, "web", json!({"subject": "快递什么时候到"})),
        )
        .await);
        let path = path_of(&cid);
        moved.advance(Duration::minutes(12));
        say(
            &app,
            &relay,
            &cid,
            "你好，我的快递三天了还没到，单号 SF1234567890",
        )
        .await;
        moved.advance(Duration::minutes(3));
        say(&app, token, &cid, "您好，包裹在上海转运中心，明天送达").await;
        moved.advance(Duration::minutes(5));

        let response = app
            .request(
                Method::POST,
                &format!("{path}/ticket"),
                token,
                Some(json!({"type": "complaint"})),
            )
            .send()
            .await
            .unwrap();
        let headers = response.headers().clone();
        let (status, ticket) = read(response).await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        let tid = id(&ticket);
        let location = format!("/api/v1/tickets/{tid}");
        assert_eq!(header(&headers, "location"), Some(location.as_str()));
        assert_eq!(ticket["customer_id"], wang.as_str());
        assert_eq!(ticket["channel"], "chat", "a web chat is a chat ticket");
        assert_eq!(ticket["status"], "new");
        assert_eq!(ticket["type"], "complaint");
        assert_eq!(ticket["priority"], "normal");
        assert_eq!(ticket["subject"], "快递什么时候到");
        assert_eq!(ticket["assignee_id"], Value::Null);

        // The transcript: one line per message, oldest first, who said it and when.
        let description = ticket["description"].as_str().expect("a description");
        let lines: Vec<&str> = description.lines().collect();
        let asked = lines.iter().position(|l| {
            *l == "[2026-12-06 09:12 UTC] Customer: 你好，我的快递三天了还没到，单号 SF1234567890"
        });
        let answered = lines
            .iter()
            .position(|l| *l == "[2026-12-06 09:15 UTC] Agent: 您好，包裹在上海转运中心，明天送达");
        assert!(
            matches!((asked, answered), (Some(a), Some(b)) if a < b),
            "{description}"
        );
        assert_eq!(get_ok(&app, token, &location).await, ticket);

        // The conversation knows its ticket, stays open and says what became of it.
        let stored = get_ok(&app, token, &path).await;
        assert_eq!(stored["ticket_id"], tid.as_str(), "{stored}");
        assert_eq!(stored["status"], "open");
        let last = last_message(&app, &cid).await;
        assert_eq!(
            last["sender"],
            json!({"type": "system", "id": null}),
            "{last}"
        );
        assert_eq!(last["body"], "The conversation was turned into a ticket.");

        // Once only.
        let (status, problem) = app
            .send(
                Method::POST,
                &format!("{path}/ticket"),
                token,
                Some(json!({"type": "complaint"})),
            )
            .await;
        assert_problem(status, &problem, 409, "already_ticketed");
        let tickets = get_ok(&app, token, "/api/v1/tickets?include_total=true").await;
        assert_eq!(tickets["total"], 1, "{tickets}");

        // A closed conversation without a subject becomes an inquiry named after its channel.
        let closed =
            id(
                &open_conversation(&app, token, conversation_body(&wang, "wechat", json!({})))
                    .await,
            );
        say(&app, &relay, &closed, "发票什么时候开？").await;
        let (status, body) = patch(&app, token, &closed, json!({"status": "closed"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, inquiry) = app
            .send(
                Method::POST,
                &format!("{}/ticket", path_of(&closed)),
                token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{inquiry}");
        assert_eq!(inquiry["subject"], "Chat on wechat");
        assert_eq!(inquiry["type"], "inquiry");
        assert_eq!(inquiry["channel"], "wechat");
        assert_eq!(inquiry["priority"], "normal");
        assert!(
            inquiry["description"]
                .as_str()
                .is_some_and(|d| d.contains("Customer: 发票什么时候开？")),
            "{inquiry}"
        );
        assert_eq!(
            get_ok(&app, token, &path_of(&closed)).await["ticket_id"],
            id(&inquiry).as_str()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_listed_by_every_filter_and_are_on_the_customers_timeline() {
    for backend in backends() {
        let clock = Clock::at(at("2026-12-06T09:00:00Z"));
        let moved = clock.clone();
        let app = TestApp::spawn_with(&backend, |c| c.clock = clock).await;
        let token = &app.admin_token;
        let (agent_id, agent) = app.user_with_role("support").await;
        let (colleague_id, _) = app.user_with_role("support").await;
        let (_, marketing) = app.user_with_role("marketing").await;
        let wang = customer(&app, "王芳").await;
        let li = customer(&app, "李雷").await;
        let c1 = id(&open_conversation(
            &app,
            token,
            conversation_body(&wang, "wechat", json!({"subject": "快递延误"})),
        )
        .await);
        moved.advance(Duration::minutes(1));
        let second = open_conversation(
            &app,
            token,
            conversation_body(
                &wang,
                "web",
                json!({"subject": "修改收货地址", "assignee_id": agent_id}),
            ),
        )
        .await;
        let c2 = id(&second);
        moved.advance(Duration::minutes(1));
        let c3 = id(&open_conversation(
            &app,
            token,
            conversation_body(
                &li,
                "phone",
                json!({"subject": "退款进度", "assignee_id": agent_id}),
            ),
        )
        .await);
        moved.advance(Duration::minutes(1));
        let c4 = id(&open_conversation(
            &app,
            token,
            conversation_body(
                &li,
                "wechat",
                json!({"subject": "发票抬头", "assignee_id": colleague_id}),
            ),
        )
        .await);
        let (status, closed) = patch(&app, token, &c3, json!({"status": "closed"})).await;
        assert_eq!(status, StatusCode::OK, "{closed}");

        let conversations = |query: &str| format!("/api/v1/conversations?limit=200&{query}");
        for (query, expected) in [
            ("include_total=true".to_owned(), set(&[&c1, &c2, &c3, &c4])),
            ("status=open".to_owned(), set(&[&c1, &c2, &c4])),
            ("status=closed".to_owned(), set(&[&c3])),
            ("channel=wechat".to_owned(), set(&[&c1, &c4])),
            ("channel=web".to_owned(), set(&[&c2])),
            ("channel=email".to_owned(), BTreeSet::new()),
            (format!("customer_id={wang}"), set(&[&c1, &c2])),
            (format!("assignee_id={agent_id}"), set(&[&c2, &c3])),
            (format!("assignee_id={colleague_id}"), set(&[&c4])),
            ("unassigned=true".to_owned(), set(&[&c1])),
            (format!("customer_id={li}&status=open"), set(&[&c4])),
            (format!("assignee_id={agent_id}&channel=phone"), set(&[&c3])),
        ] {
            assert_eq!(
                ids_at(&app, token, &conversations(&query)).await,
                expected,
                "{query}"
            );
        }

        // A customer's own conversations, with the same filters.
        let of = |customer: &str, query: &str| {
            format!("/api/v1/customers/{customer}/conversations?limit=200&{query}")
        };
        for (customer, query, expected) in [
            (&wang, "include_total=true", set(&[&c1, &c2])),
            (&li, "include_total=true", set(&[&c3, &c4])),
            (&wang, "channel=web", set(&[&c2])),
            (&li, "status=open", set(&[&c4])),
            (&wang, "unassigned=true", set(&[&c1])),
            (&li, "unassigned=true", BTreeSet::new()),
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

        // A customer's conversations are on their timeline, newest first, dated when they
        // opened, for the support agent too.
        let timeline = format!("/api/v1/customers/{wang}/timeline?kinds=conversation");
        let expected = [
            ("conversation".to_owned(), c2.clone()),
            ("conversation".to_owned(), c1.clone()),
        ];
        let page = get_ok(&app, token, &timeline).await;
        assert_eq!(timeline_entries(&page), expected, "{page}");
        assert_eq!(page["data"][0]["at"], second["created_at"], "{page}");
        assert_eq!(page["data"][0]["at"], "2026-12-06T09:01:00Z");
        assert_eq!(page["data"][0]["conversation"]["subject"], "修改收货地址");
        let page = get_ok(&app, &agent, &timeline).await;
        assert_eq!(timeline_entries(&page), expected, "{page}");

        // Not for those who may not read conversations.
        let page = get_ok(
            &app,
            &marketing,
            &format!("/api/v1/customers/{wang}/timeline"),
        )
        .await;
        assert!(
            timeline_entries(&page)
                .iter()
                .all(|(kind, _)| kind != "conversation"),
            "{page}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_conversations_are_in_their_data_export_and_erased_with_them() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let token = &app.admin_token;
        let (_, relay) = relay_key(&app).await;
        let wang = customer(&app, "王芳").await;
        let li = customer(&app, "李雷").await;
        let cid = id(&open_conversation(
            &app,
            token,
            conversation_body(&wang, "wechat", json!({"subject": "SF1234567890 快递延误"})),
        )
        .await);
        let said = [
            say(
                &app,
                &relay,
                &cid,
                "你好，快递 SF1234567890 还没到，地址是上海市浦东新区张江路 88 号",
            )
            .await,
            say(&app, token, &cid, "王女士您好，包裹明天上午送达").await,
            say(&app, &relay, &cid, "好的，谢谢！").await,
        ];
        let other = id(&open_conversation(
            &app,
            token,
            conversation_body(&li, "phone", json!({"subject": "发票抬头"})),
        )
        .await);
        say(&app, &relay, &other, "请把发票抬头改成公司名称").await;

        // The export holds the customer's conversation and every message of it, oldest first,
        // and nobody else's.
        let export = get_ok(
            &app,
            token,
            &format!("/api/v1/customers/{wang}/data-export"),
        )
        .await;
        let conversations = export["conversations"].as_array().expect("conversations");
        assert_eq!(conversations.len(), 1, "{export}");
        assert_eq!(conversations[0]["id"], cid.as_str());
        assert_eq!(conversations[0]["subject"], "SF1234567890 快递延误");
        let exported: Vec<(String, String)> = export["conversation_messages"]
            .as_array()
            .expect("conversation_messages")
            .iter()
            .map(|m| (id(m), m["body"].as_str().unwrap_or_default().to_owned()))
            .collect();
        let expected: Vec<(String, String)> = said
            .iter()
            .map(|m| (id(m), m["body"].as_str().unwrap_or_default().to_owned()))
            .collect();
        assert_eq!(exported, expected, "{export}");

        // Erased: what was said is gone, that it was said stays.
        let (status, anonymised) = app
            .send(
                Method::POST,
                &format!("/api/v1/customers/{wang}/anonymize"),
                token,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{anonymised}");
        let stored = get_ok(&app, token, &path_of(&cid)).await;
        assert!(stored["subject"].is_null(), "{stored}");
        let messages = messages_of(&app, &cid).await;
        let ids: Vec<String> = messages.iter().map(id).collect();
        let said_ids: Vec<String> = said.iter().map(id).collect();
        assert_eq!(ids, said_ids);
        for message in &messages {
            assert_eq!(message["body"], "(erased)", "{message}");
        }

        // Another customer's conversation is theirs still.
        assert_eq!(
            get_ok(&app, token, &path_of(&other)).await["subject"],
            "发票抬头"
        );
        assert_eq!(
            messages_of(&app, &other).await[0]["body"],
            "请把发票抬头改成公司名称"
        );
    }
}
