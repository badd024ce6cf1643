//! Duplicates and merging. A merge moves everything the absorbed record owns to the survivor
//! (contacts, consent decisions, segment memberships: the tables in [`OWNED_ROWS`] and
//! [`OWNED_SETS`], where later resources owned by customers add their line), fills the
//! survivor's blanks from it, deletes it, and records both in the audit trail and the event feed,
//! all in one transaction.

use rapport_domain::FieldError;
use rapport_domain::access::{Actor, Scope};
use rapport_domain::customers::merge::{self, DuplicateReason, name_key};
use rapport_domain::customers::{Customer, CustomerKind};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::entity::{active_customer, contact, customer};
use super::queries::scoped;
use super::unique::UNIQUE;
use super::use_cases::write_tags;
use crate::{Db, Error, Result, audit, events};

/// The most duplicates listed for one customer.
pub const MAX_DUPLICATES: u64 = 50;

/// A customer that looks like another, and why.
#[derive(Debug, Clone)]
pub struct Duplicate {
    /// The other customer.
    pub customer: Customer,
    /// Why, strongest first.
    pub reasons: Vec<DuplicateReason>,
    /// 0 to 100.
    pub score: u32,
}

/// The customers within the scope that look like customer `id`: the same email, phone, external
/// id or name key; best matches first.
pub async fn duplicates(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    by_contact_details: bool,
) -> Result<Vec<Duplicate>> {
    let customer = super::queries::get(conn, owner, id).await?;
    let mut any =
        sea_orm::Condition::any().add(customer::Column::NameKey.eq(name_key(&customer.name)));
    if by_contact_details {
        if let Some(email) = &customer.email {
            any = any.add(customer::Column::Email.eq(email.as_str()));
        }
        if let Some(phone) = &customer.phone {
            any = any.add(customer::Column::Phone.eq(phone.as_str()));
        }
    }
    if let Some(external_id) = &customer.external_id {
        any = any.add(customer::Column::ExternalId.eq(external_id.as_str()));
    }
    let rows = scoped(owner)
        .filter(customer::Column::Id.ne(id))
        .filter(any)
        .order_by_desc(customer::Column::CreatedAt)
        .limit(MAX_DUPLICATES)
        .all(conn)
        .await?;
    let mut found: Vec<Duplicate> = rows
        .into_iter()
        .map(Customer::try_from)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter_map(|candidate| {
            let mut reasons = merge::reasons(&customer, &candidate);
            if !by_contact_details {
                reasons.retain(|r| !matches!(r, DuplicateReason::Email | DuplicateReason::Phone));
            }
            (!reasons.is_empty()).then(|| Duplicate {
                score: merge::score(&reasons),
                reasons,
                customer: candidate,
            })
        })
        .collect();
    found.sort_by_key(|d| std::cmp::Reverse(d.score));
    Ok(found)
}

/// Tables whose rows belong to a customer and follow it into a merge: (table, customer column).
pub const OWNED_ROWS: &[(&str, &str)] = &[
    ("contacts", "customer_id"),
    ("consent_records", "customer_id"),
    ("orders", "customer_id"),
    ("activities", "customer_id"),
    ("tasks", "customer_id"),
    ("deals", "customer_id"),
    ("leads", "customer_id"),
    ("tickets", "customer_id"),
    ("conversations", "customer_id"),
    ("issued_coupons", "customer_id"),
    ("coupon_redemptions", "customer_id"),
    ("reward_exchanges", "customer_id"),
    ("campaign_events", "customer_id"),
];

/// Tables that hold a set per customer, one row per (customer, key): the survivor keeps the
/// union, its own row where both have one. (table, customer column, key columns).
pub const OWNED_SETS: &[(&str, &str, &[&str])] = &[
    ("segment_members", "customer_id", &["segment_id"]),
    ("campaign_members", "customer_id", &["campaign_id"]),
    (
        "care_participations",
        "customer_id",
        &["plan_id", "occasion"],
    ),
];

async fn execute(
    conn: &impl ConnectionTrait,
    statement: &impl sea_orm::StatementBuilder,
) -> Result<()> {
    let backend = conn.get_database_backend();
    conn.execute_raw(backend.build(statement)).await?;
    Ok(())
}

