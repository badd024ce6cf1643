//! Conversations: a customer's online chat with the service desk, on one channel, `open` until
//! an agent closes it (and reopened if need be), made of messages from the customer, from
//! agents and from Rapport itself; a conversation can be turned into a ticket with its
//! transcript.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use serde_json::{Map, Value};

use crate::custom_fields::Definition;
use crate::tickets::{MAX_BODY, NewTicket, TicketChannel, TicketPriority, TicketType};
use crate::validation::text;
use crate::{FieldError, FieldErrors};

/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// The longest message, in characters.
pub const MAX_MESSAGE: usize = 5_000;
/// The fields a conversation list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "last_message_at"];

/// Where a conversation takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationChannel {
    /// The chat window of a web shop or site.
    Web,
    /// A phone call, typed up as it goes.
    Phone,
    /// An e-mail thread.
    Email,
    /// WeChat.
    Wechat,
    /// A WeChat mini program.
    MiniProgram,
    /// Anywhere else.
    Other,
}

names!(ConversationChannel {
    Web => "web",
    Phone => "phone",
    Email => "email",
    Wechat => "wechat",
    MiniProgram => "mini_program",
    Other => "other",
});

impl ConversationChannel {
    /// The channel a ticket made from a conversation here came in on: a web chat is a chat.
    pub fn ticket_channel(self) -> TicketChannel {
        match self {
            ConversationChannel::Web => TicketChannel::Chat,
            ConversationChannel::Phone => TicketChannel::Phone,
            ConversationChannel::Email => TicketChannel::Email,
            ConversationChannel::Wechat => TicketChannel::Wechat,
            ConversationChannel::MiniProgram => TicketChannel::MiniProgram,
            ConversationChannel::Other => TicketChannel::Other,
        }
    }
}

/// Whether a conversation takes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Going on.
    Open,
    /// Over; reopened to go on.
    Closed,
}

names!(ConversationStatus { Open => "open", Closed => "closed" });

/// A customer's chat with the service desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Identifier.
    pub id: Uuid,
    /// Who is chatting.
    pub customer_id: Uuid,
    /// Where.
    pub channel: ConversationChannel,
    /// Going on or over.
    pub status: ConversationStatus,
    /// The agent answering, if any.
    pub assignee_id: Option<Uuid>,
    /// What it is about, when someone said.
    pub subject: Option<String>,
    /// The ticket it was turned into.
    pub ticket_id: Option<Uuid>,
    /// When an agent first wrote.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When the latest message came; when it opened, until one did.
    pub last_message_at: DateTime<Utc>,
    /// When it was closed, while it is.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it opened.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A conversation to open.
#[derive(Debug, Clone)]
pub struct NewConversation {
    /// Who is chatting.
    pub customer_id: Uuid,
    /// Where.
    pub channel: ConversationChannel,
    /// The agent answering, if any.
    pub assignee_id: Option<Uuid>,
    /// What it is about.
    pub subject: Option<String>,
}

fn subject(errors: &mut FieldErrors, raw: Option<&str>) -> Option<String> {
    raw.and_then(|raw| errors.take(text("subject", raw, 1, MAX_SUBJECT)))
}

impl NewConversation {
    /// Checks the subject.
    pub fn check(self) -> Result<NewConversation, FieldErrors> {
        let mut errors = FieldErrors::new();
        let checked = subject(&mut errors, self.subject.as_deref());
        errors.into_result(|| NewConversation {
            subject: checked,
            ..self
        })
    }

