//! Brands: one transaction per change, with its audit and outbox rows.

use rapport_domain::access::Actor;
use rapport_domain::catalogue::brands::{Brand, BrandChanges, NewBrand};
use rapport_domain::sort::SortOrder;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, audit};

use super::entity::brand as entity;
use entity::Column;

impl From<entity::Model> for Brand {
    fn from(m: entity::Model) -> Self {
        Brand {
            id: m.id,
            name: m.name,
            description: m.description,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

fn active(b: &Brand) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(b.id),
        name: Set(b.name.clone()),
        description: Set(b.description.clone()),
        created_at: Set(b.created_at),
        updated_at: Set(b.updated_at),
        version: Set(b.version),
    }
}

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["brands_name_unique", "brands.name"],
    code: "brand_name_taken",
    field: "name",
    message: "another brand has this name",
}];

const FIELDS: &[SortField<entity::Entity>] = &[
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
    SortField {
        name: "updated_at",
        column: Column::UpdatedAt,
        value: |m| CursorValue::T(m.updated_at),
    },
];

const ID: SortField<entity::Entity> = SortField {
    name: "id",
    column: Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// One page of brands.
pub async fn list(
    conn: &impl ConnectionTrait,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Brand>> {
    let page = page::fetch_ordered(
        conn,
        entity::Entity::find(),
        order,
        FIELDS,
        &ID,
        None,
        request,
    )
    .await?;
    page.try_map(|m| Ok(Brand::from(m)))
}

/// The brand with this id.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Brand> {
    entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(Brand::from)
        .ok_or(Error::NotFound)
}

/// Creates a brand.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: NewBrand,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Brand>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let brand = new.into_brand(Uuid::now_v7(), crate::now());
    active(&brand)
        .insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let after = serde_json::to_value(&brand)?;
    audit::record_change(
        &*txn,
        actor,
        "brand.created",
        "brand",
        brand.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &brand).await?;
    txn.commit().await?;
    Ok(Outcome::Done(brand))
}

async fn load_for_change(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Brand> {
    crate::db::lock_for_change(
        conn,
        entity::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await
    .map(Brand::from)
}

/// Renames or describes a brand.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: BrandChanges,
    expected_version: Option<i64>,
) -> Result<Brand> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let after = before.apply(changes, crate::now());
    if after.version == before.version {
        return Ok(before);
    }
    active(&after)
        .update(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(
        &*txn,
        actor,
        "brand.updated",
        "brand",
        id,
        Some(&b),
        Some(&a),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a brand no product names.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let products = super::references::products_naming(&*txn, None, Some(id)).await?;
    if products > 0 {
        return Err(Error::Conflict {
            code: "brand_in_use",
            field: None,
            message: format!("{products} products are of this brand; change them first"),
        });
    }
    entity::Entity::delete_by_id(id).exec(&*txn).await?;
    let b = serde_json::to_value(&before)?;
    audit::record_change(&*txn, actor, "brand.deleted", "brand", id, Some(&b), None).await?;
    txn.commit().await?;
    Ok(())
}
