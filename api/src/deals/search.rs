//! `POST /deals/search` (the filter language over deals) and `GET /deals/filter-fields` (what it
//! can test).

use actix_web::web::Data;
use actix_web::{HttpResponse, get, post};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::deals::{SORTABLE, fields};
use rapport_domain::sort::SortKey;
use rapport_persistence::deals::{self as store, DealFilter};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::DealView;
use crate::auth::Auth;
use crate::extract::{ValidJson, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::search::{FilterFieldList, filter_and_order};
use crate::state::AppState;

/// A deal search: which deals (`filter`), in which order, which page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "filter": {"and": [
        {"field": "status", "op": "eq", "value": "open"},
        {"field": "expected_close_date", "op": "lte", "value": "2026-12-31"},
        {"field": "amount", "op": "gte", "value": 1000000}
    ]},
    "sort": ["-amount"],
    "limit": 50
}))]
pub struct SearchDeals {
    /// The filter: a condition `{"field", "op", "value"}` or a group `{"and": [...]}` /
    /// `{"or": [...]}`, nested at most 4 deep, at most 50 conditions. `GET
    /// /api/v1/deals/filter-fields` lists the fields, their types and operators; absent means
    /// every deal.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Sort keys, `-` for descending: `created_at`, `updated_at` or `amount`. Default
    /// `["-created_at"]`.
    #[schema(max_items = 5)]
    pub sort: Option<Vec<String>>,
    /// Rows per page, 1 to 200 (default 25).
    #[serde(default, deserialize_with = "crate::extract::whole_number")]
    #[schema(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same search.
    pub cursor: Option<String>,
    /// Add `total`, the count of every matching deal.
    pub include_total: Option<bool>,
}

/// Search deals.
///
/// The filter language over the deal's fields and its custom fields (`GET
/// /api/v1/deals/filter-fields`), with sort and keyset paging. A field, operator or value that
/// does not fit is a 400 whose `errors` name the path inside the filter
/// (`filter.and[2].or[0].field`): `unknown_field`, `unsupported_operator`, `invalid_value`,
/// `invalid_node`, `too_deep`, `too_many_conditions`, `too_many_values`. Callers whose role
/// reaches only their own deals find only those.
#[utoipa::path(
    tag = "deals",
    operation_id = "search_deals",
    request_body = SearchDeals,
    responses((status = 200, description = "One page of matching deals", body = PageOf<DealView>)),
    security(("bearer" = []))
)]
#[post("/deals/search")]
pub async fn search_deals(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<SearchDeals>,
) -> Result<HttpResponse, ApiError> {
    let search = body.value()?;
    let request = page_request(search.limit, search.cursor, search.include_total)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Deal).await?;
    let (matching, order) = filter_and_order(
        search.filter.as_ref(),
        search.sort,
        &fields::catalogue(&definitions),
        SORTABLE,
        SortKey::descending("created_at"),
    )?;
    let filter = DealFilter {
        matching,
        ..DealFilter::default()
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, DealView::from)))
}

/// Get the fields a deal filter can test.
///
/// Each field of a deal with its type, its operators and, for `status`, its options, then the
/// custom fields defined for deals: what a filter builder offers.
#[utoipa::path(
    tag = "deals",
    operation_id = "get_deal_filter_fields",
    responses((status = 200, description = "The filterable fields", body = FilterFieldList)),
    security(("bearer" = []))
)]
#[get("/deals/filter-fields")]
pub async fn get_deal_filter_fields(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Deal).await?;
    Ok(HttpResponse::Ok().json(FilterFieldList::of(
        &fields::catalogue(&definitions),
        SORTABLE,
    )))
}
