//! Tickets: what customers ask for and complain about, worked from `new` through `open` (and
//! `pending` while waiting on the customer) to `resolved` and `closed`, with comments that are
//! public or internal, and one satisfaction rating once it is resolved.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::custom_fields::{self, Definition};
use crate::customers::tags;
use crate::filter::{Catalogue, FieldKind, FieldSpec};
use chrono_tz::Tz;

use crate::sla::{SlaClock, SlaPolicy, Target, Targets};
use crate::validation::{optional_text, text};
use crate::{FieldError, FieldErrors};

/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// The longest description or comment, in characters.
pub const MAX_BODY: usize = 10_000;
/// The longest satisfaction comment, in characters.
pub const MAX_FEEDBACK: usize = 2_000;
/// The fields a ticket list can be sorted by.
pub const SORTABLE: &[&str] = &["created_at", "updated_at"];

/// Every field a ticket filter may test (`POST /tickets/search`), by the names the ticket's JSON
/// uses: its own, its rating and SLA clock (dotted), then the custom fields defined for tickets
/// (text matched exactly).
pub fn catalogue(definitions: &[Definition]) -> Catalogue {
    use FieldKind::*;
    fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|&v| name(v).to_owned()).collect()
    }
    let mut fields = vec![
        FieldSpec::new("subject", Text, false),
        FieldSpec::new("description", Text, true),
        FieldSpec::new(
            "type",
            Enum(names(TicketType::ALL, TicketType::as_str)),
            false,
        ),
        FieldSpec::new(
            "priority",
            Enum(names(TicketPriority::ALL, TicketPriority::as_str)),
            false,
        ),
        FieldSpec::new(
            "channel",
            Enum(names(TicketChannel::ALL, TicketChannel::as_str)),
            false,
        ),
        FieldSpec::new(
            "status",
            Enum(names(TicketStatus::ALL, TicketStatus::as_str)),
            false,
        ),
        FieldSpec::new("customer_id", Uuid, false),
        FieldSpec::new("order_id", Uuid, true),
        FieldSpec::new("assignee_id", Uuid, true),
        FieldSpec::new("first_responded_at", DateTime, true),
        FieldSpec::new("resolved_at", DateTime, true),
        FieldSpec::new("closed_at", DateTime, true),
        FieldSpec::new("satisfaction.rating", Number, true),
        FieldSpec::new("sla.first_response_due_at", DateTime, true),
        FieldSpec::new("sla.resolution_due_at", DateTime, true),
        FieldSpec::new("sla.first_response_breached_at", DateTime, true),
        FieldSpec::new("sla.resolution_breached_at", DateTime, true),
        FieldSpec::new("created_at", DateTime, false),
        FieldSpec::new("updated_at", DateTime, false),
    ];
    fields.extend(custom_fields::filter_fields(definitions, &Keyword));
    Catalogue::new(fields)
}

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
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

