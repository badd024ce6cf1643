//! `POST /products/batch`: create or update up to 500 products by their external id (or their
//! skus), all or nothing, or item by item.

use std::collections::BTreeMap;

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, post};
use rapport_domain::catalogue::batch::{ProductItem, VariantItem};
use rapport_domain::custom_fields::FieldOwner;
use rapport_persistence::catalogue::batch::{self, LIST, MAX_ITEMS};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::products::ProductStatusDto;
use crate::auth::Auth;
use crate::batch::{BatchModeDto, BatchResult, answer, check_count, well_formed};
use crate::extract::{IdempotencyHeader, ValidJson, nullable, optional_whole};
use crate::problem::ApiError;
use crate::state::AppState;

/// A variant of a batch item, named by its sku: absent parts stay on an existing variant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "RUN-PRO-RED-42", "price": 45900, "currency": "CNY", "stock": 12}))]
pub struct VariantItemDto {
    /// Stock-keeping unit, 1 to 64 letters, digits, `.`, `_` or `-`: the variant's key.
    #[schema(min_length = 1, max_length = 64)]
    pub sku: String,
    /// Option values by option name (at most 5, each 1 to 50 characters), replacing all of them.
    pub options: Option<BTreeMap<String, String>>,
    /// Price in the currency's minor unit; required for a new variant.
    #[serde(default, deserialize_with = "optional_whole")]
    pub price: Option<i64>,
    /// ISO 4217 code of the price's currency; required for a new variant.
    pub currency: Option<String>,
    /// Units on hand: a new variant's starting stock; for an existing variant the count, whose
    /// difference from its stock the ledger records as an adjustment (reason `count`).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub stock: Option<i64>,
    /// At or below this many units the variant is low on stock.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub low_stock_threshold: Option<i64>,
}

/// A product of a batch: absent parts stay on an existing product, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "shop-88231",
    "name": "跑步鞋 Pro",
    "status": "active",
    "variants": [
        {"sku": "RUN-PRO-RED-42", "options": {"colour": "红", "size": "42"}, "price": 49900, "currency": "CNY", "stock": 10},
        {"sku": "RUN-PRO-RED-43", "options": {"colour": "红", "size": "43"}, "price": 49900, "currency": "CNY", "stock": 6}
    ]
}))]
pub struct ProductItemDto {
    /// The product's id in the shop or ERP, 1 to 200 characters: the key. Without it, the
    /// item names the product that has its variants' skus.
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// Name, 1 to 200 characters; required for a new product.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Description, at most 5000 characters, or `null` to clear.
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
    /// `active` (a new product's default) or `archived`.
    pub status: Option<ProductStatusDto>,
    /// Image URLs (http or https, at most 20), replacing all of them.
    #[schema(max_items = 20)]
    pub images: Option<Vec<String>>,
    /// Custom field values to set, by key (`GET /api/v1/custom-fields` lists those of
    /// products); `null` removes one, keys not sent stay. A value its definition refuses
    /// refuses the item (a new product also needs every required field).
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// 1 to 100 variants, each named by its sku: an existing one changes, a new one is added
    /// (its `price` and `currency` required); the product's other variants stay.
    #[schema(min_items = 1, max_items = 100)]
    pub variants: Vec<VariantItemDto>,
}

impl ProductItemDto {
    /// The item as the domain reads it.
    pub fn into_domain(self) -> ProductItem {
        ProductItem {
            external_id: self.external_id,
            name: self.name,
            description: self.description,
            category_id: self.category_id,
            brand_id: self.brand_id,
            status: self.status.map(Into::into),
            images: self.images,
            custom_fields: self.custom_fields,
            variants: self
                .variants
                .into_iter()
                .map(|v| VariantItem {
                    sku: v.sku,
                    options: v.options,
                    price: v.price,
                    currency: v.currency,
                    stock: v.stock,
                    low_stock_threshold: v.low_stock_threshold,
                })
                .collect(),
        }
    }
}

/// Products to create or update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mode": "per_item",
    "products": [
        {"external_id": "shop-88231", "name": "跑步鞋 Pro", "variants": [
            {"sku": "RUN-PRO-RED-42", "options": {"size": "42"}, "price": 49900, "currency": "CNY", "stock": 10}
        ]},
        {"variants": [{"sku": "TEA-LJ-250", "price": 12900, "stock": 40}]}
    ]
}))]
pub struct BatchProducts {
    /// `all_or_nothing` (default) or `per_item`.
    pub mode: Option<BatchModeDto>,
    /// 1 to 500 products.
    #[schema(min_items = 1, max_items = 500)]
    pub products: Vec<ProductItemDto>,
}

/// Create or update products in a batch.
///
/// Each item names its product by `external_id`, or, without one, by its variants' skus (the
/// product that has them; skus of two products are refused with `skus_of_several_products`).
/// An existing product changes the fields sent (absent stay, `null` clears); each variant sent
/// is matched by sku: an existing one changes the parts sent, and its `stock`, when sent, is a
/// count: the ledger records the difference as an adjustment (reason `count`) so stock still
/// moves only through the ledger. A sku the product lacks is added as a new variant (`price`
/// and `currency` required) with its `stock` as the first row of its ledger; the product's
/// other variants stay. A product that does not exist is created (`name` and each variant's
/// `price` and `currency` required). In `all_or_nothing` mode (the default) any refused item
/// refuses the batch: 422 with every item's mistakes at `products[i].<field>` (conflicts such
/// as `sku_taken` included), and nothing is written. In `per_item` mode the answer lists each
/// item's result. A malformed item (a wrong type, an unknown field, a sku or text outside its
/// rules) refuses the whole batch at once with 422. Every change gets its audit record and
/// event. With an `Idempotency-Key`, a retry replays the first answer.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "batch_upsert_products",
    request_body = BatchProducts,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, description = "Every item's result", body = BatchResult)),
    security(("bearer" = []))
)]
#[post("/products/batch")]
pub async fn batch_upsert_products(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<BatchProducts>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let body = body.value()?;
    check_count("products", body.products.len(), MAX_ITEMS)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Product).await?;
    let items = well_formed(LIST, body.products, |item| {
        item.into_domain().check(&definitions)
    })?;
    let outcome = batch::upsert(
        &state.db,
        &auth.actor,
        items,
        body.mode.unwrap_or_default().into(),
        key.as_ref(),
        |outcomes| BatchResult::new(outcomes, |p| (p.id, p.version)),
    )
    .await?;
    Ok(answer(outcome))
}
