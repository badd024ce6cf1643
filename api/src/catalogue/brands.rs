//! Brand handlers and what goes over the wire for them.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::catalogue::brands::{Brand, BrandChanges, NewBrand};
use rapport_persistence::catalogue::brands;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// A new brand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "安踏", "description": "Sportswear from Jinjiang"}))]
pub struct CreateBrand {
    /// Name, 1 to 100 characters, unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// A few words about it, at most 1000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// Changes to a brand: absent parts stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ANTA", "description": null}))]
pub struct UpdateBrand {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
}

/// A brand.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-5555-7000-8000-000000000001",
    "name": "安踏",
    "description": "Sportswear from Jinjiang",
    "created_at": "2026-12-05T08:30:00Z",
    "updated_at": "2026-12-05T08:30:00Z",
    "version": 1
}))]
pub struct BrandView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Brand> for BrandView {
    fn from(b: Brand) -> Self {
        BrandView {
            id: b.id,
            name: b.name,
            description: b.description,
            created_at: b.created_at,
            updated_at: b.updated_at,
            version: b.version,
        }
    }
}

/// Paging and order of the brand list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BrandListQuery {
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
}

/// List brands.
///
/// By name unless `sort` says otherwise.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "list_brands",
    params(BrandListQuery),
    responses((status = 200, description = "One page of brands", body = PageOf<BrandView>)),
    security(("bearer" = []))
)]
#[get("/brands")]
pub async fn list_brands(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<BrandListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = super::order(
        q.sort.as_deref(),
        rapport_domain::catalogue::brands::SORTABLE,
    )?;
    let list = brands::list(state.db.conn(), &order, &request).await?;
    Ok(page(&PageOf::from_page(list, BrandView::from)))
}

/// Create a brand.
///
/// Names are unique (409 `brand_name_taken`).
#[utoipa::path(
    tag = "catalogue",
    operation_id = "create_brand",
    request_body = CreateBrand,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = BrandView,
            headers(("Location" = String, description = "The brand's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`brand_name_taken`: another brand has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/brands")]
pub async fn create_brand(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateBrand>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let new = body.checked(|dto| {
        NewBrand {
            name: dto.name,
            description: dto.description,
        }
        .parse()
    })?;
    let outcome = brands::create(&state.db, &auth.actor, new, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let brand = outcome.into_inner();
    let location = format!("/api/v1/brands/{}", brand.id);
    let version = brand.version;
    Ok(created(
        &BrandView::from(brand),
        location,
        version,
        replayed,
    ))
}

/// Get a brand.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "get_brand",
    params(("id" = Uuid, Path, description = "Brand id")),
    responses(
        (status = 200, description = "The brand", body = BrandView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/brands/{id:[0-9a-fA-F-]+}")]
pub async fn get_brand(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let brand = brands::get(state.db.conn(), id.into_inner()).await?;
    let version = brand.version;
    Ok(ok_versioned(&BrandView::from(brand), version))
}

/// Change a brand.
///
/// With `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "update_brand",
    request_body = UpdateBrand,
    params(
        ("id" = Uuid, Path, description = "Brand id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed brand", body = BrandView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`brand_name_taken`: another brand has this name", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/brands/{id:[0-9a-fA-F-]+}")]
pub async fn update_brand(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateBrand>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| {
        BrandChanges {
            name: dto.name,
            description: dto.description,
        }
        .parse()
    })?;
    let brand =
        brands::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = brand.version;
    Ok(ok_versioned(&BrandView::from(brand), version))
}

/// Delete a brand.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "delete_brand",
    params(
        ("id" = Uuid, Path, description = "Brand id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/brands/{id:[0-9a-fA-F-]+}")]
pub async fn delete_brand(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    brands::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
