//! Points accounts and their ledgers. Every entry moves the account's balance in the same
//! transaction by one conditional `UPDATE` that never takes it below zero (the database checks it
//! too), so concurrent redemptions never overdraw and the balance is always the ledger's sum. A
//! deduction takes from the points that expire first, so expiry ends exactly the points earned
//! and not spent.

use chrono::{DateTime, Duration, Utc};
use rapport_domain::access::Actor;
use rapport_domain::loyalty::points::{EntryKind, PointsEntry, RECENT, earned, to_reverse};
use rapport_domain::orders::Order;
use rapport_domain::settings::LoyaltySettings;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest};
use crate::{Db, Error, Result, audit, customers, events, settings};

/// The `points_accounts` and `points_entries` tables.
mod entity {
    /// The `points_accounts` table.
    pub mod account {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "points_accounts")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub customer_id: Uuid,
            pub balance: i64,
            pub entries: i64,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `points_entries` table.
    pub mod entry {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "points_entries")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub customer_id: Uuid,
            pub entry_no: i64,
            pub kind: String,
            pub points: i64,
            pub balance_after: i64,
            pub remaining: i64,
            pub reason: Option<String>,
            pub order_id: Option<Uuid>,
            pub expires_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{account, entry};

impl TryFrom<entry::Model> for PointsEntry {
    type Error = Error;
    fn try_from(m: entry::Model) -> Result<Self> {
        Ok(PointsEntry {
            id: m.id,
            customer_id: m.customer_id,
            kind: EntryKind::from_name(&m.kind)
                .ok_or_else(|| Error::Internal("stored points entry kind is unknown".into()))?,
            points: m.points,
            balance_after: m.balance_after,
            reason: m.reason,
            order_id: m.order_id,
            expires_at: m.expires_at,
            created_at: m.created_at,
        })
    }
}

/// What one entry moves.
struct Move<'a> {
    customer_id: Uuid,
    kind: EntryKind,
    points: i64,
    reason: Option<&'a str>,
    order_id: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
}

/// Not enough points: the balance there is.
struct Short(i64);

