//! Conversation handlers: opening, listing, reading, changing and removing conversations, a
//! customer's conversations, and turning one into a ticket.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::access::{Action, Resource};
use rapport_domain::conversations::{
    self as rules, ConversationChanges, NewConversation, TicketFromConversation,
};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::conversations::{self as store, ConversationFilter};
use rapport_persistence::{customers, tickets};
use uuid::Uuid;

use super::dto::{
    ConversationListQuery, ConversationView, CreateConversation, CreateConversationTicket,
    CustomerConversationListQuery, UpdateConversation,
};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;
use crate::tickets::TicketView;

/// The owner the caller's customers are restricted to, when their customer scope is `own`.
fn customer_owner(auth: &Auth) -> Result<Option<Uuid>, ApiError> {
    Ok(auth
        .actor
        .owner_filter(auth.also(Resource::Customers, Action::Read)?))
}

fn order_by(raw: Option<&str>) -> Result<SortOrder, ApiError> {
    SortOrder::parse(raw, rules::SORTABLE, SortKey::descending("last_message_at"))
        .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))
}

/// List conversations.
///
/// The latest message first unless `sort` says otherwise. Agents whose role reaches only their
/// own conversations see those assigned to them and those assigned to no one.
#[utoipa::path(
    tag = "conversations",
    operation_id = "list_conversations",
    params(ConversationListQuery),
    responses((status = 200, description = "One page of conversations", body = PageOf<ConversationView>)),
    security(("bearer" = []))
)]
#[get("/conversations")]
pub async fn list_conversations(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<ConversationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = order_by(q.sort.as_deref())?;
    let filter = ConversationFilter {
        customer_id: q.customer_id,
        status: q.status.map(Into::into),
        channel: q.channel.map(Into::into),
        assignee_id: q.assignee_id,
        unassigned: q.unassigned,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, ConversationView::from)))
}

/// List a customer's conversations.
///
/// The latest message first unless `sort` says otherwise; as `GET /conversations`, within the
/// caller's reach.
#[utoipa::path(
    tag = "conversations",
    operation_id = "list_customer_conversations",
    params(("id" = Uuid, Path, description = "Customer id"), CustomerConversationListQuery),
    responses((status = 200, description = "One page of the customer's conversations", body = PageOf<ConversationView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/conversations")]
pub async fn list_customer_conversations(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<CustomerConversationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let id = id.into_inner();
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = order_by(q.sort.as_deref())?;
    // A customer beyond the caller's reach is as missing as one that does not exist.
    customers::get(state.db.conn(), customer_owner(&auth)?, id).await?;
    let filter = ConversationFilter {
        customer_id: Some(id),
        status: q.status.map(Into::into),
        channel: q.channel.map(Into::into),
        assignee_id: q.assignee_id,
        unassigned: q.unassigned,
    };
    let list = store::list(state.db.conn(), auth.owner(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, ConversationView::from)))
}

/// Open a conversation.
///
/// `open`, for a customer the caller may reach, perhaps assigned to an agent. Emits
/// `conversation.created`.
#[utoipa::path(
    tag = "conversations",
    operation_id = "create_conversation",
    request_body = CreateConversation,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = ConversationView,
            headers(("Location" = String, description = "The conversation's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/conversations")]
pub async fn create_conversation(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateConversation>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        NewConversation {
            customer_id: dto.customer_id,
            channel: dto.channel.into(),
            assignee_id: dto.assignee_id,
            subject: dto.subject,
        }
        .check()
    })?;
    let outcome = store::create(
        &state.db,
        &auth.actor,
        auth.owner(),
        customer_owner(&auth)?,
        new,
        state.clock.now(),
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let conversation = outcome.into_inner();
    let location = format!("/api/v1/conversations/{}", conversation.id);
    let version = conversation.version;
    Ok(created(
        &ConversationView::from(conversation),
        location,
        version,
        replayed,
    ))
}

