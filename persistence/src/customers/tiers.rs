//! Membership tiers and the tier each member holds. A member's tier is reviewed in the
//! transaction that changes their standing (a payment, a refund, a points adjustment, a merge,
//! their enrolment) and by the daily review, which also lets standing earned before the window
//! fall away; a change of the tiers themselves reviews every member. Both take the
//! `MembershipTiers` advisory lock (reviews shared, changes exclusive), so a review never reads
//! tiers a change is about to replace. Every move is a `customer.tier_changed` event.

use chrono::{DateTime, Duration, Utc};
use rapport_domain::access::Actor;
use rapport_domain::loyalty::tiers::{
    MAX_TIERS, MembershipTier, Progress, Qualification, Standing, TierInput, next_tier, tier_for,
};
use rapport_domain::settings::LoyaltySettings;
use rapport_domain::sort::SortOrder;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

use super::entity::customer;
use super::levels::{Grade, record_moves};
use crate::db::{Serial, serialise, serialise_shared};
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, audit, settings};

const TIER: Grade = Grade {
    column: customer::Column::TierId,
    event: "customer.tier_changed",
    field: "tier_id",
};

/// The `membership_tiers` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "membership_tiers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub rank: i32,
        pub qualification: String,
        pub threshold: i64,
        #[sea_orm(column_type = "Json")]
        pub benefits: Json,
        pub discount_percent: i32,
        pub points_multiplier: i32,
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

