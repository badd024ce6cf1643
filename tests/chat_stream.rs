//! Live chat's Server-Sent Events stream, read as a browser would read it. A client sees a hundred
//! messages posted through two server processes on one database, in the order they were posted,
//! each once, with the event's id equal to the message's seq. A client that drops the connection
//! and comes back with `Last-Event-ID`, on the other process, gets every message it missed and
//! none it already had, and then the new ones as they come. A support agent's stream carries the
//! messages of unassigned conversations and of their own, not those of a conversation assigned to
//! another agent, and stops carrying a conversation once it is assigned to someone else;
//! `conversation_id` narrows the stream to one conversation and is 404 beyond the caller's scope;
//! a `Last-Event-ID` that is not a number is 400, naming the header. A stream opened without a
//! place to resume from starts at the moment it opened: earlier messages are not sent, later ones
//! are, and `last_event_id` in the query resumes like the header.

use std::time::Duration;

use rapport_tests::{TestApp, assert_problem, backends, error_pairs, pairs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// How long a stream may take to show its first write, or a message that should come.
const PATIENCE: Duration = Duration::from_secs(10);

/// How long a stream must stay silent to show that nothing more is coming.
const QUIET: Duration = Duration::from_millis(1500);

/// One event of the stream: its `id:`, its `event:` name and its `data:` as JSON.
#[derive(Debug, Clone)]
struct Event {
    id: u64,
    name: String,
    data: Value,
}

impl Event {
    fn body(&self) -> &str {
        self.data["body"].as_str().expect("a message has a body")
    }

    fn sender_type(&self) -> &str {
        self.data["sender"]["type"]
            .as_str()
            .expect("a message has a sender type")
    }

    fn conversation_id(&self) -> &str {
        self.data["conversation_id"]
            .as_str()
            .expect("a message names its conversation")
    }
}

/// The fields of one block of the stream (the lines up to a blank line); comments are dropped.
#[derive(Debug, Default)]
struct Block {
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
    retry: Option<String>,
}

impl Block {
    fn parse(text: &str) -> Block {
        let mut block = Block::default();
        for line in text.split('\n') {
            if line.is_empty() || line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "id" => block.id = Some(value.to_owned()),
                "event" => block.event = Some(value.to_owned()),
                "retry" => block.retry = Some(value.to_owned()),
                "data" => {
                    block.data = Some(match block.data.take() {
                        Some(before) => format!("{before}\n{value}"),
                        None => value.to_owned(),
                    });
                }
                _ => {}
            }
        }
        block
    }
}

/// An open `GET /api/v1/conversations/stream`, read a chunk at a time.
struct EventStream {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

/// A refused stream: the status, the content type and the problem.
type Refusal = (StatusCode, String, Value);

impl EventStream {
    /// Opens the stream at `base` as `token`, with `query` (`""` or `"?…"`) and an optional
    /// `Last-Event-ID`; reads its first write, which must be `retry: 2000`.
    async fn open(
        app: &TestApp,
        token: &str,
        query: &str,
        last_event_id: Option<&str>,
    ) -> EventStream {
        match Self::connect(app, token, query, last_event_id).await {
            Ok(stream) => stream,
            Err((status, content_type, body)) => {
                panic!("the stream{query} did not open: {status} {content_type} {body}")
            }
        }
    }

    /// As [`EventStream::open`], but a refusal is returned rather than a failure.
    async fn connect(
        app: &TestApp,
        token: &str,
        query: &str,
        last_event_id: Option<&str>,
    ) -> Result<EventStream, Refusal> {
        // The shared client gives up on a request after 60 seconds; a stream never ends.
        let client = reqwest::Client::builder()
            .connect_timeout(PATIENCE)
            .build()
            .expect("a client for the stream");
        let mut request = client
            .get(app.url(&format!("/api/v1/conversations/stream{query}")))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = tokio::time::timeout(PATIENCE, request.send())
            .await
            .expect("the stream answers in time")
            .expect("the stream request");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("a readable content type").to_owned())
            .unwrap_or_default();
        if status != StatusCode::OK {
            let bytes = tokio::time::timeout(PATIENCE, response.bytes())
                .await
                .expect("the refusal comes in time")
                .unwrap_or_default();
            return Err((
                status,
                content_type,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            ));
        }
        assert!(
            content_type.starts_with("text/event-stream"),
            "the stream's content type: {content_type}"
        );
        let mut stream = EventStream {
            response,
            buffer: Vec::new(),
        };
        let first = tokio::time::timeout(PATIENCE, stream.next_block())
            .await
            .expect("the stream's first write, `retry: 2000`, comes at once");
        assert_eq!(
            first.retry.as_deref(),
            Some("2000"),
            "the first thing written is `retry: 2000`: {first:?}"
        );
        assert!(first.data.is_none(), "{first:?}");
        Ok(stream)
    }

