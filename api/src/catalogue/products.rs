//! Product, variant and stock handlers, and what goes over the wire for them.

use std::collections::BTreeMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::catalogue::products::{
    self as rules, MovementKind, NewAdjustment, NewProduct, NewVariant, Product, ProductChanges,
    ProductStatus, StockMovement, Variant, VariantChanges,
};
use rapport_domain::custom_fields::FieldOwner;
use rapport_persistence::catalogue::products::{self, ProductFilter};
use rapport_persistence::catalogue::stock;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{
    IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, optional_whole, page_request,
    whole,
};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// Whether a product is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatusDto {
    /// On sale.
    Active,
    /// No longer offered; kept for the orders that name it.
    Archived,
}

impl From<ProductStatusDto> for ProductStatus {
    fn from(s: ProductStatusDto) -> Self {
        match s {
            ProductStatusDto::Active => ProductStatus::Active,
            ProductStatusDto::Archived => ProductStatus::Archived,
        }
    }
}

impl From<ProductStatus> for ProductStatusDto {
    fn from(s: ProductStatus) -> Self {
        match s {
            ProductStatus::Active => ProductStatusDto::Active,
            ProductStatus::Archived => ProductStatusDto::Archived,
        }
    }
}

/// A new variant: one colour/size combination with its own sku, price and starting stock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "sku": "RUN-PRO-RED-42",
    "options": {"colour": "红", "size": "42"},
    "price": 49900,
    "currency": "CNY",
    "stock": 10,
    "low_stock_threshold": 2
}))]
pub struct CreateVariant {
    /// Stock-keeping unit, 1 to 64 letters, digits, `.`, `_` or `-`; unique across the catalogue.
    #[schema(min_length = 1, max_length = 64)]
    pub sku: String,
    /// Option values by option name (at most 5, each 1 to 50 characters); none for a product
    /// without options. Two variants of a product differ in their options.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Price in the currency's minor unit (分 for CNY): 49900 is ¥499.00.
    #[serde(deserialize_with = "whole")]
    pub price: i64,
    /// ISO 4217 code of the price's currency; the workspace's `default_currency` when absent.
    pub currency: Option<String>,
    /// Units on hand to start with (default 0), written as the first row of the variant's ledger.
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub stock: i64,
    /// At or below this many units the variant is low on stock (default 0).
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub low_stock_threshold: i64,
}

impl CreateVariant {
    /// The variant, in `default_currency` when it names none.
    fn into_domain(self, default_currency: &str) -> NewVariant {
        NewVariant {
            sku: self.sku,
            options: self.options,
            price: self.price,
            currency: self.currency.unwrap_or_else(|| default_currency.to_owned()),
            stock: self.stock,
            low_stock_threshold: self.low_stock_threshold,
        }
    }
}

/// A new product with its variants.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "跑步鞋 Pro",
    "description": "Light road running shoe",
    "category_id": "0193a5c6-4444-7000-8000-000000000002",
    "brand_id": "0193a5c6-5555-7000-8000-000000000001",
    "images": ["https://img.example.cn/run-pro/main.jpg"],
    "external_id": "shop-88231",
    "variants": [
        {"sku": "RUN-PRO-RED-42", "options": {"colour": "红", "size": "42"}, "price": 49900, "currency": "CNY", "stock": 10, "low_stock_threshold": 2},
        {"sku": "RUN-PRO-RED-43", "options": {"colour": "红", "size": "43"}, "price": 49900, "currency": "CNY", "stock": 6, "low_stock_threshold": 2}
    ]
}))]
pub struct CreateProduct {
    /// Name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Description, at most 5000 characters.
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Its category.
    pub category_id: Option<Uuid>,
    /// Its brand.
    pub brand_id: Option<Uuid>,
    /// `active` (default) or `archived`.
    pub status: Option<ProductStatusDto>,
    /// Image URLs (http or https, at most 20), the first the main one.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub images: Vec<String>,
    /// The product's id in a shop or ERP, 1 to 200 characters; unique.
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    /// Custom field values by key: only keys that `GET /api/v1/custom-fields` lists for
    /// products, each value in the shape of its type (`unknown_field`, `invalid_value` or
    /// `invalid_option` at `custom_fields.<key>` otherwise), every required field given. At most
    /// 64 keys and 16 KiB as JSON.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// 1 to 100 variants; a product without options has one.
    #[schema(min_items = 1, max_items = 100)]
    pub variants: Vec<CreateVariant>,
}

