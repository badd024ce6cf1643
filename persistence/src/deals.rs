//! Deals: creating, changing, reading and removing them, each in one transaction with its audit
//! and feed event; a move to another stage closes the deal's current stay and opens the next in
//! the same transaction. A caller whose scope is `own` reaches the deals they own.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::deals::{
    Deal, DealChanges, DealStatus, NewDeal, Refusal, ReminderDue, StageStay,
};
use rapport_domain::filter::{FieldKind, Filter};
use rapport_domain::pipelines::Pipeline;
use rapport_domain::sort::SortOrder;
use rapport_domain::values::Currency;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::filter::{FieldMap, FieldSql};
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Backend, Db, Error, Result, access, audit, custom_fields, customers, pipelines};

/// The deal tables.
mod entity {
    /// `deals`.
    pub mod deal {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "deals")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub name: String,
            pub customer_id: Uuid,
            pub pipeline_id: Uuid,
            pub stage_id: Uuid,
            pub amount: i64,
            pub currency: String,
            pub expected_close_date: Option<Date>,
            pub owner_id: Option<Uuid>,
            pub status: String,
            #[sea_orm(column_type = "Text", nullable)]
            pub lost_reason: Option<String>,
            pub closed_at: Option<DateTimeUtc>,
            pub stage_entered_at: DateTimeUtc,
            /// The close date the owner was last reminded of.
            pub close_reminded_for: Option<Date>,
            /// The start of the stay in a stage the owner was last reminded of.
            pub stage_reminded_at: Option<DateTimeUtc>,
            pub custom_fields: Json,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `deal_stage_stays`.
    pub mod stay {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "deal_stage_stays")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub deal_id: Uuid,
            pub stage_id: Uuid,
            pub entered_at: DateTimeUtc,
            pub left_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{deal, stay};

impl TryFrom<deal::Model> for Deal {
    type Error = Error;
    fn try_from(m: deal::Model) -> Result<Self> {
        Ok(Deal {
            id: m.id,
            name: m.name,
            customer_id: m.customer_id,
            pipeline_id: m.pipeline_id,
            stage_id: m.stage_id,
            amount: m.amount,
            currency: Currency::parse("currency", &m.currency)
                .map_err(|_| Error::Internal("stored deal currency is unknown".into()))?,
            expected_close_date: m.expected_close_date,
            owner_id: m.owner_id,
            status: DealStatus::from_name(&m.status)
                .ok_or_else(|| Error::Internal("stored deal status is unknown".into()))?,
            lost_reason: m.lost_reason,
            closed_at: m.closed_at,
            stage_entered_at: m.stage_entered_at,
            custom_fields: serde_json::from_value(m.custom_fields)?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// The row of `d`; what its owner was reminded of is the reminders' to write, and stays.
fn active(d: &Deal) -> deal::ActiveModel {
    deal::ActiveModel {
        id: Set(d.id),
        name: Set(d.name.clone()),
        customer_id: Set(d.customer_id),
        pipeline_id: Set(d.pipeline_id),
        stage_id: Set(d.stage_id),
        amount: Set(d.amount),
        currency: Set(d.currency.code().to_owned()),
        expected_close_date: Set(d.expected_close_date),
        owner_id: Set(d.owner_id),
        status: Set(d.status.as_str().into()),
        lost_reason: Set(d.lost_reason.clone()),
        closed_at: Set(d.closed_at),
        stage_entered_at: Set(d.stage_entered_at),
        custom_fields: Set(serde_json::Value::Object(d.custom_fields.clone())),
        created_at: Set(d.created_at),
        updated_at: Set(d.updated_at),
        version: Set(d.version),
        ..Default::default()
    }
}

/// The deals within `owner`'s scope: those they own.
fn scoped(owner: Option<Uuid>) -> Select<deal::Entity> {
    let select = deal::Entity::find();
    match owner {
        Some(owner) => select.filter(deal::Column::OwnerId.eq(owner)),
        None => select,
    }
}

/// Opens a stay of `deal` in `stage` at `at`.
async fn enter(
    conn: &impl ConnectionTrait,
    deal: Uuid,
    stage: Uuid,
    at: DateTime<Utc>,
) -> Result<()> {
    stay::ActiveModel {
        id: Set(Uuid::now_v7()),
        deal_id: Set(deal),
        stage_id: Set(stage),
        entered_at: Set(at),
        left_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The pipeline a deal names, and the stage of it: the first when none is named.
async fn pipeline_and_stage(
    conn: &impl ConnectionTrait,
    pipeline_id: Uuid,
    stage_id: Option<Uuid>,
) -> Result<(Pipeline, Uuid)> {
    let pipeline = match pipelines::get(conn, pipeline_id).await {
        Ok(p) => p,
        Err(Error::NotFound) => {
            return Err(Error::field(
                "pipeline_id",
                "not_found",
                "no pipeline has this id",
            ));
        }
        Err(other) => return Err(other),
    };
    let stage = match stage_id {
        Some(stage) if pipeline.stage(stage).is_some() => stage,
        Some(_) => {
            return Err(Error::field(
                "stage_id",
                "not_in_pipeline",
                "the stage is not one of the pipeline's",
            ));
        }
        None => pipeline
            .stages
            .first()
            .map(|s| s.id)
            .ok_or_else(|| Error::Internal("a pipeline without stages".into()))?,
    };
    Ok((pipeline, stage))
}

/// Checks the deal's owner: a staff member, and the caller themselves when their scope is `own`.
async fn check_owner(conn: &impl ConnectionTrait, owner: Option<Uuid>, deal: &Deal) -> Result<()> {
    if let Some(deal_owner) = deal.owner_id {
        if owner.is_some_and(|o| o != deal_owner) {
            return Err(Error::field(
                "owner_id",
                "not_yours",
                "you may own deals yourself only",
            ));
        }
        access::named_user(conn, "owner_id", deal_owner).await?;
    }
    Ok(())
}

/// Creates a deal, by `actor` (its owner unless it names one) at `now`: it enters its stage.
pub async fn create(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    new: NewDeal,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Deal>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    customers::linked(&*txn, owner, new.customer_id).await?;
    let deal = insert(&*txn, actor, owner, new, now).await?;
    idempotency::remember(&*txn, idem, 201, &deal).await?;
    txn.commit().await?;
    Ok(Outcome::Done(deal))
}

/// Stores a new deal in the caller's transaction, for a customer the caller has checked: the
/// row, its first stay, the audit event and `deal.created`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    owner: Option<Uuid>,
    new: NewDeal,
    now: DateTime<Utc>,
) -> Result<Deal> {
    let (_, stage) = pipeline_and_stage(conn, new.pipeline_id, new.stage_id).await?;
    let deal = Deal {
        id: Uuid::now_v7(),
        name: new.name,
        customer_id: new.customer_id,
        pipeline_id: new.pipeline_id,
        stage_id: stage,
        amount: new.amount,
        currency: new.currency,
        expected_close_date: new.expected_close_date,
        owner_id: new.owner_id.or(actor.principal.user_id()),
        status: DealStatus::Open,
        lost_reason: None,
        closed_at: None,
        stage_entered_at: now,
        custom_fields: new.custom_fields,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    check_owner(conn, owner, &deal).await?;
    active(&deal).insert(conn).await?;
    enter(conn, deal.id, stage, now).await?;
    let after = serde_json::to_value(&deal)?;
    audit::record_change(
        conn,
        actor,
        "deal.created",
        "deal",
        deal.id,
        None,
        Some(&after),
    )
    .await?;
    Ok(deal)
}

/// The deal with this id, if `owner`'s scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Deal> {
    match scoped(owner)
        .filter(deal::Column::Id.eq(id))
        .one(conn)
        .await?
    {
        Some(model) => model.try_into(),
        None => {
            let unscoped = deal::Entity::find().filter(deal::Column::Id.eq(id));
            Err(crate::db::unreached(conn, owner, unscoped, "deal", id).await)
        }
    }
}

/// Changes a deal at `expected_version` (when given) at `now`: a move to another stage of its
/// pipeline ends its stay in the old one and starts one in the new, in the same transaction.
pub async fn update(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    changes: DealChanges,
    now: DateTime<Utc>,
    expected_version: Option<i64>,
) -> Result<Deal> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        scoped(owner).filter(deal::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before = Deal::try_from(row)?;
    let changed = changes
        .apply(&before, now)
        .map_err(|refusal| match refusal {
            Refusal::Transition { from, to } => Error::Conflict {
                code: "invalid_transition",
                field: Some("status"),
                message: format!(
                    "a deal that is {} cannot become {}",
                    from.as_str(),
                    to.as_str()
                ),
            },
            Refusal::ClosedStage => Error::Conflict {
                code: "invalid_transition",
                field: Some("stage_id"),
                message: "a won or lost deal does not move between stages; reopen it first".into(),
            },
            Refusal::Invalid(errors) => Error::Invalid(errors),
        })?;
    let mut after = changed.deal;
    if after == before {
        return Ok(before);
    }
    if changed.left_stage.is_some() {
        pipeline_and_stage(&*txn, after.pipeline_id, Some(after.stage_id)).await?;
    }
    check_owner(&*txn, owner, &after).await?;
    after.updated_at = crate::now();
    after.version += 1;
    active(&after).update(&*txn).await?;
    if changed.left_stage.is_some() {
        stay::Entity::update_many()
            .col_expr(stay::Column::LeftAt, Expr::val(now))
            .filter(stay::Column::DealId.eq(id))
            .filter(stay::Column::LeftAt.is_null())
            .exec(&*txn)
            .await?;
        enter(&*txn, id, after.stage_id, now).await?;
    }
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    let action = match (before.status, after.status) {
        (DealStatus::Open, DealStatus::Won) => "deal.won",
        (DealStatus::Open, DealStatus::Lost) => "deal.lost",
        (DealStatus::Won | DealStatus::Lost, DealStatus::Open) => "deal.reopened",
        _ if changed.left_stage.is_some() => "deal.stage_changed",
        _ => "deal.updated",
    };
    audit::record_change(&*txn, actor, action, "deal", id, Some(&b), Some(&a)).await?;
    txn.commit().await?;
    Ok(after)
}

/// The deal a record of the caller's names (a task's `deal_id`), within `owner`'s scope and of
/// `customer_id` when one is named too.
pub async fn linked(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    customer_id: Option<Uuid>,
) -> Result<Deal> {
    match get(conn, owner, id).await {
        Ok(deal) if customer_id.is_none_or(|c| c == deal.customer_id) => Ok(deal),
        Ok(_) => Err(Error::field(
            "deal_id",
            "other_customer",
            "the deal is another customer's",
        )),
        Err(Error::NotFound | Error::BeyondScope { .. }) => Err(Error::field(
            "deal_id",
            "not_found",
            "no deal you can reach has this id",
        )),
        Err(other) => Err(other),
    }
}

/// The condition under which an open deal with an owner is due `due` and was not reminded of it.
fn reminder_condition(due: ReminderDue) -> Condition {
    use deal::Column;
    let open = Condition::all()
        .add(Column::Status.eq(DealStatus::Open.as_str()))
        .add(Column::OwnerId.is_not_null());
    match due {
        ReminderDue::CloseBy(date) => open.add(Column::ExpectedCloseDate.lte(date)).add(
            Condition::any()
                .add(Column::CloseRemindedFor.is_null())
                .add(Expr::col(Column::CloseRemindedFor).ne(Expr::col(Column::ExpectedCloseDate))),
        ),
        ReminderDue::InStageSince(since) => open.add(Column::StageEnteredAt.lte(since)).add(
            Condition::any()
                .add(Column::StageRemindedAt.is_null())
                .add(Expr::col(Column::StageRemindedAt).ne(Expr::col(Column::StageEnteredAt))),
        ),
    }
}

/// Up to `limit` open deals whose owner is due a reminder of `due` and was not reminded of it,
/// locked for the caller's transaction (on PostgreSQL, skipping those another node holds).
pub async fn due_for_reminder(
    conn: &impl ConnectionTrait,
    backend: Backend,
    due: ReminderDue,
    limit: u64,
) -> Result<Vec<Deal>> {
    let select = deal::Entity::find()
        .filter(reminder_condition(due))
        .order_by_asc(deal::Column::Id)
        .limit(limit);
    let select = match backend {
        Backend::Postgres => select.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        ),
        Backend::Sqlite => select,
    };
    select
        .all(conn)
        .await?
        .into_iter()
        .map(Deal::try_from)
        .collect()
}

/// Marks the deal reminded of `due` as it stands now (its close date, or its stay in its
/// stage); false when it is not due, or was reminded of it already.
pub async fn mark_reminded(
    conn: &impl ConnectionTrait,
    id: Uuid,
    due: ReminderDue,
) -> Result<bool> {
    use deal::Column;
    let (marker, value) = match due {
        ReminderDue::CloseBy(_) => (Column::CloseRemindedFor, Column::ExpectedCloseDate),
        ReminderDue::InStageSince(_) => (Column::StageRemindedAt, Column::StageEnteredAt),
    };
    let marked = deal::Entity::update_many()
        .col_expr(marker, Expr::col(value))
        .filter(Column::Id.eq(id))
        .filter(reminder_condition(due))
        .exec(conn)
        .await?;
    Ok(marked.rows_affected == 1)
}

/// Removes a deal at `expected_version` (when given), with its stage history.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, Deal>(
        &*txn,
        actor,
        scoped(owner).filter(deal::Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "deal",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A deal's stays in its stages, oldest first, if `owner`'s scope reaches the deal.
pub async fn stage_history(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<Vec<StageStay>> {
    get(conn, owner, id).await?;
    Ok(stay::Entity::find()
        .filter(stay::Column::DealId.eq(id))
        .order_by_asc(stay::Column::EnteredAt)
        .order_by_asc(stay::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| StageStay {
            stage_id: m.stage_id,
            entered_at: m.entered_at,
            left_at: m.left_at,
        })
        .collect())
}

/// What a deal list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    /// For this customer.
    pub customer_id: Option<Uuid>,
    /// In this pipeline.
    pub pipeline_id: Option<Uuid>,
    /// In this stage.
    pub stage_id: Option<Uuid>,
    /// In this status.
    pub status: Option<DealStatus>,
    /// Owned by this staff member.
    pub owner_id: Option<Uuid>,
    /// The deals the filter selects (`POST /deals/search`).
    pub matching: Option<Filter>,
}

/// The deal fields: one column each, and the custom fields in the `custom_fields` JSON.
struct DealColumns {
    backend: Backend,
}

fn column(field: &str) -> Option<deal::Column> {
    use deal::Column::*;
    Some(match field {
        "name" => Name,
        "status" => Status,
        "customer_id" => CustomerId,
        "pipeline_id" => PipelineId,
        "stage_id" => StageId,
        "owner_id" => OwnerId,
        "amount" => Amount,
        "currency" => Currency,
        "expected_close_date" => ExpectedCloseDate,
        "lost_reason" => LostReason,
        "closed_at" => ClosedAt,
        "stage_entered_at" => StageEnteredAt,
        "created_at" => CreatedAt,
        "updated_at" => UpdatedAt,
        _ => return None,
    })
}

impl FieldMap for DealColumns {
    fn locate(&self, field: &str, kind: &FieldKind) -> Option<FieldSql> {
        let Some(column) = column(field) else {
            // Custom text fields are keywords, compared exactly.
            return custom_fields::field_sql(self.backend, field, kind, None);
        };
        // The free texts (the name, the lost reason) are searched in lower case; the rest
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

const FIELDS: &[SortField<deal::Entity>] = &[
    SortField {
        name: "created_at",
        column: deal::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "updated_at",
        column: deal::Column::UpdatedAt,
        value: |m| CursorValue::T(m.updated_at),
    },
    SortField {
        name: "amount",
        column: deal::Column::Amount,
        value: |m| CursorValue::I(m.amount),
    },
];

const ID: SortField<deal::Entity> = SortField {
    name: "id",
    column: deal::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of deals within `owner`'s scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &DealFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Deal>> {
    use deal::Column;
    let mut select = scoped(owner);
    if let Some(matching) = &filter.matching {
        let columns = DealColumns {
            backend: Backend::of(conn),
        };
        select = select.filter(crate::filter::compile(matching, &columns)?);
    }
    let (select, pin) = page::pin_first_equality(
        select,
        order,
        [
            (
                Column::CustomerId,
                filter.customer_id.map(sea_orm::Value::from),
            ),
            (Column::OwnerId, filter.owner_id.map(sea_orm::Value::from)),
            (
                Column::PipelineId,
                filter.pipeline_id.map(sea_orm::Value::from),
            ),
            (Column::StageId, filter.stage_id.map(sea_orm::Value::from)),
            (
                Column::Status,
                filter.status.map(|s| sea_orm::Value::from(s.as_str())),
            ),
        ],
    );
    page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request)
        .await?
        .try_map(Deal::try_from)
}

/// The deals with these ids, in no particular order: what a timeline page shows.
pub async fn with_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Deal>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    deal::Entity::find()
        .filter(deal::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(Deal::try_from)
        .collect()
}

/// Every one of the deals for the customer, oldest first: what a data export holds.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Deal>> {
    deal::Entity::find()
        .filter(deal::Column::CustomerId.eq(customer_id))
        .order_by_asc(deal::Column::CreatedAt)
        .order_by_asc(deal::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Deal::try_from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_field_has_a_column() {
        for spec in rapport_domain::deals::fields::catalogue(&[]).fields {
            assert!(column(&spec.name).is_some(), "{}", spec.name);
        }
    }
}
