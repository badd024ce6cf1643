//! What goes over the wire for tickets, and its translation to domain values.

use chrono::{DateTime, Utc};
use rapport_domain::sla::SlaClock;
use rapport_domain::tickets::{
    Satisfaction, Ticket, TicketChannel, TicketPriority, TicketStatus, TicketType,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::extract::nullable;

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketTypeDto {
    /// A question.
    Inquiry,
    /// Something went wrong.
    Complaint,
    /// An idea.
    Suggestion,
    /// Help after a sale: a repair, an exchange, a return.
    AfterSales,
    /// A call back to a customer after a sale or a service.
    ReturnVisit,
    /// Anything else.
    Other,
}

mirror!(TicketTypeDto <=> TicketType { Inquiry, Complaint, Suggestion, AfterSales, ReturnVisit, Other });

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriorityDto {
    /// Whenever there is time.
    Low,
    /// The usual.
    Normal,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

mirror!(TicketPriorityDto <=> TicketPriority { Low, Normal, High, Urgent });

/// Where a ticket came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketChannelDto {
    /// A web form.
    Web,
    /// An online chat.
    Chat,
    /// A phone call.
    Phone,
    /// An e-mail.
    Email,
    /// WeChat.
    Wechat,
    /// A WeChat mini program.
    MiniProgram,
    /// Anywhere else.
    Other,
}

mirror!(TicketChannelDto <=> TicketChannel { Web, Chat, Phone, Email, Wechat, MiniProgram, Other });

/// Where a ticket stands: `new → open → pending → resolved → closed`, `pending` back to `open`,
/// `open` straight to `resolved`, and `resolved` reopened to `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatusDto {
    /// Received, not yet taken up.
    New,
    /// Being worked on.
    Open,
    /// Waiting on the customer.
    Pending,
    /// Solved: the customer may rate it, and it may be reopened.
    Resolved,
    /// Done: it changes and takes comments no more.
    Closed,
}

mirror!(TicketStatusDto <=> TicketStatus { New, Open, Pending, Resolved, Closed });

/// A new ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "subject": "快递延误三天", "description": "订单 20261201-0042 下单三天仍未发货。",
    "type": "complaint", "priority": "high", "channel": "wechat",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001", "tags": ["物流", "vip"]
}))]
pub struct CreateTicket {
    /// What it is about, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub subject: String,
    /// What happened, at most 10000 characters.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// What kind of request it is.
    #[serde(rename = "type")]
    pub ticket_type: TicketTypeDto,
    /// How urgent it is (`normal` when absent).
    pub priority: Option<TicketPriorityDto>,
    /// Where it came in.
    pub channel: TicketChannelDto,
    /// Whose it is: a customer the caller may reach (422 `not_found` otherwise).
    pub customer_id: Uuid,
    /// The order it is about: one of the customer's (422 `not_found` or `other_customer`).
    pub order_id: Option<Uuid>,
    /// The agent who works it: an active staff member (422 `not_found`). Agents whose role
    /// reaches only their own tickets assign themselves or no one (422 `not_yours`).
    pub assignee_id: Option<Uuid>,
    /// Labels: at most 50, each 1 to 50 characters; trimmed, duplicates dropped.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// Values of the custom fields defined for tickets (`GET
    /// /api/v1/custom-fields?resource_type=ticket`), by key (422 at `custom_fields.<key>`).
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Changes to a ticket: absent parts stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "open", "assignee_id": "0193a5c6-0000-7000-8000-000000000004"}))]
pub struct UpdateTicket {
    /// What it is about, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub subject: Option<String>,
    /// What happened, at most 10000 characters, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub description: Option<Option<String>>,
    /// What kind of request it is.
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketTypeDto>,
    /// How urgent it is.
    pub priority: Option<TicketPriorityDto>,
    /// Where it came in.
    pub channel: Option<TicketChannelDto>,
    /// The order it is about (one of the customer's), or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub order_id: Option<Option<Uuid>>,
    /// The agent who works it, or `null`: the change is audited as `ticket.assigned`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// Labels, replacing the ticket's.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// Where it stands next (409 `invalid_transition` for a move the statuses do not allow).
    pub status: Option<TicketStatusDto>,
    /// Custom field values to set, by key: `null` removes one, keys not sent stay.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The customer's rating of how they were served.
#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionView {
    /// 1 (poor) to 5 (excellent).
    pub rating: i16,
    /// What they said.
    pub comment: Option<String>,
    /// When they rated it.
    pub rated_at: DateTime<Utc>,
}

impl From<Satisfaction> for SatisfactionView {
    fn from(s: Satisfaction) -> Self {
        SatisfactionView {
            rating: s.rating,
            comment: s.comment,
            rated_at: s.rated_at,
        }
    }
}

/// A ticket's service level clock: when it is due, and what it missed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaView {
    /// The policy it took when it was opened (null once that policy was deleted).
    pub policy_id: Option<Uuid>,
    /// When the first public answer by staff is due.
    pub first_response_due_at: DateTime<Utc>,
    /// When resolution is due; later by the time the ticket spent waiting on the customer.
    pub resolution_due_at: DateTime<Utc>,
    /// Whether the ticket is `pending` and its resolution clock stands still.
    pub paused: bool,
    /// When the scheduler recorded that the first answer came too late.
    pub first_response_breached_at: Option<DateTime<Utc>>,
    /// When the scheduler recorded that resolution came too late.
    pub resolution_breached_at: Option<DateTime<Utc>>,
}

