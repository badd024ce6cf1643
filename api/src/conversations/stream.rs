//! `GET /conversations/stream`: new chat messages as Server-Sent Events, to every agent who may
//! see them, in order, resumable after any of them.
//!
//! The database is the only source of truth: a message is stored with its place (`seq`) in one
//! sequence that becomes visible in order (see `rapport_persistence::conversations`). Each
//! process runs one [`ChatHub`]: woken whenever a message may have been stored (by this process,
//! by another through PostgreSQL's `NOTIFY`, and at least every second in case a notice was
//! lost), it reads what is new once and broadcasts it, rendered, to the process's streams as a
//! batch that says which stretch of the sequence it covers. A stream keeps its own place: what it
//! missed (a gap before a batch, a batch dropped because it fell behind, everything after the
//! client's `Last-Event-ID`) it reads from the database itself, a page at a time, before it takes
//! batches again. So no message is lost, none comes twice, and a slow client slows only itself.
//! When the process is told to stop, its streams end at once instead of holding up the shutdown.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse, get, http::header};
use rapport_persistence::Db;
use rapport_persistence::conversations::{self as store, Streamed};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::MessageView;
use crate::auth::Auth;
use crate::extract::ValidQuery;
use crate::problem::{ApiError, ErrorCode};
use crate::state::AppState;

/// How often the hub looks for new messages when nothing woke it.
const POLL: Duration = Duration::from_secs(1);
/// How long a stream stays silent before it sends a comment, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The most messages read from the database at once.
const PAGE: u64 = 500;
/// How many batches a stream may fall behind before it reads what it missed itself.
const BACKLOG: usize = 256;
/// What a client waits before reconnecting, in milliseconds: the stream's first line.
const RETRY: &[u8] = b"retry: 2000\n\n";

/// A message as a stream sends it: who may see it, and its event, rendered once.
#[derive(Debug)]
struct Event {
    seq: i64,
    conversation_id: Uuid,
    assignee_id: Option<Uuid>,
    frame: Bytes,
}

impl Event {
    fn of(streamed: Streamed) -> Event {
        let Streamed {
            message,
            assignee_id,
        } = streamed;
        let (seq, conversation_id) = (message.seq, message.conversation_id);
        let data = serde_json::to_string(&MessageView::from(message)).unwrap_or_default();
        Event {
            seq,
            conversation_id,
            assignee_id,
            frame: Bytes::from(format!("id: {seq}\nevent: message\ndata: {data}\n\n")),
        }
    }
}

/// The stretch of the sequence after `after` up to `upto`, every message in it.
#[derive(Debug)]
struct Batch {
    after: i64,
    upto: i64,
    events: Vec<Event>,
}

/// The process's reader of new messages, the count of its open streams, and whether the process
/// is shutting down.
pub struct ChatHub {
    batches: broadcast::Sender<Arc<Batch>>,
    open: AtomicUsize,
    limit: usize,
    closing: watch::Sender<bool>,
}

impl ChatHub {
    /// A hub that allows `limit` open streams.
    pub fn new(limit: usize) -> Arc<ChatHub> {
        Arc::new(ChatHub {
            batches: broadcast::channel(BACKLOG).0,
            open: AtomicUsize::new(0),
            limit,
            closing: watch::channel(false).0,
        })
    }

    /// Ends every stream once the process is told to stop (SIGTERM, or SIGINT), so that the
    /// server's graceful shutdown is not held up by them: their clients reconnect elsewhere and
    /// resume with `Last-Event-ID`.
    pub async fn close_on_shutdown(self: Arc<Self>) {
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
        self.closing.send_replace(true);
    }