/// Changes to a product's own fields: absent parts stay, `null` clears. Variants change through
/// their own routes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "archived", "brand_id": null}))]
pub struct UpdateProduct {
    /// Name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Description, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub description: Option<Option<String>>,
    /// Category, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    /// Brand, or `null` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub brand_id: Option<Option<Uuid>>,
    /// Status.
    pub status: Option<ProductStatusDto>,
    /// Image URLs, replacing all of them.
    #[schema(max_items = 20)]
    pub images: Option<Vec<String>>,
    /// External id, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub external_id: Option<Option<String>>,
    /// Custom field values to set, by key; `null` removes a value, keys not sent stay.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// Changes to a variant's definition: absent parts stay. Stock moves only through adjustments
/// and orders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"price": 45900, "low_stock_threshold": 3}))]
pub struct UpdateVariant {
    /// Sku.
    #[schema(min_length = 1, max_length = 64)]
    pub sku: Option<String>,
    /// Option values, replacing all of them.
    pub options: Option<BTreeMap<String, String>>,
    /// Price in minor units.
    #[serde(default, deserialize_with = "optional_whole")]
    pub price: Option<i64>,
    /// Currency.
    pub currency: Option<String>,
    /// Threshold.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub low_stock_threshold: Option<i64>,
}

/// A variant.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    /// Identifier.
    pub id: Uuid,
    /// Sku.
    pub sku: String,
    /// Option values.
    pub options: BTreeMap<String, String>,
    /// Price in minor units of `currency`.
    pub price: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Units on hand: the sum of the variant's ledger.
    pub stock: i64,
    /// Low-stock threshold.
    pub low_stock_threshold: i64,
    /// Whether `stock` is at or below the threshold.
    pub low_stock: bool,
    /// Added.
    pub created_at: DateTime<Utc>,
}

impl From<Variant> for VariantView {
    fn from(v: Variant) -> Self {
        VariantView {
            low_stock: v.is_low(),
            id: v.id,
            sku: v.sku,
            options: v.options,
            price: v.price,
            currency: v.currency.code().to_owned(),
            stock: v.stock,
            low_stock_threshold: v.low_stock_threshold,
            created_at: v.created_at,
        }
    }
}

/// A product with its variants.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-6666-7000-8000-000000000001",
    "name": "跑步鞋 Pro",
    "description": "Light road running shoe",
    "category_id": "0193a5c6-4444-7000-8000-000000000002",
    "brand_id": "0193a5c6-5555-7000-8000-000000000001",
    "status": "active",
    "images": ["https://img.example.cn/run-pro/main.jpg"],
    "external_id": "shop-88231",
    "custom_fields": {"season": "2026 winter"},
    "variants": [{
        "id": "0193a5c6-6666-7000-8000-000000000002",
        "sku": "RUN-PRO-RED-42",
        "options": {"colour": "红", "size": "42"},
        "price": 49900,
        "currency": "CNY",
        "stock": 10,
        "low_stock_threshold": 2,
        "low_stock": false,
        "created_at": "2026-12-05T08:30:00Z"
    }],
    "created_at": "2026-12-05T08:30:00Z",
    "updated_at": "2026-12-05T08:30:00Z",
    "version": 1
}))]
pub struct ProductView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category_id: Option<Uuid>,
    /// Brand.
    pub brand_id: Option<Uuid>,
    /// Status.
    pub status: ProductStatusDto,
    /// Image URLs.
    pub images: Vec<String>,
    /// External id.
    pub external_id: Option<String>,
    /// Custom field values by key, as stored.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// Variants, in the order they were added.
    pub variants: Vec<VariantView>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change of the product or a variant's definition.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`; stock movements do not change it.
    pub version: i64,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        ProductView {
            id: p.id,
            name: p.name,
            description: p.description,
            category_id: p.category_id,
            brand_id: p.brand_id,
            status: p.status.into(),
            images: p.images,
            external_id: p.external_id,
            custom_fields: p.custom_fields,
            variants: p.variants.into_iter().map(VariantView::from).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Why a variant's stock moved.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovementKindDto {
    /// The stock the variant was created with.
    Initial,
    /// Changed by hand, with a reason.
    Adjustment,
    /// Taken by a paid order.
    Order,
    /// Given back by a refunded order.
    Refund,
}

