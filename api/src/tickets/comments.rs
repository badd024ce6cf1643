//! A ticket's comments: public answers the customer sees, and internal notes for staff.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use chrono::{DateTime, Utc};
use rapport_domain::tickets::{self as rules, Author, Comment};
use rapport_persistence::tickets::{self as store, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, page};
use crate::state::AppState;

/// A comment to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "您好，已联系快递加急处理，预计明天送达。", "public": true}))]
pub struct CreateComment {
    /// What it says, 1 to 10000 characters.
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
    /// `true` (the default): the customer sees it, and a staff member's first one is the
    /// ticket's first response; `false`: an internal note for staff.
    pub public: Option<bool>,
}

/// Who wrote a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorType {
    /// A staff member signed in.
    User,
    /// An integration's API key, such as a customer-facing channel's.
    ApiKey,
}

/// The author of a comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorView {
    /// A staff member or an API key.
    #[serde(rename = "type")]
    pub author_type: AuthorType,
    /// The user's or the key's id.
    pub id: Uuid,
}

/// A comment on a ticket.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5d0-2222-7000-8000-000000000001",
    "ticket_id": "0193a5d0-1111-7000-8000-000000000001",
    "body": "您好，已联系快递加急处理，预计明天送达。", "public": true,
    "author": {"type": "user", "id": "0193a5c6-0000-7000-8000-000000000004"},
    "created_at": "2026-12-06T09:12:00Z"
}))]
pub struct CommentView {
    /// Identifier.
    pub id: Uuid,
    /// The ticket.
    pub ticket_id: Uuid,
    /// What it says.
    pub body: String,
    /// Whether the customer sees it.
    pub public: bool,
    /// Who wrote it.
    pub author: AuthorView,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl From<Comment> for CommentView {
    fn from(c: Comment) -> Self {
        let (author_type, id) = match c.author {
            Author::User(id) => (AuthorType::User, id),
            Author::ApiKey(id) => (AuthorType::ApiKey, id),
        };
        CommentView {
            id: c.id,
            ticket_id: c.ticket_id,
            body: c.body,
            public: c.public,
            author: AuthorView { author_type, id },
            created_at: c.created_at,
        }
    }
}

/// Which comments are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisibilityDto {
    /// Those the customer sees: what a customer-facing channel shows.
    Public,
    /// Staff's internal notes.
    Internal,
}

/// Which of a ticket's comments, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommentListQuery {
    /// Only public comments, or only internal ones; both when absent.
    #[param(inline)]
    pub visibility: Option<VisibilityDto>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List a ticket's comments.
///
/// Oldest first. `visibility=public` leaves out the internal notes.
#[utoipa::path(
    tag = "tickets",
    operation_id = "list_ticket_comments",
    params(("id" = Uuid, Path, description = "Ticket id"), CommentListQuery),
    responses((status = 200, description = "One page of the ticket's comments", body = PageOf<CommentView>)),
    security(("bearer" = []))
)]
#[get("/tickets/{id:[0-9a-fA-F-]+}/comments")]
pub async fn list_ticket_comments(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<CommentListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let visibility = q.visibility.map(|v| match v {
        VisibilityDto::Public => Visibility::Public,
        VisibilityDto::Internal => Visibility::Internal,
    });
    let list = store::comments(
        state.db.conn(),
        auth.owner(),
        id.into_inner(),
        visibility,
        &request,
    )
    .await?;
    Ok(page(&PageOf::from_page(list, CommentView::from)))
}

/// Comment on a ticket.
///
/// By the caller. A staff member's first public comment is the ticket's first response
/// (`first_responded_at`); an internal note is not. A closed ticket takes no comments. Emits
/// `ticket_comment.created`.
#[utoipa::path(
    tag = "tickets",
    operation_id = "create_ticket_comment",
    request_body = CreateComment,
    params(("id" = Uuid, Path, description = "Ticket id")),
    responses(
        (status = 201, description = "The comment", body = CommentView),
        (status = 409, description = "`invalid_transition`: the ticket is closed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/tickets/{id:[0-9a-fA-F-]+}/comments")]
pub async fn create_ticket_comment(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<CreateComment>,
) -> Result<HttpResponse, ApiError> {
    let (text, public) = body.checked(|dto| {
        rules::check_comment(&dto.body).map(|text| (text, dto.public.unwrap_or(true)))
    })?;
    let comment = store::comment(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        public,
        text,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(CommentView::from(comment)))
}
