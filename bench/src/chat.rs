//! `rapport-bench chat`: live chat's fan-out, against a running server. Opens `--streams`
//! Server-Sent Events streams (`GET /api/v1/conversations/stream`) as one administrator, records
//! the server's RSS before and after (with `--pid`), then posts `--messages` messages to one
//! conversation at `--rate` a second and times each one's arrival on every stream.
//!
//! - **Fan-out latency** of one delivery: from the instant just before the message's POST was
//!   sent to the instant its event was read on one stream (streams × messages deliveries).
//! - **The baseline**, measured in the same run: each POST's own time, from sending it to
//!   reading its answer (the write itself). The ratio is fan-out p99 ÷ POST p99.
//!
//! Every stream must receive every message, once, in increasing `id` order, within 60 s of the
//! last POST; anything else is printed as a failure and the command exits non-zero. The output
//! starts with the machine and the commit and ends with one `RESULT` line, as `bench/run`'s.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// How many streams are opened at once.
const BATCH: usize = 50;
/// How long a batch of streams may take to open and write their first block.
const OPEN_PATIENCE: Duration = Duration::from_secs(30);
/// How long the server is left alone after the last stream opened, before its RSS is read.
const SETTLE: Duration = Duration::from_secs(1);
/// How long after the last POST every message must have reached every stream.
const DELIVERY_PATIENCE: Duration = Duration::from_secs(60);
/// How often the count of deliveries is looked at while waiting for the last ones.
const POLL: Duration = Duration::from_millis(10);

/// What `chat` measures against.
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// The server.
    #[arg(long, env = "RAPPORT_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An administrator's email (an administrator's stream carries every conversation).
    #[arg(
        long,
        env = "RAPPORT_ADMIN_EMAIL",
        default_value = "admin@rapport.localhost"
    )]
    pub email: String,
    /// Their password.
    #[arg(long, env = "RAPPORT_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// How many streams to hold open (each is one HTTP/1.1 connection).
    #[arg(long, default_value_t = 500)]
    pub streams: usize,
    /// How many messages to post and time.
    #[arg(long, default_value_t = 200)]
    pub messages: usize,
    /// Messages posted per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Messages posted first, untimed, before the streams open (the server's first writes pay
    /// for preparing their statements); no stream receives them.
    #[arg(long, default_value_t = 5)]
    pub warm_up: usize,
    /// The server's process id: its RSS (`VmRSS` in `/proc/<pid>/status`) is read before the
    /// streams open, once they are open, and after the messages.
    #[arg(long)]
    pub pid: Option<u32>,
}

/// What one stream saw.
#[derive(Debug, Default)]
struct StreamLog {
    /// Each event of the run's conversation: its `seq` and when it was read.
    arrivals: Vec<(i64, Instant)>,
    /// Events whose `id` was not greater than the one before (a repeat or a step back).
    out_of_order: usize,
    /// Blocks that were not valid UTF-8, message events without a numeric `id`, or whose `data`
    /// was not a message with that `seq`.
    malformed: usize,
    /// Why the stream ended before it was closed, when it did.
    ended: Option<String>,
}

/// One stream being read, as its own task.
struct Follower {
    response: Response,
    /// The run's conversation: only its messages are timed.
    conversation: Arc<str>,
    /// Told when the stream's `retry:` block arrives.
    ready: Option<oneshot::Sender<()>>,
    /// Deliveries of the run's messages, over every stream.
    delivered: Arc<AtomicUsize>,
    /// Changes (or closes) when the stream is to be dropped.
    stop: watch::Receiver<bool>,
    last_id: Option<i64>,
    log: StreamLog,
}

