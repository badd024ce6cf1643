//! The rewards catalogue (`/rewards`): gifts and coupons, each with its points cost and stock.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::loyalty::points::MAX_POINTS;
use rapport_domain::loyalty::rewards::{Reward, RewardInput, RewardKind, RewardStatus, SORTABLE};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::rewards::{self as store, RewardFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{
    IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, nullable_whole, optional_whole,
    page_request, whole,
};
use crate::problem::ApiError;
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// What a reward gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardKindDto {
    /// Something handed over or sent (perhaps `variant_id` of the catalogue), marked fulfilled
    /// when it is.
    Gift,
    /// The coupon `coupon_id`, put in the customer's wallet at once.
    Coupon,
}

mirror!(RewardKindDto <=> RewardKind { Gift, Coupon });

/// Whether a reward can be exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatusDto {
    /// Offered.
    Active,
    /// Not offered until made active again.
    Paused,
}

mirror!(RewardStatusDto <=> RewardStatus { Active, Paused });

/// A new reward. A `coupon` reward names `coupon_id`; a `gift` may name `variant_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "50 元代金券", "kind": "coupon",
    "coupon_id": "0193a5c6-9999-7000-8000-000000000001",
    "points_cost": 500, "stock": 200, "description": "积分兑换，下单立减 50 元"
}))]
pub struct CreateReward {
    /// What it is called, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What it is, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// What it gives.
    pub kind: RewardKindDto,
    /// The variant of the catalogue given (`gift` only), which must be for sale.
    pub variant_id: Option<Uuid>,
    /// The coupon put in the wallet (`coupon`, required), which must exist.
    pub coupon_id: Option<Uuid>,
    /// Points one costs, 1 to 10^9.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 1000000000)]
    pub points_cost: i64,
    /// Units to exchange, 0 to 10^9; absent when stock is not counted.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub stock: Option<i64>,
    /// Whether it is offered (default `active`).
    pub status: Option<RewardStatusDto>,
}

/// Changes to a reward: absent parts stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stock": 500, "points_cost": 450}))]
pub struct UpdateReward {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Description, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// What it gives.
    pub kind: Option<RewardKindDto>,
    /// The gift's variant, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub variant_id: Option<Option<Uuid>>,
    /// The coupon, or `null` (a gift).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub coupon_id: Option<Option<Uuid>>,
    /// Points one costs, 1 to 10^9.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000)]
    pub points_cost: Option<i64>,
    /// Units left, 0 to 10^9 (set, not added: send `If-Match` so no exchange in between is
    /// lost), or `null` to stop counting.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000000)]
    pub stock: Option<Option<i64>>,
    /// Whether it is offered.
    pub status: Option<RewardStatusDto>,
}

