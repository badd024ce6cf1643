//! Rewards and their exchanges. An exchange is one transaction: the customer's row is locked (as
//! a payment locks it), one conditional `UPDATE` takes a unit of the reward only while it is
//! offered and in stock (the database keeps stock at zero or above too), the points are spent by
//! the ledger's own conditional `UPDATE`, and a coupon reward puts its coupon in the wallet. Any
//! of them refused, nothing of the others stays.

use rapport_domain::access::Actor;
use rapport_domain::loyalty::rewards::{
    Reward, RewardExchange, RewardInput, RewardKind, RewardStatus, Unavailable,
};
use rapport_domain::sort::SortOrder;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest, SortField};
use crate::{Db, Error, Result, audit, catalogue, customers, events, loyalty, marketing};

/// The `rewards` and `reward_exchanges` tables.
mod entity {
    /// The `rewards` table.
    pub mod reward {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "rewards")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub name: String,
            #[sea_orm(column_type = "Text", nullable)]
            pub description: Option<String>,
            pub kind: String,
            pub variant_id: Option<Uuid>,
            pub coupon_id: Option<Uuid>,
            pub points_cost: i64,
            pub stock: Option<i64>,
            pub exchanged_count: i64,
            pub status: String,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `reward_exchanges` table.
    pub mod exchange {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "reward_exchanges")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub customer_id: Uuid,
            pub reward_id: Option<Uuid>,
            pub reward_name: String,
            pub kind: String,
            pub points: i64,
            pub points_entry_id: Uuid,
            pub issued_coupon_id: Option<Uuid>,
            pub fulfilled_at: Option<DateTimeUtc>,
            pub fulfilment_note: Option<String>,
            pub created_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{exchange, reward};

fn kind_of(name: &str) -> Result<RewardKind> {
    RewardKind::from_name(name).ok_or_else(|| Error::Internal("a reward's kind is unknown".into()))
}

impl TryFrom<reward::Model> for Reward {
    type Error = Error;
    fn try_from(m: reward::Model) -> Result<Self> {
        Ok(Reward {
            id: m.id,
            name: m.name,
            description: m.description,
            kind: kind_of(&m.kind)?,
            variant_id: m.variant_id,
            coupon_id: m.coupon_id,
            points_cost: m.points_cost,
            stock: m.stock,
            exchanged_count: m.exchanged_count,
            status: RewardStatus::from_name(&m.status)
                .ok_or_else(|| Error::Internal("a reward's status is unknown".into()))?,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(r: &Reward) -> reward::ActiveModel {
    reward::ActiveModel {
        id: Set(r.id),
        name: Set(r.name.clone()),
        description: Set(r.description.clone()),
        kind: Set(r.kind.as_str().to_owned()),
        variant_id: Set(r.variant_id),
        coupon_id: Set(r.coupon_id),
        points_cost: Set(r.points_cost),
        stock: Set(r.stock),
        exchanged_count: Set(r.exchanged_count),
        status: Set(r.status.as_str().to_owned()),
        created_at: Set(r.created_at),
        updated_at: Set(r.updated_at),
        version: Set(r.version),
    }
}

/// An exchange as kept, with the code of the coupon it gave (read from the wallet).
fn exchange_of(m: exchange::Model, coupon_code: Option<String>) -> Result<RewardExchange> {
    Ok(RewardExchange {
        id: m.id,
        customer_id: m.customer_id,
        reward_id: m.reward_id,
        reward_name: m.reward_name,
        kind: kind_of(&m.kind)?,
        points: m.points,
        points_entry_id: m.points_entry_id,
        issued_coupon_id: m.issued_coupon_id,
        coupon_code,
        fulfilled_at: m.fulfilled_at,
        fulfilment_note: m.fulfilment_note,
        created_at: m.created_at,
    })
}

/// Which rewards a list holds.
#[derive(Debug, Clone, Default)]
pub struct RewardFilter {
    /// Of this status.
    pub status: Option<RewardStatus>,
    /// Of this kind.
    pub kind: Option<RewardKind>,
    /// Exchangeable now: active and in stock.
    pub available: Option<bool>,
    /// Costing at most this many points.
    pub max_points: Option<i64>,
}

const FIELDS: &[SortField<reward::Entity>] = &[
    SortField {
        name: "created_at",
        column: reward::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "name",
        column: reward::Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
    SortField {
        name: "points_cost",
        column: reward::Column::PointsCost,
        value: |m| CursorValue::I(m.points_cost),
    },
];

const ID: SortField<reward::Entity> = SortField {
    name: "id",
    column: reward::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// Offered and in stock (or stock not counted).
fn available() -> Condition {
    Condition::all()
        .add(reward::Column::Status.eq(RewardStatus::Active.as_str()))
        .add(
            Condition::any()
                .add(reward::Column::Stock.is_null())
                .add(reward::Column::Stock.gt(0)),
        )
}

/// One page of rewards.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &RewardFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Reward>> {
    let mut select = reward::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(reward::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(reward::Column::Kind.eq(kind.as_str()));
    }
    match filter.available {
        Some(true) => select = select.filter(available()),
        Some(false) => select = select.filter(available().not()),
        None => {}
    }
    if let Some(most) = filter.max_points {
        select = select.filter(reward::Column::PointsCost.lte(most));
    }
    page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request)
        .await?
        .try_map(Reward::try_from)
}

/// The reward with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Reward> {
    reward::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// 422 unless the variant a gift names is for sale and the coupon a coupon reward names exists.
async fn check_references(conn: &impl ConnectionTrait, r: &Reward) -> Result<()> {
    if let Some(variant) = r.variant_id
        && catalogue::for_sale(conn, &[variant]).await?.is_empty()
    {
        return Err(Error::field(
            "variant_id",
            "not_found",
            "no variant for sale has this id",
        ));
    }
    if let Some(coupon) = r.coupon_id {
        match marketing::coupon(conn, coupon).await {
            Err(Error::NotFound) => {
                return Err(Error::field(
                    "coupon_id",
                    "not_found",
                    "no coupon has this id",
                ));
            }
            other => {
                other?;
            }
        }
    }
    Ok(())
}

/// Adds a reward to the catalogue.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: RewardInput,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Reward>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let created = input
        .apply(None, Uuid::now_v7(), crate::now())
        .map_err(Error::Invalid)?;
    check_references(&*txn, &created).await?;
    active(&created).insert(&*txn).await?;
    let after = serde_json::to_value(&created)?;
    audit::record_change(
        &*txn,
        actor,
        "reward.created",
        "reward",
        created.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &created).await?;
    txn.commit().await?;
    Ok(Outcome::Done(created))
}

/// Changes a reward at `expected_version` (when given).
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: RewardInput,
    expected_version: Option<i64>,
) -> Result<Reward> {
    let txn = db.begin_write().await?;
    let before: Reward =
        crate::db::lock_for_change(&*txn, reward::Entity::find_by_id(id), None, |m| m.version)
            .await?
            .try_into()?;
    // What is wrong with the change is told before whether it was made against the current
    // version: a body that is invalid is invalid whatever the version.
    let after = input
        .apply(Some(&before), id, crate::now())
        .map_err(Error::Invalid)?;
    check_references(&*txn, &after).await?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::PreconditionFailed {
            current: before.version,
        });
    }
    active(&after).update(&*txn).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "reward.updated",
        "reward",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a reward at `expected_version` (when given); its exchanges stay, with its name.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, Reward>(
        &*txn,
        actor,
        reward::Entity::find_by_id(id),
        id,
        expected_version,
        |m| m.version,
        "reward",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn unavailable(why: Unavailable, name: &str) -> Error {
    match why {
        Unavailable::Paused => Error::Conflict {
            code: "reward_paused",
            field: Some("reward_id"),
            message: format!("the reward {name} is paused"),
        },
        Unavailable::OutOfStock => Error::Conflict {
            code: "out_of_stock",
            field: Some("reward_id"),
            message: format!("the reward {name} is out of stock"),
        },
    }
}

/// Customer `customer_id` exchanges points for reward `reward_id`, by `actor`, in one
/// transaction: a unit of stock, the points (409 `insufficient_points`), and for a coupon reward
/// the coupon in their wallet. A paused reward is 409 `reward_paused`, one with no stock left 409
/// `out_of_stock`. Emits `points.redeem` and `reward.exchanged`.
pub async fn exchange(
    db: &Db,
    actor: &Actor,
    customer_id: Uuid,
    reward_id: Uuid,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<RewardExchange>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    // The customer's row first, as a payment and every points entry by staff lock it.
    customers::lock(&*txn, customer_id).await?;
    let now = crate::now();
    // One unit, only while the reward is offered and in stock.
    let taken = reward::Entity::update_many()
        .col_expr(
            reward::Column::Stock,
            Expr::col(reward::Column::Stock).sub(1),
        )
        .col_expr(
            reward::Column::ExchangedCount,
            Expr::col(reward::Column::ExchangedCount).add(1),
        )
        .col_expr(
            reward::Column::Version,
            Expr::col(reward::Column::Version).add(1),
        )
        .col_expr(reward::Column::UpdatedAt, Expr::val(now))
        .filter(reward::Column::Id.eq(reward_id))
        .filter(available())
        .exec(&*txn)
        .await?
        .rows_affected;
    let reward = match get(&*txn, reward_id).await {
        Err(Error::NotFound) => {
            return Err(Error::field(
                "reward_id",
                "not_found",
                "no reward has this id",
            ));
        }
        other => other?,
    };
    if taken == 0 {
        let why = reward.available().err().unwrap_or(Unavailable::OutOfStock);
        return Err(unavailable(why, &reward.name));
    }
    let entry = loyalty::spend_points(&*txn, customer_id, reward.points_cost, &reward.name, now)
        .await?
        .map_err(|balance| Error::Conflict {
            code: "insufficient_points",
            field: Some("reward_id"),
            message: format!(
                "the customer has {balance} points, fewer than the {} the reward costs",
                reward.points_cost
            ),
        })?;
    let issued = match (reward.kind, reward.coupon_id) {
        (RewardKind::Coupon, Some(coupon)) => {
            Some(marketing::give_coupon(&*txn, coupon, customer_id, now).await?)
        }
        _ => None,
    };
    let row = exchange::ActiveModel {
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer_id),
        reward_id: Set(Some(reward.id)),
        reward_name: Set(reward.name.clone()),
        kind: Set(reward.kind.as_str().to_owned()),
        points: Set(reward.points_cost),
        points_entry_id: Set(entry.id),
        issued_coupon_id: Set(issued.as_ref().map(|i| i.id)),
        fulfilled_at: Set(None),
        fulfilment_note: Set(None),
        created_at: Set(now),
    }
    .insert(&*txn)
    .await?;
    let done = exchange_of(row, issued.and_then(|i| i.code))?;
    let data = serde_json::to_value(&done)?;
    events::emit(
        &*txn,
        "reward.exchanged",
        "customer",
        customer_id,
        data.clone(),
        None,
    )
    .await?;
    audit::record(
        &*txn,
        actor.into(),
        "reward.exchanged",
        "customer",
        customer_id,
        None,
        Some(&data),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &done).await?;
    txn.commit().await?;
    Ok(Outcome::Done(done))
}

/// Marks a gift exchange `id` handed over or sent, by `actor`, with a note; 409
/// `not_a_gift` for a coupon (given at once), `already_fulfilled` for the second time.
pub async fn fulfil(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    note: Option<String>,
) -> Result<RewardExchange> {
    let txn = db.begin_write().await?;
    let now = crate::now();
    let marked = exchange::Entity::update_many()
        .col_expr(exchange::Column::FulfilledAt, Expr::val(now))
        .col_expr(exchange::Column::FulfilmentNote, Expr::val(note))
        .filter(exchange::Column::Id.eq(id))
        .filter(exchange::Column::Kind.eq(RewardKind::Gift.as_str()))
        .filter(exchange::Column::FulfilledAt.is_null())
        .exec(&*txn)
        .await?
        .rows_affected;
    let row = exchange::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(Error::NotFound)?;
    if marked == 0 {
        return Err(if row.kind == RewardKind::Gift.as_str() {
            Error::Conflict {
                code: "already_fulfilled",
                field: None,
                message: "the gift was marked fulfilled already".into(),
            }
        } else {
            Error::Conflict {
                code: "not_a_gift",
                field: None,
                message: "a coupon reward is given at once; only a gift is fulfilled".into(),
            }
        });
    }
    let done = exchange_of(row, None)?;
    let data = serde_json::to_value(&done)?;
    events::emit(
        &*txn,
        "reward.fulfilled",
        "customer",
        done.customer_id,
        data.clone(),
        None,
    )
    .await?;
    audit::note_in(
        &*txn,
        actor.into(),
        audit::Notice {
            action: "reward.fulfilled",
            resource_type: "customer",
            resource_id: Some(done.customer_id),
            detail: json!({"exchange_id": id, "reward_name": done.reward_name}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(done)
}

/// Which exchanges a list holds.
#[derive(Debug, Clone, Default)]
pub struct ExchangeFilter {
    /// Of this customer.
    pub customer_id: Option<Uuid>,
    /// Of this reward.
    pub reward_id: Option<Uuid>,
    /// Of this kind.
    pub kind: Option<RewardKind>,
    /// Gifts fulfilled (`true`) or still to fulfil (`false`).
    pub fulfilled: Option<bool>,
}

/// One page of exchanges, newest first.
pub async fn exchanges(
    conn: &impl ConnectionTrait,
    filter: &ExchangeFilter,
    request: &PageRequest,
) -> Result<Page<RewardExchange>> {
    let mut select = exchange::Entity::find();
    if let Some(customer) = filter.customer_id {
        customers::get(conn, None, customer).await?;
        select = select.filter(exchange::Column::CustomerId.eq(customer));
    }
    if let Some(reward) = filter.reward_id {
        select = select.filter(exchange::Column::RewardId.eq(reward));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(exchange::Column::Kind.eq(kind.as_str()));
    }
    match filter.fulfilled {
        Some(true) => select = select.filter(exchange::Column::FulfilledAt.is_not_null()),
        Some(false) => {
            select = select
                .filter(exchange::Column::Kind.eq(RewardKind::Gift.as_str()))
                .filter(exchange::Column::FulfilledAt.is_null());
        }
        None => {}
    }
    let keys = [
        KeyColumn {
            column: exchange::Column::CreatedAt,
            descending: true,
        },
        KeyColumn {
            column: exchange::Column::Id,
            descending: true,
        },
    ];
    let found = page::fetch(
        conn,
        select,
        "-created_at",
        &keys,
        |m| vec![CursorValue::T(m.created_at), CursorValue::U(m.id)],
        request,
    )
    .await?;
    let codes = codes_of(conn, &found.items).await?;
    found.try_map(|m| coded(m, &codes))
}

/// An exchange with the code of the coupon it gave, found among `codes`.
fn coded(m: exchange::Model, codes: &[(Uuid, String)]) -> Result<RewardExchange> {
    let code = m
        .issued_coupon_id
        .and_then(|issued| codes.iter().find(|(id, _)| *id == issued))
        .map(|(_, code)| code.clone());
    exchange_of(m, code)
}

/// The codes of the coupons `rows` gave, by issued coupon id.
async fn codes_of(
    conn: &impl ConnectionTrait,
    rows: &[exchange::Model],
) -> Result<Vec<(Uuid, String)>> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|m| m.issued_coupon_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    marketing::issued_codes(conn, &ids).await
}

/// Every exchange customer `customer_id` made, oldest first.
pub async fn of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<RewardExchange>> {
    use sea_orm::QueryOrder;
    let rows = exchange::Entity::find()
        .filter(exchange::Column::CustomerId.eq(customer_id))
        .order_by_asc(exchange::Column::CreatedAt)
        .order_by_asc(exchange::Column::Id)
        .all(conn)
        .await?;
    let codes = codes_of(conn, &rows).await?;
    rows.into_iter().map(|m| coded(m, &codes)).collect()
}
