//! `POST /tickets/search` (the filter language over tickets) and `GET /tickets/filter-fields`
//! (what it can test).

use actix_web::web::Data;
use actix_web::{HttpResponse, get, post};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::sort::SortKey;
use rapport_domain::tickets::{SORTABLE, catalogue};
use rapport_persistence::tickets::{self as store, TicketFilter};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::TicketView;
use crate::auth::Auth;
use crate::extract::{ValidJson, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, page};
use crate::search::{FilterFieldList, filter_and_order};
use crate::state::AppState;

/// A ticket search: which tickets (`filter`), in which order, which page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "filter": {"and": [
        {"field": "type", "op": "eq", "value": "complaint"},
        {"field": "status", "op": "in", "value": ["new", "open", "pending"]},
        {"field": "sla.resolution_due_at", "op": "lte", "value": "2026-12-07T18:00:00Z"}
    ]},
    "sort": ["-updated_at"],
    "limit": 50
}))]
pub struct SearchTickets {
    /// The filter: a condition `{"field", "op", "value"}` or a group `{"and": [...]}` /
    /// `{"or": [...]}`, nested at most 4 deep, at most 50 conditions. `GET
    /// /api/v1/tickets/filter-fields` lists the fields, their types and operators; absent means
    /// every ticket.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Sort keys, `-` for descending: `created_at` or `updated_at`. Default `["-created_at"]`.
    #[schema(max_items = 5)]
    pub sort: Option<Vec<String>>,
    /// Rows per page, 1 to 200 (default 25).
    #[serde(default, deserialize_with = "crate::extract::whole_number")]
    #[schema(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page of the same search.
    pub cursor: Option<String>,
    /// Add `total`, the count of every matching ticket.
    pub include_total: Option<bool>,
}

/// Search tickets.
///
/// The filter language over the ticket's fields, its rating and SLA clock (`satisfaction.rating`,
/// `sla.resolution_due_at`, …) and its custom fields (`GET /api/v1/tickets/filter-fields`), with
/// sort and keyset paging. A field, operator or value that does not fit is a 400 whose `errors`
/// name the path inside the filter (`filter.and[2].or[0].field`): `unknown_field`,
/// `unsupported_operator`, `invalid_value`, `invalid_node`, `too_deep`, `too_many_conditions`,
/// `too_many_values`. Agents whose role reaches only their own tickets find those assigned to
/// them or to no one.
#[utoipa::path(
    tag = "tickets",
    operation_id = "search_tickets",
    request_body = SearchTickets,
    responses((status = 200, description = "One page of matching tickets", body = PageOf<TicketView>)),
    security(("bearer" = []))
)]
#[post("/tickets/search")]
pub async fn search_tickets(
    state: Data<AppState>,
    auth: Auth,
    body: ValidJson<SearchTickets>,
) -> Result<HttpResponse, ApiError> {
    let search = body.value()?;
    let request = page_request(search.limit, search.cursor, search.include_total)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Ticket).await?;
    let (matching, order) = filter_and_order(
        search.filter.as_ref(),
        search.sort,
        &catalogue(&definitions),
        SORTABLE,
        SortKey::descending("created_at"),
    )?;
    let filter = TicketFilter {
        matching,
        ..TicketFilter::default()
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, TicketView::from)))
}

/// Get the fields a ticket filter can test.
///
/// Each field of a ticket with its type, its operators and, for `type`, `priority`, `channel` and
/// `status`, its options, then the custom fields defined for tickets: what a filter builder
/// offers.
#[utoipa::path(
    tag = "tickets",
    operation_id = "get_ticket_filter_fields",
    responses((status = 200, description = "The filterable fields", body = FilterFieldList)),
    security(("bearer" = []))
)]
#[get("/tickets/filter-fields")]
pub async fn get_ticket_filter_fields(
    state: Data<AppState>,
    _auth: Auth,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Ticket).await?;
    Ok(HttpResponse::Ok().json(FilterFieldList::of(&catalogue(&definitions), SORTABLE)))
}
