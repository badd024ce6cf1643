//! Care plans and their participations: plans made, changed and removed with their audit; each
//! occasion of each customer recorded once (a unique index on plan, customer and occasion, and an
//! insert that does nothing when the row is there), with its task and its `care.due` event in the
//! same transaction; and what came of an occasion, recorded as a `care` activity that closes it and
//! completes its task, whether staff record it on the participation or by completing the task.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rapport_domain::access::Actor;
use rapport_domain::activities::{ActivityKind, NewActivity};
use rapport_domain::care::{
    CareAction, CareManner, CarePlan, DateField, Every, NewPlan, Outcome, Participation,
    ParticipationStatus, PlanChanges, PlanStatus, Schedule,
};
use rapport_domain::customers::Customer;
use rapport_domain::tasks::{Task, TaskChanges, TaskStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde::Serialize;
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome as Replay};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, access, activities, audit, customers, events, tasks};

/// The care tables.
mod entity {
    /// `care_plans`.
    pub mod plan {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "care_plans")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub name: String,
            pub kind: String,
            pub segment_id: Option<Uuid>,
            pub days_before: i16,
            pub month: Option<i16>,
            pub day: Option<i16>,
            pub date_field: Option<String>,
            pub interval_days: Option<i16>,
            pub interval_months: Option<i16>,
            pub inactive_days: Option<i16>,
            pub manner: String,
            pub makes_task: bool,
            pub assignee_id: Option<Uuid>,
            pub emits_event: bool,
            pub status: String,
            pub last_run_on: Option<Date>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `care_participations`.
    pub mod participation {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "care_participations")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub plan_id: Uuid,
            pub customer_id: Uuid,
            pub occasion: Date,
            pub status: String,
            pub task_id: Option<Uuid>,
            pub activity_id: Option<Uuid>,
            #[sea_orm(column_type = "Text", nullable)]
            pub feedback: Option<String>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{participation, plan};

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored care plan {what} is unknown"))
}

