//! Upserting many products at once, as a shop or ERP syncs its catalogue: each item creates the
//! product its `external_id` (or, without one, its skus) names, or changes it when it exists:
//! its own fields, the variants it names by sku, new variants added, and counted stock set
//! through the ledger. All or nothing by default; item by item on request, inside one
//! transaction with a savepoint per item.

use rapport_domain::FieldError;
use rapport_domain::access::Actor;
use rapport_domain::catalogue::batch::{CheckedItem, ItemKey};
use rapport_domain::catalogue::products::Product;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::entity::{product, variant};
use super::products::{
    active_variant, at_variant, check_references, insert_product, insert_variant, load_for_change,
    record_update, refused,
};
use super::stock;
use crate::batch::{BatchMode, ItemOutcome, settle, write_unique};
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Error, Result};

/// The most items one batch holds.
pub const MAX_ITEMS: usize = 500;
/// The list a product batch's items are in, which names their errors' paths.
pub const LIST: &str = "products";
/// Why an item is refused when another product took its external id meanwhile.
const TAKEN: &str = "another product has this external id";

/// The product an item names, if one exists; an item whose skus belong to several products is
/// refused.
async fn find(
    conn: &impl ConnectionTrait,
    key: &ItemKey,
) -> Result<std::result::Result<Option<Uuid>, FieldError>> {
    let ids: Vec<Uuid> = match key {
        ItemKey::ExternalId(external_id) => {
            product::Entity::find()
                .select_only()
                .column(product::Column::Id)
                .filter(product::Column::ExternalId.eq(external_id.as_str()))
                .into_tuple()
                .all(conn)
                .await?
        }
        ItemKey::Skus(skus) => {
            variant::Entity::find()
                .select_only()
                .column(variant::Column::ProductId)
                .distinct()
                .filter(variant::Column::Sku.is_in(skus.iter().map(String::as_str)))
                .into_tuple()
                .all(conn)
                .await?
        }
    };
    Ok(match ids.as_slice() {
        [] => Ok(None),
        [id] => Ok(Some(*id)),
        _ => Err(FieldError::new(
            "variants",
            "skus_of_several_products",
            "the item's skus belong to more than one product; name it by its external_id",
        )),
    })
}

/// Changes the product `id` as the item says, in the caller's transaction.
async fn change(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    item: &CheckedItem,
) -> Result<ItemOutcome<Product>> {
    let before = load_for_change(conn, id, None).await?;
    let now = crate::now();
    let mut changed = Vec::new();
    let mut added = Vec::new();
    let mut counts = Vec::new();
    for (index, variant) in item.variants.iter().enumerate() {
        match before.variants.iter().find(|v| v.sku == variant.sku) {
            Some(existing) => {
                changed.push((variant.sku.clone(), variant.changes.clone()));
                if let Some(counted) = variant.stock {
                    counts.push((existing.id, counted));
                }
            }
            None => match &variant.new {
                Ok(new) => added.push((index, new.clone())),
                Err(lacking) => return Ok(ItemOutcome::Failed(lacking.clone())),
            },
        }
    }
    let previews = added
        .iter()
        .map(|(_, new)| new.clone().into_variant(Uuid::nil(), now))
        .collect();
    let mut after = before
        .upserted(item.changes.clone(), changed, previews, now)
        .map_err(refused)?;
    let category = Some(after.category_id).filter(|c| *c != before.category_id);
    let brand = Some(after.brand_id).filter(|b| *b != before.brand_id);
    check_references(conn, category.flatten(), brand.flatten()).await?;
    for (position, (old, new)) in before.variants.iter().zip(&after.variants).enumerate() {
        if old != new {
            let mut row = active_variant(id, position, new);
            // The stock is the ledger's: never written from a copy.
            row.stock = sea_orm::ActiveValue::NotSet;
            sea_orm::ActiveModelTrait::update(row, conn)
                .await
                .map_err(|e| Error::from_db_with(e, super::products::UNIQUE))?;
        }
    }
    let first_added = before.variants.len();
    for (k, (index, new)) in added.into_iter().enumerate() {
        let position = first_added + k;
        // A sku another product has is named at the item's variant that sent it.
        after.variants[position] = insert_variant(conn, id, position, new)
            .await
            .map_err(|e| at_variant(e, index))?;
    }
    let redefined = after.version != before.version;
    if redefined {
        record_update(conn, actor, &before, &after).await?;
    }
    let mut counted = false;
    for (variant_id, stock) in counts {
        if let Some(movement) = stock::count(conn, actor, id, variant_id, stock).await? {
            counted = true;
            if let Some(v) = after.variants.iter_mut().find(|v| v.id == variant_id) {
                v.stock = movement.stock_after;
            }
        }
    }
    Ok(if redefined || counted {
        ItemOutcome::Updated(after)
    } else {
        ItemOutcome::Unchanged(after)
    })
}

