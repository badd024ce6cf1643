//! Conversations: opening, changing, reading and removing them, each in one transaction with its
//! audit and feed event; their messages, each stored with the next place in one sequence shared by
//! every conversation, taken under the event feed's turn so that places become visible in the
//! order they were given out (a reader that has seen message N never later finds one below N);
//! the messages after a place, for the stream that follows them; and turning a conversation into
//! a ticket with its transcript. A caller whose scope is `own` reaches the conversations assigned
//! to them and those assigned to no one.

use chrono::{DateTime, Utc};
use rapport_domain::FieldErrors;
use rapport_domain::access::Actor;
use rapport_domain::conversations::{
    self as rules, Conversation, ConversationChanges, ConversationChannel, ConversationStatus,
    Message, NewConversation, Sender, SenderKind,
};
use rapport_domain::sort::SortOrder;
use rapport_domain::tickets::{NewTicket, Ticket};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest, SortField};
use crate::{Db, Error, Result, access, audit, changes, customers, tickets};

/// The conversation tables.
mod entity {
    /// `conversations`.
    pub mod conversation {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "conversations")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub customer_id: Uuid,
            pub channel: String,
            pub status: String,
            pub assignee_id: Option<Uuid>,
            pub subject: Option<String>,
            pub ticket_id: Option<Uuid>,
            pub first_responded_at: Option<DateTimeUtc>,
            pub last_message_at: DateTimeUtc,
            pub closed_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `conversation_messages`.
    pub mod message {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "conversation_messages")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub seq: i64,
            #[sea_orm(unique)]
            pub id: Uuid,
            pub conversation_id: Uuid,
            pub sender_type: String,
            pub sender_id: Option<Uuid>,
            #[sea_orm(column_type = "Text")]
            pub body: String,
            pub created_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{conversation, message};

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored conversation {what} is unknown"))
}