/// The balance of customer `customer_id` (0 without an account).
pub async fn balance(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<i64> {
    Ok(account::Entity::find_by_id(customer_id)
        .one(conn)
        .await?
        .map_or(0, |a| a.balance))
}

/// Writes one entry at `now`: the balance moves only when it stays at zero or above, a deduction
/// takes from the points that expire first, and `points.<kind>` goes to the event feed.
async fn post(
    conn: &impl ConnectionTrait,
    m: Move<'_>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<PointsEntry, Short>> {
    account::Entity::insert(account::ActiveModel {
        customer_id: Set(m.customer_id),
        balance: Set(0),
        entries: Set(0),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(account::Column::CustomerId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    // One statement moves the balance only while it stays at zero or above; on PostgreSQL it
    // holds the account's row until commit, so every later entry of the customer waits here.
    let moved = account::Entity::update_many()
        .col_expr(
            account::Column::Balance,
            Expr::col(account::Column::Balance).add(m.points),
        )
        .col_expr(
            account::Column::Entries,
            Expr::col(account::Column::Entries).add(1),
        )
        .col_expr(account::Column::UpdatedAt, Expr::val(now))
        .filter(account::Column::CustomerId.eq(m.customer_id))
        .filter(Expr::col(account::Column::Balance).add(m.points).gte(0))
        .exec(conn)
        .await?
        .rows_affected;
    let account = account::Entity::find_by_id(m.customer_id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::Internal("a points account was not made".into()))?;
    if moved == 0 {
        return Ok(Err(Short(account.balance)));
    }
    let balance_after = account.balance;
    if m.points < 0 {
        take_from_earliest(conn, m.customer_id, -m.points).await?;
    }
    let entry = PointsEntry {
        id: Uuid::now_v7(),
        customer_id: m.customer_id,
        kind: m.kind,
        points: m.points,
        balance_after,
        reason: m.reason.map(str::to_owned),
        order_id: m.order_id,
        expires_at: m.expires_at,
        created_at: now,
    };
    entry::ActiveModel {
        id: Set(entry.id),
        customer_id: Set(entry.customer_id),
        entry_no: Set(account.entries),
        kind: Set(entry.kind.as_str().to_owned()),
        points: Set(entry.points),
        balance_after: Set(entry.balance_after),
        remaining: Set(Ord::max(entry.points, 0)),
        reason: Set(entry.reason.clone()),
        order_id: Set(entry.order_id),
        expires_at: Set(entry.expires_at),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    events::emit(
        conn,
        &format!("points.{}", entry.kind.as_str()),
        "customer",
        entry.customer_id,
        serde_json::to_value(&entry)?,
        None,
    )
    .await?;
    Ok(Ok(entry))
}

/// Takes `points` from what is left of the customer's added points, those that expire first
/// first (those that never expire last), oldest first among equals.
async fn take_from_earliest(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    points: i64,
) -> Result<()> {
    let mut left = points;
    let sources = entry::Entity::find()
        .filter(entry::Column::CustomerId.eq(customer_id))
        .filter(entry::Column::Remaining.gt(0))
        .order_by_asc(Expr::col(entry::Column::ExpiresAt).is_null())
        .order_by_asc(entry::Column::ExpiresAt)
        .order_by_asc(entry::Column::CreatedAt)
        .order_by_asc(entry::Column::Id)
        .all(conn)
        .await?;
    for source in sources {
        if left == 0 {
            break;
        }
        let take = Ord::min(source.remaining, left);
        entry::Entity::update_many()
            .col_expr(
                entry::Column::Remaining,
                Expr::col(entry::Column::Remaining).sub(take),
            )
            .filter(entry::Column::Id.eq(source.id))
            .exec(conn)
            .await?;
        left -= take;
    }
    Ok(())
}

fn insufficient(Short(balance): Short, wanted: i64) -> Error {
    Error::Conflict {
        code: "insufficient_points",
        field: Some("points"),
        message: format!("the customer has {balance} points, fewer than the {wanted} asked for"),
    }
}

/// A customer's balance and newest entries.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The balance.
    pub balance: i64,
    /// The newest entries, newest first.
    pub recent: Vec<PointsEntry>,
}

/// Customer `customer_id`'s balance and newest entries (404 for no customer).
pub async fn summary(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Summary> {
    customers::get(conn, None, customer_id).await?;
    let recent = entry::Entity::find()
        .filter(entry::Column::CustomerId.eq(customer_id))
        .order_by_desc(entry::Column::EntryNo)
        .limit(RECENT)
        .all(conn)
        .await?
        .into_iter()
        .map(PointsEntry::try_from)
        .collect::<Result<_>>()?;
    Ok(Summary {
        balance: balance(conn, customer_id).await?,
        recent,
    })
}

/// Every entry of customer `customer_id`'s ledger, oldest first.
pub async fn of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<PointsEntry>> {
    entry::Entity::find()
        .filter(entry::Column::CustomerId.eq(customer_id))
        .order_by_asc(entry::Column::EntryNo)
        .all(conn)
        .await?
        .into_iter()
        .map(PointsEntry::try_from)
        .collect()
}

/// One page of customer `customer_id`'s ledger, newest first (in the order the balance moved).
pub async fn ledger(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    request: &PageRequest,
) -> Result<Page<PointsEntry>> {
    customers::get(conn, None, customer_id).await?;
    let select = entry::Entity::find().filter(entry::Column::CustomerId.eq(customer_id));
    let keys = [KeyColumn {
        column: entry::Column::EntryNo,
        descending: true,
    }];
    page::fetch(
        conn,
        select,
        "-entry_no",
        &keys,
        |m| vec![CursorValue::I(m.entry_no)],
        request,
    )
    .await?
    .try_map(PointsEntry::try_from)
}

/// Adds (positive) or takes (negative) points for customer `customer_id` by `actor`, with a
/// reason; taking more than the balance is 409 `insufficient_points`.
pub async fn adjust(
    db: &Db,
    actor: &Actor,
    customer_id: Uuid,
    (points, reason): (i64, String),
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<PointsEntry>> {
    staff_entry(
        db,
        actor,
        customer_id,
        EntryKind::Adjust,
        points,
        Some(reason),
        idem,
    )
    .await
}

/// Spends `points` of customer `customer_id`'s balance, by `actor`; more than the balance is 409
/// `insufficient_points`.
pub async fn redeem(
    db: &Db,
    actor: &Actor,
    customer_id: Uuid,
    (points, reason): (i64, Option<String>),
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<PointsEntry>> {
    staff_entry(
        db,
        actor,
        customer_id,
        EntryKind::Redeem,
        -points,
        reason,
        idem,
    )
    .await
}

async fn staff_entry(
    db: &Db,
    actor: &Actor,
    customer_id: Uuid,
    kind: EntryKind,
    points: i64,
    reason: Option<String>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<PointsEntry>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    // The customer's row is locked first, as a payment locks it before its points move.
    customers::lock(&*txn, customer_id).await?;
    let m = Move {
        customer_id,
        kind,
        points,
        reason: reason.as_deref(),
        order_id: None,
        expires_at: None,
    };
    let entry = post(&*txn, m, crate::now())
        .await?
        .map_err(|short| insufficient(short, -points))?;
    if kind == EntryKind::Adjust {
        // Points added or taken count towards a tier; spent ones do not.
        customers::review_tier(&*txn, actor, customer_id, entry.created_at).await?;
    }
    let after = serde_json::to_value(&entry)?;
    audit::record(
        &*txn,
        actor.into(),
        &format!("points.{}", kind.as_str()),
        "customer",
        customer_id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &entry).await?;
    txn.commit().await?;
    Ok(Outcome::Done(entry))
}

/// Spends `points` of customer `customer_id`'s balance at `now` in the caller's transaction,
/// which has locked the customer's row: the entry, or the balance there is when it is short.
pub async fn spend(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
    points: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<PointsEntry, i64>> {
    let m = Move {
        customer_id,
        kind: EntryKind::Redeem,
        points: -points,
        reason: Some(reason),
        order_id: None,
        expires_at: None,
    };
    Ok(post(conn, m, now).await?.map_err(|Short(balance)| balance))
}

/// Credits the points paid order `order` earns under the loyalty settings, in the payment's
/// transaction at `now`: none for an order in another currency than the points are kept in.
pub async fn earn_for_order(
    conn: &impl ConnectionTrait,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<()> {
    let rules: LoyaltySettings = settings::load(conn).await?;
    if order.currency.code() != rules.points_currency {
        return Ok(());
    }
    let points = earned(
        order.total,
        order.currency.exponent(),
        rules.points_per_unit,
    );
    // A member earns at the multiplier of the tier they hold when they pay.
    let points = match customers::tier_held_by(conn, order.customer_id).await? {
        Some(tier) => tier.multiply(points),
        None => points,
    };
    if points <= 0 {
        return Ok(());
    }
    let m = Move {
        customer_id: order.customer_id,
        kind: EntryKind::Earn,
        points,
        reason: Some(&order.number),
        order_id: Some(order.id),
        expires_at: rules
            .points_expire_days
            .map(|days| now + Duration::days(days)),
    };
    post(conn, m, now)
        .await?
        .map_err(|_| Error::Internal("adding points cannot overdraw".into()))?;
    Ok(())
}

/// Takes back, in the refund's transaction at `now`, the share of the points order `order`
/// earned that its refunds now call for; no more than the customer still has.
pub async fn reverse_for_order(
    conn: &impl ConnectionTrait,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<()> {
    let entries = entry::Entity::find()
        .filter(entry::Column::OrderId.eq(order.id))
        .all(conn)
        .await?;
    let earned: i64 = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Earn.as_str())
        .map(|e| e.points)
        .sum();
    let reversed: i64 = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Reverse.as_str())
        .map(|e| -e.points)
        .sum();
    let owed = to_reverse(earned, order.total, order.refunded_total, reversed);
    let points = Ord::min(owed, balance(conn, order.customer_id).await?);
    if points <= 0 {
        return Ok(());
    }
    let m = Move {
        customer_id: order.customer_id,
        kind: EntryKind::Reverse,
        points: -points,
        reason: Some(&order.number),
        order_id: Some(order.id),
        expires_at: None,
    };
    // The account's row is not locked before the balance is read, so another deduction may
    // come between: then this one takes what is left.
    if post(conn, m, now).await?.is_err() {
        let left = balance(conn, order.customer_id).await?;
        if left > 0 {
            let m = Move {
                customer_id: order.customer_id,
                kind: EntryKind::Reverse,
                points: -left,
                reason: Some(&order.number),
                order_id: Some(order.id),
                expires_at: None,
            };
            let _ = post(conn, m, now).await?;
        }
    }
    Ok(())
}

/// Expires, at `now`, the points earned and not spent whose time has come, one customer's in one
/// transaction each; how many points expired.
pub async fn expire_due(db: &Db, now: DateTime<Utc>) -> Result<i64> {
    let mut expired = 0;
    loop {
        let due: Vec<Uuid> = entry::Entity::find()
            .select_only()
            .column(entry::Column::CustomerId)
            .filter(entry::Column::ExpiresAt.lte(now))
            .filter(entry::Column::Remaining.gt(0))
            .distinct()
            .limit(100)
            .into_tuple()
            .all(db.conn())
            .await?;
        if due.is_empty() {
            return Ok(expired);
        }
        for customer_id in due {
            let txn = db.begin_write().await?;
            // The account first, so the sum is read behind its lock.
            let _ = crate::db::for_update(account::Entity::find_by_id(customer_id))
                .one(&*txn)
                .await?;
            let points: i64 = entry::Entity::find()
                .filter(entry::Column::CustomerId.eq(customer_id))
                .filter(entry::Column::ExpiresAt.lte(now))
                .filter(entry::Column::Remaining.gt(0))
                .all(&*txn)
                .await?
                .iter()
                .map(|e| e.remaining)
                .sum();
            if points > 0 {
                let m = Move {
                    customer_id,
                    kind: EntryKind::Expire,
                    points: -points,
                    reason: None,
                    order_id: None,
                    expires_at: None,
                };
                match post(&*txn, m, now).await? {
                    Ok(_) => expired += points,
                    // The ledger holds no more than the balance; should it ever, what cannot be
                    // taken is let go rather than looked at again and again.
                    Err(_) => {
                        entry::Entity::update_many()
                            .col_expr(entry::Column::Remaining, Expr::val(0))
                            .filter(entry::Column::CustomerId.eq(customer_id))
                            .filter(entry::Column::ExpiresAt.lte(now))
                            .exec(&*txn)
                            .await?;
                    }
                }
            }
            txn.commit().await?;
        }
    }
}
