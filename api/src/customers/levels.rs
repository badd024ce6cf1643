//! Customer levels over HTTP (`/customer-levels`): the grades a business sets by total spent and
//! number of orders, and what goes over the wire for them.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::customers::levels::{CustomerLevel, LevelInput, SORTABLE};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::customers::levels;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// A new level.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "金卡", "rank": 3, "min_total_spent": 500000, "min_orders_count": 5, "description": "95 折，生日礼"}))]
pub struct CreateCustomerLevel {
    /// Name, 1 to 100 characters, unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// 0 to 1000, unique: of the levels a customer reaches, they hold the highest-ranked.
    #[serde(deserialize_with = "crate::extract::whole")]
    #[schema(minimum = 0, maximum = 1000)]
    pub rank: i64,
    /// The least `total_spent` (minor units) the level asks for; at least one threshold.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0)]
    pub min_total_spent: Option<i64>,
    /// The least `orders_count` the level asks for.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub min_orders_count: Option<i64>,
    /// What it means, at most 1000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// Changes to a level: absent parts stay, `null` clears a threshold or the description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"min_total_spent": 400000, "min_orders_count": null}))]
pub struct UpdateCustomerLevel {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// 0 to 1000.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    #[schema(minimum = 0, maximum = 1000)]
    pub rank: Option<i64>,
    /// The least `total_spent`, or `null` for none.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub min_total_spent: Option<Option<i64>>,
    /// The least `orders_count`, or `null` for none.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000000)]
    pub min_orders_count: Option<Option<i64>>,
    /// Description, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
}

/// Absent stays absent (`None`); `null` is `Some(None)`; a whole number is `Some(Some(n))`.
fn nullable_whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    crate::extract::optional_whole(d).map(Some)
}

/// A customer level.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c7-1111-7000-8000-000000000002",
    "name": "金卡",
    "rank": 3,
    "min_total_spent": 500000,
    "min_orders_count": 5,
    "description": "95 折，生日礼",
    "created_at": "2026-12-05T08:30:00Z",
    "updated_at": "2026-12-05T08:30:00Z",
    "version": 1
}))]
pub struct CustomerLevelView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Rank: of the levels a customer reaches, they hold the highest.
    pub rank: i32,
    /// The least `total_spent` (minor units), if any.
    pub min_total_spent: Option<i64>,
    /// The least `orders_count`, if any.
    pub min_orders_count: Option<i64>,
    /// What it means.
    pub description: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<CustomerLevel> for CustomerLevelView {
    fn from(l: CustomerLevel) -> Self {
        CustomerLevelView {
            id: l.id,
            name: l.name,
            rank: l.rank,
            min_total_spent: l.min_total_spent,
            min_orders_count: l.min_orders_count,
            description: l.description,
            created_at: l.created_at,
            updated_at: l.updated_at,
            version: l.version,
        }
    }
}

/// Paging and order of the level list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerLevelListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
    /// Comma-separated keys, `-` for descending: `rank`, `name`, `created_at` (default `rank`).
    #[param(example = "-rank")]
    pub sort: Option<String>,
}

/// List customer levels.
///
/// Lowest rank first unless `sort` says otherwise.
#[utoipa::path(
    tag = "customer-levels",
    operation_id = "list_customer_levels",
    params(CustomerLevelListQuery),
    responses((status = 200, description = "One page of levels", body = PageOf<CustomerLevelView>)),
    security(("bearer" = []))
)]
#[get("/customer-levels")]
pub async fn list_customer_levels(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<CustomerLevelListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(q.sort.as_deref(), SORTABLE, SortKey::ascending("rank"))
        .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let list = levels::list(state.db.conn(), &order, &request).await?;
    Ok(page(&PageOf::from_page(list, CustomerLevelView::from)))
}

/// Create a customer level.
///
/// Names and ranks are unique (409 `level_name_taken`, `level_rank_taken`); a workspace has at
/// most 50 levels (409 `too_many_levels`). Every customer whose figures reach it, and no
/// higher-ranked level, moves to it in the same transaction (`customer.level_changed`).
#[utoipa::path(
    tag = "customer-levels",
    operation_id = "create_customer_level",
    request_body = CreateCustomerLevel,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = CustomerLevelView,
            headers(("Location" = String, description = "The level's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`level_name_taken`, `level_rank_taken`: another level has the name or rank; `too_many_levels`: the workspace has 50", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customer-levels")]
pub async fn create_customer_level(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateCustomerLevel>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let input = body.value().map(|dto| LevelInput {
        name: Some(dto.name),
        rank: Some(dto.rank),
        min_total_spent: Some(dto.min_total_spent),
        min_orders_count: Some(dto.min_orders_count),
        description: Some(dto.description),
    })?;
    let outcome = levels::create(&state.db, &auth.actor, input, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let level = outcome.into_inner();
    let location = format!("/api/v1/customer-levels/{}", level.id);
    let version = level.version;
    Ok(created(
        &CustomerLevelView::from(level),
        location,
        version,
        replayed,
    ))
}

/// Get a customer level.
#[utoipa::path(
    tag = "customer-levels",
    operation_id = "get_customer_level",
    params(("id" = Uuid, Path, description = "Level id")),
    responses(
        (status = 200, description = "The level", body = CustomerLevelView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/customer-levels/{id:[0-9a-fA-F-]+}")]
pub async fn get_customer_level(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let level = levels::get(state.db.conn(), id.into_inner()).await?;
    let version = level.version;
    Ok(ok_versioned(&CustomerLevelView::from(level), version))
}

/// Change a customer level.
///
/// Customers move as the new thresholds and rank say, in the same transaction. With
/// `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "customer-levels",
    operation_id = "update_customer_level",
    request_body = UpdateCustomerLevel,
    params(
        ("id" = Uuid, Path, description = "Level id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed level", body = CustomerLevelView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`level_name_taken`, `level_rank_taken`: another level has the name or rank", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/customer-levels/{id:[0-9a-fA-F-]+}")]
pub async fn update_customer_level(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateCustomerLevel>,
) -> Result<HttpResponse, ApiError> {
    let input = body.value().map(|dto| LevelInput {
        name: dto.name,
        rank: dto.rank,
        min_total_spent: dto.min_total_spent,
        min_orders_count: dto.min_orders_count,
        description: dto.description,
    })?;
    let level = levels::update(&state.db, &auth.actor, id.into_inner(), input, if_match.0).await?;
    let version = level.version;
    Ok(ok_versioned(&CustomerLevelView::from(level), version))
}

/// Delete a customer level.
///
/// Its customers move to the highest other level they reach, if any.
#[utoipa::path(
    tag = "customer-levels",
    operation_id = "delete_customer_level",
    params(
        ("id" = Uuid, Path, description = "Level id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/customer-levels/{id:[0-9a-fA-F-]+}")]
pub async fn delete_customer_level(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    levels::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
