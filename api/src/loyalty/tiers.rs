//! Membership tiers over HTTP (`/membership-tiers`): the grades of the loyalty programme, what
//! qualifies a member for each, and what each gives.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::loyalty::tiers::{MembershipTier, Qualification, SORTABLE, TierInput};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::customers::tiers;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{
    IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, optional_whole, page_request,
    whole,
};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// What a tier's threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QualificationDto {
    /// Points earned within the tier window: earned and added, less taken back (spending and
    /// expiry never lower it).
    Points,
    /// Money spent within the tier window, in minor units: paid orders less their refunds.
    Spend,
}

mirror!(QualificationDto <=> Qualification { Points, Spend });

/// A new tier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "金卡", "rank": 2, "qualification": "spend", "threshold": 500000,
    "benefits": ["生日双倍积分", "免运费"], "discount_percent": 5, "points_multiplier": 1.5
}))]
pub struct CreateMembershipTier {
    /// Name, 1 to 100 characters, unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// 0 to 1000, unique: of the tiers a member reaches, they hold the highest-ranked.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000)]
    pub rank: i64,
    /// What the threshold measures.
    pub qualification: QualificationDto,
    /// The least points (for `points`) or minor units (for `spend`) within the tier window.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0)]
    pub threshold: i64,
    /// What the tier gives, in words: at most 20, each 1 to 200 characters (default none).
    #[schema(max_items = 20)]
    pub benefits: Option<Vec<String>>,
    /// Percent taken off the member's orders when they are priced, 0 to 90 (default 0).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 90)]
    pub discount_percent: Option<i64>,
    /// What the points a member earns are multiplied by, 1 to 10 in hundredths (default 1).
    #[schema(minimum = 1, maximum = 10, multiple_of = 0.01)]
    pub points_multiplier: Option<f64>,
    /// What it means, at most 1000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// Changes to a tier: absent parts stay, `null` clears the description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"threshold": 400000, "discount_percent": 8}))]
pub struct UpdateMembershipTier {
    /// Name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// 0 to 1000.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 1000)]
    pub rank: Option<i64>,
    /// What the threshold measures.
    pub qualification: Option<QualificationDto>,
    /// The least points or minor units.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0)]
    pub threshold: Option<i64>,
    /// What the tier gives (replaces the list).
    #[schema(max_items = 20)]
    pub benefits: Option<Vec<String>>,
    /// Percent off, 0 to 90.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 0, maximum = 90)]
    pub discount_percent: Option<i64>,
    /// Points multiplier, 1 to 10 in hundredths.
    #[schema(minimum = 1, maximum = 10, multiple_of = 0.01)]
    pub points_multiplier: Option<f64>,
    /// Description, or `null` to clear.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
}

/// A multiplier as sent, in hundredths; one with finer parts is a mistake at `points_multiplier`.
fn hundredths(multiplier: Option<f64>) -> Result<Option<i64>, FieldErrors> {
    let Some(m) = multiplier else {
        return Ok(None);
    };
    let scaled = m * 100.0;
    if scaled.is_finite() && (scaled - scaled.round()).abs() < 1e-6 && scaled.abs() < 1e12 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a whole number below 10^12 fits an i64 exactly"
        )]
        Ok(Some(scaled.round() as i64))
    } else {
        Err(FieldErrors::from(FieldError::new(
            "points_multiplier",
            "invalid_multiplier",
            "a multiplier has at most two decimal places",
        )))
    }
}

/// A membership tier.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c7-2222-7000-8000-000000000002",
    "name": "金卡",
    "rank": 2,
    "qualification": "spend",
    "threshold": 500000,
    "benefits": ["生日双倍积分", "免运费"],
    "discount_percent": 5,
    "points_multiplier": 1.5,
    "description": null,
    "created_at": "2026-12-08T08:30:00Z",
    "updated_at": "2026-12-08T08:30:00Z",
    "version": 1
}))]
pub struct MembershipTierView {
    /// Identifier.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Rank: of the tiers a member reaches, they hold the highest.
    pub rank: i32,
    /// What the threshold measures.
    pub qualification: QualificationDto,
    /// The least points or minor units within the tier window.
    pub threshold: i64,
    /// What the tier gives.
    pub benefits: Vec<String>,
    /// Percent taken off the member's orders.
    pub discount_percent: i32,
    /// What the points a member earns are multiplied by.
    pub points_multiplier: f64,
    /// What it means.
    pub description: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<MembershipTier> for MembershipTierView {
    fn from(t: MembershipTier) -> Self {
        MembershipTierView {
            id: t.id,
            name: t.name,
            rank: t.rank,
            qualification: t.qualification.into(),
            threshold: t.threshold,
            benefits: t.benefits,
            discount_percent: t.discount_percent,
            points_multiplier: f64::from(t.points_multiplier) / 100.0,
            description: t.description,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        }
    }
}

/// Paging and order of the tier list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembershipTierListQuery {
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

/// List membership tiers.
///
/// Lowest rank first unless `sort` says otherwise.
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "list_membership_tiers",
    params(MembershipTierListQuery),
    responses((status = 200, description = "One page of tiers", body = PageOf<MembershipTierView>)),
    security(("bearer" = []))
)]
#[get("/membership-tiers")]
pub async fn list_membership_tiers(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<MembershipTierListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(q.sort.as_deref(), SORTABLE, SortKey::ascending("rank"))
        .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let list = tiers::list(state.db.conn(), &order, &request).await?;
    Ok(page(&PageOf::from_page(list, MembershipTierView::from)))
}

