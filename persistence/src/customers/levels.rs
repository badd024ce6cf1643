//! Customer levels and the level each customer holds. A customer's level is assigned in the
//! transaction that changes their purchase figures; a change of the levels themselves reassigns
//! every customer it moves, in its own transaction. Both take the `CustomerLevels` advisory lock
//! (assignments shared, changes exclusive), so an assignment never reads levels a change is
//! about to replace. Every move is a `customer.level_changed` event.

use rapport_domain::access::Actor;
use rapport_domain::customers::Purchases;
use rapport_domain::customers::levels::{CustomerLevel, LevelInput, MAX_LEVELS, level_for};
use rapport_domain::sort::SortOrder;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

use super::entity::customer;
use crate::db::{Serial, insert_rows, serialise, serialise_shared};
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Backend, Db, Error, Result, audit, events};

const LEVEL_CHANGED: &str = "customer.level_changed";

/// The `customer_levels` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_levels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub rank: i32,
        pub min_total_spent: Option<i64>,
        pub min_orders_count: Option<i64>,
        #[sea_orm(column_type = "Text", nullable)]
        pub description: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::Column;

impl From<entity::Model> for CustomerLevel {
    fn from(m: entity::Model) -> Self {
        CustomerLevel {
            id: m.id,
            name: m.name,
            rank: m.rank,
            min_total_spent: m.min_total_spent,
            min_orders_count: m.min_orders_count,
            description: m.description,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

fn active(l: &CustomerLevel) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(l.id),
        name: Set(l.name.clone()),
        rank: Set(l.rank),
        min_total_spent: Set(l.min_total_spent),
        min_orders_count: Set(l.min_orders_count),
        description: Set(l.description.clone()),
        created_at: Set(l.created_at),
        updated_at: Set(l.updated_at),
        version: Set(l.version),
    }
}

const UNIQUE: &[UniqueRule] = &[
    UniqueRule {
        needles: &["customer_levels_name_unique", "customer_levels.name"],
        code: "level_name_taken",
        field: "name",
        message: "another level has this name",
    },
    UniqueRule {
        needles: &["customer_levels_rank_unique", "customer_levels.rank"],
        code: "level_rank_taken",
        field: "rank",
        message: "another level has this rank",
    },
];

const FIELDS: &[SortField<entity::Entity>] = &[
    SortField {
        name: "rank",
        column: Column::Rank,
        value: |m| CursorValue::I(i64::from(m.rank)),
    },
    SortField {
        name: "name",
        column: Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
];

const ID: SortField<entity::Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of levels.
pub async fn list(
    conn: &impl ConnectionTrait,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<CustomerLevel>> {
    let select = entity::Entity::find();
    let page = page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request).await?;
    page.try_map(|m| Ok(CustomerLevel::from(m)))
}

/// The level with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<CustomerLevel> {
    entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(CustomerLevel::from)
        .ok_or(Error::NotFound)
}

/// Every level, highest rank first.
async fn all(conn: &impl ConnectionTrait) -> Result<Vec<CustomerLevel>> {
    Ok(entity::Entity::find()
        .order_by_desc(Column::Rank)
        .all(conn)
        .await?
        .into_iter()
        .map(CustomerLevel::from)
        .collect())
}

/// A grade customers are moved between by what they reach: the column holding it, the event a
/// move is recorded as, and the field the event names.
pub(super) struct Grade {
    pub column: customer::Column,
    pub event: &'static str,
    pub field: &'static str,
}

const LEVEL: Grade = Grade {
    column: customer::Column::LevelId,
    event: LEVEL_CHANGED,
    field: "level_id",
};

/// What records a customer's move from grade `from` to grade `to`: the audit row, and the event
/// (with the grade before as `previous`).
fn record_of_move(
    grade: &Grade,
    by: audit::By<'_>,
    customer_id: Uuid,
    from: Option<Uuid>,
    to: Option<Uuid>,
) -> (audit::entity::ActiveModel, (Uuid, Value, Option<Value>)) {
    let before = json!({"id": customer_id, grade.field: from});
    let after = json!({"id": customer_id, grade.field: to});
    let trail = audit::entry(
        by,
        grade.event,
        "customer",
        customer_id,
        Some(&before),
        Some(&after),
    );
    (
        trail,
        (customer_id, after, Some(json!({grade.field: from}))),
    )
}

/// Moves each of `moves` (customer, grade held, grade reached) to the grade reached and records
/// the moves: one update per grade reached, one insert for the audit rows and one for the events.
pub(super) async fn record_moves(
    conn: &impl ConnectionTrait,
    grade: &Grade,
    by: audit::By<'_>,
    moves: &[(Uuid, Option<Uuid>, Option<Uuid>)],
) -> Result<()> {
    if moves.is_empty() {
        return Ok(());
    }
    let mut by_grade: HashMap<Option<Uuid>, Vec<Uuid>> = HashMap::new();
    for (id, _, to) in moves {
        by_grade.entry(*to).or_default().push(*id);
    }
    for (to, ids) in by_grade {
        customer::Entity::update_many()
            .col_expr(grade.column, Expr::val(to))
            .filter(customer::Column::Id.is_in(ids))
            .exec(conn)
            .await?;
    }
    let (trail, feed): (Vec<_>, Vec<_>) = moves
        .iter()
        .map(|(id, from, to)| record_of_move(grade, by, *id, *from, *to))
        .unzip();
    insert_rows(conn, Backend::of(conn), trail).await?;
    events::emit_many(conn, grade.event, "customer", feed).await
}

/// Gives customer `customer_id` (whose row the caller has locked) the level `figures` reach,
/// recording the move when there is one; the level they hold afterwards.
pub(crate) async fn assign(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    customer_id: Uuid,
    current: Option<Uuid>,
    figures: &Purchases,
) -> Result<Option<Uuid>> {
    serialise_shared(conn, Serial::CustomerLevels).await?;
    let level = level_for(&all(conn).await?, figures);
    if level != current {
        record_moves(conn, &LEVEL, actor.into(), &[(customer_id, current, level)]).await?;
    }
    Ok(level)
}

/// Gives every customer the level their figures reach under `levels`, recording each move, a page
/// of customers at a time; the number of customers moved.
async fn reassign_all(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    levels: &[CustomerLevel],
) -> Result<u64> {
    // Every customer is read once, in pages of ids, and a page's moves are written together.
    let mut moved = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let mut select = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::LevelId)
            .column(customer::Column::OrdersCount)
            .column(customer::Column::TotalSpent)
            .order_by_asc(customer::Column::Id)
            .limit(1000);
        if let Some(last) = after {
            select = select.filter(customer::Column::Id.gt(last));
        }
        let rows: Vec<(Uuid, Option<Uuid>, i64, i64)> = select.into_tuple().all(conn).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.0);
        let moves: Vec<_> = rows
            .into_iter()
            .filter_map(|(id, current, orders_count, total_spent)| {
                let figures = Purchases::from_sums(orders_count, total_spent, None, None);
                let level = level_for(levels, &figures);
                (level != current).then_some((id, current, level))
            })
            .collect();
        record_moves(conn, &LEVEL, actor.into(), &moves).await?;
        moved += moves.len() as u64;
    }
    Ok(moved)
}

