//! A customer's membership of the loyalty programme: enrolling gives them a member number (their
//! own or one drawn), the time and the channel they joined by, and the tier their standing
//! reaches; leaving takes all of it away. Member numbers are unique by the database's index.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::loyalty::tiers::{Membership, Progress, SignupChannel, drawn_member_number};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::entity::customer;
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Error, Result, audit, events};

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["customers_member_number_unique", "customers.member_number"],
    code: "member_number_taken",
    field: "member_number",
    message: "another member has this number",
}];

/// How a customer joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Their number, already checked; one is drawn when `None`.
    pub member_number: Option<String>,
    /// Where they signed up.
    pub signup_channel: SignupChannel,
    /// When they joined, for members brought over from another system; now when `None`.
    pub member_since: Option<DateTime<Utc>>,
}

/// The membership a customer row holds, if they are a member.
fn membership_of(m: &customer::Model) -> Result<Option<Membership>> {
    let (Some(number), Some(since), Some(channel)) =
        (&m.member_number, m.member_since, &m.signup_channel)
    else {
        return Ok(None);
    };
    let signup_channel = SignupChannel::from_name(channel)
        .ok_or_else(|| Error::Internal("a member's signup channel is unknown".into()))?;
    Ok(Some(Membership {
        customer_id: m.id,
        member_number: number.clone(),
        member_since: since,
        signup_channel,
        tier_id: m.tier_id,
    }))
}

/// The row of customer `id` within `owner`'s scope, locked until the transaction ends.
async fn locked(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
) -> Result<customer::Model> {
    super::get(conn, owner, id).await?;
    crate::db::for_update(customer::Entity::find().filter(customer::Column::Id.eq(id)))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Locks the row of customer `id` until the transaction ends; 404 when there is none. A write
/// that moves the customer's standing locks it first, as a payment does.
pub(crate) async fn lock(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    crate::db::for_update(customer::Entity::find().filter(customer::Column::Id.eq(id)))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(())
}

/// Customer `id`'s membership, if they are a member.
pub(super) async fn of(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Membership>> {
    match customer::Entity::find_by_id(id).one(conn).await? {
        Some(row) => membership_of(&row),
        None => Err(Error::NotFound),
    }
}

/// Wipes customer `id`'s membership, tier included, as their erasure does: no event, since the
/// erasure is the event.
pub(super) async fn forget(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    customer::Entity::update_many()
        .col_expr(customer::Column::MemberNumber, Expr::val(None::<String>))
        .col_expr(
            customer::Column::MemberSince,
            Expr::val(None::<DateTime<Utc>>),
        )
        .col_expr(customer::Column::SignupChannel, Expr::val(None::<String>))
        .col_expr(customer::Column::TierId, Expr::val(None::<Uuid>))
        .filter(customer::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// What a merge does with the absorbed customer's membership, read before its row went: a
/// survivor who is not a member takes it; one who is keeps their number and the earlier start.
pub(super) async fn carry_over(
    conn: &impl ConnectionTrait,
    survivor: Uuid,
    kept: Option<Membership>,
    absorbed: Option<Membership>,
) -> Result<()> {
    let Some(absorbed) = absorbed else {
        return Ok(());
    };
    let (number, since, channel) = match kept {
        Some(kept) => (
            kept.member_number,
            kept.member_since.min(absorbed.member_since),
            kept.signup_channel,
        ),
        None => (
            absorbed.member_number,
            absorbed.member_since,
            absorbed.signup_channel,
        ),
    };
    customer::Entity::update_many()
        .col_expr(customer::Column::MemberNumber, Expr::val(number))
        .col_expr(customer::Column::MemberSince, Expr::val(since))
        .col_expr(customer::Column::SignupChannel, Expr::val(channel.as_str()))
        .filter(customer::Column::Id.eq(survivor))
        .exec(conn)
        .await?;
    Ok(())
}

/// Customer `id`'s membership, within `owner`'s scope: 404 when they have not enrolled.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Membership> {
    super::get(conn, owner, id).await?;
    let row = customer::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    membership_of(&row)?.ok_or(Error::NotFound)
}

/// Where member `membership` stands at `now`: their standing within the tier window and the
/// next tier up.
pub async fn progress(
    conn: &impl ConnectionTrait,
    membership: &Membership,
    now: DateTime<Utc>,
) -> Result<Progress> {
    super::tiers::progress(conn, membership.customer_id, membership.tier_id, now).await
}

/// Enrols customer `id` (within `owner`'s scope) by `actor`; 409 `already_member` when they are
/// one, 409 `member_number_taken` when the number is another member's.
pub async fn enrol(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    enrolment: Enrolment,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Membership>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let row = locked(&*txn, owner, id).await?;
    if let Some(current) = membership_of(&row)? {
        return Err(Error::Conflict {
            code: "already_member",
            field: None,
            message: format!("the customer is member {}", current.member_number),
        });
    }
    let now = crate::now();
    let number = enrolment
        .member_number
        .unwrap_or_else(|| drawn_member_number(Uuid::new_v4().as_u128()));
    let since = enrolment.member_since.unwrap_or(now);
    customer::Entity::update_many()
        .col_expr(customer::Column::MemberNumber, Expr::val(number.clone()))
        .col_expr(customer::Column::MemberSince, Expr::val(since))
        .col_expr(
            customer::Column::SignupChannel,
            Expr::val(enrolment.signup_channel.as_str()),
        )
        .filter(customer::Column::Id.eq(id))
        .exec(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let tier_id = super::tiers::review(&*txn, actor, id, now).await?;
    let membership = Membership {
        customer_id: id,
        member_number: number,
        member_since: since,
        signup_channel: enrolment.signup_channel,
        tier_id,
    };
    let after = serde_json::to_value(&membership)?;
    audit::record(
        &*txn,
        actor.into(),
        "customer.enrolled",
        "customer",
        id,
        None,
        Some(&after),
    )
    .await?;
    events::emit(&*txn, "customer.enrolled", "customer", id, after, None).await?;
    idempotency::remember(&*txn, idem, 201, &membership).await?;
    txn.commit().await?;
    Ok(Outcome::Done(membership))
}

/// Ends customer `id`'s membership (within `owner`'s scope) by `actor`: their number, their
/// tier and when and where they joined are cleared; their points stay.
pub async fn leave(db: &Db, actor: &Actor, owner: Option<Uuid>, id: Uuid) -> Result<()> {
    let txn = db.begin_write().await?;
    let row = locked(&*txn, owner, id).await?;
    let membership = membership_of(&row)?.ok_or(Error::NotFound)?;
    customer::Entity::update_many()
        .col_expr(customer::Column::MemberNumber, Expr::val(None::<String>))
        .col_expr(
            customer::Column::MemberSince,
            Expr::val(None::<DateTime<Utc>>),
        )
        .col_expr(customer::Column::SignupChannel, Expr::val(None::<String>))
        .filter(customer::Column::Id.eq(id))
        .exec(&*txn)
        .await?;
    super::tiers::review(&*txn, actor, id, crate::now()).await?;
    let before = serde_json::to_value(&membership)?;
    audit::record(
        &*txn,
        actor.into(),
        "customer.left_membership",
        "customer",
        id,
        Some(&before),
        None,
    )
    .await?;
    let after = json!({"id": id, "member_number": null});
    events::emit(
        &*txn,
        "customer.left_membership",
        "customer",
        id,
        after,
        Some(before),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
