//! Tickets: creating, changing, reading and removing them, each in one transaction with its audit
//! and feed event; their comments, the first public answer by staff stamped on the ticket in the
//! comment's transaction; and the one satisfaction rating, set by a conditional `UPDATE` that no
//! second rating passes. A caller whose scope is `own` reaches the tickets assigned to them and
//! those assigned to no one.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::access::{Action, Permission, Resource, Scope};
use rapport_domain::filter::{FieldKind, Filter};
use rapport_domain::settings::{TicketAssignmentSettings, WorkspaceSettings};
use rapport_domain::sla::{Breach, SlaClock};
use rapport_domain::sort::SortOrder;
use rapport_domain::tickets::{
    Author, Comment, NewTicket, Refusal, Satisfaction, Ticket, TicketChanges, TicketChannel,
    TicketPriority, TicketStatus, TicketType,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
};
use uuid::Uuid;

use crate::filter::{FieldMap, FieldSql};
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{
    Backend, Db, Error, Result, access, audit, custom_fields, customers, events, orders, settings,
    sla,
};

/// The ticket tables.
mod entity {
    /// `tickets`.
    pub mod ticket {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "tickets")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub subject: String,
            #[sea_orm(column_type = "Text", nullable)]
            pub description: Option<String>,
            pub r#type: String,
            pub priority: String,
            pub channel: String,
            pub status: String,
            pub customer_id: Uuid,
            pub order_id: Option<Uuid>,
            pub assignee_id: Option<Uuid>,
            pub tags: Json,
            pub custom_fields: Json,
            pub first_responded_at: Option<DateTimeUtc>,
            pub resolved_at: Option<DateTimeUtc>,
            pub closed_at: Option<DateTimeUtc>,
            pub satisfaction_rating: Option<i16>,
            #[sea_orm(column_type = "Text", nullable)]
            pub satisfaction_comment: Option<String>,
            pub rated_at: Option<DateTimeUtc>,
            pub sla_policy_id: Option<Uuid>,
            pub first_response_due_at: Option<DateTimeUtc>,
            pub resolution_due_at: Option<DateTimeUtc>,
            pub sla_paused_since: Option<DateTimeUtc>,
            pub sla_paused_minutes: i64,
            pub first_response_breached_at: Option<DateTimeUtc>,
            pub resolution_breached_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `ticket_comments`.
    pub mod comment {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "ticket_comments")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub ticket_id: Uuid,
            pub author_type: String,
            pub author_id: Uuid,
            pub public: bool,
            #[sea_orm(column_type = "Text")]
            pub body: String,
            pub created_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{comment, ticket};

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored ticket {what} is unknown"))
}

