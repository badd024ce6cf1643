//! Products and their variants: one transaction per change, with its audit and outbox rows. A
//! product's row lock puts changes to it and its variants in line; stock moves through
//! [`super::stock`] only.

use std::collections::{BTreeMap, HashMap};

use rapport_domain::access::Actor;
use rapport_domain::catalogue::products::{
    CheckedProduct, CheckedVariant, CheckedVariantChanges, MovementKind, Product, ProductChanges,
    ProductStatus, Variant, VariantRefusal,
};
use rapport_domain::filter::Filter;
use rapport_domain::sort::SortOrder;
use rapport_domain::values::Currency;
use rapport_domain::{FieldError, FieldErrors};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::entity::{product, variant};
use super::stock::{self, Move};
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Db, Error, Result, audit};

pub(super) const UNIQUE: &[UniqueRule] = &[
    UniqueRule {
        needles: &["product_variants_sku_unique", "product_variants.sku"],
        code: "sku_taken",
        field: "sku",
        message: "another variant has this sku",
    },
    UniqueRule {
        needles: &["products_external_id_unique", "products.external_id"],
        code: "external_id_taken",
        field: "external_id",
        message: "another product has this external id",
    },
];

fn variant_of(m: variant::Model) -> Result<Variant> {
    Ok(Variant {
        id: m.id,
        sku: m.sku,
        options: serde_json::from_value::<BTreeMap<String, String>>(m.options)?,
        price: m.price,
        currency: Currency::parse("currency", &m.currency)
            .map_err(|_| Error::Internal("stored currency is unknown".into()))?,
        stock: m.stock,
        low_stock_threshold: m.low_stock_threshold,
        created_at: m.created_at,
    })
}