impl From<MovementKind> for MovementKindDto {
    fn from(k: MovementKind) -> Self {
        match k {
            MovementKind::Initial => MovementKindDto::Initial,
            MovementKind::Adjustment => MovementKindDto::Adjustment,
            MovementKind::Order => MovementKindDto::Order,
            MovementKind::Refund => MovementKindDto::Refund,
        }
    }
}

/// One row of a variant's stock ledger.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-7777-7000-8000-000000000001",
    "variant_id": "0193a5c6-6666-7000-8000-000000000002",
    "delta": -2,
    "stock_after": 8,
    "kind": "adjustment",
    "reason": "damaged in the store room",
    "reference": "count-2026-12-05",
    "order_id": null,
    "occurred_at": "2026-12-05T09:00:00Z"
}))]
pub struct StockMovementView {
    /// Identifier.
    pub id: Uuid,
    /// The variant.
    pub variant_id: Uuid,
    /// Units added (positive) or taken (negative).
    pub delta: i64,
    /// The stock once this row applied.
    pub stock_after: i64,
    /// Why.
    pub kind: MovementKindDto,
    /// The reason given, for an adjustment.
    pub reason: Option<String>,
    /// A reference outside Rapport.
    pub reference: Option<String>,
    /// The order, for order effects.
    pub order_id: Option<Uuid>,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

impl From<StockMovement> for StockMovementView {
    fn from(m: StockMovement) -> Self {
        StockMovementView {
            id: m.id,
            variant_id: m.variant_id,
            delta: m.delta,
            stock_after: m.stock_after,
            kind: m.kind.into(),
            reason: m.reason,
            reference: m.reference,
            order_id: m.order_id,
            occurred_at: m.occurred_at,
        }
    }
}

/// A stock adjustment: units counted in or out by hand, with the reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"delta": -2, "reason": "damaged in the store room", "reference": "count-2026-12-05"}))]
pub struct CreateStockAdjustment {
    /// Units to add (positive) or take (negative), not 0; the stock never goes below 0.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    pub delta: i64,
    /// Why, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
    /// A reference outside Rapport (a delivery note, a count sheet), at most 200 characters.
    #[schema(max_length = 200)]
    pub reference: Option<String>,
}

/// Paging, order and filters of the product list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
    /// Comma-separated keys, `-` for descending: `name`, `created_at`, `updated_at` (default
    /// `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Only products of this status.
    pub status: Option<ProductStatusDto>,
    /// Only products in this category.
    pub category_id: Option<Uuid>,
    /// Only products of this brand.
    pub brand_id: Option<Uuid>,
    /// `true`: only products with a variant at or below its threshold; `false`: only those
    /// without.
    pub low_stock: Option<bool>,
}

/// Paging of a variant's ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StockMovementListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List products.
///
/// Newest first unless `sort` says otherwise, each with its variants; `low_stock=true` lists
/// what needs restocking.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "list_products",
    params(ProductListQuery),
    responses((status = 200, description = "One page of products", body = PageOf<ProductView>)),
    security(("bearer" = []))
)]
#[get("/products")]
pub async fn list_products(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<ProductListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = rapport_domain::sort::SortOrder::parse(
        q.sort.as_deref(),
        rules::SORTABLE,
        rapport_domain::sort::SortKey::descending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let filter = ProductFilter {
        status: q.status.map(Into::into),
        category_id: q.category_id,
        brand_id: q.brand_id,
        low_stock: q.low_stock,
        matching: None,
    };
    let list = products::list(state.db.conn(), filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, ProductView::from)))
}

/// Create a product.
///
/// With 1 to 100 variants, each with its sku (unique: 409 `sku_taken`), options, price and
/// starting stock (the first row of its ledger). A `category_id` or `brand_id` that does not
/// exist is 422 `not_found` on that field.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "create_product",
    request_body = CreateProduct,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = ProductView,
            headers(("Location" = String, description = "The product's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`sku_taken`: another variant has the sku; `external_id_taken`: another product has the external id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products")]