/// Get a conversation.
#[utoipa::path(
    tag = "conversations",
    operation_id = "get_conversation",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation", body = ConversationView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/conversations/{id:[0-9a-fA-F-]+}")]
pub async fn get_conversation(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conversation = store::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = conversation.version;
    Ok(ok_versioned(&ConversationView::from(conversation), version))
}

/// Change a conversation.
///
/// Assign it, close it (`closed_at` is stamped) or reopen it, or change its subject. Closing,
/// reopening and a new assignee are told in the conversation by a system message, which the
/// stream carries. Emits `conversation.closed`, `conversation.reopened`, `conversation.assigned`
/// or `conversation.updated`. With `If-Match: "<version>"` the change applies only to that
/// version.
#[utoipa::path(
    tag = "conversations",
    operation_id = "update_conversation",
    request_body = UpdateConversation,
    params(
        ("id" = Uuid, Path, description = "Conversation id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed conversation", body = ConversationView,
            headers(("ETag" = String, description = "The new version"))),
    ),
    security(("bearer" = []))
)]
#[patch("/conversations/{id:[0-9a-fA-F-]+}")]
pub async fn update_conversation(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateConversation>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        ConversationChanges {
            assignee_id: dto.assignee_id,
            status: dto.status.map(Into::into),
            subject: dto.subject,
        }
        .check()
    })?;
    let conversation = store::update(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        changes,
        state.clock.now(),
        if_match.0,
    )
    .await?;
    let version = conversation.version;
    Ok(ok_versioned(&ConversationView::from(conversation), version))
}

/// Delete a conversation.
///
/// With its messages. Emits `conversation.deleted`.
#[utoipa::path(
    tag = "conversations",
    operation_id = "delete_conversation",
    params(
        ("id" = Uuid, Path, description = "Conversation id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/conversations/{id:[0-9a-fA-F-]+}")]
pub async fn delete_conversation(
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

/// Turn a conversation into a ticket.
///
/// A `new` ticket for the conversation's customer, assigned to its agent, on its channel (a web
/// chat is `chat`), whose description is the transcript: one line per message, oldest first,
/// `[2026-12-06 09:12 UTC] Customer: …` (the latest that fit in 10000 characters). Needs
/// `tickets:write` too. The conversation keeps the ticket's id and says so in a system message.
/// Once per conversation. Emits `ticket.created` and `conversation.ticketed`.
#[utoipa::path(
    tag = "conversations",
    operation_id = "create_conversation_ticket",
    request_body = CreateConversationTicket,
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses(
        (status = 201, description = "The ticket", body = TicketView,
            headers(("Location" = String, description = "The ticket's URL"), ("ETag" = String, description = "The ticket's version"))),
        (status = 409, description = "`already_ticketed`: the conversation was turned into a ticket already", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/conversations/{id:[0-9a-fA-F-]+}/ticket")]
pub async fn create_conversation_ticket(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<CreateConversationTicket>,
) -> Result<HttpResponse, ApiError> {
    let ticket_owner = auth
        .actor
        .owner_filter(auth.also(Resource::Tickets, Action::Write)?);
    let reach = tickets::Reach {
        customers: customer_owner(&auth)?,
        orders: None,
    };
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Ticket).await?;
    let wanted = body.checked(|dto| {
        Ok(TicketFromConversation {
            subject: dto.subject,
            ticket_type: dto.ticket_type.map(Into::into),
            priority: dto.priority.map(Into::into),
            tags: dto.tags.unwrap_or_default(),
            custom_fields: dto.custom_fields.unwrap_or_default(),
        })
    })?;
    let ticket = store::into_ticket(
        &state.db,
        &auth.actor,
        auth.owner(),
        ticket_owner,
        reach,
        id.into_inner(),
        |conversation, messages| wanted.ticket(conversation, messages, &definitions),
        state.clock.now(),
    )
    .await?;
    let location = format!("/api/v1/tickets/{}", ticket.id);
    let version = ticket.version;
    Ok(created(&TicketView::from(ticket), location, version, false))
}