names!(TicketType {
    Inquiry => "inquiry",
    Complaint => "complaint",
    Suggestion => "suggestion",
    AfterSales => "after_sales",
    ReturnVisit => "return_visit",
    Other => "other",
});

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketPriority {
    /// Whenever there is time.
    Low,
    /// The usual.
    Normal,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

names!(TicketPriority { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" });

/// Where a ticket came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketChannel {
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

names!(TicketChannel {
    Web => "web",
    Chat => "chat",
    Phone => "phone",
    Email => "email",
    Wechat => "wechat",
    MiniProgram => "mini_program",
    Other => "other",
});

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Received, not yet taken up.
    New,
    /// Being worked on.
    Open,
    /// Waiting on the customer.
    Pending,
    /// Solved: the customer may rate it, and it may be reopened.
    Resolved,
    /// Done: it changes no more.
    Closed,
}

names!(TicketStatus {
    New => "new",
    Open => "open",
    Pending => "pending",
    Resolved => "resolved",
    Closed => "closed",
});

impl TicketStatus {
    /// Whether a ticket in this status may move to `next`: taken up from `new`, waiting on the
    /// customer and back, resolved from either, then closed or reopened.
    pub fn can_become(self, next: TicketStatus) -> bool {
        use TicketStatus::*;
        matches!(
            (self, next),
            (New, Open)
                | (Open, Pending)
                | (Pending, Open)
                | (Open | Pending, Resolved)
                | (Resolved, Closed)
                | (Resolved, Open)
        )
    }

    /// Whether the customer may rate a ticket in this status.
    pub fn is_rateable(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }
}

/// The customer's rating of how they were served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Satisfaction {
    /// 1 (poor) to 5 (excellent).
    pub rating: i16,
    /// What they said.
    pub comment: Option<String>,
    /// When they rated it.
    pub rated_at: DateTime<Utc>,
}

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Identifier.
    pub id: Uuid,
    /// What it is about, in a line.
    pub subject: String,
    /// What happened, in full.
    pub description: Option<String>,
    /// What kind of request it is.
    pub ticket_type: TicketType,
    /// How urgent it is.
    pub priority: TicketPriority,
    /// Where it came in.
    pub channel: TicketChannel,
    /// Where it stands.
    pub status: TicketStatus,
    /// Whose it is.
    pub customer_id: Uuid,
    /// The order it is about.
    pub order_id: Option<Uuid>,
    /// The agent who works it.
    pub assignee_id: Option<Uuid>,
    /// Labels.
    pub tags: Vec<String>,
    /// The workspace's own fields, by key (see [`crate::custom_fields`]).
    pub custom_fields: Map<String, Value>,
    /// When staff first answered the customer.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When it was resolved (cleared when reopened).
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// The customer's rating, once given.
    pub satisfaction: Option<Satisfaction>,
    /// Its service level clock, when a policy was active as it was opened.
    pub sla: Option<SlaClock>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Grows by one on every change.
    pub version: i64,
}

/// A ticket to create, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: Option<String>,
    /// Type.
    pub ticket_type: TicketType,
    /// Priority; normal when absent.
    pub priority: Option<TicketPriority>,
    /// Channel.
    pub channel: TicketChannel,
    /// Customer.
    pub customer_id: Uuid,
    /// Order.
    pub order_id: Option<Uuid>,
    /// Assignee.
    pub assignee_id: Option<Uuid>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by key.
    pub custom_fields: Map<String, Value>,
}

/// A partial change: `None` leaves a part alone, `Some(None)` clears an optional part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketChanges {
    /// Subject.
    pub subject: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Type.
    pub ticket_type: Option<TicketType>,
    /// Priority.
    pub priority: Option<TicketPriority>,
    /// Channel.
    pub channel: Option<TicketChannel>,
    /// Order.
    pub order_id: Option<Option<Uuid>>,
    /// Assignee.
    pub assignee_id: Option<Option<Uuid>>,
    /// Tags, replaced as a whole.
    pub tags: Option<Vec<String>>,
    /// Status, along [`TicketStatus::can_become`].
    pub status: Option<TicketStatus>,
    /// Custom field values to set by key; `null` removes one, keys not sent stay.
    pub custom_fields: Option<Map<String, Value>>,
}

/// Why a change cannot apply to a ticket as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The status cannot move there, or the ticket is closed.
    Transition {
        /// Where the ticket stands.
        from: TicketStatus,
        /// Where the change would take it (its own status for a change to a closed ticket).
        to: TicketStatus,
    },
}

fn subject(errors: &mut FieldErrors, raw: &str) -> Option<String> {
    errors.take(text("subject", raw, 1, MAX_SUBJECT))
}

