//! Role handlers.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::FieldErrors;
use rapport_domain::access::RoleName;
use rapport_domain::validation::optional_text;
use rapport_persistence::access::roles::{self, NewRole, RoleChanges};
use uuid::Uuid;

use super::dto::{CreateRole, RoleView, UpdateRole, grants};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, PageQuery, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// List roles.
///
/// The six built-in roles (`admin`, `manager`, `sales`, `support`, `marketing`, `viewer`) and any
/// custom ones, by name, each with its permissions and their scopes.
#[utoipa::path(
    tag = "roles",
    operation_id = "list_roles",
    params(PageQuery),
    responses((status = 200, description = "One page of roles", body = PageOf<RoleView>)),
    security(("bearer" = []))
)]
#[get("/roles")]
pub async fn list_roles(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = roles::list(state.db.conn(), &request).await?;
    Ok(page(&PageOf::from_page(list, RoleView::from)))
}

/// Get a role.
#[utoipa::path(
    tag = "roles",
    operation_id = "get_role",
    params(("id" = Uuid, Path, description = "Role id")),
    responses((status = 200, description = "The role", body = RoleView, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = []))
)]
#[get("/roles/{id}")]
pub async fn get_role(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let role = roles::get(state.db.conn(), id.into_inner()).await?;
    let version = role.version;
    Ok(ok_versioned(&RoleView::from(role), version))
}

/// Create a custom role.
#[utoipa::path(
    tag = "roles",
    operation_id = "create_role",
    request_body = CreateRole,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = RoleView,
            headers(("Location" = String, description = "The role's URL"), ("ETag" = String, description = "The version"))),
        (status = 403, description = "`privilege_escalation`: the role would grant a permission (or a wider scope) you do not hold yourself", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`role_name_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/roles")]
pub async fn create_role(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateRole>,
) -> Result<HttpResponse, ApiError> {
    let idem = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let name = errors.take(RoleName::parse("name", &dto.name));
        let description = errors
            .take(optional_text(
                "description",
                dto.description.as_deref(),
                500,
            ))
            .flatten();
        let grants = grants(dto.permissions, &mut errors);
        match (name, errors.is_empty()) {
            (Some(name), true) => Ok(NewRole {
                name,
                description: description.unwrap_or_default(),
                grants,
            }),
            _ => Err(errors),
        }
    })?;
    let outcome = roles::create(&state.db, &auth.actor, new, idem.as_ref()).await?;
    let replayed = outcome.is_replay();
    let role = outcome.into_inner();
    let location = format!("/api/v1/roles/{}", role.id);
    let version = role.version;
    Ok(created(&RoleView::from(role), location, version, replayed))
}

/// Change a custom role.
///
/// Users and API keys holding the role get its new permissions on their next request.
#[utoipa::path(
    tag = "roles",
    operation_id = "update_role",
    request_body = UpdateRole,
    params(
        ("id" = Uuid, Path, description = "Role id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed role", body = RoleView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "`privilege_escalation`: the role grants, or would grant, a permission (or a wider scope) you do not hold yourself, or you hold this role and would add to it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`built_in_role`: built-in roles do not change", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/roles/{id}")]
pub async fn update_role(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateRole>,
) -> Result<HttpResponse, ApiError> {
    let (description, grants) = body.checked(|dto| {
        let mut errors = FieldErrors::new();
        let description = dto
            .description
            .and_then(|d| errors.take(optional_text("description", Some(&d), 500)))
            .map(Option::unwrap_or_default);
        let grants = dto.permissions.map(|p| grants(p, &mut errors));
        errors.into_result(|| (description, grants))
    })?;
    let role = roles::update(
        &state.db,
        &auth.actor,
        id.into_inner(),
        RoleChanges {
            description,
            grants,
        },
        if_match.0,
    )
    .await?;
    let version = role.version;
    Ok(ok_versioned(&RoleView::from(role), version))
}

/// Delete a custom role.
///
/// Only roles that no user or API key holds.
#[utoipa::path(
    tag = "roles",
    operation_id = "delete_role",
    params(
        ("id" = Uuid, Path, description = "Role id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "`privilege_escalation`: the role grants a permission (or a wider scope) you do not hold yourself", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`built_in_role` or `role_in_use`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/roles/{id}")]
pub async fn delete_role(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    roles::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