impl From<SlaClock> for SlaView {
    fn from(c: SlaClock) -> Self {
        SlaView {
            paused: c.is_paused(),
            policy_id: c.policy_id,
            first_response_due_at: c.first_response_due_at,
            resolution_due_at: c.resolution_due_at,
            first_response_breached_at: c.first_response_breached_at,
            resolution_breached_at: c.resolution_breached_at,
        }
    }
}

/// A ticket.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d0-1111-7000-8000-000000000001", "subject": "快递延误三天",
    "description": "订单 20261201-0042 下单三天仍未发货。", "type": "complaint",
    "priority": "high", "channel": "wechat", "status": "resolved",
    "customer_id": "0193a5c7-1111-7000-8000-000000000001", "order_id": null,
    "assignee_id": "0193a5c6-0000-7000-8000-000000000004", "tags": ["物流", "vip"],
    "custom_fields": {}, "first_responded_at": "2026-12-06T09:12:00Z",
    "resolved_at": "2026-12-06T15:40:00Z", "closed_at": null,
    "satisfaction": {"rating": 5, "comment": "处理很及时", "rated_at": "2026-12-06T16:02:00Z"},
    "sla": {"policy_id": "0193a5d1-1111-7000-8000-000000000001",
            "first_response_due_at": "2026-12-06T10:00:00Z", "resolution_due_at": "2026-12-06T18:00:00Z",
            "paused": false, "first_response_breached_at": null, "resolution_breached_at": null},
    "created_at": "2026-12-06T09:00:00Z", "updated_at": "2026-12-06T16:02:00Z", "version": 5
}))]
pub struct TicketView {
    /// Identifier.
    pub id: Uuid,
    /// What it is about.
    pub subject: String,
    /// What happened.
    pub description: Option<String>,
    /// What kind of request it is.
    #[serde(rename = "type")]
    pub ticket_type: TicketTypeDto,
    /// How urgent it is.
    pub priority: TicketPriorityDto,
    /// Where it came in.
    pub channel: TicketChannelDto,
    /// Where it stands.
    pub status: TicketStatusDto,
    /// Whose it is.
    pub customer_id: Uuid,
    /// The order it is about.
    pub order_id: Option<Uuid>,
    /// The agent who works it.
    pub assignee_id: Option<Uuid>,
    /// Labels.
    pub tags: Vec<String>,
    /// The values of the custom fields defined for tickets, by key.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// When staff first answered the customer: their first public comment.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When it was resolved (cleared when reopened).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// The customer's rating, once given.
    pub satisfaction: Option<SatisfactionView>,
    /// Its SLA clock: null when no policy was active as it was opened.
    pub sla: Option<SlaView>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Ticket> for TicketView {
    fn from(t: Ticket) -> Self {
        TicketView {
            id: t.id,
            subject: t.subject,
            description: t.description,
            ticket_type: t.ticket_type.into(),
            priority: t.priority.into(),
            channel: t.channel.into(),
            status: t.status.into(),
            customer_id: t.customer_id,
            order_id: t.order_id,
            assignee_id: t.assignee_id,
            tags: t.tags,
            custom_fields: t.custom_fields,
            first_responded_at: t.first_responded_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            satisfaction: t.satisfaction.map(Into::into),
            sla: t.sla.map(Into::into),
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// Which tickets, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    /// In this status.
    pub status: Option<TicketStatusDto>,
    /// Of this priority.
    pub priority: Option<TicketPriorityDto>,
    /// Of this type.
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketTypeDto>,
    /// From this channel.
    pub channel: Option<TicketChannelDto>,
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// Assigned to this staff member.
    pub assignee_id: Option<Uuid>,
    /// `true`: assigned to no one; `false`: assigned to someone.
    pub unassigned: Option<bool>,
    /// Carrying this tag (at most 50 characters).
    #[param(example = "vip")]
    pub tag: Option<String>,
    /// `true`: with an SLA breach recorded; `false`: with none.
    pub breached: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at` (default
    /// `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Which of a customer's tickets, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerTicketListQuery {
    /// In this status.
    pub status: Option<TicketStatusDto>,
    /// Of this priority.
    pub priority: Option<TicketPriorityDto>,
    /// Of this type.
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketTypeDto>,
    /// From this channel.
    pub channel: Option<TicketChannelDto>,
    /// Assigned to this staff member.
    pub assignee_id: Option<Uuid>,
    /// `true`: assigned to no one; `false`: assigned to someone.
    pub unassigned: Option<bool>,
    /// Carrying this tag (at most 50 characters).
    #[param(example = "vip")]
    pub tag: Option<String>,
    /// `true`: with an SLA breach recorded; `false`: with none.
    pub breached: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at` (default
    /// `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// The customer's rating of how a resolved ticket was handled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": 5, "comment": "处理很及时"}))]
pub struct RateTicket {
    /// 1 (poor) to 5 (excellent).
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    /// What they said, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}