    /// Reads and broadcasts new messages for as long as the process runs; see the module
    /// documentation.
    pub async fn run(self: Arc<Self>, db: Db) {
        let wake = db.chat_posted();
        let mut position: Option<i64> = None;
        loop {
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            if self.batches.receiver_count() == 0 {
                // No one listens: nothing to read; a stream that opens reads its own start.
                position = None;
                continue;
            }
            let start = match position {
                Some(at) => at,
                None => match store::latest(db.conn()).await {
                    Ok(at) => {
                        // Where the hub starts, as an empty batch: a stream that opened
                        // before a message the hub now starts after reads it back itself.
                        let _ = self.batches.send(Arc::new(Batch {
                            after: at,
                            upto: at,
                            events: Vec::new(),
                        }));
                        at
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "chat: cannot read the latest message");
                        continue;
                    }
                },
            };
            position = Some(self.broadcast_after(&db, start).await);
        }
    }

    /// Broadcasts every message after `at`, a page per batch; where it got to.
    async fn broadcast_after(&self, db: &Db, mut at: i64) -> i64 {
        loop {
            match store::after(db.conn(), at, None, PAGE).await {
                Ok(rows) => {
                    let Some(upto) = rows.last().map(|r| r.message.seq) else {
                        return at;
                    };
                    let full = rows.len() as u64 == PAGE;
                    let events = rows.into_iter().map(Event::of).collect();
                    // No receiver left is no error: the next stream reads its own start.
                    let _ = self.batches.send(Arc::new(Batch {
                        after: at,
                        upto,
                        events,
                    }));
                    at = upto;
                    if !full {
                        return at;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "chat: cannot read new messages");
                    return at;
                }
            }
        }
    }
}

/// Holds one of the hub's open streams until dropped.
struct Opened(Arc<ChatHub>);

impl Opened {
    fn take(hub: &Arc<ChatHub>) -> Option<Opened> {
        let was = hub.open.fetch_add(1, Ordering::SeqCst);
        let opened = Opened(Arc::clone(hub));
        (was < hub.limit).then_some(opened)
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One client's stream: where it is in the sequence, what it may see, and what is ready to go.
struct Follower {
    db: Db,
    batches: broadcast::Receiver<Arc<Batch>>,
    /// The last place this stream has dealt with: sent, or passed over as not its to see.
    cursor: i64,
    /// Reading what it missed from the database, a page at a time.
    catching_up: bool,
    owner: Option<Uuid>,
    conversation: Option<Uuid>,
    ready: VecDeque<Bytes>,
    closing: watch::Receiver<bool>,
    _opened: Opened,
}

impl Follower {
    fn sees(&self, conversation_id: Uuid, assignee_id: Option<Uuid>) -> bool {
        self.conversation.is_none_or(|c| c == conversation_id)
            && store::reaches(self.owner, assignee_id)
    }

    /// Reads the next page after the cursor from the database; caught up when it is not full.
    async fn catch_up(&mut self) -> Result<(), rapport_persistence::Error> {
        let rows = store::after(self.db.conn(), self.cursor, self.conversation, PAGE).await?;
        self.catching_up = rows.len() as u64 == PAGE;
        for row in rows {
            self.cursor = row.message.seq;
            if self.sees(row.message.conversation_id, row.assignee_id) {
                self.ready.push_back(Event::of(row).frame);
            }
        }
        Ok(())
    }

    /// Takes a batch from the hub: after reading what lies between the cursor and it first.
    fn take(&mut self, batch: &Batch) {
        if batch.upto <= self.cursor {
            return;
        }
        if batch.after > self.cursor {
            self.catching_up = true;
            return;
        }
        for event in &batch.events {
            if event.seq > self.cursor && self.sees(event.conversation_id, event.assignee_id) {
                self.ready.push_back(event.frame.clone());
            }
        }
        self.cursor = batch.upto;
    }

    /// The next bytes to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(frame) = self.ready.pop_front() {
                return Some(frame);
            }
            if self.catching_up {
                if let Err(e) = self.catch_up().await {
                    tracing::warn!(error = %e, "chat: a stream cannot read what it missed");
                    return None;
                }
                continue;
            }
            tokio::select! {
                received = self.batches.recv() => match received {
                    Ok(batch) => self.take(&batch),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.catching_up = true,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                () = tokio::time::sleep(KEEP_ALIVE) => return Some(Bytes::from_static(b": keep-alive\n\n")),
                _ = self.closing.changed() => return None,
            }
        }
    }
}

/// The name of a stream's events.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatStreamEventName {
    /// A new message in a conversation the caller may see.
    Message,
}

/// One event of `GET /conversations/stream`, as its fields: on the wire each field is a line
/// `<field>: <value>` and a blank line ends the event (`data` is the message as one line of
/// JSON).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 42, "event": "message",
    "data": {
        "id": "0193a5d2-2222-7000-8000-000000000007", "seq": 42,
        "conversation_id": "0193a5d2-1111-7000-8000-000000000001",
        "sender": {"type": "customer", "id": "0193a5c6-9999-7000-8000-000000000001"},
        "body": "在吗？我的快递到哪了？", "created_at": "2026-12-06T09:12:00Z"
    }
}))]
pub struct ChatStreamEvent {
    /// The message's `seq`: send it back as `Last-Event-ID` to resume after it.
    pub id: i64,
    /// What happened.
    pub event: ChatStreamEventName,
    /// The message.
    pub data: MessageView,
}

