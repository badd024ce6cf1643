//! Category handlers and what goes over the wire for them.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::catalogue::categories::{Category, CategoryChanges, NewCategory};
use rapport_persistence::catalogue::categories::{self, PathStep, Placement};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "跑步鞋",
    "description": "Road and trail running shoes",
    "parent_id": "0193a5c6-4444-7000-8000-000000000001"
}))]
pub struct CreateCategory {
    /// Name, 1 to 100 characters, unique among its siblings.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// A few words about it, at most 1000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// The category it sits under; absent or `null` for a top-level category.
    pub parent_id: Option<Uuid>,
}

/// Changes to a category: absent parts stay. Setting `parent_id` moves it, with its
/// subcategories.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Running shoes", "parent_id": null}))]
pub struct UpdateCategory {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
    /// The new parent, or `null` to move it to the top.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

/// One category on the path from the top of the tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryPathStep {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
}

/// A category.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-4444-7000-8000-000000000002",
    "name": "跑步鞋",
    "description": "Road and trail running shoes",
    "parent_id": "0193a5c6-4444-7000-8000-000000000001",
    "path": [
        {"id": "0193a5c6-4444-7000-8000-000000000001", "name": "鞋类"},
        {"id": "0193a5c6-4444-7000-8000-000000000002", "name": "跑步鞋"}
    ],
    "full_name": "鞋类 › 跑步鞋",
    "created_at": "2026-12-05T08:30:00Z",
    "updated_at": "2026-12-05T08:30:00Z",
    "version": 1
}))]
pub struct CategoryView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The category it sits under; `null` at the top.
    pub parent_id: Option<Uuid>,
    /// From its top-level ancestor down to the category itself.
    pub path: Vec<CategoryPathStep>,
    /// The names of the path, joined by ` › `.
    pub full_name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl CategoryView {
    fn new(c: Category, path: Vec<PathStep>) -> Self {
        let full_name = path
            .iter()
            .map(|step| step.name.as_str())
            .collect::<Vec<_>>()
            .join(" › ");
        CategoryView {
            id: c.id,
            name: c.name,
            description: c.description,
            parent_id: c.parent_id,
            path: path
                .into_iter()
                .map(|step| CategoryPathStep {
                    id: step.id,
                    name: step.name,
                })
                .collect(),
            full_name,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// The view of one category, its path read from the store.
async fn view(state: &AppState, category: Category) -> Result<CategoryView, ApiError> {
    let mut paths = categories::paths(state.db.conn(), std::slice::from_ref(&category)).await?;
    let path = paths.remove(&category.id).unwrap_or_default();
    Ok(CategoryView::new(category, path))
}

/// Paging, order and place in the tree of the category list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CategoryListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
    /// Comma-separated keys, `-` for descending: `name`, `created_at`, `updated_at` (default
    /// `name`).
    #[param(example = "name")]
    pub sort: Option<String>,
    /// Only the children of this category.
    pub parent_id: Option<Uuid>,
    /// Only the top-level categories (`true`).
    pub top_level: Option<bool>,
}

/// List categories.
///
/// By name unless `sort` says otherwise; `parent_id` lists one category's children and
/// `top_level=true` the top of the tree (both together list nothing). Each category carries its
/// path from the top.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "list_categories",
    params(CategoryListQuery),
    responses((status = 200, description = "One page of categories", body = PageOf<CategoryView>)),
    security(("bearer" = []))
)]
#[get("/categories")]
pub async fn list_categories(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<CategoryListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = super::order(
        q.sort.as_deref(),
        rapport_domain::catalogue::categories::SORTABLE,
    )?;
    let placement = Placement {
        under: q.parent_id,
        top_level: q.top_level.unwrap_or(false),
    };
    let list = categories::list(state.db.conn(), placement, &order, &request).await?;
    let mut paths = categories::paths(state.db.conn(), &list.items).await?;
    Ok(page(&PageOf::from_page(list, |c| {
        let path = paths.remove(&c.id).unwrap_or_default();
        CategoryView::new(c, path)
    })))
}

/// Create a category.
///
/// At the top of the tree, or under `parent_id` (422 `not_found` on `parent_id` when there is no
/// such category). Siblings have different names (409 `category_name_taken`); the tree is at
/// most 8 levels deep (422 `too_deep`).
#[utoipa::path(
    tag = "catalogue",
    operation_id = "create_category",
    request_body = CreateCategory,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = CategoryView,
            headers(("Location" = String, description = "The category's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`category_name_taken`: a sibling has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/categories")]
pub async fn create_category(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateCategory>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        NewCategory {
            name: dto.name,
            description: dto.description,
            parent_id: dto.parent_id,
        }
        .parse()
    })?;
    let outcome = categories::create(&state.db, &auth.actor, new, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let category = outcome.into_inner();
    let location = format!("/api/v1/categories/{}", category.id);
    let version = category.version;
    Ok(created(
        &view(&state, category).await?,
        location,
        version,
        replayed,
    ))
}

/// Get a category.
///
/// With its path from the top of the tree.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_category",
    params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 200, description = "The category", body = CategoryView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/categories/{id:[0-9a-fA-F-]+}")]
pub async fn get_category(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let category = categories::get(state.db.conn(), id.into_inner()).await?;
    let version = category.version;
    Ok(ok_versioned(&view(&state, category).await?, version))
}

/// Change a category.
///
/// Rename it, describe it, or move it (with its subcategories) by setting `parent_id`. A move
/// under itself or one of its own subcategories is 409 `category_cycle`. With `If-Match:
/// "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "update_category",
    request_body = UpdateCategory,
    params(
        ("id" = Uuid, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed category", body = CategoryView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`category_cycle`: the new parent is the category itself or one of its subcategories; `category_name_taken`: a sibling has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/categories/{id:[0-9a-fA-F-]+}")]
pub async fn update_category(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateCategory>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        CategoryChanges {
            name: dto.name,
            description: dto.description,
            parent_id: dto.parent_id,
        }
        .parse()
    })?;
    let category =
        categories::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = category.version;
    Ok(ok_versioned(&view(&state, category).await?, version))
}

/// Delete a category.
///
/// Only a category without subcategories (409 `category_in_use` otherwise).
#[utoipa::path(
    tag = "catalogue",
    operation_id = "delete_category",
    params(
        ("id" = Uuid, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`category_in_use`: it has subcategories", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/categories/{id:[0-9a-fA-F-]+}")]
pub async fn delete_category(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    categories::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
