//! Staff account handlers (administrators).

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, patch, post};
use rapport_domain::FieldErrors;
use rapport_domain::validation::name;
use rapport_domain::values::{Email, optional_phone};
use rapport_persistence::access::users::{self, NewUser, UserChanges};
use rapport_persistence::audit::By;
use uuid::Uuid;

use super::dto::{CreateUser, ResetPassword, UpdateUser, UserView, role_reference};
use crate::auth::{Auth, password};
use crate::extract::{IdempotencyHeader, IfMatch, PageQuery, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, ErrorCode, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// List users.
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    params(PageQuery),
    responses((status = 200, description = "One page of users, oldest first", body = PageOf<UserView>)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = users::list(state.db.conn(), &request).await?;
    Ok(page(&PageOf::from_page(list, UserView::from)))
}

/// Create a user.
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = UserView,
            headers(("Location" = String, description = "The user's URL"), ("ETag" = String, description = "The version"))),
        (status = 403, description = "`privilege_escalation`: the role grants a permission (or a wider scope) you do not hold yourself", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let (email, display_name, phone, role, password) = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let email = errors.take(Email::parse("email", &dto.email));
        let display_name = errors.take(name("display_name", &dto.display_name, 1, 200));
        let phone = optional_phone(&mut errors, dto.phone);
        errors.take(password::check_new("password", &dto.password));
        let role = role_reference(&mut errors, dto.role);
        match (email, display_name, role, errors.is_empty()) {
            (Some(email), Some(display_name), Some(role), true) => {
                Ok((email, display_name, phone, role, dto.password))
            }
            _ => Err(errors),
        }
    })?;
    users::check_role_for_new_account(state.db.conn(), &auth.actor, &role).await?;
    let password_hash = state
        .passwords
        .hash(password)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    let new = NewUser {
        email,
        display_name,
        phone,
        role,
        password_hash,
    };
    let outcome = users::create(&state.db, By::Actor(&auth.actor), new, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let user = outcome.into_inner();
    let location = format!("/api/v1/users/{}", user.id);
    let version = user.version;
    Ok(created(&UserView::from(user), location, version, replayed))
}

/// Get a user.
#[utoipa::path(
    tag = "users",
    operation_id = "get_user",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = users::get(state.db.conn(), id.into_inner()).await?;
    let version = user.version;
    Ok(ok_versioned(&UserView::from(user), version))
}

/// Change a user.
///
/// A new role or a disabled status takes effect on the user's next request. Nobody can disable
/// their own account or change their own role, so an organisation cannot lock itself out.
#[utoipa::path(
    tag = "users",
    operation_id = "update_user",
    request_body = UpdateUser,
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed user", body = UserView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "`privilege_escalation`: the user's role, or the new one, grants a permission (or a wider scope) you do not hold yourself", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`cannot_disable_self`: you tried to disable your own account; or `cannot_change_own_role`: you tried to change your own role (another administrator must)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let changes = UserChanges {
            display_name: dto
                .display_name
                .and_then(|n| errors.take(name("display_name", &n, 1, 200))),
            phone: dto.phone.map(|p| optional_phone(&mut errors, p)),
            role: dto.role.and_then(|r| role_reference(&mut errors, r)),
            status: dto.status.map(Into::into),
        };
        errors.into_result(|| changes)
    })?;
    let user = users::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = user.version;
    Ok(ok_versioned(&UserView::from(user), version))
}

/// Reset a user's password.
///
/// Sets a new password and ends every session of the user.
#[utoipa::path(
    tag = "users",
    operation_id = "reset_user_password",
    request_body = ResetPassword,
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Password replaced"),
        (status = 403, description = "`privilege_escalation`: the user's role grants a permission (or a wider scope) you do not hold yourself", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users/{id}/reset-password")]
pub async fn reset_user_password(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<ResetPassword>,
) -> Result<HttpResponse, ApiError> {
    let new_password = body.value()?.password;
    password::check_new("password", &new_password).map_err(|e| ApiError::validation(e.into()))?;
    let id = id.into_inner();
    users::get_within_reach(state.db.conn(), &auth.actor, id).await?;
    let hash = state
        .passwords
        .hash(new_password)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    users::set_password(&state.db, By::Actor(&auth.actor), id, hash).await?;
    Ok(HttpResponse::NoContent().finish())
}