    /// The conversation this opens at `now`.
    pub fn into_conversation(self, id: Uuid, now: DateTime<Utc>) -> Conversation {
        Conversation {
            id,
            customer_id: self.customer_id,
            channel: self.channel,
            status: ConversationStatus::Open,
            assignee_id: self.assignee_id,
            subject: self.subject,
            ticket_id: None,
            first_responded_at: None,
            last_message_at: now,
            closed_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// A change to a conversation; absent parts stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ConversationChanges {
    /// A new assignee, or none (`Some(None)`).
    pub assignee_id: Option<Option<Uuid>>,
    /// Closed or reopened.
    pub status: Option<ConversationStatus>,
    /// A new subject, or none.
    pub subject: Option<Option<String>>,
}

impl ConversationChanges {
    /// Checks the subject.
    pub fn check(self) -> Result<ConversationChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let checked = self.subject.map(|s| subject(&mut errors, s.as_deref()));
        errors.into_result(|| ConversationChanges {
            subject: checked,
            ..self
        })
    }

    /// The conversation after this change at `now`: closing stamps `closed_at`, reopening clears
    /// it. The version and `updated_at` are the store's to move.
    pub fn apply(&self, current: &Conversation, now: DateTime<Utc>) -> Conversation {
        let mut after = current.clone();
        if let Some(assignee) = self.assignee_id {
            after.assignee_id = assignee;
        }
        if let Some(subject) = &self.subject {
            after.subject.clone_from(subject);
        }
        if let Some(status) = self.status
            && status != current.status
        {
            after.status = status;
            after.closed_at = match status {
                ConversationStatus::Closed => Some(now),
                ConversationStatus::Open => None,
            };
        }
        after
    }
}

/// What a change to a conversation is called in the audit trail and the feed, and the system
/// message that tells the conversation about it, if any.
pub fn change_action(
    before: &Conversation,
    after: &Conversation,
) -> (&'static str, Option<&'static str>) {
    match (before.status, after.status) {
        (ConversationStatus::Open, ConversationStatus::Closed) => {
            ("conversation.closed", Some("The conversation was closed."))
        }
        (ConversationStatus::Closed, ConversationStatus::Open) => (
            "conversation.reopened",
            Some("The conversation was reopened."),
        ),
        _ if before.assignee_id != after.assignee_id => (
            "conversation.assigned",
            Some(match after.assignee_id {
                Some(_) => "The conversation was assigned.",
                None => "The conversation was unassigned.",
            }),
        ),
        _ => ("conversation.updated", None),
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Sender {
    /// The customer, through the integration (API key) that relays their channel.
    Customer(Option<Uuid>),
    /// A staff member.
    Agent(Uuid),
    /// Rapport itself (no id), or an integration's automatic notice (its API key).
    System(Option<Uuid>),
}

impl Sender {
    /// `customer`, `agent` or `system`.
    pub fn kind(self) -> SenderKind {
        match self {
            Sender::Customer(_) => SenderKind::Customer,
            Sender::Agent(_) => SenderKind::Agent,
            Sender::System(_) => SenderKind::System,
        }
    }

    /// The user's or API key's id, if any.
    pub fn id(self) -> Option<Uuid> {
        match self {
            Sender::Customer(id) | Sender::System(id) => id,
            Sender::Agent(id) => Some(id),
        }
    }

    /// The sender of this kind with this id, as stored; `None` for a kind that needs an id and
    /// has none.
    pub fn of(kind: SenderKind, id: Option<Uuid>) -> Option<Sender> {
        match kind {
            SenderKind::Customer => Some(Sender::Customer(id)),
            SenderKind::Agent => id.map(Sender::Agent),
            SenderKind::System => Some(Sender::System(id)),
        }
    }
}

/// The kinds of sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    /// The customer.
    Customer,
    /// A staff member.
    Agent,
    /// Rapport or an integration's notice.
    System,
}

names!(SenderKind { Customer => "customer", Agent => "agent", System => "system" });

impl SenderKind {
    /// How a transcript names the sender.
    fn label(self) -> &'static str {
        match self {
            SenderKind::Customer => "Customer",
            SenderKind::Agent => "Agent",
            SenderKind::System => "System",
        }
    }
}

/// Who is posting a message: a staff member or an integration's API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poster {
    /// A signed-in staff member.
    User(Uuid),
    /// An integration's API key.
    ApiKey(Uuid),
}