    /// The next complete block, waiting for chunks as long as it takes. Cancel-safe: a chunk is
    /// added to the buffer only once it has arrived.
    async fn next_block(&mut self) -> Block {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8(block).expect("the stream is UTF-8");
                return Block::parse(&text);
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self
                    .buffer
                    .extend(chunk.iter().copied().filter(|b| *b != b'\r')),
                Ok(None) => panic!("the stream ended; it must never end by itself"),
                Err(e) => panic!("reading the stream: {e}"),
            }
        }
    }

    /// The next event that carries data, or `None` when none came `within`; `retry:` blocks and
    /// comments (`: keep-alive`) are skipped.
    async fn next_event(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let block = tokio::time::timeout_at(deadline, self.next_block())
                .await
                .ok()?;
            let Some(data) = block.data else {
                continue;
            };
            let id = block
                .id
                .as_deref()
                .expect("every event has an id")
                .parse::<u64>()
                .expect("an event's id is a number");
            let data: Value = serde_json::from_str(&data).expect("an event's data is JSON");
            return Some(Event {
                id,
                name: block.event.unwrap_or_else(|| "message".to_owned()),
                data,
            });
        }
    }

    /// The next `count` events, all within `within`; each must be a `message` whose id is its seq.
    async fn messages(&mut self, count: usize, within: Duration) -> Vec<Event> {
        let deadline = tokio::time::Instant::now() + within;
        let mut events: Vec<Event> = Vec::with_capacity(count);
        while events.len() < count {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(event) = self.next_event(left).await else {
                let bodies: Vec<&str> = events.iter().map(Event::body).collect();
                panic!(
                    "{} of {count} events came within {within:?}: {bodies:?}",
                    events.len()
                );
            };
            assert_eq!(event.name, "message", "{event:?}");
            assert_eq!(
                event.data["seq"].as_u64(),
                Some(event.id),
                "an event's id is its message's seq: {event:?}"
            );
            events.push(event);
        }
        events
    }

    /// Asserts that nothing more comes for a while.
    async fn assert_quiet(&mut self) {
        if let Some(event) = self.next_event(QUIET).await {
            panic!("nothing more was due, yet came {event:?}");
        }
    }
}

fn bodies(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.body().to_owned()).collect()
}

fn ids(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.id).collect()
}

fn assert_strictly_increasing(ids: &[u64]) {
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids grow strictly: {ids:?}"
    );
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(&app
        .create_customer(&app.admin_token, json!({"name": name}))
        .await)
}

