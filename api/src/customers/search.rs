//! `POST /customers/search` (the filter language) and `GET /customers/filter-fields` (what it
//! can test), with their wire types.

use actix_web::web::Data;
use actix_web::{HttpResponse, get, post};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::customers::fields::{default_sort, sortable_fields};
use rapport_domain::filter::{Catalogue, Filter};
use rapport_domain::sort::SortOrder;
use rapport_persistence::customers::{self, CustomerSearch};
use rapport_persistence::page::PageRequest;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::dto::CustomerView;
use super::masking;
use crate::auth::Auth;
use crate::extract::{ValidJson, page_request, text_parameter};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::search::FilterFieldList;
use crate::state::AppState;

/// A customer search: which customers (`filter`), in which order, which page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "filter": {"and": [
        {"field": "lifecycle_stage", "op": "in", "value": ["customer", "prospect"]},
        {"field": "address.city", "op": "eq", "value": "上海市"},
        {"or": [
            {"field": "tags", "op": "contains", "value": "vip"},
            {"field": "created_at", "op": "gte", "value": "2026-01-01T00:00:00Z"}
        ]}
    ]},
    "sort": ["-created_at"],
    "limit": 50
}))]
pub struct SearchCustomers {
    /// The filter: a condition `{"field", "op", "value"}` or a group `{"and": [...]}` /
    /// `{"or": [...]}`, nested at most 4 deep, at most 50 conditions. `GET
    /// /api/v1/customers/filter-fields` lists the fields, their types and operators; absent
    /// means every customer.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Text found in the name, email or phone, ignoring case (1 to 100 characters); in the name
    /// only for callers who see email and phone masked.
    #[schema(max_length = 100)]
    pub q: Option<String>,
    /// Sort keys, `-` for descending: `created_at`, `updated_at`, `name` or a custom field
    /// (`custom_fields.<key>`, not multi-choice; customers without a value come last). Default
    /// `["-created_at"]`.
    #[schema(max_items = 5)]
    pub sort: Option<Vec<String>>,
    /// Rows per page, 1 to 200 (default 25).
    #[serde(default, deserialize_with = "crate::extract::whole_number")]
    #[schema(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same search.
    pub cursor: Option<String>,
    /// Add `total`, the count of every matching customer.
    pub include_total: Option<bool>,
}

/// A search read against the customer catalogue: what the persistence layer runs.
pub struct ParsedSearch {
    /// The filter, when one was sent.
    pub filter: Option<Filter>,
    /// The free text.
    pub q: Option<String>,
    /// The order.
    pub order: SortOrder,
    /// The page.
    pub page: PageRequest,
}

/// Reads a filter sent at `path` against `catalogue`; a 400 naming every mistake otherwise.
pub fn parse_filter(raw: &Value, catalogue: &Catalogue, path: &str) -> Result<Filter, ApiError> {
    Filter::parse(raw, catalogue, path).map_err(ApiError::bad_query)
}

impl SearchCustomers {
    /// Checks the filter and the sort order against `catalogue` and `sortable`, reporting every
    /// mistake of both at once.
    pub fn parse(
        self,
        catalogue: &Catalogue,
        sortable: &[String],
    ) -> Result<ParsedSearch, ApiError> {
        let page = page_request(self.limit, self.cursor, self.include_total)?;
        let q = text_parameter("q", self.q)?;
        let (filter, order) = crate::search::filter_and_order(
            self.filter.as_ref(),
            self.sort,
            catalogue,
            sortable,
            default_sort(),
        )?;
        Ok(ParsedSearch {
            filter,
            q,
            order,
            page,
        })
    }
}

/// Search customers.
///
/// The filter language over every customer field and custom field, with sort and keyset paging;
/// callers without `contact_details:read` cannot filter by `email` or `phone`.
/// A field, operator or value that does not fit is a 400 whose `errors` name the path inside the
/// filter (`filter.and[2].or[0].field`): `unknown_field`, `unsupported_operator`,
/// `invalid_value`, `invalid_node`, `too_deep`, `too_many_conditions`, `too_many_values`. Callers
/// whose role reaches only their own customers find only those.
#[utoipa::path(
    tag = "customers",
    operation_id = "search_customers",
    request_body = SearchCustomers,
    responses((status = 200, description = "One page of matching customers", body = PageOf<CustomerView>)),
    security(("bearer" = []))
)]
#[post("/customers/search")]
pub async fn search_customers(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<SearchCustomers>,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let disclosure = auth.disclosure();
    let catalogue = masking::catalogue(&definitions, disclosure);
    let search = body
        .value()?
        .parse(&catalogue, &sortable_fields(&definitions))?;
    let parts = search
        .filter
        .into_iter()
        .chain(masking::text_condition(search.q.as_deref(), disclosure))
        .collect();
    let filter = masking::all_of(parts);
    let query = CustomerSearch {
        filter: filter.as_ref(),
        q: search.q.as_deref(),
        within: None,
        order: &search.order,
        catalogue: &catalogue,
    };
    let customers = customers::search(state.db.conn(), auth.owner(), &query, &search.page).await?;
    Ok(page(&PageOf::from_page(customers, |c| {
        CustomerView::new(c, disclosure)
    })))
}

/// Get the fields a customer filter can test.
///
/// The customer's own fields and every custom field defined for customers, each with its type,
/// its operators and, for choices, its options: what a filter builder offers.
#[utoipa::path(
    tag = "customers",
    operation_id = "get_customer_filter_fields",
    responses((status = 200, description = "The filterable fields", body = FilterFieldList)),
    security(("bearer" = []))
)]
#[get("/customers/filter-fields")]
pub async fn get_customer_filter_fields(
    state: Data<AppState>,
    auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let sortable = sortable_fields(&definitions);
    let catalogue = masking::catalogue(&definitions, auth.disclosure());
    Ok(HttpResponse::Ok().json(FilterFieldList::of(&catalogue, &sortable)))
}