impl TryFrom<conversation::Model> for Conversation {
    type Error = Error;
    fn try_from(m: conversation::Model) -> Result<Self> {
        Ok(Conversation {
            id: m.id,
            customer_id: m.customer_id,
            channel: ConversationChannel::from_name(&m.channel)
                .ok_or_else(|| corrupt("channel"))?,
            status: ConversationStatus::from_name(&m.status).ok_or_else(|| corrupt("status"))?,
            assignee_id: m.assignee_id,
            subject: m.subject,
            ticket_id: m.ticket_id,
            first_responded_at: m.first_responded_at,
            last_message_at: m.last_message_at,
            closed_at: m.closed_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(c: &Conversation) -> conversation::ActiveModel {
    conversation::ActiveModel {
        id: Set(c.id),
        customer_id: Set(c.customer_id),
        channel: Set(c.channel.as_str().into()),
        status: Set(c.status.as_str().into()),
        assignee_id: Set(c.assignee_id),
        subject: Set(c.subject.clone()),
        ticket_id: Set(c.ticket_id),
        first_responded_at: Set(c.first_responded_at),
        last_message_at: Set(c.last_message_at),
        closed_at: Set(c.closed_at),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

impl TryFrom<message::Model> for Message {
    type Error = Error;
    fn try_from(m: message::Model) -> Result<Self> {
        let sender = SenderKind::from_name(&m.sender_type)
            .and_then(|kind| Sender::of(kind, m.sender_id))
            .ok_or_else(|| corrupt("message sender"))?;
        Ok(Message {
            id: m.id,
            seq: m.seq,
            conversation_id: m.conversation_id,
            sender,
            body: m.body,
            created_at: m.created_at,
        })
    }
}

/// The conversations within `owner`'s scope: those assigned to them, and those assigned to no
/// one.
fn scoped(owner: Option<Uuid>) -> Select<conversation::Entity> {
    let select = conversation::Entity::find();
    match owner {
        Some(owner) => select.filter(
            Condition::any()
                .add(conversation::Column::AssigneeId.eq(owner))
                .add(conversation::Column::AssigneeId.is_null()),
        ),
        None => select,
    }
}

/// Whether a message in a conversation assigned to `assignee` is within `owner`'s scope.
pub fn reaches(owner: Option<Uuid>, assignee: Option<Uuid>) -> bool {
    owner.is_none() || assignee.is_none() || assignee == owner
}

/// Checks a conversation's assignee: a staff member, and the caller themselves when their scope
/// is `own`.
async fn check_assignee(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    assignee: Option<Uuid>,
) -> Result<()> {
    if let Some(assignee) = assignee {
        if owner.is_some_and(|o| o != assignee) {
            return Err(Error::field(
                "assignee_id",
                "not_yours",
                "you may assign conversations to yourself only",
            ));
        }
        access::named_user(conn, "assignee_id", assignee).await?;
    }
    Ok(())
}

/// Opens a conversation, by `actor` at `now`, for a customer within `customer_owner`'s reach.
pub async fn create(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    customer_owner: Option<Uuid>,
    new: NewConversation,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Conversation>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let conversation = new.into_conversation(Uuid::now_v7(), now);
    customers::linked(&*txn, customer_owner, conversation.customer_id).await?;
    check_assignee(&*txn, owner, conversation.assignee_id).await?;
    active(&conversation).insert(&*txn).await?;
    audit::record_change(
        &*txn,
        actor,
        "conversation.created",
        "conversation",
        conversation.id,
        None,
        Some(&serde_json::to_value(&conversation)?),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &conversation).await?;
    txn.commit().await?;
    Ok(Outcome::Done(conversation))
}

/// The conversation with this id, if `owner`'s scope reaches it.
pub async fn get(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<Conversation> {
    crate::db::reached(
        conn,
        owner,
        scoped(owner),
        conversation::Column::Id,
        "conversation",
        id,
    )
    .await?
    .try_into()
}

/// Locks the conversation for a change at `expected_version` (when given), within `owner`'s
/// scope.
async fn lock(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Conversation> {
    crate::db::lock_reached(
        conn,
        owner,
        scoped(owner),
        conversation::Column::Id,
        "conversation",
        id,
        expected_version,
        |m| m.version,
    )
    .await?
    .try_into()
}

/// Stores a message in the locked conversation `before`, moves the conversation on (its last
/// message, an agent's first answer, its version) and records both, in the caller's transaction.
/// The message takes its place under the event feed's turn, which it holds until the
/// transaction ends, and the transaction announces it to every process's stream.
async fn append(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: &Conversation,
    sender: Sender,
    body: String,
    now: DateTime<Utc>,
) -> Result<(Conversation, Message)> {
    crate::db::serialise(conn, crate::db::Serial::EventFeed).await?;
    let id = Uuid::now_v7();
    let stored = message::ActiveModel {
        seq: NotSet,
        id: Set(id),
        conversation_id: Set(before.id),
        sender_type: Set(sender.kind().as_str().into()),
        sender_id: Set(sender.id()),
        body: Set(body),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    let written = Message::try_from(stored)?;
    audit::record_change(
        conn,
        actor,
        "conversation_message.created",
        "conversation_message",
        id,
        None,
        Some(&serde_json::to_value(&written)?),
    )
    .await?;
    let after = Conversation {
        last_message_at: now.max(before.last_message_at),
        first_responded_at: match sender {
            Sender::Agent(_) => before.first_responded_at.or(Some(now)),
            _ => before.first_responded_at,
        },
        updated_at: crate::now(),
        version: before.version + 1,
        ..before.clone()
    };
    active(&after).update(conn).await?;
    changes::announce_on(conn, changes::CHAT).await?;
    Ok((after, written))
}

/// Changes a conversation at `expected_version` (when given) at `now`. Closing, reopening and a
/// new assignee are told in the conversation by a system message.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    changes: ConversationChanges,
    now: DateTime<Utc>,
    expected_version: Option<i64>,
) -> Result<Conversation> {
    let txn = db.begin_write().await?;
    let before = lock(&*txn, owner, id, expected_version).await?;
    let mut after = changes.apply(&before, now);
    if after == before {
        return Ok(before);
    }
    if after.assignee_id != before.assignee_id {
        check_assignee(&*txn, owner, after.assignee_id).await?;
    }
    after.updated_at = crate::now();
    after.version += 1;
    active(&after).update(&*txn).await?;
    let (action, notice) = rules::change_action(&before, &after);
    audit::record_change(
        &*txn,
        actor,
        action,
        "conversation",
        id,
        Some(&serde_json::to_value(&before)?),
        Some(&serde_json::to_value(&after)?),
    )
    .await?;
    if let Some(notice) = notice {
        after = append(
            &*txn,
            actor,
            &after,
            Sender::System(None),
            notice.into(),
            now,
        )
        .await?
        .0;
    }
    txn.commit().await?;
    if notice.is_some() {
        db.chat_posted().notify_one();
    }
    Ok(after)
}

/// Removes a conversation at `expected_version` (when given), with its messages.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, Conversation>(
        &*txn,
        actor,
        scoped(owner).filter(conversation::Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "conversation",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn closed() -> Error {
    Error::Conflict {
        code: "conversation_closed",
        field: Some("status"),
        message: "the conversation is closed; reopen it to write in it".into(),
    }
}

/// Posts a message by `sender` in a conversation within `owner`'s scope, at `now`. A closed
/// conversation takes none.
pub async fn post(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    conversation_id: Uuid,
    sender: Sender,
    body: String,
    now: DateTime<Utc>,
) -> Result<Message> {
    let txn = db.begin_write().await?;
    let before = lock(&*txn, owner, conversation_id, None).await?;
    if before.status == ConversationStatus::Closed {
        return Err(closed());
    }
    let (_, written) = append(&*txn, actor, &before, sender, body, now).await?;
    txn.commit().await?;
    db.chat_posted().notify_one();
    Ok(written)
}

const SEQ: [KeyColumn<message::Column>; 1] = [KeyColumn {
    column: message::Column::Seq,
    descending: false,
}];

/// One page of a conversation's messages, oldest first, if `owner`'s scope reaches it.
pub async fn messages(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    conversation_id: Uuid,
    request: &PageRequest,
) -> Result<Page<Message>> {
    get(conn, owner, conversation_id).await?;
    let select =
        message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
    page::fetch(
        conn,
        select,
        "seq",
        &SEQ,
        |m| vec![CursorValue::I(m.seq)],
        request,
    )
    .await?
    .try_map(Message::try_from)
}

/// A message as the stream sends it: with whom its conversation is assigned to now, which
/// decides who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// The message.
    pub message: Message,
    /// Its conversation's assignee.
    pub assignee_id: Option<Uuid>,
}

/// Up to `limit` messages placed after `seq`, in order, with their conversations' assignees:
/// `conversation`'s only, when given.
pub async fn after(
    conn: &impl ConnectionTrait,
    seq: i64,
    conversation: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Streamed>> {
    let mut select = message::Entity::find().filter(message::Column::Seq.gt(seq));
    if let Some(conversation) = conversation {
        select = select.filter(message::Column::ConversationId.eq(conversation));
    }
    let rows = select
        .order_by_asc(message::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.conversation_id).collect();
    let assignees: Vec<(Uuid, Option<Uuid>)> = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::Id)
        .column(conversation::Column::AssigneeId)
        .filter(conversation::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let assignee_id = assignees
                .iter()
                .find(|(id, _)| *id == row.conversation_id)
                .and_then(|(_, assignee)| *assignee);
            Ok(Streamed {
                message: row.try_into()?,
                assignee_id,
            })
        })
        .collect()
}

/// The place of the latest message, 0 when there is none.
pub async fn latest(conn: &impl ConnectionTrait) -> Result<i64> {
    let seq: Option<Option<i64>> = message::Entity::find()
        .select_only()
        .column_as(message::Column::Seq.max(), "seq")
        .into_tuple()
        .one(conn)
        .await?;
    Ok(seq.flatten().unwrap_or(0))
}

/// Turns a conversation within `owner`'s scope into a ticket, by `actor` at `now`: the ticket
/// `made` of the conversation and its messages (by
/// [`rapport_domain::conversations::TicketFromConversation::ticket`]) is
/// opened within `ticket_owner`'s and `reach`'s bounds, and the conversation remembers it and
/// says so in a system message. Once only: a second time is a conflict.
#[allow(clippy::too_many_arguments)]
pub async fn into_ticket(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    ticket_owner: Option<Uuid>,
    reach: tickets::Reach,
    id: Uuid,
    made: impl FnOnce(&Conversation, &[Message]) -> std::result::Result<NewTicket, FieldErrors>,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let txn = db.begin_write().await?;
    let before = lock(&*txn, owner, id, None).await?;
    if before.ticket_id.is_some() {
        return Err(Error::Conflict {
            code: "already_ticketed",
            field: None,
            message: "the conversation was turned into a ticket already".into(),
        });
    }
    let said: Vec<Message> = message::Entity::find()
        .filter(message::Column::ConversationId.eq(id))
        .order_by_asc(message::Column::Seq)
        .all(&*txn)
        .await?
        .into_iter()
        .map(Message::try_from)
        .collect::<Result<_>>()?;
    let mut new = made(&before, &said).map_err(Error::Invalid)?;
    // An agent whose reach is their own tickets opens it for themselves or no one.
    new.assignee_id = new
        .assignee_id
        .filter(|a| ticket_owner.is_none_or(|o| o == *a));
    let opened = tickets::open(
        &*txn,
        Uuid::now_v7(),
        actor.into(),
        ticket_owner,
        reach,
        new,
        now,
    )
    .await?;
    let after = Conversation {
        ticket_id: Some(opened.id),
        updated_at: crate::now(),
        version: before.version + 1,
        ..before.clone()
    };
    active(&after).update(&*txn).await?;
    audit::record_change(
        &*txn,
        actor,
        "conversation.ticketed",
        "conversation",
        id,
        Some(&serde_json::to_value(&before)?),
        Some(&serde_json::to_value(&after)?),
    )
    .await?;
    append(
        &*txn,
        actor,
        &after,
        Sender::System(None),
        "The conversation was turned into a ticket.".into(),
        now,
    )
    .await?;
    txn.commit().await?;
    db.chat_posted().notify_one();
    Ok(opened)
}

/// What a conversation list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// In this status.
    pub status: Option<ConversationStatus>,
    /// On this channel.
    pub channel: Option<ConversationChannel>,
    /// Assigned to this staff member.
    pub assignee_id: Option<Uuid>,
    /// Assigned to no one (`true`) or to someone (`false`).
    pub unassigned: Option<bool>,
}

const FIELDS: &[SortField<conversation::Entity>] = &[
    SortField {
        name: "created_at",
        column: conversation::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "last_message_at",
        column: conversation::Column::LastMessageAt,
        value: |m| CursorValue::T(m.last_message_at),
    },
];

const ID: SortField<conversation::Entity> = SortField {
    name: "id",
    column: conversation::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of conversations within `owner`'s scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &ConversationFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Conversation>> {
    use conversation::Column;
    let mut select = scoped(owner);
    match filter.unassigned {
        Some(true) => select = select.filter(Column::AssigneeId.is_null()),
        Some(false) => select = select.filter(Column::AssigneeId.is_not_null()),
        None => {}
    }
    let name = |v: Option<&'static str>| v.map(sea_orm::Value::from);
    let (select, pin) = page::pin_first_equality(
        select,
        order,
        [
            (
                Column::CustomerId,
                filter.customer_id.map(sea_orm::Value::from),
            ),
            (
                Column::AssigneeId,
                filter.assignee_id.map(sea_orm::Value::from),
            ),
            (
                Column::Status,
                name(filter.status.map(ConversationStatus::as_str)),
            ),
            (
                Column::Channel,
                name(filter.channel.map(ConversationChannel::as_str)),
            ),
        ],
    );
    page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request)
        .await?
        .try_map(Conversation::try_from)
}

/// The conversations with these ids, in no particular order: what a timeline page shows.
pub async fn with_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Conversation>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    conversation::Entity::find()
        .filter(conversation::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Conversation::try_from)
        .collect()
}

/// Every one of the customer's conversations, oldest first: what a data export holds.
pub async fn of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<Conversation>> {
    conversation::Entity::find()
        .filter(conversation::Column::CustomerId.eq(customer_id))
        .order_by_asc(conversation::Column::CreatedAt)
        .order_by_asc(conversation::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Conversation::try_from)
        .collect()
}

/// The messages of the customer's conversations, oldest first: what a data export holds.
pub async fn messages_of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<Message>> {
    let theirs = sea_orm::sea_query::Query::select()
        .column(conversation::Column::Id)
        .from(conversation::Entity)
        .and_where(conversation::Column::CustomerId.eq(customer_id))
        .to_owned();
    message::Entity::find()
        .filter(message::Column::ConversationId.in_subquery(theirs))
        .order_by_asc(message::Column::Seq)
        .all(conn)
        .await?
        .into_iter()
        .map(Message::try_from)
        .collect()
}
