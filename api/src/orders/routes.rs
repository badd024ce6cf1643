//! Order handlers for placing, listing and reading orders: parse, authorise (the `Auth`
//! extractor), call one use case, map the result. The actions that move an order on are in
//! `actions.rs`.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, patch, post};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::orders::{self as rules, NewOrder, OrderChanges};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_domain::{FieldErrors, orders};
use rapport_persistence::customers;
use rapport_persistence::orders::{self as store, OrderFilter};
use uuid::Uuid;

use super::dto::{
    CreateOrder, CreateOrderLine, CustomerOrderListQuery, OrderListQuery, OrderView, UpdateOrder,
};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// The lines as the domain reads them; what is wrong with a line's shape goes to `shape`.
pub(crate) fn domain_lines(
    lines: Vec<CreateOrderLine>,
    shape: &mut FieldErrors,
) -> Vec<orders::NewLine> {
    lines
        .into_iter()
        .enumerate()
        .filter_map(|(i, line)| shape.take(line.into_domain(i)))
        .collect()
}

fn order_by(raw: Option<&str>) -> Result<SortOrder, ApiError> {
    SortOrder::parse(raw, rules::SORTABLE, SortKey::descending("created_at"))
        .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))
}

/// List orders.
///
/// Newest first unless `sort` says otherwise, each with its lines. Callers whose role reaches
/// only their own customers see those customers' orders.
#[utoipa::path(
    tag = "orders",
    operation_id = "list_orders",
    params(OrderListQuery),
    responses((status = 200, description = "One page of orders", body = PageOf<OrderView>)),
    security(("bearer" = []))
)]
#[get("/orders")]
pub async fn list_orders(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<OrderListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = order_by(q.sort.as_deref())?;
    let filter = OrderFilter {
        customer_id: q.customer_id,
        status: q.status.map(Into::into),
        sales_user_id: q.sales_user_id,
        matching: None,
    };
    let list = store::list(state.db.conn(), auth.owner(), filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, |o| {
        OrderView::new(o, auth.disclosure())
    })))
}

/// List a customer's orders.
///
/// Newest first unless `sort` says otherwise.
#[utoipa::path(
    tag = "orders",
    operation_id = "list_customer_orders",
    params(("id" = Uuid, Path, description = "Customer id"), CustomerOrderListQuery),
    responses((status = 200, description = "One page of the customer's orders", body = PageOf<OrderView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/orders")]
pub async fn list_customer_orders(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<CustomerOrderListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let id = id.into_inner();
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = order_by(q.sort.as_deref())?;
    // A customer beyond the caller's scope is as missing as one that does not exist.
    customers::get(state.db.conn(), auth.owner(), id).await?;
    let filter = OrderFilter {
        customer_id: Some(id),
        status: q.status.map(Into::into),
        sales_user_id: None,
        matching: None,
    };
    let list = store::list(state.db.conn(), auth.owner(), filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, |o| {
        OrderView::new(o, auth.disclosure())
    })))
}

/// Place an order.
///
/// Pending, for a customer the caller may reach (422 `not_found` on `customer_id` otherwise).
/// Variant lines copy the variant's sku, name and price as sold (422 `not_found`, `archived` or
/// `currency_mismatch` on the line); free lines record what has no product. The server computes
/// every total. `sales_user_id` defaults to the customer's owner and stays when the customer is
/// reassigned.
#[utoipa::path(
    tag = "orders",
    operation_id = "create_order",
    request_body = CreateOrder,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Placed", body = OrderView,
            headers(("Location" = String, description = "The order's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`external_id_taken`: another order has the external id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders")]
pub async fn create_order(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateOrder>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Order).await?;
    let default_currency = crate::settings::default_currency(&state).await?;
    let checked = body.checked(|dto| {
        let mut shape = FieldErrors::new();
        let lines = domain_lines(dto.lines, &mut shape);
        let checked = NewOrder {
            customer_id: dto.customer_id,
            sales_user_id: dto.sales_user_id,
            currency: dto.currency.unwrap_or(default_currency),
            lines,
            shipping: dto.shipping,
            channel: dto.channel,
            external_id: dto.external_id,
            note: dto.note,
            recipient: dto.recipient.unwrap_or_default().into(),
            ship_to: dto.ship_to.unwrap_or_default().into(),
            custom_fields: dto.custom_fields.unwrap_or_default(),
            coupon_code: dto.coupon_code,
            campaign_id: dto.campaign_id,
        }
        .check(&definitions);
        shape.then(checked)
    })?;
    let outcome =
        store::create(&state.db, &auth.actor, auth.owner(), checked, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let order = outcome.into_inner();
    let location = format!("/api/v1/orders/{}", order.id);
    let version = order.version;
    Ok(created(
        &OrderView::new(order, auth.disclosure()),
        location,
        version,
        replayed,
    ))
}

/// Get an order.
#[utoipa::path(
    tag = "orders",
    operation_id = "get_order",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/orders/{id:[0-9a-fA-F-]+}")]
pub async fn get_order(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let order = store::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = order.version;
    Ok(ok_versioned(
        &OrderView::new(order, auth.disclosure()),
        version,
    ))
}

/// Change an order.
///
/// Only while `pending`; afterwards an order changes only by its actions (409
/// `invalid_transition`), but for its `custom_fields`, which change at any status. `lines` replaces every line, priced from the catalogue again (422 at
/// the line as when placing), and the totals follow; shipping alone moves only the total. With
/// `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "orders",
    operation_id = "update_order",
    request_body = UpdateOrder,
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed order", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order is no longer pending; `external_id_taken`: another order has the external id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/orders/{id:[0-9a-fA-F-]+}")]
pub async fn update_order(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateOrder>,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Order).await?;
    let changes = body.checked(|dto| {
        let mut shape = FieldErrors::new();
        let lines = dto.lines.map(|lines| domain_lines(lines, &mut shape));
        let checked = OrderChanges {
            sales_user_id: dto.sales_user_id,
            lines,
            shipping: dto.shipping,
            channel: dto.channel,
            external_id: dto.external_id,
            note: dto.note,
            recipient: dto.recipient.map(Into::into),
            ship_to: dto.ship_to.map(Into::into),
            custom_fields: dto.custom_fields,
            coupon_code: dto.coupon_code,
            campaign_id: dto.campaign_id,
        }
        .check(&definitions);
        shape.then(checked)
    })?;
    let order = store::update(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        changes,
        if_match.0,
    )
    .await?;
    let version = order.version;
    Ok(ok_versioned(
        &OrderView::new(order, auth.disclosure()),
        version,
    ))
}
