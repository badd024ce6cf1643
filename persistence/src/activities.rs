//! Activities: recording, changing, reading and removing them, each in one transaction with its
//! audit and feed event and the recount of the customer's `last_activity_at`. A caller whose
//! scope is `own` reaches the activities of the customers they own.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::activities::{Activity, ActivityChanges, ActivityKind, NewActivity};
use rapport_domain::sort::SortOrder;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, access, audit, customers, deals, orders};

/// The `activities` table.
mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "activities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub subject: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub body: Option<String>,
        pub occurred_at: DateTimeUtc,
        pub customer_id: Uuid,
        pub order_id: Option<Uuid>,
        pub deal_id: Option<Uuid>,
        pub author_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity, Model};

impl TryFrom<Model> for Activity {
    type Error = Error;
    fn try_from(m: Model) -> Result<Self> {
        Ok(Activity {
            id: m.id,
            kind: ActivityKind::from_name(&m.kind)
                .ok_or_else(|| Error::Internal("stored activity kind is unknown".into()))?,
            subject: m.subject,
            body: m.body,
            occurred_at: m.occurred_at,
            customer_id: m.customer_id,
            order_id: m.order_id,
            deal_id: m.deal_id,
            author_id: m.author_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(a: &Activity) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(a.id),
        kind: Set(a.kind.as_str().into()),
        subject: Set(a.subject.clone()),
        body: Set(a.body.clone()),
        occurred_at: Set(a.occurred_at),
        customer_id: Set(a.customer_id),
        order_id: Set(a.order_id),
        deal_id: Set(a.deal_id),
        author_id: Set(a.author_id),
        created_at: Set(a.created_at),
        updated_at: Set(a.updated_at),
        version: Set(a.version),
    }
}

/// The activities within `owner`'s scope: those with the customers they own.
fn scoped(owner: Option<Uuid>) -> Select<Entity> {
    let select = Entity::find();
    match owner {
        Some(owner) => {
            select.filter(Expr::col(Column::CustomerId).in_subquery(customers::owned_by(owner).0))
        }
        None => select,
    }
}

/// Checks what an activity names: its customer within `owner`'s scope, its order (one of that
/// customer's), its author (a staff member).
async fn check_links(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    activity: &Activity,
) -> Result<()> {
    customers::linked(conn, owner, activity.customer_id).await?;
    if let Some(order_id) = activity.order_id {
        orders::linked(conn, owner, order_id, Some(activity.customer_id)).await?;
    }
    if let Some(deal_id) = activity.deal_id {
        deals::linked(conn, owner, deal_id, Some(activity.customer_id)).await?;
    }
    if let Some(author) = activity.author_id {
        access::named_user(conn, "author_id", author).await?;
    }
    Ok(())
}

/// Records an activity for a customer within `owner`'s scope, recorded by `actor` (its author
/// unless it names one) at `now`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    new: NewActivity,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Activity>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let activity = insert(&*txn, actor, owner, new, now).await?;
    idempotency::remember(&*txn, idem, 201, &activity).await?;
    txn.commit().await?;
    Ok(Outcome::Done(activity))
}

/// Stores a new activity in the caller's transaction, recorded by `actor` at `now`: the row,
/// the customer's `last_activity_at` recounted, the audit record and `activity.created`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    owner: Option<Uuid>,
    new: NewActivity,
    now: DateTime<Utc>,
) -> Result<Activity> {
    let activity = new.into_activity(actor.principal.user_id(), now);
    check_links(conn, owner, &activity).await?;
    active(&activity).insert(conn).await?;
    customers::recount_last_activity(conn, activity.customer_id).await?;
    let after = serde_json::to_value(&activity)?;
    audit::record_change(
        conn,
        actor,
        "activity.created",
        "activity",
        activity.id,
        None,
        Some(&after),
    )
    .await?;
    Ok(activity)
}

/// The activity with this id, if `owner`'s scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Activity> {
    match scoped(owner).filter(Column::Id.eq(id)).one(conn).await? {
        Some(model) => model.try_into(),
        None => {
            let unscoped = Entity::find().filter(Column::Id.eq(id));
            Err(crate::db::unreached(conn, owner, unscoped, "activity", id).await)
        }
    }
}

/// Changes an activity at `expected_version` (when given).
pub async fn update(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    changes: ActivityChanges,
    expected_version: Option<i64>,
) -> Result<Activity> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        scoped(owner).filter(Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before = Activity::try_from(row)?;
    let mut after = changes.apply(&before);
    if after == before {
        return Ok(before);
    }
    check_links(&*txn, owner, &after).await?;
    after.updated_at = crate::now();
    after.version += 1;
    active(&after).update(&*txn).await?;
    if after.occurred_at != before.occurred_at {
        customers::recount_last_activity(&*txn, after.customer_id).await?;
    }
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "activity.updated",
        "activity",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes an activity at `expected_version` (when given).
pub async fn delete(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    let before: Activity = audit::delete_recorded(
        &*txn,
        actor,
        scoped(owner).filter(Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "activity",
    )
    .await?;
    customers::recount_last_activity(&*txn, before.customer_id).await?;
    txn.commit().await?;
    Ok(())
}

/// What an activity list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// With this customer.
    pub customer_id: Option<Uuid>,
    /// Of this kind.
    pub kind: Option<ActivityKind>,
    /// By this staff member.
    pub author_id: Option<Uuid>,
    /// About this order.
    pub order_id: Option<Uuid>,
    /// About this deal.
    pub deal_id: Option<Uuid>,
    /// Happened at or after.
    pub from: Option<DateTime<Utc>>,
    /// Happened before.
    pub to: Option<DateTime<Utc>>,
}

const FIELDS: &[SortField<Entity>] = &[
    SortField {
        name: "occurred_at",
        column: Column::OccurredAt,
        value: |m| CursorValue::T(m.occurred_at),
    },
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
];

const ID: SortField<Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of activities within `owner`'s scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &ActivityFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Activity>> {
    let mut select = scoped(owner);
    if let Some(customer) = filter.customer_id {
        select = select.filter(Column::CustomerId.eq(customer));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(author) = filter.author_id {
        select = select.filter(Column::AuthorId.eq(author));
    }
    if let Some(order_id) = filter.order_id {
        select = select.filter(Column::OrderId.eq(order_id));
    }
    if let Some(deal_id) = filter.deal_id {
        select = select.filter(Column::DealId.eq(deal_id));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(Column::OccurredAt.lt(to));
    }
    page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request)
        .await?
        .try_map(Activity::try_from)
}

/// The activities with these ids, in no particular order: what a timeline page shows.
pub async fn with_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Activity>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Activity::try_from)
        .collect()
}

/// Every activity of a customer, oldest first: what a data export holds.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Activity>> {
    Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .order_by_asc(Column::OccurredAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Activity::try_from)
        .collect()
}