/// The absorbed customer's points join the survivor's: its ledger numbered after the survivor's
/// entries, its balance added to the survivor's account. (Read here by table name: the points
/// come after the customers.)
async fn move_points(conn: &impl ConnectionTrait, survivor: Uuid, absorbed: Uuid) -> Result<()> {
    let (accounts, entries) = (Alias::new("points_accounts"), Alias::new("points_entries"));
    let (customer, balance, count) = (
        Alias::new("customer_id"),
        Alias::new("balance"),
        Alias::new("entries"),
    );
    let account_of = |who: Uuid| {
        Query::select()
            .column(balance.clone())
            .column(count.clone())
            .from(accounts.clone())
            .and_where(Expr::col(customer.clone()).eq(who))
            .to_owned()
    };
    let read = |who: Uuid| {
        let statement = account_of(who);
        async move {
            let backend = conn.get_database_backend();
            match conn.query_one_raw(backend.build(&statement)).await? {
                Some(row) => Ok::<_, Error>(Some((
                    row.try_get_by_index::<i64>(0)?,
                    row.try_get_by_index::<i64>(1)?,
                ))),
                None => Ok(None),
            }
        }
    };
    let Some((moved_balance, moved_entries)) = read(absorbed).await? else {
        return Ok(());
    };
    let kept = read(survivor).await?;
    let renumber = Query::update()
        .table(entries.clone())
        .value(customer.clone(), survivor)
        .value(
            Alias::new("entry_no"),
            Expr::col(Alias::new("entry_no")).add(kept.map_or(0, |(_, n)| n)),
        )
        .and_where(Expr::col(customer.clone()).eq(absorbed))
        .to_owned();
    execute(conn, &renumber).await?;
    let joined = match kept {
        Some(_) => Query::update()
            .table(accounts.clone())
            .value(
                balance.clone(),
                Expr::col(balance.clone()).add(moved_balance),
            )
            .value(count.clone(), Expr::col(count.clone()).add(moved_entries))
            .and_where(Expr::col(customer.clone()).eq(survivor))
            .to_owned(),
        None => Query::update()
            .table(accounts.clone())
            .value(customer.clone(), survivor)
            .and_where(Expr::col(customer.clone()).eq(absorbed))
            .to_owned(),
    };
    execute(conn, &joined).await?;
    let gone = Query::delete()
        .from_table(accounts)
        .and_where(Expr::col(customer).eq(absorbed))
        .to_owned();
    execute(conn, &gone).await
}

/// Moves every row the absorbed customer owns to the survivor.
async fn move_owned(conn: &impl ConnectionTrait, survivor: Uuid, absorbed: Uuid) -> Result<()> {
    move_points(conn, survivor, absorbed).await?;
    for (table, column, keys) in OWNED_SETS {
        // The absorbed customer's rows whose keys the survivor holds already go.
        let kept_as = Alias::new("kept");
        let mut kept = Query::select();
        kept.expr(Expr::val(1))
            .from_as(Alias::new(*table), kept_as.clone())
            .and_where(Expr::col((kept_as.clone(), Alias::new(*column))).eq(survivor));
        for key in *keys {
            kept.and_where(
                Expr::col((kept_as.clone(), Alias::new(*key)))
                    .equals((Alias::new(*table), Alias::new(*key))),
            );
        }
        let delete = Query::delete()
            .from_table(Alias::new(*table))
            .and_where(Expr::col(Alias::new(*column)).eq(absorbed))
            .and_where(Expr::exists(kept.to_owned()))
            .to_owned();
        execute(conn, &delete).await?;
    }
    for (table, column) in OWNED_ROWS
        .iter()
        .map(|(t, c)| (t, c))
        .chain(OWNED_SETS.iter().map(|(t, c, _)| (t, c)))
    {
        let update = Query::update()
            .table(Alias::new(*table))
            .value(Alias::new(*column), survivor)
            .and_where(Expr::col(Alias::new(*column)).eq(absorbed))
            .to_owned();
        execute(conn, &update).await?;
    }
    Ok(())
}

