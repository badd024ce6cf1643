//! Tasks: creating, changing, reading and removing them, each in one transaction with its audit
//! and feed event, and the reminders that fall due. A caller whose scope is `own` reaches the
//! tasks assigned to them, and assigns tasks to themselves only.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rapport_domain::access::Actor;
use rapport_domain::deals::ReminderDue;
use rapport_domain::settings::DealReminderSettings;
use rapport_domain::sort::SortOrder;
use rapport_domain::tasks::{NewTask, Task, TaskChanges, TaskPriority, TaskStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Backend, Db, Error, Result, access, audit, customers, deals, events, orders};

/// The `tasks` table.
mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub description: Option<String>,
        pub due_at: Option<DateTimeUtc>,
        pub remind_at: Option<DateTimeUtc>,
        pub reminded_at: Option<DateTimeUtc>,
        pub priority: i16,
        pub status: String,
        pub assignee_id: Option<Uuid>,
        pub customer_id: Option<Uuid>,
        pub order_id: Option<Uuid>,
        pub deal_id: Option<Uuid>,
        #[sea_orm(column_type = "Text", nullable)]
        pub outcome: Option<String>,
        pub completed_at: Option<DateTimeUtc>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity, Model};

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored task {what} is unknown"))
}

impl TryFrom<Model> for Task {
    type Error = Error;
    fn try_from(m: Model) -> Result<Self> {
        Ok(Task {
            id: m.id,
            title: m.title,
            description: m.description,
            due_at: m.due_at,
            remind_at: m.remind_at,
            reminded_at: m.reminded_at,
            priority: TaskPriority::of_rank(m.priority).ok_or_else(|| corrupt("priority"))?,
            status: TaskStatus::from_name(&m.status).ok_or_else(|| corrupt("status"))?,
            assignee_id: m.assignee_id,
            customer_id: m.customer_id,
            order_id: m.order_id,
            deal_id: m.deal_id,
            outcome: m.outcome,
            completed_at: m.completed_at,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(t: &Task) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(t.id),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        due_at: Set(t.due_at),
        remind_at: Set(t.remind_at),
        reminded_at: Set(t.reminded_at),
        priority: Set(t.priority.rank()),
        status: Set(t.status.as_str().into()),
        assignee_id: Set(t.assignee_id),
        customer_id: Set(t.customer_id),
        order_id: Set(t.order_id),
        deal_id: Set(t.deal_id),
        outcome: Set(t.outcome.clone()),
        completed_at: Set(t.completed_at),
        created_by: Set(t.created_by),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
        version: Set(t.version),
    }
}

/// The tasks within `owner`'s scope: those assigned to them.
fn scoped(owner: Option<Uuid>) -> Select<Entity> {
    let select = Entity::find();
    match owner {
        Some(owner) => select.filter(Column::AssigneeId.eq(owner)),
        None => select,
    }
}

/// Checks what a task names: its assignee (a staff member; the caller themselves when their
/// scope is `own`), its customer within the scope, its order and its deal (the customer's, when
/// both are named).
async fn check_links(conn: &impl ConnectionTrait, owner: Option<Uuid>, task: &Task) -> Result<()> {
    if let Some(assignee) = task.assignee_id {
        if owner.is_some_and(|owner| owner != assignee) {
            return Err(Error::field(
                "assignee_id",
                "not_yours",
                "you may assign tasks to yourself only",
            ));
        }
        access::named_user(conn, "assignee_id", assignee).await?;
    }
    if let Some(customer) = task.customer_id {
        customers::linked(conn, owner, customer).await?;
    }
    if let Some(order_id) = task.order_id {
        orders::linked(conn, owner, order_id, task.customer_id).await?;
    }
    if let Some(deal_id) = task.deal_id {
        deals::linked(conn, owner, deal_id, task.customer_id).await?;
    }
    Ok(())
}

/// Creates a task, by `actor` (its assignee unless it names one) at `now`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    new: NewTask,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Task>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let task = new.into_task(actor.principal.user_id(), now);
    check_links(&*txn, owner, &task).await?;
    active(&task).insert(&*txn).await?;
    let after = serde_json::to_value(&task)?;
    audit::record_change(
        &*txn,
        actor,
        "task.created",
        "task",
        task.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &task).await?;
    txn.commit().await?;
    Ok(Outcome::Done(task))
}

/// The task with this id, if `owner`'s scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Task> {
    match scoped(owner).filter(Column::Id.eq(id)).one(conn).await? {
        Some(model) => model.try_into(),
        None => {
            let unscoped = Entity::find().filter(Column::Id.eq(id));
            Err(crate::db::unreached(conn, owner, unscoped, "task", id).await)
        }
    }
}