/// An item with the actor who writes it.
struct Write<'a> {
    actor: &'a Actor,
    item: &'a CheckedItem,
}

impl crate::batch::Item for Write<'_> {
    type Record = Product;

    async fn write(&self, savepoint: &DatabaseTransaction) -> Result<ItemOutcome<Product>> {
        if !self.item.refused.is_empty() {
            return Ok(ItemOutcome::Failed(self.item.refused.clone()));
        }
        match find(savepoint, &self.item.key).await? {
            Err(refused) => Ok(ItemOutcome::Failed(vec![refused])),
            Ok(Some(id)) => change(savepoint, self.actor, id, self.item).await,
            Ok(None) => match &self.item.new {
                Ok(new) => insert_product(savepoint, self.actor, new.clone())
                    .await
                    .map(ItemOutcome::Created),
                Err(lacking) => Ok(ItemOutcome::Failed(lacking.clone())),
            },
        }
    }
}

/// Writes one item in a savepoint of the batch's transaction.
async fn write_item(
    conn: &DatabaseTransaction,
    actor: &Actor,
    item: &CheckedItem,
) -> Result<ItemOutcome<Product>> {
    crate::batch::write_item(conn, TAKEN, &Write { actor, item }).await
}

/// Upserts every item, in order, and answers what `render` makes of the outcomes (which is also
/// what a retry with the same idempotency key gets). Two items with the same external id refuse
/// the later one (`duplicate_in_batch`). In [`BatchMode::AllOrNothing`], any refused item
/// refuses the batch with every item's errors ([`Error::Invalid`]) and nothing is written.
pub async fn upsert<R: Serialize + DeserializeOwned>(
    db: &Db,
    actor: &Actor,
    items: Vec<CheckedItem>,
    mode: BatchMode,
    idem: Option<&IdempotencyKey>,
    render: impl FnOnce(Vec<ItemOutcome<Product>>) -> R,
) -> Result<Outcome<R>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    // Items named by skus are never duplicates: the skus of one product may come in several.
    let keyed = items
        .iter()
        .map(|item| {
            let key = match &item.key {
                ItemKey::ExternalId(id) => Some(id.clone()),
                ItemKey::Skus(_) => None,
            };
            (key, Write { actor, item })
        })
        .collect();
    let outcomes = write_unique(&txn, TAKEN, keyed).await?;
    settle(txn, LIST, mode, outcomes, idem, render).await
}

/// Writes each item in a savepoint of its own in `txn`, in order, and says what happened to each:
/// an import's rows, one item a row. Items naming the same product are applied one after the
/// other.
pub async fn write_each(
    txn: &crate::WriteTxn,
    actor: &Actor,
    items: &[CheckedItem],
) -> Result<Vec<ItemOutcome<Product>>> {
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        outcomes.push(write_item(txn, actor, item).await?);
    }
    Ok(outcomes)
}