impl NewTicket {
    /// Checks every part, custom fields against the `definitions` of tickets, reporting every
    /// mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<NewTicket, FieldErrors> {
        let mut errors = FieldErrors::new();
        let checked_subject = subject(&mut errors, &self.subject).unwrap_or_default();
        let description = errors
            .take(optional_text(
                "description",
                self.description.as_deref(),
                MAX_BODY,
            ))
            .flatten();
        let checked_tags = errors.take_all(tags("tags", self.tags)).unwrap_or_default();
        let custom_fields =
            custom_fields::values_of_new(&mut errors, definitions, self.custom_fields);
        errors.into_result(|| NewTicket {
            subject: checked_subject,
            description,
            tags: checked_tags,
            custom_fields,
            ..self
        })
    }

    /// The ticket this makes at `now`: new, of normal priority unless it says otherwise.
    pub fn into_ticket(self, id: Uuid, now: DateTime<Utc>) -> Ticket {
        Ticket {
            id,
            subject: self.subject,
            description: self.description,
            ticket_type: self.ticket_type,
            priority: self.priority.unwrap_or(TicketPriority::Normal),
            channel: self.channel,
            status: TicketStatus::New,
            customer_id: self.customer_id,
            order_id: self.order_id,
            assignee_id: self.assignee_id,
            tags: self.tags,
            custom_fields: self.custom_fields,
            first_responded_at: None,
            resolved_at: None,
            closed_at: None,
            satisfaction: None,
            sla: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl TicketChanges {
    /// Checks every part that is present, custom fields against the `definitions` of tickets,
    /// reporting every mistake.
    pub fn check(self, definitions: &[Definition]) -> Result<TicketChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let checked_subject = self
            .subject
            .as_deref()
            .and_then(|s| subject(&mut errors, s));
        let description = self.description.as_ref().map(|d| {
            errors
                .take(optional_text("description", d.as_deref(), MAX_BODY))
                .flatten()
        });
        let checked_tags = self.tags.and_then(|t| errors.take_all(tags("tags", t)));
        let custom_fields = custom_fields::changes_of(&mut errors, definitions, self.custom_fields);
        errors.into_result(|| TicketChanges {
            subject: checked_subject,
            description,
            tags: checked_tags,
            custom_fields,
            ..self
        })
    }

    /// The ticket with these changes applied at `now` (the version left to the caller). A
    /// closed ticket changes no more; a status change follows [`TicketStatus::can_become`],
    /// stamping `resolved_at` and `closed_at`, and reopening clears `resolved_at`.
    pub fn apply(&self, current: &Ticket, now: DateTime<Utc>) -> Result<Ticket, Refusal> {
        if current.status == TicketStatus::Closed {
            return Err(Refusal::Transition {
                from: TicketStatus::Closed,
                to: self.status.unwrap_or(TicketStatus::Closed),
            });
        }
        let mut ticket = Ticket {
            subject: self
                .subject
                .clone()
                .unwrap_or_else(|| current.subject.clone()),
            description: self
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
            ticket_type: self.ticket_type.unwrap_or(current.ticket_type),
            priority: self.priority.unwrap_or(current.priority),
            channel: self.channel.unwrap_or(current.channel),
            order_id: self.order_id.unwrap_or(current.order_id),
            assignee_id: self.assignee_id.unwrap_or(current.assignee_id),
            tags: self.tags.clone().unwrap_or_else(|| current.tags.clone()),
            custom_fields: match &self.custom_fields {
                Some(changes) => custom_fields::merge(&current.custom_fields, changes.clone()),
                None => current.custom_fields.clone(),
            },
            ..current.clone()
        };
        if let Some(next) = self.status
            && next != current.status
        {
            if !current.status.can_become(next) {
                return Err(Refusal::Transition {
                    from: current.status,
                    to: next,
                });
            }
            ticket.status = next;
            match next {
                TicketStatus::Resolved => ticket.resolved_at = Some(now),
                TicketStatus::Closed => ticket.closed_at = Some(now),
                _ if current.status == TicketStatus::Resolved => ticket.resolved_at = None,
                _ => {}
            }
        }
        Ok(ticket)
    }
}

impl Targets {
    /// The target for tickets of `priority`.
    pub fn of(&self, priority: TicketPriority) -> Target {
        match priority {
            TicketPriority::Low => self.low,
            TicketPriority::Normal => self.normal,
            TicketPriority::High => self.high,
            TicketPriority::Urgent => self.urgent,
        }
    }
}

impl Ticket {
    /// Brings the ticket's SLA clock along with a change from `before` at `now`, under `policy`
    /// (the one it took, if it is still there): waiting on the customer stops the resolution
    /// clock, resuming adds the (working) time it waited, and a new priority takes its targets.
    pub fn follow_sla(
        &mut self,
        before: &Ticket,
        policy: Option<&SlaPolicy>,
        now: DateTime<Utc>,
        zone: Tz,
    ) {
        let (priority, opened) = (self.priority, self.created_at);
        let Some(clock) = self.sla.as_mut() else {
            return;
        };
        let pending = |status| status == TicketStatus::Pending;
        if !pending(before.status) && pending(self.status) {
            clock.pause(now);
        }
        if pending(before.status) && !pending(self.status) {
            clock.resume(policy, now, zone);
        }
        if let Some(policy) = policy {
            policy.set_due(clock, policy.targets.of(priority), opened, zone);
        }
    }
}

/// Checks a satisfaction rating as sent: 1 to 5, with an optional comment.
pub fn check_satisfaction(
    rating: i64,
    comment: Option<&str>,
) -> Result<(i16, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let rating = match i16::try_from(rating) {
        Ok(r) if (1..=5).contains(&r) => r,
        _ => {
            errors.push(FieldError::new(
                "rating",
                "out_of_range",
                "must be between 1 and 5",
            ));
            0
        }
    };
    let comment = errors
        .take(optional_text("comment", comment, MAX_FEEDBACK))
        .flatten();
    errors.into_result(|| (rating, comment))
}

/// Who wrote a comment: a staff member, or an integration's API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Author {
    /// A staff member signed in.
    User(Uuid),
    /// An API key, such as a customer-facing channel's.
    ApiKey(Uuid),
}