/// A reward of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c8-1111-7000-8000-000000000001",
    "name": "50 元代金券", "description": "积分兑换，下单立减 50 元", "kind": "coupon",
    "variant_id": null, "coupon_id": "0193a5c6-9999-7000-8000-000000000001",
    "points_cost": 500, "stock": 199, "exchanged_count": 1, "status": "active",
    "available": true,
    "created_at": "2026-12-09T08:00:00Z", "updated_at": "2026-12-09T09:30:00Z", "version": 2
}))]
pub struct RewardView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// What it gives.
    pub kind: RewardKindDto,
    /// The gift's variant of the catalogue.
    pub variant_id: Option<Uuid>,
    /// The coupon given.
    pub coupon_id: Option<Uuid>,
    /// Points one costs.
    pub points_cost: i64,
    /// Units left; `null` when stock is not counted.
    pub stock: Option<i64>,
    /// Exchanges made.
    pub exchanged_count: i64,
    /// Whether it is offered.
    pub status: RewardStatusDto,
    /// Whether it can be exchanged now: active and in stock.
    pub available: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed (an exchange too: it takes stock).
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`; every exchange moves it.
    pub version: i64,
}

impl From<Reward> for RewardView {
    fn from(r: Reward) -> Self {
        RewardView {
            available: r.available().is_ok(),
            id: r.id,
            name: r.name,
            description: r.description,
            kind: r.kind.into(),
            variant_id: r.variant_id,
            coupon_id: r.coupon_id,
            points_cost: r.points_cost,
            stock: r.stock,
            exchanged_count: r.exchanged_count,
            status: r.status.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// Which rewards, in what order.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RewardListQuery {
    /// Only of this status.
    pub status: Option<RewardStatusDto>,
    /// Only of this kind.
    pub kind: Option<RewardKindDto>,
    /// `true`: only those that can be exchanged now (active and in stock); `false`: the others.
    pub available: Option<bool>,
    /// Only those costing at most this many points (a member's balance, say).
    #[param(minimum = 0, maximum = 1000000000)]
    pub max_points: Option<u32>,
    /// Comma-separated keys, `-` for descending: `created_at`, `name`, `points_cost` (default
    /// `-created_at`).
    #[param(example = "points_cost")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List rewards.
///
/// Newest first unless `sort` says otherwise; `available=true&max_points=<balance>` is what a
/// member can have now.
#[utoipa::path(
    tag = "rewards",
    operation_id = "list_rewards",
    params(RewardListQuery),
    responses((status = 200, description = "One page of rewards", body = PageOf<RewardView>)),
    security(("bearer" = []))
)]
#[get("/rewards")]
pub async fn list_rewards(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<RewardListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        SORTABLE,
        SortKey::descending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let max_points = match q.max_points.map(i64::from) {
        Some(most) if most > MAX_POINTS => {
            return Err(ApiError::bad_parameter(
                "max_points",
                "out_of_range",
                format!("must be between 0 and {MAX_POINTS}"),
            ));
        }
        most => most,
    };
    let filter = RewardFilter {
        status: q.status.map(Into::into),
        kind: q.kind.map(Into::into),
        available: q.available,
        max_points,
    };
    let list = store::list(state.db.conn(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, RewardView::from)))
}

/// Create a reward.
///
/// A coupon reward's coupon must exist and a gift's variant be for sale (422 `not_found` at the
/// field). Emits `reward.created`.
#[utoipa::path(
    tag = "rewards",
    operation_id = "create_reward",
    request_body = CreateReward,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = RewardView,
            headers(("Location" = String, description = "The reward's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/rewards")]
pub async fn create_reward(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateReward>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let input = body.checked(|dto| {
        Ok(RewardInput {
            name: Some(dto.name),
            description: Some(dto.description),
            kind: Some(dto.kind.into()),
            variant_id: Some(dto.variant_id),
            coupon_id: Some(dto.coupon_id),
            points_cost: Some(dto.points_cost),
            stock: Some(dto.stock),
            status: dto.status.map(Into::into),
        })
    })?;
    let outcome = store::create(&state.db, &auth.actor, input, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let reward = outcome.into_inner();
    let location = format!("/api/v1/rewards/{}", reward.id);
    let version = reward.version;
    Ok(created(
        &RewardView::from(reward),
        location,
        version,
        replayed,
    ))
}

/// Get a reward.
#[utoipa::path(
    tag = "rewards",
    operation_id = "get_reward",
    params(("id" = Uuid, Path, description = "Reward id")),
    responses((status = 200, description = "The reward", body = RewardView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/rewards/{id:[0-9a-fA-F-]+}")]
pub async fn get_reward(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let reward = store::get(state.db.conn(), id.into_inner()).await?;
    let version = reward.version;
    Ok(ok_versioned(&RewardView::from(reward), version))
}

/// Change a reward.
///
/// Checked again as a whole. Stock is set, not added: with `If-Match: "<version>"` (every
/// exchange moves the version) no exchange made since the reward was read is lost. Emits
/// `reward.updated`.
#[utoipa::path(
    tag = "rewards",
    operation_id = "update_reward",
    request_body = UpdateReward,
    params(
        ("id" = Uuid, Path, description = "Reward id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 200, description = "The changed reward", body = RewardView,
        headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[patch("/rewards/{id:[0-9a-fA-F-]+}")]
pub async fn update_reward(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateReward>,
) -> Result<HttpResponse, ApiError> {
    let input = body.checked(|dto| {
        Ok(RewardInput {
            name: dto.name,
            description: dto.description,
            kind: dto.kind.map(Into::into),
            variant_id: dto.variant_id,
            coupon_id: dto.coupon_id,
            points_cost: dto.points_cost,
            stock: dto.stock,
            status: dto.status.map(Into::into),
        })
    })?;
    let reward = store::update(&state.db, &auth.actor, id.into_inner(), input, if_match.0).await?;
    let version = reward.version;
    Ok(ok_versioned(&RewardView::from(reward), version))
}

/// Delete a reward.
///
/// Its exchanges stay, with its name. Emits `reward.deleted`.
#[utoipa::path(
    tag = "rewards",
    operation_id = "delete_reward",
    params(
        ("id" = Uuid, Path, description = "Reward id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/rewards/{id:[0-9a-fA-F-]+}")]
pub async fn delete_reward(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