pub async fn create_product(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateProduct>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Product).await?;
    let default_currency = crate::settings::default_currency(&state).await?;
    let new = body.checked(|dto| {
        NewProduct {
            name: dto.name,
            description: dto.description,
            category_id: dto.category_id,
            brand_id: dto.brand_id,
            status: dto.status.map(Into::into),
            images: dto.images,
            external_id: dto.external_id,
            custom_fields: dto.custom_fields.unwrap_or_default(),
            variants: dto
                .variants
                .into_iter()
                .map(|variant| variant.into_domain(&default_currency))
                .collect(),
        }
        .check(&definitions)
    })?;
    let outcome = products::create(&state.db, &auth.actor, new, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let product = outcome.into_inner();
    let location = format!("/api/v1/products/{}", product.id);
    let version = product.version;
    Ok(created(
        &ProductView::from(product),
        location,
        version,
        replayed,
    ))
}

/// Get a product.
///
/// With its variants and their stock.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_product",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = ProductView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/products/{id:[0-9a-fA-F-]+}")]
pub async fn get_product(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let product = products::get(state.db.conn(), id.into_inner()).await?;
    let version = product.version;
    Ok(ok_versioned(&ProductView::from(product), version))
}

/// Change a product.
///
/// Its own fields; variants change through their own routes. With `If-Match: "<version>"` the
/// change applies only to that version.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "update_product",
    request_body = UpdateProduct,
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed product", body = ProductView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`external_id_taken`: another product has the external id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/products/{id:[0-9a-fA-F-]+}")]
pub async fn update_product(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateProduct>,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Product).await?;
    let changes = body.checked(|dto| {
        ProductChanges {
            name: dto.name,
            description: dto.description,
            category_id: dto.category_id,
            brand_id: dto.brand_id,
            status: dto.status.map(Into::into),
            images: dto.images,
            external_id: dto.external_id,
            custom_fields: dto.custom_fields,
        }
        .check(&definitions)
    })?;
    let product =
        products::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = product.version;
    Ok(ok_versioned(&ProductView::from(product), version))
}

/// Delete a product.
///
/// With its variants and their ledgers. To stop selling a product and keep its history, archive
/// it instead (`status: archived`).
#[utoipa::path(
    tag = "catalogue",
    operation_id = "delete_product",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/products/{id:[0-9a-fA-F-]+}")]