impl TryFrom<ticket::Model> for Ticket {
    type Error = Error;
    fn try_from(m: ticket::Model) -> Result<Self> {
        let satisfaction = match (m.satisfaction_rating, m.rated_at) {
            (Some(rating), Some(rated_at)) => Some(Satisfaction {
                rating,
                comment: m.satisfaction_comment,
                rated_at,
            }),
            _ => None,
        };
        // A ticket has a clock when it took a policy: both due times are there.
        let sla = match (m.first_response_due_at, m.resolution_due_at) {
            (Some(first_response_due_at), Some(resolution_due_at)) => Some(SlaClock {
                policy_id: m.sla_policy_id,
                first_response_due_at,
                resolution_due_at,
                paused_since: m.sla_paused_since,
                paused_minutes: m.sla_paused_minutes,
                first_response_breached_at: m.first_response_breached_at,
                resolution_breached_at: m.resolution_breached_at,
            }),
            _ => None,
        };
        Ok(Ticket {
            id: m.id,
            subject: m.subject,
            description: m.description,
            ticket_type: TicketType::from_name(&m.r#type).ok_or_else(|| corrupt("type"))?,
            priority: TicketPriority::from_name(&m.priority).ok_or_else(|| corrupt("priority"))?,
            channel: TicketChannel::from_name(&m.channel).ok_or_else(|| corrupt("channel"))?,
            status: TicketStatus::from_name(&m.status).ok_or_else(|| corrupt("status"))?,
            customer_id: m.customer_id,
            order_id: m.order_id,
            assignee_id: m.assignee_id,
            tags: serde_json::from_value(m.tags)?,
            custom_fields: serde_json::from_value(m.custom_fields)?,
            first_responded_at: m.first_responded_at,
            resolved_at: m.resolved_at,
            closed_at: m.closed_at,
            satisfaction,
            sla,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(t: &Ticket) -> ticket::ActiveModel {
    let satisfaction = t.satisfaction.as_ref();
    let sla = t.sla.as_ref();
    ticket::ActiveModel {
        id: Set(t.id),
        subject: Set(t.subject.clone()),
        description: Set(t.description.clone()),
        r#type: Set(t.ticket_type.as_str().into()),
        priority: Set(t.priority.as_str().into()),
        channel: Set(t.channel.as_str().into()),
        status: Set(t.status.as_str().into()),
        customer_id: Set(t.customer_id),
        order_id: Set(t.order_id),
        assignee_id: Set(t.assignee_id),
        tags: Set(serde_json::Value::from(t.tags.clone())),
        custom_fields: Set(serde_json::Value::Object(t.custom_fields.clone())),
        first_responded_at: Set(t.first_responded_at),
        resolved_at: Set(t.resolved_at),
        closed_at: Set(t.closed_at),
        satisfaction_rating: Set(satisfaction.map(|s| s.rating)),
        satisfaction_comment: Set(satisfaction.and_then(|s| s.comment.clone())),
        rated_at: Set(satisfaction.map(|s| s.rated_at)),
        sla_policy_id: Set(sla.and_then(|c| c.policy_id)),
        first_response_due_at: Set(sla.map(|c| c.first_response_due_at)),
        resolution_due_at: Set(sla.map(|c| c.resolution_due_at)),
        sla_paused_since: Set(sla.and_then(|c| c.paused_since)),
        sla_paused_minutes: Set(sla.map_or(0, |c| c.paused_minutes)),
        first_response_breached_at: Set(sla.and_then(|c| c.first_response_breached_at)),
        resolution_breached_at: Set(sla.and_then(|c| c.resolution_breached_at)),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
        version: Set(t.version),
    }
}

/// The tickets within `owner`'s scope: those assigned to them, and those assigned to no one.
fn scoped(owner: Option<Uuid>) -> Select<ticket::Entity> {
    let select = ticket::Entity::find();
    match owner {
        Some(owner) => select.filter(
            Condition::any()
                .add(ticket::Column::AssigneeId.eq(owner))
                .add(ticket::Column::AssigneeId.is_null()),
        ),
        None => select,
    }
}

/// Whose records a ticket may name: the caller's scopes over customers and over orders.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    /// The owner customers are restricted to, when the caller's customer scope is `own`.
    pub customers: Option<Uuid>,
    /// The owner orders are restricted to, when the caller's order scope is `own`.
    pub orders: Option<Uuid>,
}

/// Checks what a ticket names: its assignee (a staff member; the caller themselves when their
/// scope is `own`), its customer within reach, and its order (the customer's).
async fn check_links(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    reach: Reach,
    ticket: &Ticket,
) -> Result<()> {
    if let Some(assignee) = ticket.assignee_id {
        if owner.is_some_and(|o| o != assignee) {
            return Err(Error::field(
                "assignee_id",
                "not_yours",
                "you may assign tickets to yourself only",
            ));
        }
        access::named_user(conn, "assignee_id", assignee).await?;
    }
    customers::linked(conn, reach.customers, ticket.customer_id).await?;
    if let Some(order_id) = ticket.order_id {
        orders::linked(conn, reach.orders, order_id, Some(ticket.customer_id)).await?;
    }
    Ok(())
}

/// The active service agent (a staff member whose role works its own tickets) with the fewest
/// tickets that are not resolved or closed, the earliest made first among equals; `None` when
/// there is no agent. The choice takes turns with every other ticket's (`Serial`), so that
/// tickets opened at once spread evenly.
async fn least_loaded_agent(conn: &impl ConnectionTrait) -> Result<Option<Uuid>> {
    use sea_orm::QuerySelect;
    crate::db::serialise(conn, crate::db::Serial::TicketAssignment).await?;
    let agents = access::staff_holding(
        conn,
        Permission::new(Resource::Tickets, Action::Write),
        Scope::Own,
    )
    .await?;
    if agents.is_empty() {
        return Ok(None);
    }
    let open =
        [TicketStatus::New, TicketStatus::Open, TicketStatus::Pending].map(TicketStatus::as_str);
    let loads: Vec<(Uuid, i64)> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::AssigneeId)
        .column_as(ticket::Column::Id.count(), "open")
        .filter(ticket::Column::AssigneeId.is_in(agents.iter().copied()))
        .filter(ticket::Column::Status.is_in(open))
        .group_by(ticket::Column::AssigneeId)
        .into_tuple()
        .all(conn)
        .await?;
    let load = |agent: &Uuid| {
        loads
            .iter()
            .find(|(a, _)| a == agent)
            .map_or(0, |(_, n)| *n)
    };
    Ok(agents.iter().min_by_key(|agent| load(agent)).copied())
}

fn refused(refusal: &Refusal) -> Error {
    match refusal {
        Refusal::Transition {
            from: TicketStatus::Closed,
            ..
        } => Error::Conflict {
            code: "invalid_transition",
            field: Some("status"),
            message: "a closed ticket changes no more".into(),
        },
        Refusal::Transition { from, to } => Error::Conflict {
            code: "invalid_transition",
            field: Some("status"),
            message: format!(
                "a ticket that is {} cannot become {}",
                from.as_str(),
                to.as_str()
            ),
        },
    }
}

/// Creates a ticket, by `actor` at `now`: it is `new`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    reach: Reach,
    new: NewTicket,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Ticket>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let ticket = open(&*txn, Uuid::now_v7(), actor.into(), owner, reach, new, now).await?;
    idempotency::remember(&*txn, idem, 201, &ticket).await?;
    txn.commit().await?;
    Ok(Outcome::Done(ticket))
}

/// Opens ticket `id` in the caller's transaction, `by` an actor or the system at `now`: it names
/// what it may, goes to the least-loaded agent when it names none and assignment is automatic,
/// and takes the active SLA policy's clock.
pub(crate) async fn open(
    conn: &impl ConnectionTrait,
    id: Uuid,
    by: audit::By<'_>,
    owner: Option<Uuid>,
    reach: Reach,
    new: NewTicket,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let mut ticket = new.into_ticket(id, now);
    check_links(conn, owner, reach, &ticket).await?;
    if ticket.assignee_id.is_none()
        && settings::load::<TicketAssignmentSettings>(conn)
            .await?
            .automatic
    {
        ticket.assignee_id = least_loaded_agent(conn).await?;
    }
    if let Some(policy) = sla::active(conn).await? {
        let zone = settings::load::<WorkspaceSettings>(conn).await?.zone();
        let target = policy.targets.of(ticket.priority);
        ticket.sla = Some(policy.clock(target, ticket.created_at, zone));
    }
    active(&ticket).insert(conn).await?;
    let after = serde_json::to_value(&ticket)?;
    audit::record_change(
        conn,
        by,
        "ticket.created",
        "ticket",
        ticket.id,
        None,
        Some(&after),
    )
    .await?;
    Ok(ticket)
}

/// The ticket with this id, if `owner`'s scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Ticket> {
    crate::db::reached(conn, owner, scoped(owner), ticket::Column::Id, "ticket", id)
        .await?
        .try_into()
}

/// Locks the ticket for a change at `expected_version` (when given), within `owner`'s scope.
async fn lock(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Ticket> {
    crate::db::lock_reached(
        conn,
        owner,
        scoped(owner),
        ticket::Column::Id,
        "ticket",
        id,
        expected_version,
        |m| m.version,
    )
    .await?
    .try_into()
}

/// What a change to a ticket is called in the audit trail and the feed.
fn change_action(before: &Ticket, after: &Ticket) -> &'static str {
    use TicketStatus::*;
    match (before.status, after.status) {
        (Resolved, Open) => "ticket.reopened",
        (_, Open) if before.status != Open => "ticket.opened",
        (_, Pending) if before.status != Pending => "ticket.pending",
        (_, Resolved) if before.status != Resolved => "ticket.resolved",
        (_, Closed) if before.status != Closed => "ticket.closed",
        _ if before.assignee_id != after.assignee_id => "ticket.assigned",
        _ => "ticket.updated",
    }
}

/// Changes a ticket at `expected_version` (when given) at `now`.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    reach: Reach,
    id: Uuid,
    changes: TicketChanges,
    now: DateTime<Utc>,
    expected_version: Option<i64>,
) -> Result<Ticket> {
    let txn = db.begin_write().await?;
    let before = lock(&*txn, owner, id, expected_version).await?;
    let mut after = changes.apply(&before, now).map_err(|r| refused(&r))?;
    if after == before {
        return Ok(before);
    }
    if let Some(clock) = &after.sla
        && (before.status != after.status || before.priority != after.priority)
    {
        let policy = match clock.policy_id {
            Some(id) => sla::find(&*txn, id).await?,
            None => None,
        };
        let zone = settings::load::<WorkspaceSettings>(&*txn).await?.zone();
        after.follow_sla(&before, policy.as_ref(), now, zone);
    }
    if after.assignee_id != before.assignee_id || after.order_id != before.order_id {
        check_links(&*txn, owner, reach, &after).await?;
    }
    after.updated_at = crate::now();
    after.version += 1;
    active(&after).update(&*txn).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    let action = change_action(&before, &after);
    audit::record_change(&*txn, actor, action, "ticket", id, Some(&b), Some(&a)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a ticket at `expected_version` (when given), with its comments.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, Ticket>(
        &*txn,
        actor,
        scoped(owner).filter(ticket::Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "ticket",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

impl TryFrom<comment::Model> for Comment {
    type Error = Error;
    fn try_from(m: comment::Model) -> Result<Self> {
        Ok(Comment {
            id: m.id,
            ticket_id: m.ticket_id,
            author: match m.author_type.as_str() {
                "user" => Author::User(m.author_id),
                "api_key" => Author::ApiKey(m.author_id),
                _ => return Err(corrupt("comment author")),
            },
            public: m.public,
            body: m.body,
            created_at: m.created_at,
        })
    }
}

/// Adds a comment by `actor` to a ticket within `owner`'s scope, at `now`. The first public
/// comment by a staff member stamps the ticket's `first_responded_at`, in the same transaction.
/// A closed ticket takes no comments.
pub async fn comment(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    ticket_id: Uuid,
    public: bool,
    body: String,
    now: DateTime<Utc>,
) -> Result<Comment> {
    let txn = db.begin_write().await?;
    let before = lock(&*txn, owner, ticket_id, None).await?;
    if before.status == TicketStatus::Closed {
        return Err(refused(&Refusal::Transition {
            from: TicketStatus::Closed,
            to: TicketStatus::Closed,
        }));
    }
    let author = match actor.principal {
        rapport_domain::access::Principal::User(id) => Author::User(id),
        rapport_domain::access::Principal::ApiKey(id) => Author::ApiKey(id),
    };
    let written = Comment {
        id: Uuid::now_v7(),
        ticket_id,
        author,
        public,
        body,
        created_at: now,
    };
    let (author_type, author_id) = match author {
        Author::User(id) => ("user", id),
        Author::ApiKey(id) => ("api_key", id),
    };
    comment::ActiveModel {
        id: Set(written.id),
        ticket_id: Set(ticket_id),
        author_type: Set(author_type.into()),
        author_id: Set(author_id),
        public: Set(public),
        body: Set(written.body.clone()),
        created_at: Set(now),
    }
    .insert(&*txn)
    .await?;
    audit::record_change(
        &*txn,
        actor,
        "ticket_comment.created",
        "ticket_comment",
        written.id,
        None,
        Some(&serde_json::to_value(&written)?),
    )
    .await?;
    if written.responds() && before.first_responded_at.is_none() {
        let after = Ticket {
            first_responded_at: Some(now),
            updated_at: crate::now(),
            version: before.version + 1,
            ..before.clone()
        };
        active(&after).update(&*txn).await?;
        audit::record_change(
            &*txn,
            actor,
            "ticket.responded",
            "ticket",
            ticket_id,
            Some(&serde_json::to_value(&before)?),
            Some(&serde_json::to_value(&after)?),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(written)
}

/// Which comments a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Those the customer sees.
    Public,
    /// Staff's own notes.
    Internal,
}

const COMMENT_FIELDS: &[SortField<comment::Entity>] = &[SortField {
    name: "created_at",
    column: comment::Column::CreatedAt,
    value: |m| CursorValue::T(m.created_at),
}];

const COMMENT_ID: SortField<comment::Entity> = SortField {
    name: "id",
    column: comment::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of a ticket's comments, oldest first, if `owner`'s scope reaches the ticket.
pub async fn comments(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    ticket_id: Uuid,
    visibility: Option<Visibility>,
    request: &PageRequest,
) -> Result<Page<Comment>> {
    get(conn, owner, ticket_id).await?;
    let mut select = comment::Entity::find().filter(comment::Column::TicketId.eq(ticket_id));
    if let Some(visibility) = visibility {
        select = select.filter(comment::Column::Public.eq(visibility == Visibility::Public));
    }
    let order = SortOrder(vec![rapport_domain::sort::SortKey::ascending("created_at")]);
    page::fetch_ordered(
        conn,
        select,
        &order,
        COMMENT_FIELDS,
        &COMMENT_ID,
        None,
        request,
    )
    .await?
    .try_map(Comment::try_from)
}

/// Records the customer's rating of a ticket within `owner`'s scope, at `now`: once, and only
/// when it is resolved or closed. The row is changed by one conditional `UPDATE`, so of two
/// ratings at once one passes and the other finds it rated.
pub async fn rate(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    rating: i16,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    use ticket::Column;
    let txn = db.begin_write().await?;
    let before = get(&*txn, owner, id).await?;
    let rateable = [TicketStatus::Resolved, TicketStatus::Closed].map(TicketStatus::as_str);
    let rated = ticket::Entity::update_many()
        .col_expr(Column::SatisfactionRating, Expr::val(rating))
        .col_expr(Column::SatisfactionComment, Expr::val(comment.clone()))
        .col_expr(Column::RatedAt, Expr::val(now))
        .col_expr(Column::UpdatedAt, Expr::val(crate::now()))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(id))
        .filter(Column::RatedAt.is_null())
        .filter(Column::Status.is_in(rateable))
        .exec(&*txn)
        .await?;
    if rated.rows_affected != 1 {
        let current = get(&*txn, owner, id).await?;
        return Err(if current.satisfaction.is_some() {
            Error::Conflict {
                code: "already_rated",
                field: None,
                message: "the ticket was rated already; a rating is given once".into(),
            }
        } else {
            Error::Conflict {
                code: "not_resolved",
                field: Some("status"),
                message: format!(
                    "a ticket is rated once it is resolved; this one is {}",
                    current.status.as_str()
                ),
            }
        });
    }
    let after = get(&*txn, owner, id).await?;
    audit::record_change(
        &*txn,
        actor,
        "ticket.rated",
        "ticket",
        id,
        Some(&serde_json::to_value(&before)?),
        Some(&serde_json::to_value(&after)?),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// What a ticket list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// In this status.
    pub status: Option<TicketStatus>,
    /// Of this priority.
    pub priority: Option<TicketPriority>,
    /// Of this type.
    pub ticket_type: Option<TicketType>,
    /// From this channel.
    pub channel: Option<TicketChannel>,
    /// Assigned to this staff member.
    pub assignee_id: Option<Uuid>,
    /// Assigned to no one (`true`) or to someone (`false`).
    pub unassigned: Option<bool>,
    /// Carrying this tag.
    pub tag: Option<String>,
    /// With a breach of its SLA recorded (`true`), or none (`false`).
    pub breached: Option<bool>,
    /// Matching this filter (`POST /tickets/search`).
    pub matching: Option<Filter>,
}

/// The ticket fields: one column each, and the custom fields in the `custom_fields` JSON.
struct TicketColumns {
    backend: Backend,
}

fn column(field: &str) -> Option<ticket::Column> {
    use ticket::Column::*;
    Some(match field {
        "subject" => Subject,
        "description" => Description,
        "type" => Type,
        "priority" => Priority,
        "channel" => Channel,
        "status" => Status,
        "customer_id" => CustomerId,
        "order_id" => OrderId,
        "assignee_id" => AssigneeId,
        "first_responded_at" => FirstRespondedAt,
        "resolved_at" => ResolvedAt,
        "closed_at" => ClosedAt,
        "satisfaction.rating" => SatisfactionRating,
        "sla.first_response_due_at" => FirstResponseDueAt,
        "sla.resolution_due_at" => ResolutionDueAt,
        "sla.first_response_breached_at" => FirstResponseBreachedAt,
        "sla.resolution_breached_at" => ResolutionBreachedAt,
        "created_at" => CreatedAt,
        "updated_at" => UpdatedAt,
        _ => return None,
    })
}

impl FieldMap for TicketColumns {
    fn locate(&self, field: &str, kind: &FieldKind) -> Option<FieldSql> {
        let Some(column) = column(field) else {
            // Custom text fields are keywords, compared exactly.
            return custom_fields::field_sql(self.backend, field, kind, None);
        };
        // The free texts (the subject, the description) are searched in lower case; the rest
        // compare exactly.
        let folded =
            matches!(kind, FieldKind::Text).then(|| Func::lower(column.into_expr()).into());
        Some(FieldSql::Scalar {
            value: column.into_expr(),
            folded,
            dates_as_text: false,
        })
    }
}

const FIELDS: &[SortField<ticket::Entity>] = &[
    SortField {
        name: "created_at",
        column: ticket::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "updated_at",
        column: ticket::Column::UpdatedAt,
        value: |m| CursorValue::T(m.updated_at),
    },
];

const ID: SortField<ticket::Entity> = SortField {
    name: "id",
    column: ticket::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// The condition "the ticket's tags hold `tag`", in each database's words.
fn tagged(backend: Backend, tag: &str) -> Expr {
    let tag = sea_orm::Value::from(tag.to_owned());
    match backend {
        Backend::Postgres => Expr::cust_with_values(
            "(CAST(\"tickets\".\"tags\" AS jsonb) @> jsonb_build_array(CAST($1 AS text)))",
            [tag],
        ),
        Backend::Sqlite => Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM json_each(\"tickets\".\"tags\") WHERE value = ?)",
            [tag],
        ),
    }
}

/// One page of tickets within `owner`'s scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &TicketFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Ticket>> {
    use ticket::Column;
    let mut select = scoped(owner);
    if let Some(matching) = &filter.matching {
        let columns = TicketColumns {
            backend: Backend::of(conn),
        };
        select = select.filter(crate::filter::compile(matching, &columns)?);
    }
    if let Some(tag) = &filter.tag {
        select = select.filter(tagged(Backend::of(conn), tag));
    }
    if let Some(breached) = filter.breached {
        let any = Condition::any()
            .add(Column::FirstResponseBreachedAt.is_not_null())
            .add(Column::ResolutionBreachedAt.is_not_null());
        select = select.filter(if breached { any } else { any.not() });
    }
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
                name(filter.status.map(TicketStatus::as_str)),
            ),
            (
                Column::Priority,
                name(filter.priority.map(TicketPriority::as_str)),
            ),
            (
                Column::Type,
                name(filter.ticket_type.map(TicketType::as_str)),
            ),
            (
                Column::Channel,
                name(filter.channel.map(TicketChannel::as_str)),
            ),
        ],
    );
    page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request)
        .await?
        .try_map(Ticket::try_from)
}

/// The tickets with these ids, in no particular order: what a timeline page shows.
pub async fn with_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ticket::Entity::find()
        .filter(ticket::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Ticket::try_from)
        .collect()
}

/// Every one of the customer's tickets, oldest first: what a data export holds.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Ticket>> {
    use sea_orm::QueryOrder;
    ticket::Entity::find()
        .filter(ticket::Column::CustomerId.eq(customer_id))
        .order_by_asc(ticket::Column::CreatedAt)
        .order_by_asc(ticket::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Ticket::try_from)
        .collect()
}