/// Changes a task at `expected_version` (when given) at `now`, in the caller's transaction; a
/// status it cannot move to is a 409 `invalid_transition`. The task before and after (the same
/// when nothing changed). What a task's completion means beyond the task (a care occasion it
/// attends to) is `care::change_task`'s, which every change of a task goes through.
pub async fn change(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    changes: TaskChanges,
    now: DateTime<Utc>,
    expected_version: Option<i64>,
) -> Result<(Task, Task)> {
    let row = crate::db::lock_for_change(
        conn,
        scoped(owner).filter(Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before = Task::try_from(row)?;
    let mut after = changes.apply(&before, now).map_err(|e| Error::Conflict {
        code: "invalid_transition",
        field: Some("status"),
        message: format!(
            "a task that is {} cannot become {}",
            e.from.as_str(),
            e.to.as_str()
        ),
    })?;
    if after == before {
        return Ok((before.clone(), before));
    }
    check_links(conn, owner, &after).await?;
    after.updated_at = crate::now();
    after.version += 1;
    active(&after).update(conn).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    let action = match (before.status, after.status) {
        (TaskStatus::Open, TaskStatus::Done) => "task.completed",
        (TaskStatus::Open, TaskStatus::Cancelled) => "task.cancelled",
        (TaskStatus::Done | TaskStatus::Cancelled, TaskStatus::Open) => "task.reopened",
        _ => "task.updated",
    };
    audit::record_change(conn, actor, action, "task", id, Some(&b), Some(&a)).await?;
    Ok((before, after))
}

/// Stores task `id`, which the system made (a deal reminder, a care occasion, a return visit), in
/// the caller's transaction, with its audit record and `task.created`.
pub async fn insert_by_system(
    conn: &impl ConnectionTrait,
    id: Uuid,
    new: NewTask,
    now: DateTime<Utc>,
) -> Result<Task> {
    let task = Task {
        id,
        ..new.into_task(None, now)
    };
    active(&task).insert(conn).await?;
    let after = serde_json::to_value(&task)?;
    audit::record(
        conn,
        audit::By::System,
        "task.created",
        "task",
        task.id,
        None,
        Some(&after),
    )
    .await?;
    events::emit(conn, "task.created", "task", task.id, after, None).await?;
    Ok(task)
}

/// Removes a task at `expected_version` (when given).
pub async fn delete(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, Task>(
        &*txn,
        actor,
        scoped(owner).filter(Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "task",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What a task list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Assigned to this staff member.
    pub assignee_id: Option<Uuid>,
    /// In this status.
    pub status: Option<TaskStatus>,
    /// Of this priority.
    pub priority: Option<TaskPriority>,
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// About this order.
    pub order_id: Option<Uuid>,
    /// About this deal.
    pub deal_id: Option<Uuid>,
    /// Due at or after.
    pub due_from: Option<DateTime<Utc>>,
    /// Due before.
    pub due_to: Option<DateTime<Utc>>,
}

const FIELDS: &[SortField<Entity>] = &[
    SortField {
        name: "due_at",
        column: Column::DueAt,
        value: |m| m.due_at.map_or(CursorValue::N, CursorValue::T),
    },
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "priority",
        column: Column::Priority,
        value: |m| CursorValue::I(i64::from(m.priority)),
    },
];

const ID: SortField<Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of tasks within `owner`'s scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &TaskFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Task>> {
    let mut select = scoped(owner);
    if let Some(assignee) = filter.assignee_id {
        select = select.filter(Column::AssigneeId.eq(assignee));
    }
    if let Some(status) = filter.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(priority) = filter.priority {
        select = select.filter(Column::Priority.eq(priority.rank()));
    }
    if let Some(customer) = filter.customer_id {
        select = select.filter(Column::CustomerId.eq(customer));
    }
    if let Some(order_id) = filter.order_id {
        select = select.filter(Column::OrderId.eq(order_id));
    }
    if let Some(deal_id) = filter.deal_id {
        select = select.filter(Column::DealId.eq(deal_id));
    }
    if let Some(from) = filter.due_from {
        select = select.filter(Column::DueAt.gte(from));
    }
    if let Some(to) = filter.due_to {
        select = select.filter(Column::DueAt.lt(to));
    }
    page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request)
        .await?
        .try_map(Task::try_from)
}

/// The most reminders sent in one transaction.
const REMINDERS_PER_STEP: u64 = 500;

/// Sends the reminders due at `now`: each open task whose `remind_at` has come and that was not
/// reminded of yet gets `reminded_at` and a `task.reminder_due` event, once, in one transaction
/// per batch (rows taken with `SKIP LOCKED` on PostgreSQL, so two nodes never send one twice).
/// Returns how many went out.
pub async fn send_due_reminders(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    let mut sent = 0;
    loop {
        let txn = db.begin_write().await?;
        let due = Entity::find()
            .filter(Column::Status.eq(TaskStatus::Open.as_str()))
            .filter(Column::RemindAt.lte(now))
            .filter(Column::RemindedAt.is_null())
            .order_by_asc(Column::RemindAt)
            .order_by_asc(Column::Id)
            .limit(REMINDERS_PER_STEP);
        let due = match db.backend() {
            Backend::Postgres => due.lock_with_behavior(
                sea_orm::sea_query::LockType::Update,
                sea_orm::sea_query::LockBehavior::SkipLocked,
            ),
            Backend::Sqlite => due,
        };
        let rows = due.all(&*txn).await?;
        let step = rows.len() as u64;
        for row in rows {
            let mut task = Task::try_from(row)?;
            task.reminded_at = Some(now);
            Entity::update_many()
                .col_expr(Column::RemindedAt, Expr::val(now))
                .filter(Column::Id.eq(task.id))
                .exec(&*txn)
                .await?;
            let data = serde_json::to_value(&task)?;
            events::emit(&*txn, "task.reminder_due", "task", task.id, data, None).await?;
        }
        txn.commit().await?;
        sent += step;
        if step < REMINDERS_PER_STEP {
            return Ok(sent);
        }
    }
}

/// The most deals reminded of in one transaction.
const DEAL_REMINDERS_PER_STEP: u64 = 200;

/// Gives the owners of open deals the tasks `rules` call for at `now` (days read in `zone`):
/// one per close date coming near and one per stay in a stage that lasted too long, each once
/// however often and on however many nodes this runs (the deal's row remembers what it was
/// reminded of, changed under its lock in the task's transaction). Returns how many tasks it
/// made.
pub async fn remind_of_deals(
    db: &Db,
    rules: &DealReminderSettings,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<u64> {
    let today = now.with_timezone(&zone).date_naive();
    let due = [
        rules
            .close_date_days
            .map(|days| ReminderDue::close_date(today, days)),
        rules.stage_days.map(|days| ReminderDue::stage(now, days)),
    ];
    let mut made = 0;
    for due in due.into_iter().flatten() {
        loop {
            let txn = db.begin_write().await?;
            let deals =
                deals::due_for_reminder(&*txn, db.backend(), due, DEAL_REMINDERS_PER_STEP).await?;
            let step = deals.len() as u64;
            for deal in deals {
                if !deals::mark_reminded(&*txn, deal.id, due).await? {
                    continue;
                }
                insert_by_system(&*txn, Uuid::now_v7(), deal.reminder(due, now, zone), now).await?;
                made += 1;
            }
            txn.commit().await?;
            if step < DEAL_REMINDERS_PER_STEP {
                break;
            }
        }
    }
    Ok(made)
}

/// Every task of a customer, oldest first: what a data export holds.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Task>> {
    Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Task::try_from)
        .collect()
}