/// Create a membership tier.
///
/// Names and ranks are unique (409 `tier_name_taken`, `tier_rank_taken`); a workspace has at
/// most 20 tiers (409 `too_many_tiers`). Every member whose standing reaches it, and no
/// higher-ranked tier, moves to it in the same transaction (`customer.tier_changed`).
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "create_membership_tier",
    request_body = CreateMembershipTier,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = MembershipTierView,
            headers(("Location" = String, description = "The tier's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`tier_name_taken`, `tier_rank_taken`: another tier has the name or rank; `too_many_tiers`: the workspace has 20", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/membership-tiers")]
pub async fn create_membership_tier(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateMembershipTier>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let input = body.checked(|dto| {
        Ok(TierInput {
            name: Some(dto.name),
            rank: Some(dto.rank),
            qualification: Some(dto.qualification.into()),
            threshold: Some(dto.threshold),
            benefits: dto.benefits,
            discount_percent: dto.discount_percent,
            points_multiplier: hundredths(dto.points_multiplier)?,
            description: Some(dto.description),
        })
    })?;
    let outcome = tiers::create(&state.db, &auth.actor, input, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let tier = outcome.into_inner();
    let location = format!("/api/v1/membership-tiers/{}", tier.id);
    let version = tier.version;
    Ok(created(
        &MembershipTierView::from(tier),
        location,
        version,
        replayed,
    ))
}

/// Get a membership tier.
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "get_membership_tier",
    params(("id" = Uuid, Path, description = "Tier id")),
    responses(
        (status = 200, description = "The tier", body = MembershipTierView,
            headers(("ETag" = String, description = "The version, for If-Match"))),
    ),
    security(("bearer" = []))
)]
#[get("/membership-tiers/{id:[0-9a-fA-F-]+}")]
pub async fn get_membership_tier(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tier = tiers::get(state.db.conn(), id.into_inner()).await?;
    let version = tier.version;
    Ok(ok_versioned(&MembershipTierView::from(tier), version))
}

/// Change a membership tier.
///
/// Members move as the new qualification, threshold and rank say, in the same transaction; a new
/// discount prices orders from now on. With `If-Match: "<version>"` the change applies only to
/// that version.
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "update_membership_tier",
    request_body = UpdateMembershipTier,
    params(
        ("id" = Uuid, Path, description = "Tier id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed tier", body = MembershipTierView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`tier_name_taken`, `tier_rank_taken`: another tier has the name or rank", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/membership-tiers/{id:[0-9a-fA-F-]+}")]
pub async fn update_membership_tier(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateMembershipTier>,
) -> Result<HttpResponse, ApiError> {
    let input = body.checked(|dto| {
        Ok(TierInput {
            name: dto.name,
            rank: dto.rank,
            qualification: dto.qualification.map(Into::into),
            threshold: dto.threshold,
            benefits: dto.benefits,
            discount_percent: dto.discount_percent,
            points_multiplier: hundredths(dto.points_multiplier)?,
            description: dto.description,
        })
    })?;
    let tier = tiers::update(&state.db, &auth.actor, id.into_inner(), input, if_match.0).await?;
    let version = tier.version;
    Ok(ok_versioned(&MembershipTierView::from(tier), version))
}

/// Delete a membership tier.
///
/// Its members move to the highest other tier they reach, if any.
#[utoipa::path(
    tag = "membership-tiers",
    operation_id = "delete_membership_tier",
    params(
        ("id" = Uuid, Path, description = "Tier id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/membership-tiers/{id:[0-9a-fA-F-]+}")]
pub async fn delete_membership_tier(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    tiers::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