/// The comments on the customer's tickets, oldest first: what a data export holds.
pub async fn comments_of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<Comment>> {
    use sea_orm::QueryOrder;
    comment::Entity::find()
        .filter(comment::Column::TicketId.in_subquery(of_customer_ids(customer_id)))
        .order_by_asc(comment::Column::CreatedAt)
        .order_by_asc(comment::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Comment::try_from)
        .collect()
}

/// `SELECT id FROM tickets WHERE customer_id = …`.
fn of_customer_ids(customer_id: Uuid) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(ticket::Column::Id)
        .from(ticket::Entity)
        .and_where(ticket::Column::CustomerId.eq(customer_id))
        .to_owned()
}

/// The most tickets one step of the breach job locks and records.
const BREACHES_PER_STEP: u64 = 200;

/// The condition under which a ticket's `breach` is due at `now` and not recorded yet: no first
/// answer by its due time (while it is not resolved or closed), or not resolved by its due time
/// (while it does not wait on the customer).
fn breach_condition(breach: Breach, now: DateTime<Utc>) -> Condition {
    use ticket::Column;
    match breach {
        Breach::FirstResponse => Condition::all()
            .add(Column::FirstResponseBreachedAt.is_null())
            .add(Column::FirstRespondedAt.is_null())
            .add(Column::FirstResponseDueAt.lt(now))
            .add(
                Column::Status.is_in(
                    [TicketStatus::New, TicketStatus::Open, TicketStatus::Pending]
                        .map(TicketStatus::as_str),
                ),
            ),
        Breach::Resolution => Condition::all()
            .add(Column::ResolutionBreachedAt.is_null())
            .add(Column::ResolutionDueAt.lt(now))
            .add(Column::Status.is_in([TicketStatus::New.as_str(), TicketStatus::Open.as_str()])),
    }
}