/// Stores a level (new or changed) and reassigns the customers it moves.
async fn store(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: Option<&CustomerLevel>,
    level: &CustomerLevel,
) -> Result<()> {
    let saved = match before {
        None => active(level).insert(conn).await,
        Some(_) => active(level).update(conn).await,
    };
    saved.map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let (event, before) = match before {
        None => ("customer_level.created", None),
        Some(b) => ("customer_level.updated", Some(serde_json::to_value(b)?)),
    };
    let after = serde_json::to_value(level)?;
    audit::record_change(
        conn,
        actor,
        event,
        "customer_level",
        level.id,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    reassign_all(conn, actor, &all(conn).await?).await?;
    Ok(())
}

/// Creates a level; the customers who reach it and no higher one move to it.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: LevelInput,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<CustomerLevel>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    serialise(&*txn, Serial::CustomerLevels).await?;
    let level = input
        .apply(None, Uuid::now_v7(), crate::now())
        .map_err(Error::Invalid)?;
    if entity::Entity::find().count(&*txn).await? >= MAX_LEVELS as u64 {
        return Err(Error::Conflict {
            code: "too_many_levels",
            field: None,
            message: format!("a workspace defines at most {MAX_LEVELS} levels"),
        });
    }
    store(&*txn, actor, None, &level).await?;
    idempotency::remember(&*txn, idem, 201, &level).await?;
    txn.commit().await?;
    Ok(Outcome::Done(level))
}

/// The level `id`, locked for a change at `expected_version` (when given).
async fn locked(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<CustomerLevel> {
    let row = crate::db::lock_for_change(
        conn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?;
    Ok(row.into())
}

/// Changes a level at `expected_version` (when given); customers move as its thresholds say.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: LevelInput,
    expected_version: Option<i64>,
) -> Result<CustomerLevel> {
    let txn = db.begin_write().await?;
    serialise(&*txn, Serial::CustomerLevels).await?;
    let before = locked(&*txn, id, None).await?;
    // What is wrong with the change is told before whether it was made against the current
    // version: a body that is invalid is invalid whatever the version.
    let after = input
        .apply(Some(&before), id, crate::now())
        .map_err(Error::Invalid)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::PreconditionFailed {
            current: before.version,
        });
    }
    store(&*txn, actor, Some(&before), &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a level at `expected_version` (when given); its customers move to the highest other
/// level they reach, if any.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    serialise(&*txn, Serial::CustomerLevels).await?;
    let before = locked(&*txn, id, expected_version).await?;
    // Its customers move first, so each move names the level they leave.
    let others: Vec<CustomerLevel> = all(&*txn)
        .await?
        .into_iter()
        .filter(|l| l.id != id)
        .collect();
    reassign_all(&*txn, actor, &others).await?;
    entity::Entity::delete_by_id(id).exec(&*txn).await?;
    let before_json = serde_json::to_value(&before)?;
    audit::record_change(
        &*txn,
        actor,
        "customer_level.deleted",
        "customer_level",
        id,
        Some(&before_json),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