pub async fn delete_product(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    products::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a variant.
///
/// Its sku must differ from every other variant's (409 `sku_taken`) and its options from the
/// product's other variants' (409 `variant_options_taken`); a product has at most 100 (409
/// `too_many_variants`). Answers the product with its new version;
/// `If-Match` guards the product's version.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "create_product_variant",
    request_body = CreateVariant,
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 201, description = "The product with the new variant", body = ProductView,
            headers(("Location" = String, description = "The product's URL"), ("ETag" = String, description = "The product's new version"))),
        (status = 409, description = "`sku_taken`: another variant has the sku; `variant_options_taken`: another variant of the product has these options; `too_many_variants`: the product has 100", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products/{id:[0-9a-fA-F-]+}/variants")]
pub async fn create_product_variant(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<CreateVariant>,
) -> Result<HttpResponse, ApiError> {
    let default_currency = crate::settings::default_currency(&state).await?;
    let checked = body.checked(|dto| dto.into_domain(&default_currency).parse())?;
    let (product, _) =
        products::add_variant(&state.db, &auth.actor, id.into_inner(), checked, if_match.0).await?;
    let location = format!("/api/v1/products/{}", product.id);
    let version = product.version;
    Ok(created(
        &ProductView::from(product),
        location,
        version,
        false,
    ))
}

/// Change a variant.
///
/// Its sku, options, price, currency or threshold; its stock moves only through adjustments and
/// orders. Answers the product with its new version; `If-Match` guards the product's version.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "update_product_variant",
    request_body = UpdateVariant,
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("variant_id" = Uuid, Path, description = "Variant id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The product with the changed variant", body = ProductView,
            headers(("ETag" = String, description = "The product's new version"))),
        (status = 409, description = "`sku_taken`: another variant has the sku; `variant_options_taken`: another variant of the product has these options", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/products/{id:[0-9a-fA-F-]+}/variants/{variant_id:[0-9a-fA-F-]+}")]
pub async fn update_product_variant(
    state: Data<AppState>,
    auth: Auth,
    ids: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: ValidJson<UpdateVariant>,
) -> Result<HttpResponse, ApiError> {
    let (id, variant_id) = ids.into_inner();
    let changes = body.checked(|dto| {
        VariantChanges {
            sku: dto.sku,
            options: dto.options,
            price: dto.price,
            currency: dto.currency,
            low_stock_threshold: dto.low_stock_threshold,
        }
        .check()
    })?;
    let product =
        products::update_variant(&state.db, &auth.actor, id, variant_id, changes, if_match.0)
            .await?;
    let version = product.version;
    Ok(ok_versioned(&ProductView::from(product), version))
}

/// Delete a variant.
///
/// With its ledger. A product keeps at least one variant (409 `last_variant`); `If-Match`
/// guards the product's version.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "delete_product_variant",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("variant_id" = Uuid, Path, description = "Variant id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`last_variant`: the product's only variant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/products/{id:[0-9a-fA-F-]+}/variants/{variant_id:[0-9a-fA-F-]+}")]
pub async fn delete_product_variant(
    state: Data<AppState>,
    auth: Auth,
    ids: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (id, variant_id) = ids.into_inner();
    products::delete_variant(&state.db, &auth.actor, id, variant_id, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Adjust a variant's stock.
///
/// Adds (positive `delta`) or takes (negative) units by hand, with the reason; the answer is the
/// new row of the variant's ledger. Stock never goes below 0 (409 `insufficient_stock`, nothing
/// changes). Crossing the variant's threshold downward emits `product.low_stock` once. A retry
/// with the same `Idempotency-Key` replays the first answer instead of moving the stock twice.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "create_stock_adjustment",
    request_body = CreateStockAdjustment,
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("variant_id" = Uuid, Path, description = "Variant id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 201, description = "The ledger row", body = StockMovementView,
            headers(("Location" = String, description = "The ledger row's URL"))),
        (status = 409, description = "`insufficient_stock`: the stock would go below 0", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/products/{id:[0-9a-fA-F-]+}/variants/{variant_id:[0-9a-fA-F-]+}/stock-adjustments")]
pub async fn create_stock_adjustment(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    ids: Path<(Uuid, Uuid)>,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateStockAdjustment>,
) -> Result<HttpResponse, ApiError> {
    let (id, variant_id) = ids.into_inner();
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let adjustment = body.checked(|dto| {
        NewAdjustment {
            delta: dto.delta,
            reason: dto.reason,
            reference: dto.reference,
        }
        .check()
    })?;
    let outcome = stock::adjust(
        &state.db,
        &auth.actor,
        id,
        variant_id,
        adjustment,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let movement = outcome.into_inner();
    let mut response = HttpResponse::Created();
    response.insert_header((
        actix_web::http::header::LOCATION,
        format!(
            "/api/v1/products/{id}/variants/{variant_id}/stock-movements/{}",
            movement.id
        ),
    ));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(StockMovementView::from(movement)))
}

/// List a variant's stock movements.
///
/// Its ledger, newest first: every adjustment and order effect with the stock after it. The
/// stock is the sum of the ledger.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "list_stock_movements",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("variant_id" = Uuid, Path, description = "Variant id"),
        StockMovementListQuery,
    ),
    responses((status = 200, description = "One page of the ledger", body = PageOf<StockMovementView>)),
    security(("bearer" = []))
)]
#[get("/products/{id:[0-9a-fA-F-]+}/variants/{variant_id:[0-9a-fA-F-]+}/stock-movements")]
pub async fn list_stock_movements(
    state: Data<AppState>,
    _auth: Auth,
    ids: Path<(Uuid, Uuid)>,
    query: ValidQuery<StockMovementListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, variant_id) = ids.into_inner();
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = stock::movements(state.db.conn(), id, variant_id, &request).await?;
    Ok(page(&PageOf::from_page(list, StockMovementView::from)))
}

/// Get a stock movement.
///
/// One row of a variant's ledger.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_stock_movement",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("variant_id" = Uuid, Path, description = "Variant id"),
        ("movement_id" = Uuid, Path, description = "Movement id"),
    ),
    responses((status = 200, description = "The ledger row", body = StockMovementView)),
    security(("bearer" = []))
)]
#[get(
    "/products/{id:[0-9a-fA-F-]+}/variants/{variant_id:[0-9a-fA-F-]+}/stock-movements/{movement_id:[0-9a-fA-F-]+}"
)]
pub async fn get_stock_movement(
    state: Data<AppState>,
    _auth: Auth,
    ids: Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, variant_id, movement_id) = ids.into_inner();
    let movement = stock::movement(state.db.conn(), id, variant_id, movement_id).await?;
    Ok(HttpResponse::Ok().json(StockMovementView::from(movement)))
}
