//! Leads: creating, changing, reading and removing them, and converting one into a customer
//! (new, or one that exists) and perhaps a deal, all in one transaction: a conversion that fails
//! anywhere leaves no customer, no deal and the lead as it was. A caller whose scope is `own`
//! reaches the leads they own.

use chrono::{DateTime, Utc};
use rapport_domain::access::{Actor, Scope};
use rapport_domain::customers::{Customer, NewCustomer};
use rapport_domain::deals::{Deal, NewDeal};
use rapport_domain::leads::{Lead, LeadChanges, LeadRating, LeadStatus, NewLead, Refusal};
use rapport_domain::sort::SortOrder;
use rapport_domain::values::{Email, Phone};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, access, audit, customers, deals};

/// The `leads` table.
mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "leads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub company: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub source: Option<String>,
        pub rating: Option<String>,
        pub score: i16,
        pub status: String,
        pub owner_id: Option<Uuid>,
        #[sea_orm(column_type = "Text", nullable)]
        pub notes: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub disqualified_reason: Option<String>,
        pub customer_id: Option<Uuid>,
        pub deal_id: Option<Uuid>,
        pub converted_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

impl TryFrom<Model> for Lead {
    type Error = Error;
    fn try_from(m: Model) -> Result<Self> {
        Ok(Lead {
            id: m.id,
            name: m.name,
            company: m.company,
            email: m.email.map(Email::from_stored),
            phone: m.phone.map(Phone::from_stored),
            source: m.source,
            rating: match m.rating {
                Some(r) => Some(
                    LeadRating::from_name(&r)
                        .ok_or_else(|| Error::Internal("stored lead rating is unknown".into()))?,
                ),
                None => None,
            },
            score: m.score,
            status: LeadStatus::from_name(&m.status)
                .ok_or_else(|| Error::Internal("stored lead status is unknown".into()))?,
            owner_id: m.owner_id,
            notes: m.notes,
            disqualified_reason: m.disqualified_reason,
            customer_id: m.customer_id,
            deal_id: m.deal_id,
            converted_at: m.converted_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn active(l: &Lead) -> ActiveModel {
    ActiveModel {
        id: Set(l.id),
        name: Set(l.name.clone()),
        company: Set(l.company.clone()),
        email: Set(l.email.clone().map(String::from)),
        phone: Set(l.phone.clone().map(String::from)),
        source: Set(l.source.clone()),
        rating: Set(l.rating.map(|r| r.as_str().to_owned())),
        score: Set(l.score),
        status: Set(l.status.as_str().to_owned()),
        owner_id: Set(l.owner_id),
        notes: Set(l.notes.clone()),
        disqualified_reason: Set(l.disqualified_reason.clone()),
        customer_id: Set(l.customer_id),
        deal_id: Set(l.deal_id),
        converted_at: Set(l.converted_at),
        created_at: Set(l.created_at),
        updated_at: Set(l.updated_at),
        version: Set(l.version),
    }
}

/// The leads within `owner`'s scope: those they own.
fn scoped(owner: Option<Uuid>) -> Select<Entity> {
    let select = Entity::find();
    match owner {
        Some(owner) => select.filter(Column::OwnerId.eq(owner)),
        None => select,
    }
}

/// Checks the lead's owner: a staff member, and the caller themselves when their scope is `own`.
async fn check_owner(conn: &impl ConnectionTrait, owner: Option<Uuid>, lead: &Lead) -> Result<()> {
    if let Some(lead_owner) = lead.owner_id {
        if owner.is_some_and(|o| o != lead_owner) {
            return Err(Error::field(
                "owner_id",
                "not_yours",
                "you may own leads yourself only",
            ));
        }
        access::named_user(conn, "owner_id", lead_owner).await?;
    }
    Ok(())
}

fn refused(refusal: Refusal) -> Error {
    match refusal {
        Refusal::Transition { from, to } => Error::Conflict {
            code: "invalid_transition",
            field: Some("status"),
            message: format!(
                "a lead that is {} cannot become {}",
                from.as_str(),
                to.as_str()
            ),
        },
        Refusal::Converted => Error::Conflict {
            code: "lead_converted",
            field: None,
            message: "the lead was converted already and changes no more".into(),
        },
        Refusal::Invalid(errors) => Error::Invalid(errors),
    }
}

/// Creates a lead, by `actor` (its owner unless it names one) at `now`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    new: NewLead,
    now: DateTime<Utc>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Lead>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let lead = new.into_lead(Uuid::now_v7(), actor.principal.user_id(), now);
    check_owner(&*txn, owner, &lead).await?;
    active(&lead).insert(&*txn).await?;
    let after = serde_json::to_value(&lead)?;
    audit::record_change(
        &*txn,
        actor,
        "lead.created",
        "lead",
        lead.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &lead).await?;
    txn.commit().await?;
    Ok(Outcome::Done(lead))
}

/// The lead with this id, if `owner`'s scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Lead> {
    match scoped(owner).filter(Column::Id.eq(id)).one(conn).await? {
        Some(model) => model.try_into(),
        None => {
            let unscoped = Entity::find().filter(Column::Id.eq(id));
            Err(crate::db::unreached(conn, owner, unscoped, "lead", id).await)
        }
    }
}

/// Locks the lead for a change at `expected_version` (when given), within `owner`'s scope.
async fn lock(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Lead> {
    let select = scoped(owner).filter(Column::Id.eq(id));
    crate::db::lock_for_change(conn, select, expected_version, |m| m.version)
        .await?
        .try_into()
}

/// Changes a lead at `expected_version` (when given).
pub async fn update(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    changes: LeadChanges,
    expected_version: Option<i64>,
) -> Result<Lead> {
    let txn = db.begin_write().await?;
    let before = lock(&*txn, owner, id, expected_version).await?;
    let mut after = changes.apply(&before).map_err(refused)?;
    if after == before {
        return Ok(before);
    }
    check_owner(&*txn, owner, &after).await?;
    after.updated_at = crate::now();
    after.version += 1;
    active(&after).update(&*txn).await?;
    let action = match (before.status, after.status) {
        (_, LeadStatus::Disqualified) if before.status != LeadStatus::Disqualified => {
            "lead.disqualified"
        }
        _ => "lead.updated",
    };
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(&*txn, actor, action, "lead", id, Some(&b), Some(&a)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a lead at `expected_version` (when given). The customer and deal a converted lead
/// made stay.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, Lead>(
        &*txn,
        actor,
        scoped(owner).filter(Column::Id.eq(id)),
        id,
        expected_version,
        |m| m.version,
        "lead",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The customer a conversion ends with.
#[derive(Debug, Clone)]
pub enum CustomerOfLead {
    /// One that exists, and that the caller may reach.
    Existing(Uuid),
    /// A new one.
    New(Box<NewCustomer>),
}

/// What a conversion makes.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The customer.
    pub customer: CustomerOfLead,
    /// The scope of the caller's `customers:write`.
    pub customer_scope: Scope,
    /// A deal for the customer (its `customer_id` is filled in), and the owner the caller's
    /// `deals:write` is limited to.
    pub deal: Option<(NewDeal, Option<Uuid>)>,
}

/// A converted lead with the customer and deal it ended with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Converted {
    /// The lead, now `converted`.
    pub lead: Lead,
    /// The customer.
    pub customer: Customer,
    /// Whether the customer was made by the conversion.
    pub customer_created: bool,
    /// The deal, when one was asked for.
    pub deal: Option<Deal>,
}

/// A refusal of one part of a conversion, its fields named within that part (`deal.pipeline_id`).
fn part_of(part: &str, error: Error) -> Error {
    match error {
        Error::Invalid(errors) => Error::Invalid(errors.under(part)),
        other => other,
    }
}

/// Converts a lead at `expected_version` (when given) at `now`: the customer is made or linked,
/// the deal opened, and the lead marked `converted` in one transaction, or nothing changes. A lead
/// is converted once (409 `lead_converted` after).
#[allow(clippy::too_many_arguments)]
pub async fn convert(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    conversion: Conversion,
    now: DateTime<Utc>,
    expected_version: Option<i64>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Converted>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let before = lock(&*txn, owner, id, expected_version).await?;
    // Refuse a lead that cannot convert before anything is made for it.
    before.converted(Uuid::nil(), None, now).map_err(refused)?;
    let customer_owner = actor.owner_filter(conversion.customer_scope);
    let (customer, customer_created) = match conversion.customer {
        CustomerOfLead::Existing(customer) => (
            customers::linked(&*txn, customer_owner, customer).await?,
            false,
        ),
        CustomerOfLead::New(new) => (
            customers::insert(&*txn, actor, conversion.customer_scope, *new)
                .await
                .map_err(|e| part_of("customer", e))?,
            true,
        ),
    };
    let deal = match conversion.deal {
        Some((new, deal_owner)) => {
            let new = NewDeal {
                customer_id: customer.id,
                ..new
            };
            Some(
                deals::insert(&*txn, actor, deal_owner, new, now)
                    .await
                    .map_err(|e| part_of("deal", e))?,
            )
        }
        None => None,
    };
    let mut after = before
        .converted(customer.id, deal.as_ref().map(|d| d.id), now)
        .map_err(refused)?;
    after.updated_at = crate::now();
    after.version += 1;
    active(&after).update(&*txn).await?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "lead.converted",
        "lead",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    let converted = Converted {
        lead: after,
        customer,
        customer_created,
        deal,
    };
    idempotency::remember(&*txn, idem, 200, &converted).await?;
    txn.commit().await?;
    Ok(Outcome::Done(converted))
}

/// What a lead list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    /// In this status.
    pub status: Option<LeadStatus>,
    /// Rated so.
    pub rating: Option<LeadRating>,
    /// Owned by this staff member.
    pub owner_id: Option<Uuid>,
    /// From this source.
    pub source: Option<String>,
    /// Scored at least this.
    pub min_score: Option<i16>,
    /// Scored at most this.
    pub max_score: Option<i16>,
}

const FIELDS: &[SortField<Entity>] = &[
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "updated_at",
        column: Column::UpdatedAt,
        value: |m| CursorValue::T(m.updated_at),
    },
    SortField {
        name: "score",
        column: Column::Score,
        value: |m| CursorValue::I(i64::from(m.score)),
    },
];

const ID: SortField<Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of leads within `owner`'s scope.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: &LeadFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Lead>> {
    let mut select = scoped(owner);
    if let Some(min) = filter.min_score {
        select = select.filter(Column::Score.gte(min));
    }
    if let Some(max) = filter.max_score {
        select = select.filter(Column::Score.lte(max));
    }
    let (select, pin) = page::pin_first_equality(
        select,
        order,
        [
            (Column::OwnerId, filter.owner_id.map(sea_orm::Value::from)),
            (
                Column::Status,
                filter.status.map(|s| sea_orm::Value::from(s.as_str())),
            ),
            (
                Column::Rating,
                filter.rating.map(|r| sea_orm::Value::from(r.as_str())),
            ),
            (
                Column::Source,
                filter.source.clone().map(sea_orm::Value::from),
            ),
        ],
    );
    page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request)
        .await?
        .try_map(Lead::try_from)
}

/// Every one of the leads converted into the customer, oldest first: what a data export holds.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Lead>> {
    Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Lead::try_from)
        .collect()
}
