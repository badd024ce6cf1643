//! Ticket handlers: creating, listing, reading, changing and removing tickets, a customer's
//! tickets, and the customer's satisfaction rating.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::access::{Action, Resource};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_domain::tickets::{self as rules, NewTicket, TicketChanges};
use rapport_persistence::customers;
use rapport_persistence::tickets::{self as store, Reach, TicketFilter};
use uuid::Uuid;

use super::dto::{
    CreateTicket, CustomerTicketListQuery, RateTicket, TicketListQuery, TicketView, UpdateTicket,
};
use crate::auth::Auth;
use crate::extract::{
    IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request, text_parameter,
};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// Whose customers and orders the caller's ticket may name: their scopes over those. The order
/// scope is asked for only when the request names an order.
fn reach(auth: &Auth, names_order: bool) -> Result<Reach, ApiError> {
    let customers = auth
        .actor
        .owner_filter(auth.also(Resource::Customers, Action::Read)?);
    let orders = match names_order {
        true => auth
            .actor
            .owner_filter(auth.also(Resource::Orders, Action::Read)?),
        false => None,
    };
    Ok(Reach { customers, orders })
}

fn order_by(raw: Option<&str>) -> Result<SortOrder, ApiError> {
    SortOrder::parse(raw, rules::SORTABLE, SortKey::descending("created_at"))
        .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))
}

/// List tickets.
///
/// Newest first unless `sort` says otherwise. Agents whose role reaches only their own tickets
/// see those assigned to them and those assigned to no one.
#[utoipa::path(
    tag = "tickets",
    operation_id = "list_tickets",
    params(TicketListQuery),
    responses((status = 200, description = "One page of tickets", body = PageOf<TicketView>)),
    security(("bearer" = []))
)]
#[get("/tickets")]
pub async fn list_tickets(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<TicketListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = order_by(q.sort.as_deref())?;
    let filter = TicketFilter {
        customer_id: q.customer_id,
        status: q.status.map(Into::into),
        priority: q.priority.map(Into::into),
        ticket_type: q.ticket_type.map(Into::into),
        channel: q.channel.map(Into::into),
        assignee_id: q.assignee_id,
        unassigned: q.unassigned,
        tag: text_parameter("tag", q.tag)?,
        breached: q.breached,
        matching: None,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, TicketView::from)))
}

/// List a customer's tickets.
///
/// Newest first unless `sort` says otherwise; as `GET /tickets`, within the caller's reach.
#[utoipa::path(
    tag = "tickets",
    operation_id = "list_customer_tickets",
    params(("id" = Uuid, Path, description = "Customer id"), CustomerTicketListQuery),
    responses((status = 200, description = "One page of the customer's tickets", body = PageOf<TicketView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/tickets")]
pub async fn list_customer_tickets(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<CustomerTicketListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let id = id.into_inner();
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = order_by(q.sort.as_deref())?;
    // A customer beyond the caller's reach is as missing as one that does not exist.
    let customer_owner = reach(&auth, false)?.customers;
    customers::get(state.db.conn(), customer_owner, id).await?;
    let filter = TicketFilter {
        customer_id: Some(id),
        status: q.status.map(Into::into),
        priority: q.priority.map(Into::into),
        ticket_type: q.ticket_type.map(Into::into),
        channel: q.channel.map(Into::into),
        assignee_id: q.assignee_id,
        unassigned: q.unassigned,
        tag: text_parameter("tag", q.tag)?,
        breached: q.breached,
        matching: None,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, TicketView::from)))
}

/// Open a ticket.
///
/// `new`, for a customer the caller may reach, perhaps about one of their orders and assigned
/// to an agent. Emits `ticket.created`.
#[utoipa::path(
    tag = "tickets",
    operation_id = "create_ticket",
    request_body = CreateTicket,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = TicketView,
            headers(("Location" = String, description = "The ticket's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/tickets")]
