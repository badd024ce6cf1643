//! What goes over the wire for conversations and their messages, and its translation to domain
//! values.

use chrono::{DateTime, Utc};
use rapport_domain::conversations::{
    Conversation, ConversationChannel, ConversationStatus, Message, SenderKind,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::extract::nullable;
use crate::tickets::{TicketPriorityDto, TicketTypeDto};

/// Where a conversation takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationChannelDto {
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

mirror!(ConversationChannelDto <=> ConversationChannel { Web, Phone, Email, Wechat, MiniProgram, Other });

/// Whether a conversation takes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatusDto {
    /// Going on.
    Open,
    /// Over: it takes no messages until it is reopened.
    Closed,
}

mirror!(ConversationStatusDto <=> ConversationStatus { Open, Closed });

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SenderTypeDto {
    /// The customer, relayed by an integration's API key.
    Customer,
    /// A staff member.
    Agent,
    /// Rapport itself, or an integration's automatic notice.
    System,
}

mirror!(SenderTypeDto <=> SenderKind { Customer, Agent, System });

/// A conversation to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "0193a5c7-1111-7000-8000-000000000001", "channel": "wechat",
    "subject": "订单物流咨询"
}))]
pub struct CreateConversation {
    /// Who is chatting: a customer the caller may reach (422 `not_found` otherwise).
    pub customer_id: Uuid,
    /// Where.
    pub channel: ConversationChannelDto,
    /// The agent answering: an active staff member (422 `not_found`). Agents whose role reaches
    /// only their own conversations assign themselves or no one (422 `not_yours`).
    pub assignee_id: Option<Uuid>,
    /// What it is about, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub subject: Option<String>,
}

/// Changes to a conversation: absent parts stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee_id": "0193a5c6-0000-7000-8000-000000000004"}))]
pub struct UpdateConversation {
    /// The agent answering, or `null`; the conversation is told in a system message.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// `closed` ends it (stamping `closed_at`), `open` reopens it; the conversation is told in a
    /// system message.
    pub status: Option<ConversationStatusDto>,
    /// What it is about, 1 to 200 characters, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub subject: Option<Option<String>>,
}

/// A conversation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d2-1111-7000-8000-000000000001",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001", "channel": "wechat",
    "status": "open", "assignee_id": "0193a5c6-0000-7000-8000-000000000004",
    "subject": "订单物流咨询", "ticket_id": null,
    "first_responded_at": "2026-12-06T09:12:40Z", "last_message_at": "2026-12-06T09:13:05Z",
    "closed_at": null, "created_at": "2026-12-06T09:12:00Z",
    "updated_at": "2026-12-06T09:13:05Z", "version": 4
}))]
pub struct ConversationView {
    /// Identifier.
    pub id: Uuid,
    /// Who is chatting.
    pub customer_id: Uuid,
    /// Where.
    pub channel: ConversationChannelDto,
    /// Going on or over.
    pub status: ConversationStatusDto,
    /// The agent answering.
    pub assignee_id: Option<Uuid>,
    /// What it is about.
    pub subject: Option<String>,
    /// The ticket it was turned into.
    pub ticket_id: Option<Uuid>,
    /// When an agent first wrote.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When the latest message came; when it opened, until one did.
    pub last_message_at: DateTime<Utc>,
    /// When it was closed, while it is.
    pub closed_at: Option<DateTime<Utc>>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last changed: every message changes it too.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`; every message moves it on.
    pub version: i64,
}

impl From<Conversation> for ConversationView {
    fn from(c: Conversation) -> Self {
        ConversationView {
            id: c.id,
            customer_id: c.customer_id,
            channel: c.channel.into(),
            status: c.status.into(),
            assignee_id: c.assignee_id,
            subject: c.subject,
            ticket_id: c.ticket_id,
            first_responded_at: c.first_responded_at,
            last_message_at: c.last_message_at,
            closed_at: c.closed_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct SenderView {
    /// The customer, an agent, or the system.
    #[serde(rename = "type")]
    pub sender_type: SenderTypeDto,
    /// The agent's user id; the API key's id for what an integration relayed; null for what
    /// Rapport wrote itself.
    pub id: Option<Uuid>,
}

/// A message in a conversation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d2-2222-7000-8000-000000000007", "seq": 42,
    "conversation_id": "0193a5d2-1111-7000-8000-000000000001",
    "sender": {"type": "agent", "id": "0193a5c6-0000-7000-8000-000000000004"},
    "body": "您好，您的包裹已到达上海分拣中心，预计明天送达。",
    "created_at": "2026-12-06T09:12:40Z"
}))]
pub struct MessageView {
    /// Identifier.
    pub id: Uuid,
    /// Its place among the messages of every conversation, growing in the order they were
    /// stored: the `id` of its event in `GET /conversations/stream`, and what `Last-Event-ID`
    /// resumes after.
    pub seq: i64,
    /// The conversation.
    pub conversation_id: Uuid,
    /// Who wrote it.
    pub sender: SenderView,
    /// What it says.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        MessageView {
            id: m.id,
            seq: m.seq,
            conversation_id: m.conversation_id,
            sender: SenderView {
                sender_type: m.sender.kind().into(),
                id: m.sender.id(),
            },
            body: m.body,
            created_at: m.created_at,
        }
    }
}

/// A message to post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "您好，您的包裹已到达上海分拣中心，预计明天送达。"}))]
pub struct CreateMessage {
    /// What it says, 1 to 5000 characters.
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
    /// Who writes it. Staff write as `agent` (the default for them); an integration's API key
    /// relays the `customer` (its default) or posts a `system` notice. Anything else is 422
    /// `not_allowed`.
    pub sender: Option<SenderTypeDto>,
}

/// The ticket a conversation turns into: what the conversation does not say.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "包裹延误投诉", "type": "complaint", "priority": "high"}))]
pub struct CreateConversationTicket {
    /// What it is about, 1 to 200 characters (default: the conversation's subject, or "Chat on
    /// <channel>").
    #[schema(min_length = 1, max_length = 200)]
    pub subject: Option<String>,
    /// What kind of request it is (default `inquiry`).
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketTypeDto>,
    /// How urgent it is (default `normal`).
    pub priority: Option<TicketPriorityDto>,
    /// Labels: at most 50, each 1 to 50 characters.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// Values of the custom fields defined for tickets, by key (422 at `custom_fields.<key>`).
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Which conversations, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationListQuery {
    /// In this status.
    pub status: Option<ConversationStatusDto>,
    /// On this channel.
    pub channel: Option<ConversationChannelDto>,
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// Assigned to this staff member.
    pub assignee_id: Option<Uuid>,
    /// `true`: assigned to no one; `false`: assigned to someone.
    pub unassigned: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `last_message_at` (default
    /// `-last_message_at`).
    #[param(example = "-last_message_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Which of a customer's conversations, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerConversationListQuery {
    /// In this status.
    pub status: Option<ConversationStatusDto>,
    /// On this channel.
    pub channel: Option<ConversationChannelDto>,
    /// Assigned to this staff member.
    pub assignee_id: Option<Uuid>,
    /// `true`: assigned to no one; `false`: assigned to someone.
    pub unassigned: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `last_message_at` (default
    /// `-last_message_at`).
    #[param(example = "-last_message_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Which page of a conversation's messages.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}