impl TryFrom<entity::Model> for MembershipTier {
    type Error = Error;
    fn try_from(m: entity::Model) -> Result<Self> {
        Ok(MembershipTier {
            id: m.id,
            name: m.name,
            rank: m.rank,
            qualification: Qualification::from_name(&m.qualification)
                .ok_or_else(|| Error::Internal("a tier's qualification is unknown".into()))?,
            threshold: m.threshold,
            benefits: serde_json::from_value(m.benefits)?,
            discount_percent: m.discount_percent,
            points_multiplier: m.points_multiplier,
            description: m.description,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(t: &MembershipTier) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(t.id),
        name: Set(t.name.clone()),
        rank: Set(t.rank),
        qualification: Set(t.qualification.as_str().to_owned()),
        threshold: Set(t.threshold),
        benefits: Set(serde_json::Value::from(t.benefits.clone())),
        discount_percent: Set(t.discount_percent),
        points_multiplier: Set(t.points_multiplier),
        description: Set(t.description.clone()),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
        version: Set(t.version),
    }
}

const UNIQUE: &[UniqueRule] = &[
    UniqueRule {
        needles: &["membership_tiers_name_unique", "membership_tiers.name"],
        code: "tier_name_taken",
        field: "name",
        message: "another tier has this name",
    },
    UniqueRule {
        needles: &["membership_tiers_rank_unique", "membership_tiers.rank"],
        code: "tier_rank_taken",
        field: "rank",
        message: "another tier has this rank",
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

/// One page of tiers.
pub async fn list(
    conn: &impl ConnectionTrait,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<MembershipTier>> {
    let select = entity::Entity::find();
    let page = page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request).await?;
    page.try_map(MembershipTier::try_from)
}

/// The tier with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<MembershipTier> {
    entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Every tier, highest rank first.
async fn all(conn: &impl ConnectionTrait) -> Result<Vec<MembershipTier>> {
    entity::Entity::find()
        .order_by_desc(Column::Rank)
        .all(conn)
        .await?
        .into_iter()
        .map(MembershipTier::try_from)
        .collect()
}

/// The tier customer `customer_id` holds, if any: what prices their orders and multiplies their
/// points.
pub async fn held_by(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Option<MembershipTier>> {
    let held: Option<Option<Uuid>> = customer::Entity::find_by_id(customer_id)
        .select_only()
        .column(customer::Column::TierId)
        .into_tuple()
        .one(conn)
        .await?;
    match held.flatten() {
        Some(id) => entity::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(MembershipTier::try_from)
            .transpose(),
        None => Ok(None),
    }
}

/// When the tier window that ends at `now` began, under the loyalty settings.
async fn window_start(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let rules: LoyaltySettings = settings::load(conn).await?;
    Ok(rules
        .tier_window_days
        .map(|days| now - Duration::days(days)))
}

/// `table.column`, for the tables a standing is summed from.
fn col(table: &str, column: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// `(customer, sum)` per customer of `ids`: `sum` over `table`'s rows of theirs passing `rows`
/// and stamped at or after `since` by `stamped`.
async fn sums_by_customer(
    conn: &impl ConnectionTrait,
    table: &str,
    sum: Expr,
    rows: Expr,
    stamped: &str,
    ids: &[Uuid],
    since: Option<DateTime<Utc>>,
) -> Result<HashMap<Uuid, i64>> {
    let backend = conn.get_database_backend();
    let mut select = Query::select();
    select
        .expr(col(table, "customer_id"))
        // A sum of bigints is numeric on PostgreSQL; the cast reads it back as one.
        .expr(Func::cast_as(Func::sum(sum), Alias::new("BIGINT")))
        .from(Alias::new(table))
        .and_where(col(table, "customer_id").is_in(ids.iter().copied()))
        .and_where(rows)
        .group_by_col(Alias::new("customer_id"));
    if let Some(since) = since {
        select.and_where(col(table, stamped).gte(since));
    }
    let rows = conn.query_all_raw(backend.build(&select)).await?;
    rows.iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// What each of `ids` earned and spent since `since` (all time when `None`): points earned,
/// added or taken back (spending and expiry leave it alone), and what paid orders came to less
/// their refunds.
async fn standings(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
    since: Option<DateTime<Utc>>,
) -> Result<HashMap<Uuid, Standing>> {
    let points = sums_by_customer(
        conn,
        "points_entries",
        col("points_entries", "points"),
        col("points_entries", "kind").is_in(["earn", "adjust", "reverse"]),
        "created_at",
        ids,
        since,
    )
    .await?;
    let spend = sums_by_customer(
        conn,
        "orders",
        col("orders", "total").sub(col("orders", "refunded_total")),
        col("orders", "paid_at").is_not_null(),
        "paid_at",
        ids,
        since,
    )
    .await?;
    Ok(ids
        .iter()
        .map(|id| {
            let standing = Standing {
                points: points.get(id).copied().unwrap_or(0),
                spend: spend.get(id).copied().unwrap_or(0),
            };
            (*id, standing)
        })
        .collect())
}

/// Where customer `customer_id`, holding tier `held`, stands at `now`: their standing within the
/// window and the next tier up.
pub(super) async fn progress(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    held: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Progress> {
    let since = window_start(conn, now).await?;
    let standing = standings(conn, &[customer_id], since).await?[&customer_id];
    let tiers = all(conn).await?;
    let next = next_tier(&tiers, held, &standing).map(|(tier, missing)| (tier.clone(), missing));
    Ok(Progress {
        standing,
        since,
        next,
    })
}

/// Gives member `customer_id` (whose row the caller has locked) the tier their standing at `now`
/// reaches, recording the move when there is one; a customer who is not a member holds none.
pub async fn review(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    customer_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>> {
    serialise_shared(conn, Serial::MembershipTiers).await?;
    let held: Option<(Option<Uuid>, Option<String>)> = customer::Entity::find_by_id(customer_id)
        .select_only()
        .column(customer::Column::TierId)
        .column(customer::Column::MemberNumber)
        .into_tuple()
        .one(conn)
        .await?;
    let Some((current, member_number)) = held else {
        return Err(Error::NotFound);
    };
    let reached = match member_number {
        Some(_) => {
            let tiers = all(conn).await?;
            if tiers.is_empty() {
                None
            } else {
                let since = window_start(conn, now).await?;
                let standing = standings(conn, &[customer_id], since).await?;
                tier_for(&tiers, &standing[&customer_id])
            }
        }
        None => None,
    };
    if reached != current {
        record_moves(
            conn,
            &TIER,
            actor.into(),
            &[(customer_id, current, reached)],
        )
        .await?;
    }
    Ok(reached)
}

/// Gives every member the tier their standing at `now` reaches under `tiers`, recording each
/// move, a page of members at a time; the number of members moved.
async fn review_all_under(
    conn: &impl ConnectionTrait,
    by: audit::By<'_>,
    tiers: &[MembershipTier],
    now: DateTime<Utc>,
) -> Result<u64> {
    let since = window_start(conn, now).await?;
    let mut moved = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let mut select = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::TierId)
            .filter(customer::Column::MemberNumber.is_not_null())
            .order_by_asc(customer::Column::Id)
            .limit(1000);
        if let Some(last) = after {
            select = select.filter(customer::Column::Id.gt(last));
        }
        let rows: Vec<(Uuid, Option<Uuid>)> = select.into_tuple().all(conn).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.0);
        let ids: Vec<Uuid> = rows.iter().map(|(id, _)| *id).collect();
        let standing = if tiers.is_empty() {
            HashMap::new()
        } else {
            standings(conn, &ids, since).await?
        };
        let moves: Vec<_> = rows
            .into_iter()
            .filter_map(|(id, current)| {
                let reached = standing.get(&id).and_then(|s| tier_for(tiers, s));
                (reached != current).then_some((id, current, reached))
            })
            .collect();
        record_moves(conn, &TIER, by, &moves).await?;
        moved += moves.len() as u64;
    }
    Ok(moved)
}

/// The daily review: every member gets the tier their standing within the window now reaches
/// (standing earned before the window falls away); the number of members moved.
pub async fn review_all(db: &Db, by: audit::By<'_>, now: DateTime<Utc>) -> Result<u64> {
    let txn = db.begin_write().await?;
    serialise(&*txn, Serial::MembershipTiers).await?;
    let moved = review_all_under(&*txn, by, &all(&*txn).await?, now).await?;
    txn.commit().await?;
    Ok(moved)
}

/// Stores a tier (new or changed) and reviews every member.
async fn store(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: Option<&MembershipTier>,
    tier: &MembershipTier,
) -> Result<()> {
    let saved = match before {
        None => active(tier).insert(conn).await,
        Some(_) => active(tier).update(conn).await,
    };
    saved.map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let (event, before) = match before {
        None => ("membership_tier.created", None),
        Some(b) => ("membership_tier.updated", Some(serde_json::to_value(b)?)),
    };
    let after = serde_json::to_value(tier)?;
    audit::record_change(
        conn,
        actor,
        event,
        "membership_tier",
        tier.id,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    review_all_under(conn, actor.into(), &all(conn).await?, tier.updated_at).await?;
    Ok(())
}

/// Creates a tier; the members who reach it and no higher one move to it.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: TierInput,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<MembershipTier>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    serialise(&*txn, Serial::MembershipTiers).await?;
    let tier = input
        .apply(None, Uuid::now_v7(), crate::now())
        .map_err(Error::Invalid)?;
    if entity::Entity::find().count(&*txn).await? >= MAX_TIERS as u64 {
        return Err(Error::Conflict {
            code: "too_many_tiers",
            field: None,
            message: format!("a workspace defines at most {MAX_TIERS} tiers"),
        });
    }
    store(&*txn, actor, None, &tier).await?;
    idempotency::remember(&*txn, idem, 201, &tier).await?;
    txn.commit().await?;
    Ok(Outcome::Done(tier))
}

/// The tier `id`, locked for a change at `expected_version` (when given).
async fn locked(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<MembershipTier> {
    crate::db::lock_for_change(
        conn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?
    .try_into()
}

/// Changes a tier at `expected_version` (when given); members move as it now says.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: TierInput,
    expected_version: Option<i64>,
) -> Result<MembershipTier> {
    let txn = db.begin_write().await?;
    serialise(&*txn, Serial::MembershipTiers).await?;
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

/// Deletes a tier at `expected_version` (when given); its members move to the highest other tier
/// they reach, if any.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    serialise(&*txn, Serial::MembershipTiers).await?;
    let before = locked(&*txn, id, expected_version).await?;
    // Its members move first, so each move names the tier they leave.
    let others: Vec<MembershipTier> = all(&*txn)
        .await?
        .into_iter()
        .filter(|t| t.id != id)
        .collect();
    review_all_under(&*txn, actor.into(), &others, crate::now()).await?;
    entity::Entity::delete_by_id(id).exec(&*txn).await?;
    let before_json = serde_json::to_value(&before)?;
    audit::record_change(
        &*txn,
        actor,
        "membership_tier.deleted",
        "membership_tier",
        id,
        Some(&before_json),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