/// Which messages the stream carries, and where it resumes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only this conversation's messages (404 when it does not exist or is beyond the caller's
    /// reach).
    pub conversation_id: Option<Uuid>,
    /// Resume after the message with this `seq`, as the `Last-Event-ID` header does (for
    /// clients that cannot set headers); the header wins when both are given.
    #[param(minimum = 0, example = 42)]
    pub last_event_id: Option<i64>,
}

/// The place a client resumes after: `Last-Event-ID`, else `last_event_id`.
fn resume_after(req: &HttpRequest, query: Option<i64>) -> Result<Option<i64>, ApiError> {
    let refused = |name: &str| {
        ApiError::bad_parameter(
            name,
            "invalid_parameter",
            "the id of an event: a whole number, 0 or more",
        )
    };
    match req.headers().get("last-event-id") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|&seq| seq >= 0)
            .map(Some)
            .ok_or_else(|| refused("Last-Event-ID")),
        None => match query {
            Some(seq) if seq < 0 => Err(refused("last_event_id")),
            other => Ok(other),
        },
    }
}

/// Follow new messages.
///
/// A Server-Sent Events stream (`text/event-stream`) that stays open: every new message of the
/// conversations the caller may see (agents whose role reaches only their own conversations:
/// those assigned to them or to no one), in the order they were stored, whichever server
/// process they were posted to. It starts with `retry: 2000`; each message is one event named
/// `message`, whose `id` is the message's `seq` and whose `data` is the message as `GET
/// /conversations/{id}/messages` shows it, on one line:
///
/// ```text
/// id: 42
/// event: message
/// data: {"id":"0193a5d2-…","seq":42,"conversation_id":"0193a5d2-…","sender":{"type":"customer","id":null},"body":"在吗？","created_at":"2026-12-06T09:12:00Z"}
/// ```
///
/// A comment line `: keep-alive` comes after 15 seconds without an event. Without
/// `Last-Event-ID` the stream carries what is posted after it opened; with it (or
/// `last_event_id`), every message after that one first, so a client that reconnects misses
/// nothing and receives nothing twice. Closing, reopening, assigning and turning a conversation
/// into a ticket post `system` messages, which the stream carries too. Try it with
/// `curl -N -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/conversations/stream`.
#[utoipa::path(
    tag = "conversations",
    operation_id = "stream_conversation_messages",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `seq` of the last message received: resume after it"),
    ),
    responses(
        (status = 200, description = "The stream: one `message` event per new message, `id: <seq>`, the message as `data`",
            content_type = "text/event-stream", body = ChatStreamEvent),
        (status = 503, description = "`too_many_streams`: the server holds as many streams as it allows; retry later", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/conversations/stream")]
pub async fn stream_conversation_messages(
    state: Data<AppState>,
    hub: Data<ChatHub>,
    auth: Auth,
    req: HttpRequest,
    query: ValidQuery<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let resume = resume_after(&req, q.last_event_id)?;
    let owner = auth.owner();
    if let Some(id) = q.conversation_id {
        store::get(state.db.conn(), owner, id).await?;
    }
    let hub = hub.into_inner();
    let opened = Opened::take(&hub).ok_or_else(|| {
        ApiError::new(
            ErrorCode::TooManyStreams,
            format!(
                "this server holds {} streams, as many as it allows",
                hub.limit
            ),
        )
    })?;
    // Listening before reading where to start: whatever is stored after that point either
    // comes in a batch or is read back in a gap.
    let batches = hub.batches.subscribe();
    let cursor = match resume {
        Some(seq) => seq,
        None => store::latest(state.db.conn()).await?,
    };
    let follower = Follower {
        db: state.db.clone(),
        batches,
        cursor,
        catching_up: true,
        owner,
        conversation: q.conversation_id,
        ready: VecDeque::from([Bytes::from_static(RETRY)]),
        closing: hub.closing.subscribe(),
        _opened: opened,
    };
    let events = futures_util::stream::unfold(follower, |mut follower| async move {
        let frame = follower.next().await?;
        Some((Ok::<_, actix_web::Error>(frame), follower))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Proxies such as nginx pass each event on at once.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(events))
}
