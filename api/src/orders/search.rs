//! `POST /orders/search` (the filter language over orders) and `GET /orders/filter-fields` (what
//! it can test).

use actix_web::web::Data;
use actix_web::{HttpResponse, get, post};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::orders::{SORTABLE, fields};
use rapport_domain::sort::SortKey;
use rapport_persistence::orders::{self as store, OrderFilter};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::dto::OrderView;
use crate::auth::Auth;
use crate::extract::{ValidJson, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::search::{FilterFieldList, filter_and_order};
use crate::state::AppState;

/// An order search: which orders (`filter`), in which order, which page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "filter": {"and": [
        {"field": "status", "op": "in", "value": ["paid", "shipped"]},
        {"field": "total", "op": "gte", "value": 50000},
        {"field": "payment.paid_at", "op": "gte", "value": "2026-11-01T00:00:00Z"}
    ]},
    "sort": ["-total"],
    "limit": 50
}))]
pub struct SearchOrders {
    /// The filter: a condition `{"field", "op", "value"}` or a group `{"and": [...]}` /
    /// `{"or": [...]}`, nested at most 4 deep, at most 50 conditions. `GET
    /// /api/v1/orders/filter-fields` lists the fields, their types and operators; absent means
    /// every order.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Sort keys, `-` for descending: `created_at`, `updated_at` or `total`. Default
    /// `["-created_at"]`.
    #[schema(max_items = 5)]
    pub sort: Option<Vec<String>>,
    /// Rows per page, 1 to 200 (default 25).
    #[serde(default, deserialize_with = "crate::extract::whole_number")]
    #[schema(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same search.
    pub cursor: Option<String>,
    /// Add `total`, the count of every matching order.
    pub include_total: Option<bool>,
}

/// Search orders.
///
/// The filter language over the order's fields (`GET /api/v1/orders/filter-fields`), with sort
/// and keyset paging; each order comes with its lines. A field, operator or value that does not
/// fit is a 400 whose `errors` name the path inside the filter (`filter.and[2].or[0].field`):
/// `unknown_field`, `unsupported_operator`, `invalid_value`, `invalid_node`, `too_deep`,
/// `too_many_conditions`, `too_many_values`. Callers whose role reaches only their own customers
/// find only those customers' orders.
#[utoipa::path(
    tag = "orders",
    operation_id = "search_orders",
    request_body = SearchOrders,
    responses((status = 200, description = "One page of matching orders", body = PageOf<OrderView>)),
    security(("bearer" = []))
)]
#[post("/orders/search")]
pub async fn search_orders(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<SearchOrders>,
) -> Result<HttpResponse, ApiError> {
    let search = body.value()?;
    let request = page_request(search.limit, search.cursor, search.include_total)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Order).await?;
    let (matching, order) = filter_and_order(
        search.filter.as_ref(),
        search.sort,
        &fields::catalogue(&definitions),
        SORTABLE,
        SortKey::descending("created_at"),
    )?;
    let filter = OrderFilter {
        matching,
        ..OrderFilter::default()
    };
    let list = store::list(state.db.conn(), auth.owner(), filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, |o| {
        OrderView::new(o, auth.disclosure())
    })))
}

/// Get the fields an order filter can test.
///
/// Each field of an order with its type, its operators and, for `status`, its options: what a
/// filter builder offers.
#[utoipa::path(
    tag = "orders",
    operation_id = "get_order_filter_fields",
    responses((status = 200, description = "The filterable fields", body = FilterFieldList)),
    security(("bearer" = []))
)]
#[get("/orders/filter-fields")]
pub async fn get_order_filter_fields(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Order).await?;
    Ok(HttpResponse::Ok().json(FilterFieldList::of(
        &fields::catalogue(&definitions),
        SORTABLE,
    )))
}