impl Follower {
    /// Reads the stream until told to stop or until it ends; what it saw.
    async fn run(mut self) -> StreamLog {
        let mut buffer: Vec<u8> = Vec::new();
        loop {
            let chunk = tokio::select! {
                chunk = self.response.chunk() => Some(chunk),
                _ = self.stop.changed() => None,
            };
            let Some(chunk) = chunk else {
                return self.log;
            };
            let at = Instant::now();
            match chunk {
                Ok(Some(bytes)) => buffer.extend_from_slice(&bytes),
                Ok(None) => {
                    self.log.ended = Some("the server ended the stream".into());
                    return self.log;
                }
                Err(e) => {
                    self.log.ended = Some(e.to_string());
                    return self.log;
                }
            }
            // Rapport ends each block with a blank line, written as "\n\n".
            let mut start = 0;
            while let Some(end) = buffer[start..].windows(2).position(|w| w == b"\n\n") {
                self.take(&buffer[start..start + end], at);
                start += end + 2;
            }
            buffer.drain(..start);
        }
    }

    /// Deals with one block of the stream (its lines, without the blank line), read at `at`.
    fn take(&mut self, block: &[u8], at: Instant) {
        let Ok(text) = std::str::from_utf8(block) else {
            self.log.malformed += 1;
            return;
        };
        let block = Block::parse(text);
        if block.retry.is_some()
            && let Some(ready) = self.ready.take()
        {
            let _ = ready.send(());
        }
        // Comments (`: keep-alive`) and the `retry:` block carry no data.
        let Some(data) = block.data else {
            return;
        };
        if block.event.is_some_and(|name| name != "message") {
            return;
        }
        let Some(id) = block.id.and_then(|id| id.parse::<i64>().ok()) else {
            self.log.malformed += 1;
            return;
        };
        if self.last_id.is_some_and(|last| id <= last) {
            self.log.out_of_order += 1;
            return;
        }
        self.last_id = Some(id);
        let Ok(message) = serde_json::from_str::<Value>(&data) else {
            self.log.malformed += 1;
            return;
        };
        if message["seq"].as_i64() != Some(id) {
            self.log.malformed += 1;
            return;
        }
        if message["conversation_id"].as_str() == Some(&*self.conversation) {
            self.log.arrivals.push((id, at));
            self.delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The fields of one block of an event stream.
#[derive(Debug, Default)]
struct Block<'a> {
    id: Option<&'a str>,
    event: Option<&'a str>,
    data: Option<String>,
    retry: Option<&'a str>,
}

impl<'a> Block<'a> {
    /// Reads `field: value` lines; comment lines (`:` first) are skipped, `data` lines joined.
    fn parse(text: &'a str) -> Block<'a> {
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
                "id" => block.id = Some(value),
                "event" => block.event = Some(value),
                "retry" => block.retry = Some(value),
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

/// The open streams: their tasks and the signal that ends them. Dropping it ends them too.
struct Streams {
    tasks: Vec<JoinHandle<StreamLog>>,
    stop: watch::Sender<bool>,
    delivered: Arc<AtomicUsize>,
}

impl Streams {
    fn new() -> Streams {
        Streams {
            tasks: Vec::new(),
            stop: watch::channel(false).0,
            delivered: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Deliveries of the run's messages so far, over every stream.
    fn delivered(&self) -> usize {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Whether every stream has ended by itself (none is left to wait for).
    fn all_ended(&self) -> bool {
        self.tasks.iter().all(JoinHandle::is_finished)
    }

    /// Starts reading a stream that has just answered; told on `ready` when its `retry:` comes.
    fn follow(&mut self, response: Response, conversation: &Arc<str>) -> oneshot::Receiver<()> {
        let (ready, readied) = oneshot::channel();
        let follower = Follower {
            response,
            conversation: Arc::clone(conversation),
            ready: Some(ready),
            delivered: Arc::clone(&self.delivered),
            stop: self.stop.subscribe(),
            last_id: None,
            log: StreamLog::default(),
        };
        self.tasks.push(tokio::spawn(follower.run()));
        readied
    }

    /// Drops every stream; what each saw.
    async fn close(mut self) -> Result<Vec<StreamLog>, String> {
        let _ = self.stop.send(true);
        let mut logs = Vec::with_capacity(self.tasks.len());
        for task in std::mem::take(&mut self.tasks) {
            logs.push(
                task.await
                    .map_err(|e| format!("a stream's task failed: {e}"))?,
            );
        }
        Ok(logs)
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// One timed POST of a message.
struct Posted {
    seq: i64,
    /// Just before the request was sent.
    started: Instant,
    /// From sending the request to reading its answer.
    took: Duration,
}

/// What to change on the server for an answer the benchmark cannot go on after.
fn hint(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => " (raise RAPPORT_RATE_LIMIT on the server: every stream opened is a request)",
        503 => " (raise RAPPORT_MAX_STREAMS on the server)",
        _ => "",
    }
}

/// Sends `body` to `url` and reads the answer's JSON; an answer other than `expected` is an error.
async fn send(
    client: &Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
    expected: StatusCode,
) -> Result<Value, String> {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let answer: Value = response
        .json()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    if status == expected {
        Ok(answer)
    } else {
        Err(format!(
            "POST {url} answered {status}: {answer}{}",
            hint(status)
        ))
    }
}

/// The `id` in an answer.
fn id_of(answer: &Value, what: &str) -> Result<String, String> {
    answer["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{what} has no id: {answer}"))
}

/// Opens one stream: its answer, once the server has sent its headers.
async fn open(client: &Client, url: &str, token: &str) -> Result<Response, String> {
    let response = client
        .get(url)
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .map_err(|e| format!("cannot open a stream: {e}"))?;
    let status = response.status();
    if status == StatusCode::OK {
        Ok(response)
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(format!(
            "a stream answered {status}: {body}{}",
            hint(status)
        ))
    }
}

/// Opens `count` more streams at once and starts reading them; done when each has written its
/// first block (`retry:`).
async fn open_batch(
    client: &Client,
    url: &str,
    token: &str,
    conversation: &Arc<str>,
    count: usize,
    streams: &mut Streams,
) -> Result<(), String> {
    let responses = join_all((0..count).map(|_| open(client, url, token))).await;
    let mut readied = Vec::with_capacity(count);
    for response in responses {
        readied.push(streams.follow(response?, conversation));
    }
    if join_all(readied).await.iter().any(Result::is_err) {
        return Err("a stream ended before its first block (retry:)".to_owned());
    }
    Ok(())
}

/// Opens `count` streams, `BATCH` at a time: a batch once the one before is open and written to.
async fn open_all(
    client: &Client,
    url: &str,
    token: &str,
    conversation: &Arc<str>,
    count: usize,
    streams: &mut Streams,
) -> Result<(), String> {
    while streams.tasks.len() < count {
        let batch = BATCH.min(count - streams.tasks.len());
        let opening = open_batch(client, url, token, conversation, batch, streams);
        tokio::time::timeout(OPEN_PATIENCE, opening)
            .await
            .map_err(|_| {
                format!(
                    "{batch} streams did not all open and write their first block within {} s",
                    OPEN_PATIENCE.as_secs()
                )
            })??;
        eprintln!("chat: {} of {count} streams open", streams.tasks.len());
    }
    Ok(())
}

/// Posts `count` messages numbered from `from`, one every `interval`; the timed ones.
async fn post_messages(
    client: &Client,
    url: &str,
    token: &str,
    from: usize,
    count: usize,
    interval: Duration,
) -> Result<Vec<Posted>, String> {
    let mut ticker = tokio::time::interval(interval);
    let mut posted = Vec::with_capacity(count);
    for n in from..from + count {
        ticker.tick().await;
        let request = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({"body": format!("bench {n}")}))
            .build()
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let response = client
            .execute(request)
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let took = started.elapsed();
        if status != StatusCode::CREATED {
            return Err(format!(
                "POST {url} answered {status}: {answer}{}",
                hint(status)
            ));
        }
        let seq = answer["seq"]
            .as_i64()
            .ok_or_else(|| format!("a posted message has no seq: {answer}"))?;
        posted.push(Posted { seq, started, took });
    }
    Ok(posted)
}

/// The server's resident memory in KiB.
fn rss_kib(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("{path} has no VmRSS line"))
}

/// The server's RSS with `--pid`.
fn rss(pid: Option<u32>) -> Result<Option<u64>, String> {
    pid.map(rss_kib).transpose()
}

/// Cores, CPU model, memory and kernel, as `bench/all` writes them.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .filter(|line| line.starts_with("model name"))
        .find_map(|line| line.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} GiB", kib as f64 / 1_048_576.0),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores, {model}, {memory} RAM, Linux {}",
        kernel.trim()
    )
}

/// The checked-out commit, as `bench/all` names it.
fn commit() -> String {
    fn git(args: &[&str]) -> Option<String> {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
    match git(&["rev-parse", "--short", "HEAD"]) {
        None => "unknown".to_owned(),
        Some(id) => {
            let changed = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|changes| !changes.is_empty());
            if changed {
                format!("{id} (with uncommitted changes)")
            } else {
                id
            }
        }
    }
}

/// The value at `per_mille` thousandths of `sorted` (nearest rank); zero when it is empty.
fn percentile(sorted: &[Duration], per_mille: usize) -> Duration {
    let rank = (sorted.len() * per_mille).div_ceil(1000).max(1);
    sorted.get(rank - 1).copied().unwrap_or(Duration::ZERO)
}

/// A duration in milliseconds.
fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The server's RSS in KiB at the three points of the run (with `--pid`).
struct Memory {
    /// Before the streams open.
    idle: u64,
    /// Once they are open.
    held: u64,
    /// After the messages, the streams still open.
    end: u64,
}

impl Memory {
    /// What each open stream added, in KiB.
    fn per_stream(&self, streams: usize) -> f64 {
        (self.held as f64 - self.idle as f64) / streams as f64
    }
}

/// Every delivery set against its message's POST, and everything that went wrong.
#[derive(Debug, Default)]
struct Summary {
    /// The fan-out latency of each delivery that arrived, sorted.
    fanout: Vec<Duration>,
    /// Each POST's own time, sorted.
    posts: Vec<Duration>,
    /// Deliveries that never arrived.
    missing: usize,
    /// Streams that missed at least one message.
    streams_short: usize,
    out_of_order: usize,
    malformed: usize,
    /// Events of the run's conversation with a `seq` the run did not post.
    unexpected: usize,
    /// Why streams ended early, one per stream that did.
    ended: Vec<String>,
}

impl Summary {
    /// Sets what each stream saw against the POSTs; each stream should have seen `messages`.
    fn of(logs: Vec<StreamLog>, posted: &[Posted], messages: usize) -> Summary {
        let expected = logs.len() * messages;
        let started: HashMap<i64, Instant> = posted.iter().map(|p| (p.seq, p.started)).collect();
        let mut summary = Summary {
            fanout: Vec::with_capacity(expected),
            posts: posted.iter().map(|p| p.took).collect(),
            ..Summary::default()
        };
        for log in logs {
            let before = summary.fanout.len();
            for (seq, at) in log.arrivals {
                match started.get(&seq) {
                    Some(sent) => summary.fanout.push(at.saturating_duration_since(*sent)),
                    None => summary.unexpected += 1,
                }
            }
            if summary.fanout.len() - before < messages {
                summary.streams_short += 1;
            }
            summary.out_of_order += log.out_of_order;
            summary.malformed += log.malformed;
            summary.ended.extend(log.ended);
        }
        summary.missing = expected.saturating_sub(summary.fanout.len());
        summary.fanout.sort();
        summary.posts.sort();
        summary
    }

    /// A percentile of the fan-out latency in ms (1000: the maximum).
    fn fanout_ms(&self, per_mille: usize) -> f64 {
        ms(percentile(&self.fanout, per_mille))
    }

    /// A percentile of the POSTs' own time in ms.
    fn post_ms(&self, per_mille: usize) -> f64 {
        ms(percentile(&self.posts, per_mille))
    }

    /// Fan-out p99 ÷ POST p99.
    fn ratio(&self) -> f64 {
        self.fanout_ms(990) / self.post_ms(990)
    }

    /// What went wrong, one sentence each; empty when every stream got every message once, in
    /// order.
    fn failures(&self, expected: usize, streams: usize) -> Vec<String> {
        let mut failures = Vec::new();
        if self.missing > 0 {
            failures.push(format!(
                "{} of {expected} deliveries MISSING ({} of {streams} streams short) {} s after \
                 the last POST",
                self.missing,
                self.streams_short,
                DELIVERY_PATIENCE.as_secs()
            ));
        }
        if self.out_of_order > 0 {
            failures.push(format!(
                "{} events repeated or out of order",
                self.out_of_order
            ));
        }
        if self.malformed > 0 {
            failures.push(format!("{} malformed events", self.malformed));
        }
        if self.unexpected > 0 {
            failures.push(format!(
                "{} events of the run's conversation that the run did not post",
                self.unexpected
            ));
        }
        if let Some(first) = self.ended.first() {
            failures.push(format!(
                "{} streams ended before they were dropped (the first: {first})",
                self.ended.len()
            ));
        }
        failures
    }
}

/// Runs the scenario; prints what it measured and a `RESULT` line. An error when any delivery
/// is missing, repeated, out of order or malformed, or a stream ended early.
pub async fn run(args: ChatArgs) -> Result<(), String> {
    if args.streams == 0 || args.messages == 0 {
        return Err("--streams and --messages must be at least 1".into());
    }
    if !(args.rate.is_finite() && args.rate > 0.0) {
        return Err("--rate must be a positive number of messages per second".into());
    }
    let base = args.url.trim_end_matches('/').to_owned();
    let api = format!("{base}/api/v1");
    // Sign-in and the messages: their own connection, never one of the streams'.
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    // The streams: one connection each, kept open, so no overall timeout.
    let streaming = Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(args.streams)
        .build()
        .map_err(|e| e.to_string())?;

    let credentials = json!({"email": args.email, "password": args.password});
    let login = send(
        &client,
        &format!("{api}/auth/login"),
        None,
        &credentials,
        StatusCode::OK,
    )
    .await?;
    let token = login["access_token"]
        .as_str()
        .ok_or_else(|| format!("sign-in failed: {login}"))?
        .to_owned();
    let name = format!("Chat bench {}", uuid::Uuid::now_v7().simple());
    let customer = send(
        &client,
        &format!("{api}/customers"),
        Some(&token),
        &json!({"name": name}),
        StatusCode::CREATED,
    )
    .await?;
    let customer_id = id_of(&customer, "the customer")?;
    let conversation = send(
        &client,
        &format!("{api}/conversations"),
        Some(&token),
        &json!({"customer_id": customer_id, "channel": "web", "subject": name}),
        StatusCode::CREATED,
    )
    .await?;
    let conversation_id: Arc<str> = id_of(&conversation, "the conversation")?.into();
    let messages_url = format!("{api}/conversations/{conversation_id}/messages");
    let interval = Duration::try_from_secs_f64(1.0 / args.rate)
        .map_err(|_| format!("--rate {} is too low", args.rate))?
        .max(Duration::from_nanos(1));
    post_messages(&client, &messages_url, &token, 0, args.warm_up, interval).await?;

    let rss_idle = rss(args.pid)?;
    let mut streams = Streams::new();
    let opening = Instant::now();
    open_all(
        &streaming,
        &format!("{api}/conversations/stream"),
        &token,
        &conversation_id,
        args.streams,
        &mut streams,
    )
    .await?;
    let open_took = opening.elapsed();
    tokio::time::sleep(SETTLE).await;
    let rss_streams = rss(args.pid)?;

    eprintln!(
        "chat: posting {} messages at {}/s",
        args.messages, args.rate
    );
    let posted = post_messages(
        &client,
        &messages_url,
        &token,
        args.warm_up,
        args.messages,
        interval,
    )
    .await?;
    let posting_took = posted
        .first()
        .zip(posted.last())
        .map_or(Duration::ZERO, |(first, last)| {
            (last.started + last.took).saturating_duration_since(first.started)
        });
    let expected = args.streams * args.messages;
    let deadline = Instant::now() + DELIVERY_PATIENCE;
    while streams.delivered() < expected && Instant::now() < deadline && !streams.all_ended() {
        tokio::time::sleep(POLL).await;
    }
    let rss_end = rss(args.pid)?;
    let logs = streams.close().await?;

    let summary = Summary::of(logs, &posted, args.messages);
    let memory = match (rss_idle, rss_streams, rss_end) {
        (Some(idle), Some(held), Some(end)) => Some(Memory { idle, held, end }),
        _ => None,
    };

    println!("Machine: {}", machine());
    println!("Commit: {}", commit());
    match args.pid {
        Some(pid) => println!("Server: {base}, pid {pid}"),
        None => println!("Server: {base} (no --pid: RSS not read)"),
    }
    println!(
        "Streams held: {} (opened in {:.2} s, {BATCH} at a time)",
        args.streams,
        open_took.as_secs_f64()
    );
    if let Some(memory) = &memory {
        println!(
            "RSS: {} KiB idle → {} KiB with the streams open, {:.1} KiB per stream; {} KiB after \
             the messages",
            memory.idle,
            memory.held,
            memory.per_stream(args.streams),
            memory.end
        );
    }
    println!(
        "Messages: {} posted in {:.2} s ({:.1}/s, asked {}/s), after {} untimed",
        args.messages,
        posting_took.as_secs_f64(),
        args.messages as f64 / posting_took.as_secs_f64().max(f64::EPSILON),
        args.rate,
        args.warm_up
    );
    println!(
        "Deliveries: {} of {expected} ({} streams × {} messages)",
        summary.fanout.len(),
        args.streams,
        args.messages
    );
    println!(
        "Fan-out latency (POST sent → event read on a stream), ms: p50 {:.2}, p95 {:.2}, \
         p99 {:.2}, max {:.2}",
        summary.fanout_ms(500),
        summary.fanout_ms(950),
        summary.fanout_ms(990),
        summary.fanout_ms(1000)
    );
    println!(
        "POST latency (the write itself), ms: p50 {:.2}, p99 {:.2}",
        summary.post_ms(500),
        summary.post_ms(990)
    );
    println!("Fan-out p99 ÷ POST p99: {:.3}", summary.ratio());

    let mut result = vec![
        "RESULT scenario=chat".to_owned(),
        format!("streams={}", args.streams),
        format!("messages={}", args.messages),
        format!("rate={}", args.rate),
        format!("deliveries={}", summary.fanout.len()),
        format!("missing={}", summary.missing),
        format!("out_of_order={}", summary.out_of_order),
        format!("malformed={}", summary.malformed),
        format!("unexpected={}", summary.unexpected),
        format!("ended_early={}", summary.ended.len()),
    ];
    if let Some(memory) = &memory {
        result.extend([
            format!("rss_idle_kib={}", memory.idle),
            format!("rss_streams_kib={}", memory.held),
            format!("rss_per_stream_kib={:.1}", memory.per_stream(args.streams)),
            format!("rss_end_kib={}", memory.end),
        ]);
    }
    result.extend([
        format!("fanout_p50_ms={:.2}", summary.fanout_ms(500)),
        format!("fanout_p95_ms={:.2}", summary.fanout_ms(950)),
        format!("fanout_p99_ms={:.2}", summary.fanout_ms(990)),
        format!("fanout_max_ms={:.2}", summary.fanout_ms(1000)),
        format!("post_p50_ms={:.2}", summary.post_ms(500)),
        format!("post_p99_ms={:.2}", summary.post_ms(990)),
        format!("ratio={:.3}", summary.ratio()),
    ]);
    println!("{}", result.join(" "));

    let failures = summary.failures(expected, args.streams);
    if failures.is_empty() {
        return Ok(());
    }
    for failure in &failures {
        println!("FAILED: {failure}");
    }
    Err(format!("chat: {}", failures.join("; ")))
}
