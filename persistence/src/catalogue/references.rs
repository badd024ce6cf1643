//! What holds the catalogue together: a product names a category and a brand that exist, and
//! neither goes while a product names it.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::entity::{brand, category, product};
use crate::Result;

/// Whether the category exists, holding it (`FOR SHARE` on PostgreSQL) until the transaction
/// ends so that it cannot be deleted meanwhile: for a product that is about to name it.
pub(super) async fn category_held(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    Ok(category::Entity::find_by_id(id)
        .lock_shared()
        .one(conn)
        .await?
        .is_some())
}

/// Whether the brand exists, held as [`category_held`] holds a category.
pub(super) async fn brand_held(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    Ok(brand::Entity::find_by_id(id)
        .lock_shared()
        .one(conn)
        .await?
        .is_some())
}

/// How many products name this category or this brand (each given one applies).
pub(super) async fn products_naming(
    conn: &impl ConnectionTrait,
    category: Option<Uuid>,
    brand: Option<Uuid>,
) -> Result<u64> {
    let mut select = product::Entity::find()
        .select_only()
        .column(product::Column::Id);
    if let Some(category) = category {
        select = select.filter(product::Column::CategoryId.eq(category));
    }
    if let Some(brand) = brand {
        select = select.filter(product::Column::BrandId.eq(brand));
    }
    Ok(select.count(conn).await?)
}