fn product_of(m: product::Model, variants: Vec<Variant>) -> Result<Product> {
    Ok(Product {
        id: m.id,
        name: m.name,
        description: m.description,
        category_id: m.category_id,
        brand_id: m.brand_id,
        status: ProductStatus::from_name(&m.status)
            .ok_or_else(|| Error::Internal("stored product status is unknown".into()))?,
        images: serde_json::from_value(m.images)?,
        external_id: m.external_id,
        custom_fields: serde_json::from_value(m.custom_fields)?,
        variants,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

fn active(p: &Product) -> product::ActiveModel {
    product::ActiveModel {
        id: Set(p.id),
        name: Set(p.name.clone()),
        name_folded: Set(p.name.to_lowercase()),
        description: Set(p.description.clone()),
        category_id: Set(p.category_id),
        brand_id: Set(p.brand_id),
        status: Set(p.status.as_str().to_owned()),
        images: Set(serde_json::json!(p.images)),
        external_id: Set(p.external_id.clone()),
        custom_fields: Set(serde_json::Value::Object(p.custom_fields.clone())),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
    }
}

pub(super) fn active_variant(
    product_id: Uuid,
    position: usize,
    v: &Variant,
) -> variant::ActiveModel {
    variant::ActiveModel {
        id: Set(v.id),
        product_id: Set(product_id),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        sku: Set(v.sku.clone()),
        options: Set(serde_json::json!(v.options)),
        price: Set(v.price),
        currency: Set(v.currency.code().to_owned()),
        stock: Set(v.stock),
        low_stock_threshold: Set(v.low_stock_threshold),
        created_at: Set(v.created_at),
    }
}

/// The variants of each of `products`, in their order.
async fn variants_of(
    conn: &impl ConnectionTrait,
    products: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Variant>>> {
    let mut by_product: HashMap<Uuid, Vec<Variant>> = HashMap::new();
    let rows = variant::Entity::find()
        .filter(variant::Column::ProductId.is_in(products.iter().copied()))
        .order_by_asc(variant::Column::ProductId)
        .order_by_asc(variant::Column::Position)
        .all(conn)
        .await?;
    for row in rows {
        by_product
            .entry(row.product_id)
            .or_default()
            .push(variant_of(row)?);
    }
    Ok(by_product)
}

const FIELDS: &[SortField<product::Entity>] = &[
    SortField {
        name: "name",
        column: product::Column::Name,
        value: |m| CursorValue::S(m.name.clone()),
    },
    SortField {
        name: "created_at",
        column: product::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "updated_at",
        column: product::Column::UpdatedAt,
        value: |m| CursorValue::T(m.updated_at),
    },
];

const ID: SortField<product::Entity> = SortField {
    name: "id",
    column: product::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// What a product list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Products of this status.
    pub status: Option<ProductStatus>,
    /// Products in this category.
    pub category_id: Option<Uuid>,
    /// Products of this brand.
    pub brand_id: Option<Uuid>,
    /// Products with (`true`) or without (`false`) a variant at or below its threshold.
    pub low_stock: Option<bool>,
    /// Products the filter selects (`POST /products/search`).
    pub matching: Option<Filter>,
}

/// One page of products with their variants.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: ProductFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Product>> {
    use product::Column;
    let (mut select, pin) = page::pin_first_equality(
        product::Entity::find(),
        order,
        [
            (
                Column::CategoryId,
                filter.category_id.map(sea_orm::Value::from),
            ),
            (Column::BrandId, filter.brand_id.map(sea_orm::Value::from)),
            (
                Column::Status,
                filter.status.map(|s| sea_orm::Value::from(s.as_str())),
            ),
        ],
    );
    if let Some(low) = filter.low_stock {
        let exists = super::columns::has_low_variant();
        select = select.filter(if low { exists } else { exists.not() });
    }
    if let Some(matching) = &filter.matching {
        let columns = super::columns::ProductColumns {
            backend: crate::Backend::of(conn),
        };
        select = select.filter(crate::filter::compile(matching, &columns)?);
    }
    let page = page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut variants = variants_of(conn, &ids).await?;
    page.try_map(|m| {
        let own = variants.remove(&m.id).unwrap_or_default();
        product_of(m, own)
    })
}

/// The product with this id, with its variants.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Product> {
    let row = product::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let variants = variants_of(conn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    product_of(row, variants)
}

fn missing(field: &'static str, what: &str) -> Error {
    Error::Invalid(FieldErrors::from(FieldError::new(
        field,
        "not_found",
        format!("no {what} has this id"),
    )))
}

/// Checks that the category and brand a product names exist, holding them (`FOR SHARE` on
/// PostgreSQL) until the transaction ends, so neither can be deleted meanwhile.
pub(super) async fn check_references(
    conn: &impl ConnectionTrait,
    category_id: Option<Uuid>,
    brand_id: Option<Uuid>,
) -> Result<()> {
    if let Some(id) = category_id {
        let found = super::references::category_held(conn, id).await?;
        if !found {
            return Err(missing("category_id", "category"));
        }
    }
    if let Some(id) = brand_id {
        let found = super::references::brand_held(conn, id).await?;
        if !found {
            return Err(missing("brand_id", "brand"));
        }
    }
    Ok(())
}

/// Inserts a checked variant at `position` with its starting stock written through the ledger.
pub(super) async fn insert_variant(
    conn: &impl ConnectionTrait,
    product_id: Uuid,
    position: usize,
    checked: CheckedVariant,
) -> Result<Variant> {
    let stock = checked.stock;
    let mut variant = checked.into_variant(Uuid::now_v7(), crate::now());
    active_variant(product_id, position, &variant)
        .insert(conn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    if stock > 0 {
        let movement = stock::apply(
            conn,
            product_id,
            Move {
                variant_id: variant.id,
                delta: stock,
                kind: MovementKind::Initial,
                reason: None,
                reference: None,
                order_id: None,
            },
        )
        .await?
        .map_err(stock::refusal)?;
        variant.stock = movement.stock_after;
    }
    Ok(variant)
}

/// Creates a product with its variants; each variant's starting stock is the first row of its
/// ledger.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: CheckedProduct,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Product>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let product = insert_product(&*txn, actor, new).await?;
    idempotency::remember(&*txn, idem, 201, &product).await?;
    txn.commit().await?;
    Ok(Outcome::Done(product))
}

/// Inserts a new product with its variants, and its audit record, in the caller's transaction.
pub(super) async fn insert_product(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    new: CheckedProduct,
) -> Result<Product> {
    check_references(conn, new.category_id, new.brand_id).await?;
    let now = crate::now();
    let mut product = Product {
        id: Uuid::now_v7(),
        name: new.name,
        description: new.description,
        category_id: new.category_id,
        brand_id: new.brand_id,
        status: new.status,
        images: new.images,
        external_id: new.external_id,
        custom_fields: new.custom_fields,
        variants: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    active(&product)
        .insert(conn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    for (position, checked) in new.variants.into_iter().enumerate() {
        let variant = insert_variant(conn, product.id, position, checked)
            .await
            .map_err(|e| at_variant(e, position))?;
        product.variants.push(variant);
    }
    let after = serde_json::to_value(&product)?;
    audit::record_change(
        conn,
        actor,
        "product.created",
        "product",
        product.id,
        None,
        Some(&after),
    )
    .await?;
    Ok(product)
}

/// A conflict on a variant's sku, named at its place in the request.
pub(super) fn at_variant(error: Error, position: usize) -> Error {
    match error {
        Error::Conflict {
            code: "sku_taken",
            message,
            ..
        } => Error::Conflict {
            code: "sku_taken",
            field: Some("variants.sku"),
            message: format!("variants[{position}]: {message}"),
        },
        other => other,
    }
}

/// Loads a product for change, its row locked, and checks `If-Match`.
pub(super) async fn load_for_change(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Product> {
    let row = crate::db::lock_for_change(
        conn,
        product::Entity::find_by_id(id),
        expected_version,
        |m| m.version,
    )
    .await?;
    let variants = variants_of(conn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    product_of(row, variants)
}

pub(super) async fn record_update(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    before: &Product,
    after: &Product,
) -> Result<()> {
    active(after)
        .update(conn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let (b, a) = (serde_json::to_value(before)?, serde_json::to_value(after)?);
    audit::record_change(
        conn,
        actor,
        "product.updated",
        "product",
        after.id,
        Some(&b),
        Some(&a),
    )
    .await
}

/// Changes a product's own fields (not its variants).
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: ProductChanges,
    expected_version: Option<i64>,
) -> Result<Product> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let after = before.apply(changes, crate::now());
    if after.version == before.version {
        return Ok(before);
    }
    let category = Some(after.category_id).filter(|c| *c != before.category_id);
    let brand = Some(after.brand_id).filter(|b| *b != before.brand_id);
    check_references(&*txn, category.flatten(), brand.flatten()).await?;
    record_update(&*txn, actor, &before, &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// Deletes a product with its variants and their ledgers.
pub async fn delete(db: &Db, actor: &Actor, id: Uuid, expected_version: Option<i64>) -> Result<()> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    product::Entity::delete_by_id(id).exec(&*txn).await?;
    let b = serde_json::to_value(&before)?;
    audit::record_change(
        &*txn,
        actor,
        "product.deleted",
        "product",
        id,
        Some(&b),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The answer to a variant that cannot join or change within its product.
pub(super) fn refused(refusal: VariantRefusal) -> Error {
    match refusal {
        VariantRefusal::TooMany => Error::Conflict {
            code: "too_many_variants",
            field: None,
            message: format!(
                "the product has {} variants, the most a product has",
                rapport_domain::catalogue::products::MAX_VARIANTS
            ),
        },
        VariantRefusal::SameSku => Error::Conflict {
            code: "sku_taken",
            field: Some("sku"),
            message: "another variant of the product has this sku".into(),
        },
        VariantRefusal::SameOptions => Error::Conflict {
            code: "variant_options_taken",
            field: Some("options"),
            message: "another variant of the product has these options".into(),
        },
    }
}

/// Adds a variant to a product; the product, its new version and the new variant's id.
pub async fn add_variant(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    checked: CheckedVariant,
    expected_version: Option<i64>,
) -> Result<(Product, Uuid)> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let position = before.variants.len();
    let preview = checked.clone().into_variant(Uuid::nil(), crate::now());
    // Checked against the product's other variants before anything is written.
    before
        .with_variant(preview, crate::now())
        .map_err(refused)?;
    let variant = insert_variant(&*txn, id, position, checked).await?;
    let variant_id = variant.id;
    let after = before
        .with_variant(variant, crate::now())
        .map_err(refused)?;
    record_update(&*txn, actor, &before, &after).await?;
    txn.commit().await?;
    Ok((after, variant_id))
}

/// Changes a variant's definition (sku, options, price, threshold); its stock moves only
/// through the ledger.
pub async fn update_variant(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    variant_id: Uuid,
    changes: CheckedVariantChanges,
    expected_version: Option<i64>,
) -> Result<Product> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    let after = before
        .apply_to_variant(variant_id, changes, crate::now())
        .ok_or(Error::NotFound)?
        .map_err(refused)?;
    if after.version == before.version {
        return Ok(before);
    }
    let (position, changed) = after
        .variants
        .iter()
        .enumerate()
        .find(|(_, v)| v.id == variant_id)
        .ok_or(Error::NotFound)?;
    let mut row = active_variant(id, position, changed);
    // The stock is the ledger's: never written from a copy.
    row.stock = sea_orm::ActiveValue::NotSet;
    row.update(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    record_update(&*txn, actor, &before, &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a variant, with its ledger; a product keeps at least one (409 `last_variant`).
pub async fn delete_variant(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    variant_id: Uuid,
    expected_version: Option<i64>,
) -> Result<Product> {
    let txn = db.begin_write().await?;
    let before = load_for_change(&*txn, id, expected_version).await?;
    if !before.variants.iter().any(|v| v.id == variant_id) {
        return Err(Error::NotFound);
    }
    if before.variants.len() == 1 {
        return Err(Error::Conflict {
            code: "last_variant",
            field: None,
            message: "a product keeps at least one variant; delete the product instead".into(),
        });
    }
    variant::Entity::delete_by_id(variant_id)
        .exec(&*txn)
        .await?;
    let mut after = before.clone();
    after.variants.retain(|v| v.id != variant_id);
    after.updated_at = crate::now();
    after.version += 1;
    record_update(&*txn, actor, &before, &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// A variant as an order line copies it when sold.
#[derive(Debug, Clone, PartialEq)]
pub struct ForSale {
    /// The variant.
    pub variant_id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// The product's category.
    pub category_id: Option<Uuid>,
    /// Its sku.
    pub sku: String,
    /// The product's name with the variant's option values: `跑步鞋 Pro 红 / 42`.
    pub name: String,
    /// Its price.
    pub price: i64,
    /// The price's currency.
    pub currency: Currency,
    /// Whether the product is on sale.
    pub active: bool,
}

/// The ids of the variants with `skus`, by sku; a sku no variant has is absent.
pub async fn variant_ids_by_sku(
    conn: &impl ConnectionTrait,
    skus: &[String],
) -> Result<HashMap<String, Uuid>> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Uuid)> = variant::Entity::find()
        .select_only()
        .column(variant::Column::Sku)
        .column(variant::Column::Id)
        .filter(variant::Column::Sku.is_in(skus.iter().map(String::as_str)))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The variants of `ids` that exist, as an order would sell them.
pub async fn for_sale(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, ForSale>> {
    let variants = variant::Entity::find()
        .filter(variant::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let product_ids: Vec<Uuid> = variants.iter().map(|v| v.product_id).collect();
    let products: HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut found = HashMap::new();
    for row in variants {
        let Some(product) = products.get(&row.product_id) else {
            continue;
        };
        let variant = variant_of(row.clone())?;
        let options: Vec<&str> = variant.options.values().map(String::as_str).collect();
        let name = if options.is_empty() {
            product.name.clone()
        } else {
            format!("{} {}", product.name, options.join(" / "))
        };
        found.insert(
            variant.id,
            ForSale {
                variant_id: variant.id,
                product_id: product.id,
                category_id: product.category_id,
                sku: variant.sku,
                name,
                price: variant.price,
                currency: variant.currency,
                active: product.status == ProductStatus::Active.as_str(),
            },
        );
    }
    Ok(found)
}
