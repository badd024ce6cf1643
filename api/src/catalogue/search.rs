//! `POST /products/search` (the filter language over products) and `GET /products/filter-fields`
//! (what it can test).

use actix_web::web::Data;
use actix_web::{HttpResponse, get, post};
use rapport_domain::catalogue::fields;
use rapport_domain::catalogue::products::SORTABLE;
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::sort::SortKey;
use rapport_persistence::catalogue::products::{self, ProductFilter};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::products::ProductView;
use crate::auth::Auth;
use crate::extract::{ValidJson, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::search::{FilterFieldList, filter_and_order};
use crate::state::AppState;

/// A product search: which products (`filter`), in which order, which page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "filter": {"and": [
        {"field": "name", "op": "contains", "value": "跑步鞋"},
        {"field": "status", "op": "eq", "value": "active"},
        {"field": "variants.price", "op": "lte", "value": 50000}
    ]},
    "sort": ["name"],
    "limit": 50
}))]
pub struct SearchProducts {
    /// The filter: a condition `{"field", "op", "value"}` or a group `{"and": [...]}` /
    /// `{"or": [...]}`, nested at most 4 deep, at most 50 conditions. `GET
    /// /api/v1/products/filter-fields` lists the fields, their types and operators; a
    /// `variants.*` field selects a product when one of its variants passes. Absent means every
    /// product.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Sort keys, `-` for descending: `name`, `created_at` or `updated_at`. Default
    /// `["-created_at"]`.
    #[schema(max_items = 5)]
    pub sort: Option<Vec<String>>,
    /// Rows per page, 1 to 200 (default 25).
    #[serde(default, deserialize_with = "crate::extract::whole_number")]
    #[schema(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same search.
    pub cursor: Option<String>,
    /// Add `total`, the count of every matching product.
    pub include_total: Option<bool>,
}

/// Search products.
///
/// The filter language over the product's fields and its variants' (`GET
/// /api/v1/products/filter-fields`), with sort and keyset paging; each product comes with its
/// variants. `name` is matched ignoring case by `contains` and `starts_with`; a `variants.*`
/// condition selects a product when one of its variants passes it, so `{"field":
/// "variants.sku", "op": "eq", "value": "RUN-PRO-42"}` finds the product that sells that sku.
/// A field, operator or value that does not fit is a 400 whose `errors` name the path inside
/// the filter (`filter.and[2].field`): `unknown_field`, `unsupported_operator`,
/// `invalid_value`, `invalid_node`, `too_deep`, `too_many_conditions`, `too_many_values`.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "search_products",
    request_body = SearchProducts,
    responses((status = 200, description = "One page of matching products", body = PageOf<ProductView>)),
    security(("bearer" = []))
)]
#[post("/products/search")]
pub async fn search_products(
    state: Data<AppState>,
    _auth: Auth,
    body: ValidJson<SearchProducts>,
) -> Result<HttpResponse, ApiError> {
    let search = body.value()?;
    let request = page_request(search.limit, search.cursor, search.include_total)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Product).await?;
    let (matching, order) = filter_and_order(
        search.filter.as_ref(),
        search.sort,
        &fields::catalogue(&definitions),
        SORTABLE,
        SortKey::descending("created_at"),
    )?;
    let filter = ProductFilter {
        matching,
        ..ProductFilter::default()
    };
    let list = products::list(state.db.conn(), filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, ProductView::from)))
}

/// Get the fields a product filter can test.
///
/// Each field of a product and of its variants with its type, its operators and, for `status`,
/// its options: what a filter builder offers.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_product_filter_fields",
    responses((status = 200, description = "The filterable fields", body = FilterFieldList)),
    security(("bearer" = []))
)]
#[get("/products/filter-fields")]
pub async fn get_product_filter_fields(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Product).await?;
    Ok(HttpResponse::Ok().json(FilterFieldList::of(
        &fields::catalogue(&definitions),
        SORTABLE,
    )))
}