/// A comment on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Identifier.
    pub id: Uuid,
    /// The ticket.
    pub ticket_id: Uuid,
    /// Who wrote it.
    pub author: Author,
    /// Whether the customer sees it; internal notes are for staff.
    pub public: bool,
    /// What it says.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl Comment {
    /// Whether this comment answers the customer: a public comment by a staff member.
    pub fn responds(&self) -> bool {
        self.public && matches!(self.author, Author::User(_))
    }
}

/// Checks a comment's body: 1 to [`MAX_BODY`] characters.
pub fn check_comment(body: &str) -> Result<String, FieldErrors> {
    text("body", body, 1, MAX_BODY).map_err(FieldErrors::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn ticket() -> Ticket {
        NewTicket {
            subject: "快递延误三天".into(),
            description: None,
            ticket_type: TicketType::Complaint,
            priority: None,
            channel: TicketChannel::Wechat,
            customer_id: Uuid::nil(),
            order_id: None,
            assignee_id: None,
            tags: vec![],
            custom_fields: Map::new(),
        }
        .into_ticket(Uuid::nil(), at("2026-12-01T00:00:00Z"))
    }

    fn to(status: TicketStatus, t: &Ticket, now: DateTime<Utc>) -> Result<Ticket, Refusal> {
        TicketChanges {
            status: Some(status),
            ..TicketChanges::default()
        }
        .apply(t, now)
    }

    #[test]
    fn a_ticket_is_taken_up_resolved_reopened_and_closed() {
        use TicketStatus::*;
        let now = at("2026-12-02T00:00:00Z");
        let t = ticket();
        assert_eq!(t.priority, TicketPriority::Normal);
        assert!(matches!(
            to(Resolved, &t, now),
            Err(Refusal::Transition { .. })
        ));
        let open = to(Open, &t, now).unwrap();
        let resolved = to(Resolved, &open, now).unwrap();
        assert_eq!(resolved.resolved_at, Some(now));
        let reopened = to(Open, &resolved, now).unwrap();
        assert_eq!(reopened.resolved_at, None);
        let closed = to(Closed, &to(Resolved, &reopened, now).unwrap(), now).unwrap();
        assert_eq!(closed.closed_at, Some(now));
        let renamed = TicketChanges {
            subject: Some("again".into()),
            ..TicketChanges::default()
        };
        assert!(renamed.apply(&closed, now).is_err());
    }

    #[test]
    fn only_a_staff_members_public_comment_answers_the_customer() {
        let comment = |author, public| Comment {
            id: Uuid::nil(),
            ticket_id: Uuid::nil(),
            author,
            public,
            body: "您好".into(),
            created_at: at("2026-12-02T00:00:00Z"),
        };
        assert!(comment(Author::User(Uuid::nil()), true).responds());
        assert!(!comment(Author::User(Uuid::nil()), false).responds());
        assert!(!comment(Author::ApiKey(Uuid::nil()), true).responds());
    }

    #[test]
    fn a_rating_is_one_to_five() {
        assert!(check_satisfaction(0, None).is_err());
        assert!(check_satisfaction(6, None).is_err());
        assert_eq!(check_satisfaction(5, None).unwrap(), (5, None));
    }
}