/// Records every SLA breach that fell due by `now`, each once, and emits `ticket.sla_breached`
/// for it in the same transaction: the tickets are taken in small steps (on PostgreSQL skipping
/// those another node holds) and marked by a conditional `UPDATE` that only the first node to
/// reach a breach passes. How many breaches it recorded.
pub async fn record_breaches(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut recorded = 0;
    for breach in [Breach::FirstResponse, Breach::Resolution] {
        loop {
            let txn = db.begin_write().await?;
            let select = ticket::Entity::find()
                .filter(breach_condition(breach, now))
                .order_by_asc(ticket::Column::Id)
                .limit(BREACHES_PER_STEP);
            let select = match db.backend() {
                Backend::Postgres => select.lock_with_behavior(
                    sea_orm::sea_query::LockType::Update,
                    sea_orm::sea_query::LockBehavior::SkipLocked,
                ),
                Backend::Sqlite => select,
            };
            let due = select.all(&*txn).await?;
            let step = due.len() as u64;
            for model in due {
                let id = model.id;
                let column = match breach {
                    Breach::FirstResponse => ticket::Column::FirstResponseBreachedAt,
                    Breach::Resolution => ticket::Column::ResolutionBreachedAt,
                };
                let marked = ticket::Entity::update_many()
                    .col_expr(column, Expr::val(now))
                    .filter(ticket::Column::Id.eq(id))
                    .filter(breach_condition(breach, now))
                    .exec(&*txn)
                    .await?;
                if marked.rows_affected != 1 {
                    continue;
                }
                let ticket = get(&*txn, None, id).await?;
                let mut data = serde_json::to_value(&ticket)?;
                data["breach"] = serde_json::Value::from(breach.as_str());
                events::emit(&*txn, "ticket.sla_breached", "ticket", id, data, None).await?;
                recorded += 1;
            }
            txn.commit().await?;
            if step < BREACHES_PER_STEP {
                break;
            }
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_field_has_a_column() {
        for spec in rapport_domain::tickets::catalogue(&[]).fields {
            assert!(column(&spec.name).is_some(), "{}", spec.name);
        }
    }
}