pub async fn create_ticket(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateTicket>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Ticket).await?;
    let new = body.checked(|dto| {
        NewTicket {
            subject: dto.subject,
            description: dto.description,
            ticket_type: dto.ticket_type.into(),
            priority: dto.priority.map(Into::into),
            channel: dto.channel.into(),
            customer_id: dto.customer_id,
            order_id: dto.order_id,
            assignee_id: dto.assignee_id,
            tags: dto.tags.unwrap_or_default(),
            custom_fields: dto.custom_fields.unwrap_or_default(),
        }
        .check(&definitions)
    })?;
    let reach = reach(&auth, new.order_id.is_some())?;
    let outcome = store::create(
        &state.db,
        &auth.actor,
        auth.owner(),
        reach,
        new,
        state.clock.now(),
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let ticket = outcome.into_inner();
    let location = format!("/api/v1/tickets/{}", ticket.id);
    let version = ticket.version;
    Ok(created(
        &TicketView::from(ticket),
        location,
        version,
        replayed,
    ))
}

/// Get a ticket.
#[utoipa::path(
    tag = "tickets",
    operation_id = "get_ticket",
    params(("id" = Uuid, Path, description = "Ticket id")),
    responses((status = 200, description = "The ticket", body = TicketView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/tickets/{id:[0-9a-fA-F-]+}")]
pub async fn get_ticket(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let ticket = store::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = ticket.version;
    Ok(ok_versioned(&TicketView::from(ticket), version))
}

/// Change a ticket.
///
/// `status` moves it along `new → open → pending → resolved → closed` (`pending` back to
/// `open`, `open` straight to `resolved`, `resolved` reopened to `open`), stamping `resolved_at`
/// and `closed_at`; a closed ticket changes no more. Emits `ticket.opened`, `ticket.pending`,
/// `ticket.resolved`, `ticket.closed` or `ticket.reopened` for a move, `ticket.assigned` for a
/// new assignee, `ticket.updated` otherwise. With `If-Match: "<version>"` the change applies
/// only to that version.
#[utoipa::path(
    tag = "tickets",
    operation_id = "update_ticket",
    request_body = UpdateTicket,
    params(
        ("id" = Uuid, Path, description = "Ticket id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed ticket", body = TicketView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the status cannot move there, or the ticket is closed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/tickets/{id:[0-9a-fA-F-]+}")]
pub async fn update_ticket(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateTicket>,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Ticket).await?;
    let changes = body.checked(|dto| {
        TicketChanges {
            subject: dto.subject,
            description: dto.description,
            ticket_type: dto.ticket_type.map(Into::into),
            priority: dto.priority.map(Into::into),
            channel: dto.channel.map(Into::into),
            order_id: dto.order_id,
            assignee_id: dto.assignee_id,
            tags: dto.tags,
            status: dto.status.map(Into::into),
            custom_fields: dto.custom_fields,
        }
        .check(&definitions)
    })?;
    let reach = reach(&auth, changes.order_id.is_some_and(|o| o.is_some()))?;
    let ticket = store::update(
        &state.db,
        &auth.actor,
        auth.owner(),
        reach,
        id.into_inner(),
        changes,
        state.clock.now(),
        if_match.0,
    )
    .await?;
    let version = ticket.version;
    Ok(ok_versioned(&TicketView::from(ticket), version))
}

/// Delete a ticket.
///
/// With its comments. Emits `ticket.deleted`.
#[utoipa::path(
    tag = "tickets",
    operation_id = "delete_ticket",
    params(
        ("id" = Uuid, Path, description = "Ticket id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/tickets/{id:[0-9a-fA-F-]+}")]
pub async fn delete_ticket(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        if_match.0,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rate a ticket.
///
/// The customer's satisfaction with how a resolved (or closed) ticket was handled, given once:
/// recorded by an integration's API key acting for the customer, or by an agent who asked them.
/// Of two ratings at once, one is kept and the other is refused. Emits `ticket.rated`.
#[utoipa::path(
    tag = "tickets",
    operation_id = "create_ticket_satisfaction",
    request_body = RateTicket,
    params(("id" = Uuid, Path, description = "Ticket id")),
    responses(
        (status = 200, description = "The rated ticket", body = TicketView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`not_resolved`: the ticket is not resolved yet; `already_rated`: it was rated already", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id:[0-9a-fA-F-]+}/satisfaction")]
pub async fn create_ticket_satisfaction(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<RateTicket>,
) -> Result<HttpResponse, ApiError> {
    let (rating, comment) =
        body.checked(|dto| rules::check_satisfaction(dto.rating, dto.comment.as_deref()))?;
    let ticket = store::rate(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        rating,
        comment,
        state.clock.now(),
    )
    .await?;
    let version = ticket.version;
    Ok(ok_versioned(&TicketView::from(ticket), version))
}