/// The sender of a message `poster` posts as `asked` (or as they usually do): staff write as
/// agents; an integration relays the customer (its usual) or posts a notice of its own.
pub fn sender(poster: Poster, asked: Option<SenderKind>) -> Result<Sender, FieldError> {
    let refused = |message: &str| Err(FieldError::new("sender", "not_allowed", message));
    match (poster, asked) {
        (Poster::User(id), None | Some(SenderKind::Agent)) => Ok(Sender::Agent(id)),
        (Poster::User(_), Some(_)) => {
            refused("staff members write as agents; customers write through an integration")
        }
        (Poster::ApiKey(id), None | Some(SenderKind::Customer)) => Ok(Sender::Customer(Some(id))),
        (Poster::ApiKey(id), Some(SenderKind::System)) => Ok(Sender::System(Some(id))),
        (Poster::ApiKey(_), Some(SenderKind::Agent)) => refused(
            "agents write as themselves, signed in; an API key writes as the customer or the system",
        ),
    }
}

/// A message in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Identifier.
    pub id: Uuid,
    /// Its place among every conversation's messages, growing in the order they were stored.
    pub seq: i64,
    /// The conversation.
    pub conversation_id: Uuid,
    /// Who wrote it.
    pub sender: Sender,
    /// What it says.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// Checks a message `poster` posts as `asked`: who it is from (see [`sender`]) and its body, 1
/// to [`MAX_MESSAGE`] characters.
pub fn check_message(
    poster: Poster,
    asked: Option<SenderKind>,
    body: &str,
) -> Result<(Sender, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let body = errors.take(text("body", body, 1, MAX_MESSAGE));
    let sender = errors.take(sender(poster, asked));
    match (sender, body) {
        (Some(sender), Some(body)) => Ok((sender, body)),
        _ => Err(errors),
    }
}

/// The transcript of `messages` (oldest first) in at most `limit` characters: one line per
/// message, `[2026-12-06 09:12 UTC] Customer: …`. When they do not all fit, the latest that do
/// are kept, under a first line that says how many earlier ones were left out.
pub fn transcript(messages: &[Message], limit: usize) -> String {
    let lines: Vec<String> = messages
        .iter()
        .map(|m| {
            format!(
                "[{}] {}: {}",
                m.created_at.format("%Y-%m-%d %H:%M UTC"),
                m.sender.kind().label(),
                m.body
            )
        })
        .collect();
    let chars = |line: &String| line.chars().count() + 1;
    let mut kept = 0;
    let mut used = 0;
    // Room for the note about what was left out, whose length depends on the count.
    let note = |left: usize| format!("({left} earlier messages are in the conversation)");
    for line in lines.iter().rev() {
        let left = lines.len() - kept - 1;
        let reserve = if left > 0 {
            note(left).chars().count() + 1
        } else {
            0
        };
        if used + chars(line) + reserve > limit {
            break;
        }
        used += chars(line);
        kept += 1;
    }
    let left = lines.len() - kept;
    let mut text: Vec<String> = Vec::with_capacity(kept + 1);
    if left > 0 {
        text.push(note(left));
    }
    text.extend(lines[left..].iter().cloned());
    text.join("\n")
}

/// What a ticket made from a conversation says that the conversation does not.
#[derive(Debug, Clone)]
pub struct TicketFromConversation {
    /// Its subject; the conversation's, or "Chat on <channel>", when absent.
    pub subject: Option<String>,
    /// What kind of request it is; an inquiry when absent.
    pub ticket_type: Option<TicketType>,
    /// How urgent it is; normal when absent.
    pub priority: Option<TicketPriority>,
    /// Labels.
    pub tags: Vec<String>,
    /// Custom field values.
    pub custom_fields: Map<String, Value>,
}

