//! Role handlers.

use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get};
use rapport_persistence::access::roles;
use uuid::Uuid;

use super::dto::{PageQuery, RoleView};
use crate::auth::Auth;
use crate::extract::{ValidQuery, page_request};
use crate::problem::ApiError;
use crate::respond::{PageOf, ok_versioned, page};
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
