//! A conversation's messages: read back in order, and posted by agents or, through an
//! integration's API key, by the customer.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use rapport_domain::access::Principal;
use rapport_domain::conversations::{self as rules, Poster};
use rapport_persistence::conversations as store;
use uuid::Uuid;

use super::dto::{CreateMessage, MessageListQuery, MessageView};
use crate::auth::Auth;
use crate::extract::{ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, page};
use crate::state::AppState;

/// List a conversation's messages.
///
/// Oldest first: in `seq` order.
#[utoipa::path(
    tag = "conversations",
    operation_id = "list_conversation_messages",
    params(("id" = Uuid, Path, description = "Conversation id"), MessageListQuery),
    responses((status = 200, description = "One page of the conversation's messages", body = PageOf<MessageView>)),
    security(("bearer" = []))
)]
#[get("/conversations/{id:[0-9a-fA-F-]+}/messages")]
pub async fn list_conversation_messages(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<MessageListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = store::messages(state.db.conn(), auth.owner(), id.into_inner(), &request).await?;
    Ok(page(&PageOf::from_page(list, MessageView::from)))
}

/// Post a message.
///
/// A staff member writes as an `agent`, and their first message is the conversation's first
/// response (`first_responded_at`); an integration's API key relays the `customer` or posts a
/// `system` notice. Every agent watching the conversation receives it on `GET
/// /conversations/stream`. A closed conversation takes no messages. Emits
/// `conversation_message.created`.
#[utoipa::path(
    tag = "conversations",
    operation_id = "create_conversation_message",
    request_body = CreateMessage,
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses(
        (status = 201, description = "The message", body = MessageView),
        (status = 409, description = "`conversation_closed`: the conversation is closed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/conversations/{id:[0-9a-fA-F-]+}/messages")]
pub async fn create_conversation_message(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<CreateMessage>,
) -> Result<HttpResponse, ApiError> {
    let poster = match auth.actor.principal {
        Principal::User(id) => Poster::User(id),
        Principal::ApiKey(id) => Poster::ApiKey(id),
    };
    let (sender, text) =
        body.checked(|dto| rules::check_message(poster, dto.sender.map(Into::into), &dto.body))?;
    let message = store::post(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        sender,
        text,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(MessageView::from(message)))
}