impl TicketFromConversation {
    /// The ticket `conversation` turns into with the transcript of `messages` as its
    /// description, checked as every new ticket is (against the `definitions` of tickets).
    pub fn ticket(
        self,
        conversation: &Conversation,
        messages: &[Message],
        definitions: &[Definition],
    ) -> Result<NewTicket, FieldErrors> {
        let said = transcript(messages, MAX_BODY);
        NewTicket {
            subject: self
                .subject
                .or_else(|| conversation.subject.clone())
                .unwrap_or_else(|| format!("Chat on {}", conversation.channel.as_str())),
            description: (!said.is_empty()).then_some(said),
            ticket_type: self.ticket_type.unwrap_or(TicketType::Inquiry),
            priority: self.priority,
            channel: conversation.channel.ticket_channel(),
            customer_id: conversation.customer_id,
            order_id: None,
            assignee_id: conversation.assignee_id,
            tags: self.tags,
            custom_fields: self.custom_fields,
        }
        .check(definitions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn message(seq: i64, sender: Sender, body: &str) -> Message {
        Message {
            id: Uuid::nil(),
            seq,
            conversation_id: Uuid::nil(),
            sender,
            body: body.into(),
            created_at: at("2026-12-06T09:12:30Z"),
        }
    }

    #[test]
    fn staff_write_as_agents_and_integrations_as_the_customer_or_the_system() {
        let user = Uuid::from_u128(1);
        let key = Uuid::from_u128(2);
        assert_eq!(sender(Poster::User(user), None), Ok(Sender::Agent(user)));
        assert!(sender(Poster::User(user), Some(SenderKind::Customer)).is_err());
        assert!(sender(Poster::User(user), Some(SenderKind::System)).is_err());
        assert_eq!(
            sender(Poster::ApiKey(key), None),
            Ok(Sender::Customer(Some(key)))
        );
        assert_eq!(
            sender(Poster::ApiKey(key), Some(SenderKind::System)),
            Ok(Sender::System(Some(key)))
        );
        assert!(sender(Poster::ApiKey(key), Some(SenderKind::Agent)).is_err());
    }

    #[test]
    fn a_transcript_names_each_sender_and_keeps_the_latest_that_fit() {
        let agent = Sender::Agent(Uuid::from_u128(1));
        let messages = vec![
            message(1, Sender::Customer(None), &"快递三天没动了，".repeat(10)),
            message(2, agent, "我帮您查一下"),
            message(3, Sender::System(None), "The conversation was closed."),
        ];
        let full = transcript(&messages, 10_000);
        assert_eq!(
            full,
            format!(
                "[2026-12-06 09:12 UTC] Customer: {}\n",
                "快递三天没动了，".repeat(10)
            ) + "\
             [2026-12-06 09:12 UTC] Agent: 我帮您查一下\n\
             [2026-12-06 09:12 UTC] System: The conversation was closed."
        );
        let limit = full.chars().count() - 1;
        let short = transcript(&messages, limit);
        assert!(short.chars().count() <= limit, "{short}");
        assert!(short.starts_with("(1 earlier messages"), "{short}");
        assert!(short.ends_with("The conversation was closed."), "{short}");
    }

    #[test]
    fn closing_stamps_the_time_and_reopening_clears_it() {
        let now = at("2026-12-06T10:00:00Z");
        let open = NewConversation {
            customer_id: Uuid::nil(),
            channel: ConversationChannel::Web,
            assignee_id: None,
            subject: None,
        }
        .into_conversation(Uuid::nil(), now);
        let close = ConversationChanges {
            status: Some(ConversationStatus::Closed),
            ..Default::default()
        };
        let closed = close.apply(&open, now);
        assert_eq!(closed.closed_at, Some(now));
        assert_eq!(change_action(&open, &closed).0, "conversation.closed");
        let reopen = ConversationChanges {
            status: Some(ConversationStatus::Open),
            ..Default::default()
        };
        let reopened = reopen.apply(&closed, now);
        assert_eq!(reopened.closed_at, None);
        assert_eq!(change_action(&closed, &reopened).0, "conversation.reopened");
    }
}
