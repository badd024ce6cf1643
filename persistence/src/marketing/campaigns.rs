//! Campaigns: their definitions and moves (each one transaction with its audit and feed event),
//! the audience frozen into members when published, tracking events (once per the sender's id,
//! each member's first of each kind kept on the member), and the results: what the members did
//! and what the orders credited to the campaign, by its id or its coupon, brought in.

use chrono::{DateTime, Utc};
use rapport_domain::FieldError;
use rapport_domain::access::Actor;
use rapport_domain::marketing::campaigns::{
    Campaign, CampaignInput, CampaignStatus, CampaignType, Refusal, Tally, TouchInput, TouchKind,
};
use rapport_domain::sort::SortOrder;
use rapport_domain::values::Currency;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::audit::By;
use crate::customers::{self, Selection};
use crate::db::insert_rows;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, KeyColumn, Page, PageRequest, SortField};
use crate::{Backend, Db, Error, Result, audit, events};

/// The `campaigns`, `campaign_members` and `campaign_events` tables.
mod entity {
    /// The `campaigns` table.
    pub mod campaign {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "campaigns")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub name: String,
            #[sea_orm(column_type = "Text", nullable)]
            pub description: Option<String>,
            pub campaign_type: String,
            pub segment_id: Option<Uuid>,
            pub coupon_id: Option<Uuid>,
            pub currency: String,
            pub budget: Option<i64>,
            pub cost: i64,
            pub goal: Option<String>,
            pub starts_at: DateTimeUtc,
            pub ends_at: Option<DateTimeUtc>,
            pub status: String,
            pub published_at: Option<DateTimeUtc>,
            pub ended_at: Option<DateTimeUtc>,
            pub member_count: i64,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `campaign_members` table.
    pub mod member {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "campaign_members")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub campaign_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub customer_id: Uuid,
            pub added_at: DateTimeUtc,
            pub sent_at: Option<DateTimeUtc>,
            pub delivered_at: Option<DateTimeUtc>,
            pub opened_at: Option<DateTimeUtc>,
            pub clicked_at: Option<DateTimeUtc>,
            pub converted_at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `campaign_events` table.
    pub mod touch {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "campaign_events")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub campaign_id: Uuid,
            pub customer_id: Uuid,
            pub event_id: String,
            pub kind: String,
            pub occurred_at: DateTimeUtc,
            pub received_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{campaign, member, touch};

impl TryFrom<campaign::Model> for Campaign {
    type Error = Error;
    fn try_from(m: campaign::Model) -> Result<Self> {
        let unknown = |what: &str| Error::Internal(format!("a stored campaign {what} is unknown"));
        Ok(Campaign {
            id: m.id,
            name: m.name,
            description: m.description,
            campaign_type: CampaignType::from_name(&m.campaign_type)
                .ok_or_else(|| unknown("type"))?,
            segment_id: m.segment_id,
            coupon_id: m.coupon_id,
            currency: Currency::parse("currency", &m.currency).map_err(|_| unknown("currency"))?,
            budget: m.budget,
            cost: m.cost,
            goal: m.goal,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            status: CampaignStatus::from_name(&m.status).ok_or_else(|| unknown("status"))?,
            published_at: m.published_at,
            ended_at: m.ended_at,
            member_count: m.member_count,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn row(c: &Campaign) -> campaign::ActiveModel {
    campaign::ActiveModel {
        id: Set(c.id),
        name: Set(c.name.clone()),
        description: Set(c.description.clone()),
        campaign_type: Set(c.campaign_type.as_str().to_owned()),
        segment_id: Set(c.segment_id),
        coupon_id: Set(c.coupon_id),
        currency: Set(c.currency.code().to_owned()),
        budget: Set(c.budget),
        cost: Set(c.cost),
        goal: Set(c.goal.clone()),
        starts_at: Set(c.starts_at),
        ends_at: Set(c.ends_at),
        status: Set(c.status.as_str().to_owned()),
        published_at: Set(c.published_at),
        ended_at: Set(c.ended_at),
        member_count: Set(c.member_count),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

/// Whether segment `id` exists (read here, not through the segments, which stand beside
/// marketing).
async fn segment_exists(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    let statement = Query::select()
        .expr(Func::count(Expr::col(Alias::new("id"))))
        .from(Alias::new("segments"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    Ok(match conn.query_one(&statement).await? {
        Some(row) => row.try_get_by_index::<i64>(0)? > 0,
        None => false,
    })
}

/// 422 unless the segment and the coupon a campaign names exist.
async fn check_references(conn: &impl ConnectionTrait, c: &Campaign) -> Result<()> {
    if let Some(segment) = c.segment_id
        && !segment_exists(conn, segment).await?
    {
        return Err(Error::field(
            "segment_id",
            "not_found",
            "no segment has this id",
        ));
    }
    if let Some(coupon) = c.coupon_id
        && matches!(
            super::coupons::get(conn, coupon).await,
            Err(Error::NotFound)
        )
    {
        return Err(Error::field(
            "coupon_id",
            "not_found",
            "no coupon has this id",
        ));
    }
    Ok(())
}

/// Records campaign `after` (and what it was, `before`) as `action`, by `by`.
async fn record(
    conn: &impl ConnectionTrait,
    by: By<'_>,
    action: &str,
    before: Option<&Campaign>,
    after: &Campaign,
) -> Result<()> {
    let b = before.map(serde_json::to_value).transpose()?;
    let a = serde_json::to_value(after)?;
    audit::record_change(conn, by, action, "campaign", after.id, b.as_ref(), Some(&a)).await
}

/// Creates a draft. Emits `campaign.created`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: CampaignInput,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Campaign>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let created = input
        .apply(None, Uuid::now_v7(), crate::now())
        .map_err(Error::Invalid)?;
    check_references(&*txn, &created).await?;
    row(&created).insert(&*txn).await?;
    record(&*txn, actor.into(), "campaign.created", None, &created).await?;
    idempotency::remember(&*txn, idem, 201, &created).await?;
    txn.commit().await?;
    Ok(Outcome::Done(created))
}

/// The campaign with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Campaign> {
    campaign::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// 422 at `campaign_id` unless campaign `id` exists: what an order credited to it checks.
pub async fn credited(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    match get(conn, id).await {
        Err(Error::NotFound) => Err(Error::field(
            "campaign_id",
            "not_found",
            "no campaign has this id",
        )),
        other => other.map(|_| ()),
    }
}

async fn locked(conn: &impl ConnectionTrait, id: Uuid, expected: Option<i64>) -> Result<Campaign> {
    crate::db::lock_for_change(conn, campaign::Entity::find_by_id(id), expected, |m| {
        m.version
    })
    .await?
    .try_into()
}

/// Changes a campaign at `expected_version` (when given). Emits `campaign.updated`.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: CampaignInput,
    expected_version: Option<i64>,
) -> Result<Campaign> {
    let txn = db.begin_write().await?;
    let before = locked(&*txn, id, None).await?;
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
    row(&after).update(&*txn).await?;
    record(
        &*txn,
        actor.into(),
        "campaign.updated",
        Some(&before),
        &after,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a draft or cancelled campaign at `expected_version` (when given); one that ran stays
/// (409 `invalid_transition`), for its results. Emits `campaign.deleted`.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    let before = locked(&*txn, id, expected_version).await?;
    if !matches!(
        before.status,
        CampaignStatus::Draft | CampaignStatus::Cancelled
    ) {
        return Err(refused(Refusal::From(before.status), "deleted"));
    }
    campaign::Entity::delete_by_id(id).exec(&*txn).await?;
    let b = serde_json::to_value(&before)?;
    audit::record_change(
        &*txn,
        actor,
        "campaign.deleted",
        "campaign",
        id,
        Some(&b),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn refused(why: Refusal, verb: &str) -> Error {
    match why {
        Refusal::From(status) => Error::Conflict {
            code: "invalid_transition",
            field: None,
            message: format!("a campaign that is {} cannot be {verb}", status.as_str()),
        },
        Refusal::NoAudience => Error::Conflict {
            code: "no_audience",
            field: Some("segment_id"),
            message: "a campaign is published to a segment; name one first".into(),
        },
        Refusal::Ended => Error::field("ends_at", "out_of_range", "the campaign's end has passed"),
    }
}

/// Publishes campaign `id` at `expected_version` (when given) to `audience`, what its segment
/// `segment_id` selects now: those customers become its members, frozen, in the same
/// transaction; it is scheduled, or active when its start has come. A campaign whose segment is
/// no longer `segment_id` is 412. Emits `campaign.published`.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    segment_id: Uuid,
    audience: Selection<'_>,
    expected_version: Option<i64>,
) -> Result<Campaign> {
    let txn = db.begin_write().await?;
    let before = locked(&*txn, id, expected_version).await?;
    if before.status == CampaignStatus::Draft && before.segment_id != Some(segment_id) {
        return Err(Error::PreconditionFailed {
            current: before.version,
        });
    }
    let now = crate::now();
    let mut after = before
        .published(now)
        .map_err(|why| refused(why, "published"))?;
    let members = customers::selected_ids(&*txn, None, audience).await?;
    let rows: Vec<member::ActiveModel> = members
        .iter()
        .map(|customer| member::ActiveModel {
            campaign_id: Set(id),
            customer_id: Set(*customer),
            added_at: Set(now),
            sent_at: Set(None),
            delivered_at: Set(None),
            opened_at: Set(None),
            clicked_at: Set(None),
            converted_at: Set(None),
        })
        .collect();
    insert_rows(&*txn, Backend::of(&*txn), rows).await?;
    after.member_count = members.len() as i64;
    row(&after).update(&*txn).await?;
    record(
        &*txn,
        actor.into(),
        "campaign.published",
        Some(&before),
        &after,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Moves campaign `id` by hand (`completed` or `cancelled`) at `expected_version` (when given).
/// Emits `campaign.<verb>`.
pub async fn end(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    cancel: bool,
    expected_version: Option<i64>,
) -> Result<Campaign> {
    let txn = db.begin_write().await?;
    let before = locked(&*txn, id, expected_version).await?;
    let now = crate::now();
    let (moved, verb) = if cancel {
        (before.cancelled(now), "cancelled")
    } else {
        (before.completed(now), "completed")
    };
    let after = moved.map_err(|why| refused(why, verb))?;
    row(&after).update(&*txn).await?;
    record(
        &*txn,
        actor.into(),
        &format!("campaign.{verb}"),
        Some(&before),
        &after,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Moves every campaign time has moved by `now` (scheduled ones whose start came to active, those
/// whose end came to completed), one transaction each; how many moved.
pub async fn run_due(db: &Db, now: DateTime<Utc>) -> Result<u64> {
    let due: Vec<Uuid> = campaign::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(
                    campaign::Column::Status
                        .eq(CampaignStatus::Scheduled.as_str())
                        .and(campaign::Column::StartsAt.lte(now)),
                )
                .add(
                    campaign::Column::Status
                        .is_in([
                            CampaignStatus::Scheduled.as_str(),
                            CampaignStatus::Active.as_str(),
                        ])
                        .and(campaign::Column::EndsAt.lte(now)),
                ),
        )
        .all(db.conn())
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut moved = 0;
    for id in due {
        let txn = db.begin_write().await?;
        let before = locked(&*txn, id, None).await?;
        if let Some(after) = before.at(now) {
            row(&after).update(&*txn).await?;
            let action = format!("campaign.{}", after.status.as_str());
            record(&*txn, By::System, &action, Some(&before), &after).await?;
            moved += 1;
        }
        txn.commit().await?;
    }
    Ok(moved)
}

/// Which campaigns a list holds.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    /// Of this status.
    pub status: Option<CampaignStatus>,
    /// Of this type.
    pub campaign_type: Option<CampaignType>,
}

const FIELDS: &[SortField<campaign::Entity>] = &[
    SortField {
        name: "created_at",
        column: campaign::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "name",
        column: campaign::Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
    SortField {
        name: "starts_at",
        column: campaign::Column::StartsAt,
        value: |m| CursorValue::T(m.starts_at),
    },
];

const ID: SortField<campaign::Entity> = SortField {
    name: "id",
    column: campaign::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of campaigns.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &CampaignFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Campaign>> {
    let mut select = campaign::Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(campaign::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.campaign_type {
        select = select.filter(campaign::Column::CampaignType.eq(kind.as_str()));
    }
    page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request)
        .await?
        .try_map(Campaign::try_from)
}

/// A member of a campaign's audience and the first time of each thing that happened to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The customer.
    pub customer_id: Uuid,
    /// When the audience froze.
    pub added_at: DateTime<Utc>,
    /// The first of each kind of event, in [`TouchKind`]'s order.
    pub first: [Option<DateTime<Utc>>; 5],
}

impl From<member::Model> for Member {
    fn from(m: member::Model) -> Self {
        Member {
            customer_id: m.customer_id,
            added_at: m.added_at,
            first: [
                m.sent_at,
                m.delivered_at,
                m.opened_at,
                m.clicked_at,
                m.converted_at,
            ],
        }
    }
}

/// One page of campaign `id`'s members (404 for no campaign), by customer id.
pub async fn members(
    conn: &impl ConnectionTrait,
    id: Uuid,
    request: &PageRequest,
) -> Result<Page<Member>> {
    get(conn, id).await?;
    let select = member::Entity::find().filter(member::Column::CampaignId.eq(id));
    let keys = [KeyColumn {
        column: member::Column::CustomerId,
        descending: false,
    }];
    page::fetch(
        conn,
        select,
        "customer_id",
        &keys,
        |m| vec![CursorValue::U(m.customer_id)],
        request,
    )
    .await?
    .try_map(|m| Ok::<_, Error>(Member::from(m)))
}

/// The member column of each kind's first time.
fn first_column(kind: TouchKind) -> member::Column {
    match kind {
        TouchKind::Sent => member::Column::SentAt,
        TouchKind::Delivered => member::Column::DeliveredAt,
        TouchKind::Opened => member::Column::OpenedAt,
        TouchKind::Clicked => member::Column::ClickedAt,
        TouchKind::Converted => member::Column::ConvertedAt,
    }
}

/// What a batch of tracking events did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tracked {
    /// Events kept.
    pub accepted: u64,
    /// Events whose id the campaign had, or had earlier in the batch: passed over.
    pub duplicates: u64,
}

/// Records tracking events of published campaign `id` at `now`, in one transaction behind the
/// campaign's row lock: each about one of its members (422 at `events[i].customer_id`
/// otherwise), kept once per `event_id` (a repeat is counted, not kept), each member's first of
/// each kind kept on the member. A draft is 409 `not_published`.
pub async fn track(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    events: Vec<TouchInput>,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Tracked>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let campaign = locked(&*txn, id, None).await?;
    if campaign.status == CampaignStatus::Draft {
        return Err(Error::Conflict {
            code: "not_published",
            field: None,
            message: "a draft has no members to track; publish it first".into(),
        });
    }
    let named: Vec<Uuid> = events.iter().map(|e| e.customer_id).collect();
    let members: HashSet<Uuid> = member::Entity::find()
        .filter(member::Column::CampaignId.eq(id))
        .filter(member::Column::CustomerId.is_in(named))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|m| m.customer_id)
        .collect();
    let strangers: Vec<FieldError> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| !members.contains(&e.customer_id))
        .map(|(i, _)| {
            FieldError::new(
                format!("events[{i}].customer_id"),
                "not_a_member",
                "the customer is not in the campaign's audience",
            )
        })
        .collect();
    if !strangers.is_empty() {
        return Err(Error::Invalid(rapport_domain::FieldErrors(strangers)));
    }
    let ids: Vec<String> = events.iter().map(|e| e.event_id.clone()).collect();
    let mut seen: HashSet<String> = touch::Entity::find()
        .filter(touch::Column::CampaignId.eq(id))
        .filter(touch::Column::EventId.is_in(ids))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|m| m.event_id)
        .collect();
    let sent = events.len() as u64;
    let fresh: Vec<TouchInput> = events
        .into_iter()
        .filter(|e| seen.insert(e.event_id.clone()))
        .collect();
    let duplicates = sent - fresh.len() as u64;
    let rows: Vec<touch::ActiveModel> = fresh
        .iter()
        .map(|e| touch::ActiveModel {
            id: Set(Uuid::now_v7()),
            campaign_id: Set(id),
            customer_id: Set(e.customer_id),
            event_id: Set(e.event_id.clone()),
            kind: Set(e.kind.as_str().to_owned()),
            occurred_at: Set(e.occurred_at),
            received_at: Set(now),
        })
        .collect();
    insert_rows(&*txn, Backend::of(&*txn), rows).await?;
    // Each member's first of each kind: the earliest of the batch, kept if earlier than theirs.
    let mut firsts: HashMap<(Uuid, TouchKind), DateTime<Utc>> = HashMap::new();
    for e in &fresh {
        let at = firsts
            .entry((e.customer_id, e.kind))
            .or_insert(e.occurred_at);
        *at = Ord::min(*at, e.occurred_at);
    }
    for ((customer, kind), at) in firsts {
        let column = first_column(kind);
        member::Entity::update_many()
            .col_expr(column, Expr::val(at))
            .filter(member::Column::CampaignId.eq(id))
            .filter(member::Column::CustomerId.eq(customer))
            .filter(
                sea_orm::Condition::any()
                    .add(column.is_null())
                    .add(column.gt(at)),
            )
            .exec(&*txn)
            .await?;
    }
    let outcome = Tracked {
        accepted: fresh.len() as u64,
        duplicates,
    };
    audit::note_in(
        &*txn,
        actor.into(),
        audit::Notice {
            action: "campaign.tracked",
            resource_type: "campaign",
            resource_id: Some(id),
            detail: json!({"accepted": outcome.accepted, "duplicates": outcome.duplicates}),
        },
    )
    .await?;
    events::emit(
        &*txn,
        "campaign.tracked",
        "campaign",
        id,
        json!({"campaign_id": id, "accepted": outcome.accepted, "duplicates": outcome.duplicates}),
        None,
    )
    .await?;
    idempotency::remember(&*txn, idem, 200, &outcome).await?;
    txn.commit().await?;
    Ok(Outcome::Done(outcome))
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// The paid orders credited to `c`, in its currency: those naming it, and those placed within
/// its window that took its coupon.
fn credited_orders(c: &Campaign) -> SelectStatement {
    let mut credit = col("orders", "campaign_id").eq(c.id);
    if let Some(coupon) = c.coupon_id {
        let mut by_coupon = col("orders", "coupon_id")
            .eq(coupon)
            .and(col("orders", "created_at").gte(c.starts_at));
        if let Some(end) = c.ends_at {
            by_coupon = by_coupon.and(col("orders", "created_at").lt(end));
        }
        credit = credit.or(by_coupon);
    }
    Query::select()
        .from(Alias::new("orders"))
        .and_where(col("orders", "paid_at").is_not_null())
        .and_where(col("orders", "currency").eq(c.currency.code()))
        .and_where(credit)
        .to_owned()
}

/// Members of campaign `id` for whom `condition` holds.
async fn count_members(
    conn: &impl ConnectionTrait,
    id: Uuid,
    condition: sea_orm::Condition,
) -> Result<i64> {
    let n = member::Entity::find()
        .filter(member::Column::CampaignId.eq(id))
        .filter(condition)
        .count(conn)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// What campaign `c`'s members did and its credited orders brought in.
pub async fn tally(conn: &impl ConnectionTrait, c: &Campaign) -> Result<Tally> {
    use sea_orm::Condition;
    let any_of = |kinds: &[TouchKind]| {
        kinds.iter().fold(Condition::any(), |cond, k| {
            cond.add(first_column(*k).is_not_null())
        })
    };
    let mut touched = [0; 5];
    for (i, kind) in [
        TouchKind::Sent,
        TouchKind::Delivered,
        TouchKind::Opened,
        TouchKind::Clicked,
        TouchKind::Converted,
    ]
    .into_iter()
    .enumerate()
    {
        touched[i] = count_members(conn, c.id, any_of(&[kind])).await?;
    }
    let reached = count_members(
        conn,
        c.id,
        any_of(&[
            TouchKind::Delivered,
            TouchKind::Opened,
            TouchKind::Clicked,
            TouchKind::Converted,
        ]),
    )
    .await?;
    let responded = count_members(
        conn,
        c.id,
        any_of(&[TouchKind::Opened, TouchKind::Clicked, TouchKind::Converted]),
    )
    .await?;
    let mut sums = credited_orders(c);
    sums.expr(Func::count(col("orders", "id")))
        // A sum of bigints is numeric on PostgreSQL; the cast reads it back as one.
        .expr(Func::cast_as(
            Func::coalesce([
                Expr::from(Func::sum(
                    col("orders", "total").sub(col("orders", "refunded_total")),
                )),
                Expr::val(0),
            ]),
            Alias::new("BIGINT"),
        ));
    let (orders, revenue) = match conn.query_one(&sums).await? {
        Some(row) => (
            row.try_get_by_index::<i64>(0)?,
            row.try_get_by_index::<i64>(1)?,
        ),
        None => (0, 0),
    };
    let mut buyers = credited_orders(c);
    buyers.column((Alias::new("orders"), Alias::new("customer_id")));
    let converted = count_members(
        conn,
        c.id,
        Condition::any()
            .add(member::Column::ConvertedAt.is_not_null())
            .add(member::Column::CustomerId.in_subquery(buyers)),
    )
    .await?;
    Ok(Tally {
        audience: c.member_count,
        touched,
        reached,
        responded,
        converted,
        orders,
        revenue,
    })
}

/// A tracking event as a customer's timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    /// Identifier.
    pub id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// Its name.
    pub campaign_name: String,
    /// Whom it is about.
    pub customer_id: Uuid,
    /// What happened.
    pub kind: TouchKind,
    /// The sender's id for it.
    pub event_id: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// The tracking events with these ids, with their campaigns' names.
pub async fn touches_with_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Touch>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = touch::Entity::find()
        .filter(touch::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(touch::Column::Id)
        .all(conn)
        .await?;
    named(conn, rows).await
}

/// Every tracking event about customer `customer_id`, oldest first: what a data export holds.
pub async fn touches_of_customer(
    conn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<Vec<Touch>> {
    let rows = touch::Entity::find()
        .filter(touch::Column::CustomerId.eq(customer_id))
        .order_by_asc(touch::Column::OccurredAt)
        .order_by_asc(touch::Column::Id)
        .all(conn)
        .await?;
    named(conn, rows).await
}

/// `rows` with their campaigns' names.
async fn named(conn: &impl ConnectionTrait, rows: Vec<touch::Model>) -> Result<Vec<Touch>> {
    let campaign_ids: Vec<Uuid> = rows.iter().map(|m| m.campaign_id).collect();
    let names: HashMap<Uuid, String> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(campaign_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    rows.into_iter()
        .map(|m| {
            Ok(Touch {
                id: m.id,
                campaign_id: m.campaign_id,
                campaign_name: names.get(&m.campaign_id).cloned().unwrap_or_default(),
                customer_id: m.customer_id,
                kind: TouchKind::from_name(&m.kind)
                    .ok_or_else(|| Error::Internal("a stored touch kind is unknown".into()))?,
                event_id: m.event_id,
                occurred_at: m.occurred_at,
            })
        })
        .collect()
}