/// Merges customer `absorbed` into customer `survivor` (both within the scope); the survivor as
/// it is now. `expected_version` is the caller's `If-Match` for the survivor.
pub async fn merge(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    survivor_id: Uuid,
    absorbed_id: Uuid,
    expected_version: Option<i64>,
) -> Result<Customer> {
    if survivor_id == absorbed_id {
        return Err(Error::Invalid(
            FieldError::new(
                "duplicate_id",
                "same_customer",
                "a customer cannot be merged into itself",
            )
            .into(),
        ));
    }
    let txn = db.begin_write().await?;
    let owner = actor.owner_filter(scope);
    // Both rows, locked in id order so two merges of the same pair cannot deadlock.
    let rows = crate::db::for_update(
        scoped(owner).filter(customer::Column::Id.is_in([survivor_id, absorbed_id])),
    )
    .order_by_asc(customer::Column::Id)
    .all(&*txn)
    .await?;
    let mut survivor = None;
    let mut absorbed = None;
    for row in rows {
        if row.id == survivor_id {
            survivor = Some(Customer::try_from(row)?);
        } else {
            absorbed = Some(Customer::try_from(row)?);
        }
    }
    let Some(survivor) = survivor else {
        return Err(super::queries::unreached(&*txn, owner, survivor_id).await);
    };
    let absorbed = absorbed.ok_or_else(|| {
        Error::Invalid(
            FieldError::new(
                "duplicate_id",
                "unknown_customer",
                "no customer you can see has this id",
            )
            .into(),
        )
    })?;
    if expected_version.is_some_and(|v| v != survivor.version) {
        return Err(Error::PreconditionFailed {
            current: survivor.version,
        });
    }
    let contacts = contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(absorbed_id))
        .count(&*txn)
        .await?;
    if contacts > 0 && survivor.kind != CustomerKind::Company {
        return Err(Error::Conflict {
            code: "contacts_require_company",
            field: None,
            message: "the other customer has contacts, and only company customers have contacts"
                .into(),
        });
    }
    let survivor_has_primary = contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(survivor_id))
        .filter(contact::Column::IsPrimary.eq(true))
        .count(&*txn)
        .await?
        > 0;
    if survivor_has_primary {
        // The survivor's primary contact stays the one.
        contact::Entity::update_many()
            .col_expr(contact::Column::IsPrimary, Expr::val(false))
            .filter(contact::Column::CustomerId.eq(absorbed_id))
            .exec(&*txn)
            .await?;
    }
    let mut after = merge::merged(&survivor, &absorbed, crate::now());
    move_owned(&*txn, survivor_id, absorbed_id).await?;
    let memberships = (
        super::membership::of(&*txn, survivor_id).await?,
        super::membership::of(&*txn, absorbed_id).await?,
    );
    // The absorbed row goes first, so the survivor can take its email, phone, external id and
    // member number.
    customer::Entity::delete_by_id(absorbed_id)
        .exec(&*txn)
        .await?;
    active_customer(&after)
        .update(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    super::membership::carry_over(&*txn, survivor_id, memberships.0, memberships.1).await?;
    // The absorbed customer's orders and points now count for the survivor.
    (after.purchases, after.level_id) =
        super::purchases::recount(&*txn, actor, survivor_id).await?;
    after.tier_id = super::tiers::review(&*txn, actor, survivor_id, after.updated_at).await?;
    if let Some(joined) = super::membership::of(&*txn, survivor_id).await? {
        after.member_number = Some(joined.member_number);
        after.member_since = Some(joined.member_since);
    }
    after.last_activity_at = super::activity::recount(&*txn, survivor_id).await?;
    write_tags(&*txn, survivor_id, &after.tags).await?;
    let (before_json, absorbed_json) = (
        serde_json::to_value(&survivor)?,
        serde_json::to_value(&absorbed)?,
    );
    let mut after_json = serde_json::to_value(&after)?;
    audit::record(
        &*txn,
        actor.into(),
        "customer.merged",
        "customer",
        survivor_id,
        Some(&before_json),
        Some(&{
            let mut recorded = after_json.clone();
            recorded["merged_customer"] = absorbed_json.clone();
            recorded
        }),
    )
    .await?;
    let mut gone = absorbed_json.clone();
    gone["merged_into"] = json!(survivor_id);
    audit::record(
        &*txn,
        actor.into(),
        "customer.deleted",
        "customer",
        absorbed_id,
        Some(&gone),
        None,
    )
    .await?;
    events::emit(
        &*txn,
        "customer.deleted",
        "customer",
        absorbed_id,
        gone,
        None,
    )
    .await?;
    after_json["merged_customer_id"] = json!(absorbed_id);
    events::emit(
        &*txn,
        "customer.merged",
        "customer",
        survivor_id,
        after_json,
        Some(before_json),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
