//! Promotions: their definitions (each change one transaction with its audit and feed event) and
//! those in force, which pricing reads.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::marketing::offers::{OfferKind, OfferStatus};
use rapport_domain::marketing::promotions::{Promotion, PromotionInput};
use rapport_domain::sort::SortOrder;
use rapport_domain::values::Currency;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, audit, catalogue};

/// The `promotions` table.
mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "promotions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub description: Option<String>,
        pub kind: String,
        pub currency: String,
        pub amount_off: Option<i64>,
        pub percent_off: Option<i64>,
        pub max_discount: Option<i64>,
        pub min_order_amount: Option<i64>,
        pub gift_variant_id: Option<Uuid>,
        pub valid_from: Option<DateTimeUtc>,
        pub valid_until: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Json")]
        pub product_ids: Json,
        #[sea_orm(column_type = "Json")]
        pub category_ids: Json,
        pub status: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity, Model};

impl TryFrom<Model> for Promotion {
    type Error = Error;
    fn try_from(m: Model) -> Result<Self> {
        Ok(Promotion {
            id: m.id,
            name: m.name.clone(),
            description: m.description.clone(),
            terms: terms_of!(m, "promotion"),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

fn row(p: &Promotion) -> Result<ActiveModel> {
    let mut row = ActiveModel {
        id: Set(p.id),
        name: Set(p.name.clone()),
        description: Set(p.description.clone()),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
        ..Default::default()
    };
    set_terms!(row, &p.terms);
    Ok(row)
}

/// 422 unless the variant a gift promotion gives is for sale.
async fn check_references(conn: &impl ConnectionTrait, p: &Promotion) -> Result<()> {
    if let Some(variant) = p.terms.gift_variant_id
        && catalogue::for_sale(conn, &[variant]).await?.is_empty()
    {
        return Err(Error::field(
            "gift_variant_id",
            "not_found",
            "no variant has this id",
        ));
    }
    Ok(())
}

/// Records a promotion made or changed, in the audit trail and the event feed.
async fn record(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: Option<&Promotion>,
    after: &Promotion,
) -> Result<()> {
    let (action, before) = match before {
        None => ("promotion.created", None),
        Some(b) => ("promotion.updated", Some(serde_json::to_value(b)?)),
    };
    let a = serde_json::to_value(after)?;
    audit::record_change(
        conn,
        actor,
        action,
        "promotion",
        after.id,
        before.as_ref(),
        Some(&a),
    )
    .await
}

/// Creates a promotion. Emits `promotion.created`.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: PromotionInput,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Promotion>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let promotion = input
        .apply(None, Uuid::now_v7(), crate::now())
        .map_err(Error::Invalid)?;
    check_references(&*txn, &promotion).await?;
    row(&promotion)?.insert(&*txn).await?;
    record(&*txn, actor, None, &promotion).await?;
    idempotency::remember(&*txn, idem, 201, &promotion).await?;
    txn.commit().await?;
    Ok(Outcome::Done(promotion))
}

/// The promotion with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Promotion> {
    Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Changes a promotion at `expected_version` (when given); orders placed keep the discount they
/// were given. Emits `promotion.updated`.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: PromotionInput,
    expected_version: Option<i64>,
) -> Result<Promotion> {
    let txn = db.begin_write().await?;
    let before: Promotion =
        crate::db::lock_for_change(&*txn, Entity::find_by_id(id), None, |m| m.version)
            .await?
            .try_into()?;
    // What is wrong with the change is told before whether it was made against the current
    // version: a body that is invalid is invalid whatever the version.
    let after = input
        .apply(Some(&before), id, crate::now())
        .map_err(Error::Invalid)?;
    if after.terms.gift_variant_id != before.terms.gift_variant_id {
        check_references(&*txn, &after).await?;
    }
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::PreconditionFailed {
            current: before.version,
        });
    }
    row(&after)?.update(&*txn).await?;
    record(&*txn, actor, Some(&before), &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a promotion at `expected_version` (when given); orders keep the discount it gave
/// them. Emits `promotion.deleted`.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    audit::delete_recorded::<_, Promotion>(
        &*txn,
        actor,
        Entity::find_by_id(id),
        id,
        expected_version,
        |m| m.version,
        "promotion",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Active, and within the window at `at`.
fn in_force_at(at: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(Column::Status.eq(OfferStatus::Active.as_str()))
        .add(
            Condition::any()
                .add(Column::ValidFrom.is_null())
                .add(Column::ValidFrom.lte(at)),
        )
        .add(
            Condition::any()
                .add(Column::ValidUntil.is_null())
                .add(Column::ValidUntil.gt(at)),
        )
}

/// Which promotions a list holds.
#[derive(Debug, Clone, Default)]
pub struct PromotionFilter {
    /// Of this status.
    pub status: Option<OfferStatus>,
    /// Of this kind.
    pub kind: Option<OfferKind>,
    /// In force (`true`) or not (`false`) at this moment: active and within the window.
    pub in_force: Option<(bool, DateTime<Utc>)>,
}

const FIELDS: &[SortField<Entity>] = &[
    SortField {
        name: "created_at",
        column: Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "name",
        column: Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
];

const ID: SortField<Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of promotions.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &PromotionFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Promotion>> {
    let mut select = Entity::find();
    if let Some(status) = filter.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    match filter.in_force {
        Some((true, at)) => select = select.filter(in_force_at(at)),
        Some((false, at)) => select = select.filter(in_force_at(at).not()),
        None => {}
    }
    page::fetch_ordered(conn, select, order, FIELDS, &ID, None, request)
        .await?
        .try_map(Promotion::try_from)
}

/// Every promotion in force at `at` for orders in `currency`, oldest first: what pricing weighs.
pub async fn in_force(
    conn: &impl ConnectionTrait,
    currency: Currency,
    at: DateTime<Utc>,
) -> Result<Vec<Promotion>> {
    Entity::find()
        .filter(in_force_at(at))
        .filter(Column::Currency.eq(currency.code()))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Promotion::try_from)
        .collect()
}