/// A new web conversation of `customer`'s, opened by the administrator; its id.
async fn conversation(app: &TestApp, customer: &str) -> String {
    let (status, created) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            &app.admin_token,
            Some(json!({"customer_id": customer, "channel": "web"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    id(&created)
}

/// Assigns `conversation` to `assignee` as the administrator (which posts a system message).
async fn assign(app: &TestApp, conversation: &str, assignee: Uuid) {
    let (status, updated) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/conversations/{conversation}"),
            &app.admin_token,
            Some(json!({"assignee_id": assignee})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["assignee_id"], assignee.to_string(), "{updated}");
}

/// Posts `body` into `conversation` as `token`; the MessageView.
async fn post(app: &TestApp, token: &str, conversation: &str, body: &str) -> Value {
    let (status, message) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            token,
            Some(json!({ "body": body })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}: {message}");
    message
}

fn seq(message: &Value) -> u64 {
    message["seq"].as_u64().expect("a message has a seq")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sees_a_hundred_messages_from_two_processes_in_order_and_resumes_without_loss() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let process = app.process(env!("CARGO_BIN_EXE_rapport-test-server")).await;
        let other = &process.app;
        let servers = [&app, other];
        let chat = conversation(&app, &customer(&app, "Mei").await).await;

        // A hundred messages, posted one after another through both processes, read as they come.
        let mut stream = EventStream::open(&app, &app.admin_token, "", None).await;
        let posting = async {
            let mut seqs = Vec::new();
            for i in 0..100 {
                let server = servers[i % 2];
                let body = format!("message {i}");
                seqs.push(seq(&post(server, &server.admin_token, &chat, &body).await));
            }
            seqs
        };
        let (posted, events) = tokio::join!(posting, stream.messages(100, Duration::from_secs(30)));
        let expected: Vec<String> = (0..100).map(|i| format!("message {i}")).collect();
        assert_eq!(bodies(&events), expected, "{backend:?}");
        assert_strictly_increasing(&ids(&events));
        assert_eq!(
            ids(&events),
            posted,
            "each event's id is the seq its post answered"
        );
        for event in &events {
            assert_eq!(event.data["seq"].as_u64(), Some(event.id), "{event:?}");
            assert_eq!(event.conversation_id(), chat, "{event:?}");
            assert_eq!(event.sender_type(), "agent", "{event:?}");
        }
        let last_of_first_hundred = events.last().expect("a hundred events").id;
        drop(stream);

        // Another hundred, all posted before any is read; the client reads forty and goes away.
        let mut stream = EventStream::open(
            &app,
            &app.admin_token,
            "",
            Some(&last_of_first_hundred.to_string()),
        )
        .await;
        for n in 1..=100 {
            let server = servers[n % 2];
            post(server, &server.admin_token, &chat, &format!("resumed {n}")).await;
        }
        let seen = stream.messages(40, Duration::from_secs(20)).await;
        let expected: Vec<String> = (1..=40).map(|n| format!("resumed {n}")).collect();
        assert_eq!(bodies(&seen), expected, "{backend:?}");
        assert!(seen[0].id > last_of_first_hundred, "{:?}", seen[0]);
        let fortieth = seen.last().expect("forty events").id;
        drop(stream);

        // Twenty more while it is away; it comes back to the other process from the fortieth.
        for n in 101..=120 {
            let server = servers[n % 2];
            post(server, &server.admin_token, &chat, &format!("resumed {n}")).await;
        }
        let mut stream =
            EventStream::open(other, &other.admin_token, "", Some(&fortieth.to_string())).await;
        let rest = stream.messages(80, Duration::from_secs(20)).await;
        let expected: Vec<String> = (41..=120).map(|n| format!("resumed {n}")).collect();
        assert_eq!(
            bodies(&rest),
            expected,
            "none lost, none repeated ({backend:?})"
        );
        assert!(rest[0].id > fortieth, "{:?}", rest[0]);
        assert_strictly_increasing(&ids(&rest));
        stream.assert_quiet().await;

        // After the missed ones, new ones come as they are posted, from the first process too.
        let live = post(&app, &app.admin_token, &chat, "after the resumption").await;
        let next = stream.messages(1, PATIENCE).await;
        assert_eq!(bodies(&next), ["after the resumption"]);
        assert_eq!(next[0].id, seq(&live));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_agent_streams_unassigned_conversations_and_their_own_only() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = app.admin_token.as_str();
        let (ann_id, ann) = app.user_with_role("support").await;
        let (bob_id, bob) = app.user_with_role("support").await;
        let (_, sales) = app.user_with_role("sales").await;
        let lin = customer(&app, "Lin").await;
        let unassigned = conversation(&app, &lin).await;
        let anns = conversation(&app, &lin).await;
        let bobs = conversation(&app, &lin).await;
        assign(&app, &anns, ann_id).await;
        assign(&app, &bobs, bob_id).await;

        // The assignments' system messages were posted before any stream opened: none carries them.
        let mut everything = EventStream::open(&app, admin, "", None).await;
        let mut ann_all = EventStream::open(&app, &ann, "", None).await;
        let mut bob_all = EventStream::open(&app, &bob, "", None).await;
        let mut ann_one =
            EventStream::open(&app, &ann, &format!("?conversation_id={anns}"), None).await;

        // Each stream's last expected message comes after every one it must not carry, and the
        // stream keeps seq order: had it carried one, it would have come before.
        for (chat, body) in [
            (&bobs, "bob 1"),
            (&unassigned, "unassigned 1"),
            (&anns, "ann 1"),
            (&bobs, "bob 2"),
            (&anns, "ann 2"),
            (&bobs, "bob 3"),
        ] {
            post(&app, admin, chat, body).await;
        }
        let all = everything.messages(6, PATIENCE).await;
        assert_eq!(
            bodies(&all),
            ["bob 1", "unassigned 1", "ann 1", "bob 2", "ann 2", "bob 3"],
            "{backend:?}"
        );
        assert_strictly_increasing(&ids(&all));
        assert_eq!(
            bodies(&ann_all.messages(3, PATIENCE).await),
            ["unassigned 1", "ann 1", "ann 2"],
            "{backend:?}"
        );
        assert_eq!(
            bodies(&bob_all.messages(4, PATIENCE).await),
            ["bob 1", "unassigned 1", "bob 2", "bob 3"],
            "{backend:?}"
        );
        let narrowed = ann_one.messages(2, PATIENCE).await;
        assert_eq!(bodies(&narrowed), ["ann 1", "ann 2"], "{backend:?}");
        assert!(narrowed.iter().all(|e| e.conversation_id() == anns));

        // Once the unassigned conversation is Bob's, Ann's stream no longer carries it: neither
        // the assignment's system message nor what follows.
        assign(&app, &unassigned, bob_id).await;
        post(&app, admin, &unassigned, "unassigned 2").await;
        post(&app, admin, &anns, "ann 3").await;
        post(&app, admin, &bobs, "bob 4").await;
        let all = everything.messages(4, PATIENCE).await;
        assert_eq!(
            bodies(&all),
            [
                "The conversation was assigned.",
                "unassigned 2",
                "ann 3",
                "bob 4"
            ],
            "{backend:?}"
        );
        assert_eq!(all[0].sender_type(), "system", "{:?}", all[0]);
        assert_eq!(all[0].conversation_id(), unassigned, "{:?}", all[0]);
        assert_eq!(bodies(&ann_all.messages(1, PATIENCE).await), ["ann 3"]);
        let bobs_next = bob_all.messages(3, PATIENCE).await;
        assert_eq!(
            bodies(&bobs_next),
            ["The conversation was assigned.", "unassigned 2", "bob 4"],
            "{backend:?}"
        );
        assert_eq!(bodies(&ann_one.messages(1, PATIENCE).await), ["ann 3"]);
        drop((everything, ann_all, bob_all, ann_one));

        // A conversation beyond the agent's scope, or none at all, is not found.
        for chat in [bobs.clone(), unassigned.clone(), Uuid::new_v4().to_string()] {
            let query = format!("?conversation_id={chat}");
            let Err((status, content_type, problem)) =
                EventStream::connect(&app, &ann, &query, None).await
            else {
                panic!("Ann's stream of {chat} opened");
            };
            assert_problem(status, &problem, 404, "not_found");
            assert!(
                content_type.starts_with("application/problem+json"),
                "{content_type}"
            );
        }

        // A place to resume from that is not a non-negative integer is refused.
        for bad in ["abc", "-1", "1.5"] {
            let Err((status, content_type, problem)) =
                EventStream::connect(&app, &ann, "", Some(bad)).await
            else {
                panic!("a stream with Last-Event-ID {bad} opened");
            };
            assert_problem(status, &problem, 400, "bad_request");
            assert_eq!(
                error_pairs(&problem),
                pairs(&[("Last-Event-ID", "invalid_parameter")]),
                "{problem}"
            );
            assert!(
                content_type.starts_with("application/problem+json"),
                "{content_type}"
            );
        }
        let refused = EventStream::connect(&app, &ann, "?last_event_id=abc", None)
            .await
            .err();
        assert_eq!(
            refused.as_ref().map(|(status, _, _)| *status),
            Some(StatusCode::BAD_REQUEST),
            "last_event_id=abc in the query: {refused:?}"
        );

        // Roles without conversations:read have no stream.
        let Err((status, _, problem)) = EventStream::connect(&app, &sales, "", None).await else {
            panic!("a sales user's stream opened");
        };
        assert_problem(status, &problem, 403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_a_place_to_resume_from_starts_when_it_opens() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = app.admin_token.as_str();
        let chat = conversation(&app, &customer(&app, "Zhou").await).await;
        let first = post(&app, admin, &chat, "before 1").await;
        post(&app, admin, &chat, "before 2").await;
        post(&app, admin, &chat, "before 3").await;

        // Earlier messages would come first, in seq order; the first event is the later message.
        let mut stream = EventStream::open(&app, admin, "", None).await;
        let after = post(&app, admin, &chat, "after").await;
        let events = stream.messages(1, PATIENCE).await;
        assert_eq!(bodies(&events), ["after"], "{backend:?}");
        assert_eq!(events[0].id, seq(&after));
        stream.assert_quiet().await;

        // `last_event_id` in the query resumes as the header does, then goes on live.
        let mut resumed = EventStream::open(
            &app,
            admin,
            &format!("?last_event_id={}", seq(&first)),
            None,
        )
        .await;
        let events = resumed.messages(3, PATIENCE).await;
        assert_eq!(
            bodies(&events),
            ["before 2", "before 3", "after"],
            "{backend:?}"
        );
        assert_strictly_increasing(&ids(&events));
        post(&app, admin, &chat, "later").await;
        assert_eq!(bodies(&resumed.messages(1, PATIENCE).await), ["later"]);
        assert_eq!(bodies(&stream.messages(1, PATIENCE).await), ["later"]);
    }
}