impl TryFrom<plan::Model> for CarePlan {
    type Error = Error;
    fn try_from(m: plan::Model) -> Result<Self> {
        let schedule = match m.kind.as_str() {
            "birthday" => Schedule::Birthday {
                days_before: m.days_before,
            },
            "fixed_date" => match (m.date_field, m.month, m.day) {
                (Some(field), _, _) => Schedule::Anniversary {
                    field: DateField::parse("date_field", &field)
                        .map_err(|_| corrupt("date field"))?,
                    days_before: m.days_before,
                },
                (None, Some(month), Some(day)) => Schedule::DateOfYear {
                    month: u32::try_from(month).map_err(|_| corrupt("month"))?,
                    day: u32::try_from(day).map_err(|_| corrupt("day"))?,
                    days_before: m.days_before,
                },
                _ => return Err(corrupt("date")),
            },
            "recurring" => Schedule::Recurring {
                every: match (m.interval_days, m.interval_months) {
                    (Some(days), _) => Every::Days(days),
                    (None, Some(months)) => Every::Months(months),
                    _ => return Err(corrupt("interval")),
                },
                days_before: m.days_before,
            },
            "inactivity" => Schedule::Inactivity {
                days: m.inactive_days.ok_or_else(|| corrupt("inactivity"))?,
            },
            _ => return Err(corrupt("kind")),
        };
        Ok(CarePlan {
            id: m.id,
            name: m.name,
            schedule,
            segment_id: m.segment_id,
            manner: CareManner::from_name(&m.manner).ok_or_else(|| corrupt("manner"))?,
            action: CareAction {
                makes_task: m.makes_task,
                assignee_id: m.assignee_id,
                emits_event: m.emits_event,
            },
            status: PlanStatus::from_name(&m.status).ok_or_else(|| corrupt("status"))?,
            last_run_on: m.last_run_on,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active_plan(p: &CarePlan) -> plan::ActiveModel {
    let (mut days_before, mut month, mut day, mut date_field) = (0, None, None, None);
    let (mut interval_days, mut interval_months, mut inactive_days) = (None, None, None);
    match &p.schedule {
        Schedule::Birthday { days_before: d } => days_before = *d,
        Schedule::DateOfYear {
            month: m,
            day: d,
            days_before: b,
        } => {
            days_before = *b;
            month = i16::try_from(*m).ok();
            day = i16::try_from(*d).ok();
        }
        Schedule::Anniversary {
            field,
            days_before: b,
        } => {
            days_before = *b;
            date_field = Some(field.as_string());
        }
        Schedule::Recurring {
            every,
            days_before: b,
        } => {
            days_before = *b;
            match every {
                Every::Days(d) => interval_days = Some(*d),
                Every::Months(m) => interval_months = Some(*m),
            }
        }
        Schedule::Inactivity { days } => inactive_days = Some(*days),
    }
    plan::ActiveModel {
        id: Set(p.id),
        name: Set(p.name.clone()),
        kind: Set(p.kind().as_str().to_owned()),
        segment_id: Set(p.segment_id),
        days_before: Set(days_before),
        month: Set(month),
        day: Set(day),
        date_field: Set(date_field),
        interval_days: Set(interval_days),
        interval_months: Set(interval_months),
        inactive_days: Set(inactive_days),
        manner: Set(p.manner.as_str().to_owned()),
        makes_task: Set(p.action.makes_task),
        assignee_id: Set(p.action.assignee_id),
        emits_event: Set(p.action.emits_event),
        status: Set(p.status.as_str().to_owned()),
        last_run_on: Set(p.last_run_on),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
    }
}

impl TryFrom<participation::Model> for Participation {
    type Error = Error;
    fn try_from(m: participation::Model) -> Result<Self> {
        Ok(Participation {
            id: m.id,
            plan_id: m.plan_id,
            customer_id: m.customer_id,
            occasion: m.occasion,
            status: ParticipationStatus::from_name(&m.status)
                .ok_or_else(|| corrupt("participation status"))?,
            task_id: m.task_id,
            activity_id: m.activity_id,
            feedback: m.feedback,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active_participation(p: &Participation) -> participation::ActiveModel {
    participation::ActiveModel {
        id: Set(p.id),
        plan_id: Set(p.plan_id),
        customer_id: Set(p.customer_id),
        occasion: Set(p.occasion),
        status: Set(p.status.as_str().to_owned()),
        task_id: Set(p.task_id),
        activity_id: Set(p.activity_id),
        feedback: Set(p.feedback.clone()),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
    }
}

/// A plan's unique name, as the database refuses a second.
const NAME_TAKEN: &[crate::error::UniqueRule] = &[crate::error::UniqueRule {
    needles: &["care_plans_name_unique", "care_plans.name"],
    code: "care_plan_name_taken",
    field: "name",
    message: "another care plan has this name",
}];

/// Checks what a plan names: its segment, and the staff member who gets its tasks.
async fn check_links(conn: &impl ConnectionTrait, p: &CarePlan) -> Result<()> {
    if let Some(segment) = p.segment_id
        && crate::segments::get(conn, segment).await.is_err()
    {
        return Err(Error::field(
            "segment_id",
            "not_found",
            "no segment has this id",
        ));
    }
    if let Some(assignee) = p.action.assignee_id {
        access::named_user(conn, "assignee_id", assignee).await?;
    }
    Ok(())
}

/// Creates a plan.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewPlan,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Replay<CarePlan>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Replay::Replayed(previous));
    }
    let p = new.into_plan(Uuid::now_v7(), now);
    check_links(&*txn, &p).await?;
    active_plan(&p)
        .insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, NAME_TAKEN))?;
    let after = serde_json::to_value(&p)?;
    audit::record_change(
        &*txn,
        actor,
        "care_plan.created",
        "care_plan",
        p.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &p).await?;
    txn.commit().await?;
    Ok(Replay::Done(p))
}

/// The plan with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<CarePlan> {
    plan::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Changes a plan at `expected_version` (when given).
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: PlanChanges,
    expected_version: Option<i64>,
) -> Result<CarePlan> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        plan::Entity::find().filter(plan::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before = CarePlan::try_from(row)?;
    let mut after = changes.apply(&before).map_err(Error::Invalid)?;
    if after == before {
        return Ok(before);
    }
    check_links(&*txn, &after).await?;
    after.updated_at = crate::now();
    after.version += 1;
    active_plan(&after)
        .update(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, NAME_TAKEN))?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "care_plan.updated",
        "care_plan",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a plan at `expected_version` (when given), with its participations; the tasks and
/// activities they made stay.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, CarePlan>(
        &*txn,
        actor,
        plan::Entity::find().filter(plan::Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "care_plan",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

const PLAN_FIELDS: &[SortField<plan::Entity>] = &[SortField {
    name: "created_at",
    column: plan::Column::CreatedAt,
    value: |m| CursorValue::T(m.created_at),
}];

const PLAN_ID: SortField<plan::Entity> = SortField {
    name: "id",
    column: plan::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of plans, oldest first, in `status` when given.
pub async fn list(
    conn: &impl ConnectionTrait,
    status: Option<PlanStatus>,
    request: &PageRequest,
) -> Result<Page<CarePlan>> {
    let mut select: Select<plan::Entity> = plan::Entity::find();
    if let Some(status) = status {
        select = select.filter(plan::Column::Status.eq(status.as_str()));
    }
    let order = rapport_domain::sort::SortOrder(vec![rapport_domain::sort::SortKey::ascending(
        "created_at",
    )]);
    page::fetch_ordered(conn, select, &order, PLAN_FIELDS, &PLAN_ID, None, request)
        .await?
        .try_map(CarePlan::try_from)
}

/// Every active plan that has not run on `today`: what the daily run takes up.
pub async fn due_today(conn: &impl ConnectionTrait, today: NaiveDate) -> Result<Vec<CarePlan>> {
    plan::Entity::find()
        .filter(plan::Column::Status.eq(PlanStatus::Active.as_str()))
        .filter(
            plan::Column::LastRunOn
                .is_null()
                .or(plan::Column::LastRunOn.lt(today)),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(CarePlan::try_from)
        .collect()
}

/// Notes that `plan` ran on `today`.
pub async fn ran(conn: &impl ConnectionTrait, plan: Uuid, today: NaiveDate) -> Result<()> {
    plan::Entity::update_many()
        .col_expr(plan::Column::LastRunOn, Expr::val(today))
        .filter(plan::Column::Id.eq(plan))
        .exec(conn)
        .await?;
    Ok(())
}

/// What one run of a plan made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RunCounts {
    /// Customers whose occasion was due.
    pub due: u64,
    /// Participations made now (an occasion recorded before is not made again).
    pub participations: u64,
    /// Tasks made.
    pub tasks: u64,
    /// `care.due` events emitted.
    pub events: u64,
}

impl std::ops::AddAssign for RunCounts {
    fn add_assign(&mut self, other: RunCounts) {
        self.due += other.due;
        self.participations += other.participations;
        self.tasks += other.tasks;
        self.events += other.events;
    }
}

/// Records the occasions of `plan` that are due for these customers `today` (read in `zone`),
/// in one transaction: each customer and occasion gets a participation once, and only a
/// participation made now gets the plan's task and `care.due` event.
pub async fn record_occasions(
    db: &Db,
    p: &CarePlan,
    due: &[(Customer, NaiveDate)],
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<RunCounts> {
    let today = now.with_timezone(&zone).date_naive();
    let mut counts = RunCounts {
        due: due.len() as u64,
        ..RunCounts::default()
    };
    let txn = db.begin_write().await?;
    for (customer, occasion) in due {
        let id = Uuid::now_v7();
        let mut made = Participation {
            id,
            plan_id: p.id,
            customer_id: customer.id,
            occasion: *occasion,
            status: ParticipationStatus::Pending,
            task_id: None,
            activity_id: None,
            feedback: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let inserted = participation::Entity::insert(active_participation(&made))
            .on_conflict_do_nothing_on([
                participation::Column::PlanId,
                participation::Column::CustomerId,
                participation::Column::Occasion,
            ])
            .exec(&*txn)
            .await?;
        if !matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
            continue;
        }
        counts.participations += 1;
        if p.action.makes_task {
            let new = p.task(
                customer.id,
                &customer.name,
                customer.owner_id,
                *occasion,
                today,
                zone,
            );
            let task = tasks::insert_by_system(&*txn, Uuid::now_v7(), new, now).await?;
            made.task_id = Some(task.id);
            participation::Entity::update_many()
                .col_expr(participation::Column::TaskId, Expr::val(task.id))
                .filter(participation::Column::Id.eq(id))
                .exec(&*txn)
                .await?;
            counts.tasks += 1;
        }
        let data = serde_json::json!({
            "participation": &made,
            "plan": {"id": p.id, "name": &p.name, "kind": p.kind().as_str(), "manner": p.manner.as_str()},
            "customer": {"id": customer.id, "name": &customer.name},
        });
        audit::record(
            &*txn,
            audit::By::System,
            "care.participation_created",
            "care_participation",
            id,
            None,
            Some(&data),
        )
        .await?;
        if p.action.emits_event {
            events::emit(&*txn, "care.due", "care_participation", id, data, None).await?;
            counts.events += 1;
        }
    }
    txn.commit().await?;
    Ok(counts)
}

/// The participation with this id.
pub async fn participation(conn: &impl ConnectionTrait, id: Uuid) -> Result<Participation> {
    participation::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// What a participation list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ParticipationFilter {
    /// In this status.
    pub status: Option<ParticipationStatus>,
    /// Of this customer.
    pub customer_id: Option<Uuid>,
}

const PARTICIPATION_FIELDS: &[SortField<participation::Entity>] = &[SortField {
    name: "created_at",
    column: participation::Column::CreatedAt,
    value: |m| CursorValue::T(m.created_at),
}];

const PARTICIPATION_ID: SortField<participation::Entity> = SortField {
    name: "id",
    column: participation::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of a plan's participations, newest first.
pub async fn participations(
    conn: &impl ConnectionTrait,
    plan_id: Uuid,
    filter: &ParticipationFilter,
    request: &PageRequest,
) -> Result<Page<Participation>> {
    get(conn, plan_id).await?;
    let mut select =
        participation::Entity::find().filter(participation::Column::PlanId.eq(plan_id));
    if let Some(status) = filter.status {
        select = select.filter(participation::Column::Status.eq(status.as_str()));
    }
    if let Some(customer) = filter.customer_id {
        select = select.filter(participation::Column::CustomerId.eq(customer));
    }
    let order = rapport_domain::sort::SortOrder(vec![rapport_domain::sort::SortKey::descending(
        "created_at",
    )]);
    page::fetch_ordered(
        conn,
        select,
        &order,
        PARTICIPATION_FIELDS,
        &PARTICIPATION_ID,
        None,
        request,
    )
    .await?
    .try_map(Participation::try_from)
}

/// Closes a pending participation with `outcome`, recorded by `actor` at `now` as a `care`
/// activity with the customer (`owner` limits whose customers the caller reaches), in the
/// caller's transaction. `task_done` says the task was completed already (by the change that
/// brought this about); otherwise an open task of it is completed with the outcome.
async fn close(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    owner: Option<Uuid>,
    before: Participation,
    outcome: &Outcome,
    now: DateTime<Utc>,
    task_done: bool,
) -> Result<Participation> {
    if before.status != ParticipationStatus::Pending {
        return Err(Error::Conflict {
            code: "participation_closed",
            field: Some("status"),
            message: format!(
                "the participation was closed already ({})",
                before.status.as_str()
            ),
        });
    }
    let p = get(conn, before.plan_id).await?;
    let activity = activities::insert(
        conn,
        actor,
        owner,
        NewActivity {
            kind: ActivityKind::Care,
            subject: outcome.subject(&p.name),
            body: outcome.feedback.clone(),
            occurred_at: Some(now),
            customer_id: before.customer_id,
            order_id: None,
            deal_id: None,
            author_id: None,
        },
        now,
    )
    .await?;
    if !task_done && let Some(task) = before.task_id {
        let completion = TaskChanges {
            status: Some(TaskStatus::Done),
            outcome: Some(outcome.feedback.clone()),
            ..TaskChanges::default()
        };
        match tasks::change(conn, actor, None, task, completion, now, None).await {
            Ok(_) => {}
            // A task cancelled or done already stays as it is.
            Err(Error::Conflict { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    let after = Participation {
        status: outcome.status,
        feedback: outcome.feedback.clone(),
        activity_id: Some(activity.id),
        updated_at: crate::now(),
        version: before.version + 1,
        ..before.clone()
    };
    active_participation(&after).update(conn).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        conn,
        actor,
        "care.participation_closed",
        "care_participation",
        after.id,
        Some(&b),
        Some(&a),
    )
    .await?;
    Ok(after)
}

/// Records what came of a participation at `expected_version` (when given): its status and the
/// customer's feedback, a `care` activity, and its task completed, in one transaction. Only a
/// pending one is closed (409 `participation_closed`).
pub async fn record_outcome(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    outcome: Outcome,
    now: DateTime<Utc>,
    expected_version: Option<i64>,
) -> Result<Participation> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        participation::Entity::find().filter(participation::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before = Participation::try_from(row)?;
    // A caller reaches the occasions of the customers they reach, as a 404 otherwise.
    if owner.is_some()
        && customers::get(&*txn, owner, before.customer_id)
            .await
            .is_err()
    {
        return Err(Error::NotFound);
    }
    let after = close(&*txn, actor, owner, before, &outcome, now, false).await?;
    txn.commit().await?;
    Ok(after)
}

/// Changes a task, in one transaction with what its completion means: a task that attends to a
/// care occasion and becomes `done` closes the occasion as done, its outcome recorded as the
/// customer's feedback in a `care` activity. Every change of a task goes through here.
pub async fn change_task(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    changes: TaskChanges,
    now: DateTime<Utc>,
    expected_version: Option<i64>,
) -> Result<Task> {
    let txn = db.begin_write().await?;
    let (before, after) =
        tasks::change(&*txn, actor, owner, id, changes, now, expected_version).await?;
    if before.status != TaskStatus::Done && after.status == TaskStatus::Done {
        let pending = participation::Entity::find()
            .filter(participation::Column::TaskId.eq(id))
            .filter(participation::Column::Status.eq(ParticipationStatus::Pending.as_str()))
            .one(&*txn)
            .await?;
        if let Some(row) = pending {
            let outcome = Outcome {
                status: ParticipationStatus::Done,
                feedback: after.outcome.clone(),
            };
            close(&*txn, actor, None, row.try_into()?, &outcome, now, true).await?;
        }
    }
    txn.commit().await?;
    Ok(after)
}

/// Every participation of a customer, oldest first: what a data export holds.
pub async fn of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<Participation>> {
    use sea_orm::QueryOrder;
    participation::Entity::find()
        .filter(participation::Column::CustomerId.eq(customer_id))
        .order_by_asc(participation::Column::CreatedAt)
        .order_by_asc(participation::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Participation::try_from)
        .collect()
}
