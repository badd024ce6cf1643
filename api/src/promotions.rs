//! Promotions over HTTP (`/promotions`): offers without a code, applied to every order they fit
//! when it is priced, the one that takes the most off when several fit.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use chrono::{DateTime, Utc};
use rapport_domain::marketing::offers::{OfferKind, OfferStatus, TermsInput};
use rapport_domain::marketing::promotions::{Promotion, PromotionInput, SORTABLE};
use rapport_domain::sort::{SortKey, SortOrder};
use rapport_persistence::marketing::promotions::{self as store, PromotionFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{
    IdempotencyHeader, IfMatch, ValidJson, ValidQuery, nullable, nullable_whole, optional_whole,
    page_request,
};
use crate::problem::ApiError;
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// What a promotion takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionKindDto {
    /// A sum off (`amount_off`), perhaps above `min_order_amount`: a time-limited discount.
    FixedAmount,
    /// A share of the eligible lines (`percent_off`), perhaps capped by `max_discount`.
    Percentage,
    /// Spend `min_order_amount`, get `amount_off` off.
    Threshold,
    /// A variant given with the order (`gift_variant_id`), perhaps above `min_order_amount`.
    Gift,
}

mirror!(PromotionKindDto <=> OfferKind { FixedAmount, Percentage, Threshold, Gift });

/// Whether a promotion applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatusDto {
    /// Applies within its window.
    Active,
    /// Applies to nothing until made active again.
    Paused,
}

mirror!(PromotionStatusDto <=> OfferStatus { Active, Paused });

/// A new promotion. Which amounts it takes depends on its kind: `fixed_amount` needs
/// `amount_off`, `percentage` needs `percent_off` (and may have `max_discount`), `threshold`
/// needs `amount_off` and `min_order_amount`, `gift` needs `gift_variant_id`; any other amount is
/// 422 `not_allowed`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "双十二满 300 减 50", "kind": "threshold", "currency": "CNY",
    "amount_off": 5000, "min_order_amount": 30000,
    "valid_from": "2026-12-12T00:00:00Z", "valid_until": "2026-12-13T00:00:00Z"
}))]
pub struct CreatePromotion {
    /// What it is called, as the order's discount line shows it, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What it is for, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// What it takes off.
    pub kind: PromotionKindDto,
    /// ISO 4217 code of its amounts; it applies to orders in this currency only. The
    /// workspace's `default_currency` when absent.
    pub currency: Option<String>,
    /// The sum off, minor units (`fixed_amount`, `threshold`).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    pub amount_off: Option<i64>,
    /// The percentage off, 1 to 100 (`percentage`); rounded down to the minor unit.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 100)]
    pub percent_off: Option<i64>,
    /// The most a `percentage` promotion takes off, minor units.
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    pub max_discount: Option<i64>,
    /// The least the lines it applies to must come to, minor units; for `threshold`, the spend
    /// that earns `amount_off` (no less than it).
    #[serde(default, deserialize_with = "optional_whole")]
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    pub min_order_amount: Option<i64>,
    /// The variant given (`gift`), which must be for sale: added to the order as a line at its
    /// price and taken off again.
    pub gift_variant_id: Option<Uuid>,
    /// In force from (when absent, at once).
    pub valid_from: Option<DateTime<Utc>>,
    /// In force until, exclusive, after `valid_from` (when absent, for ever).
    pub valid_until: Option<DateTime<Utc>>,
    /// The products whose lines it applies to, at most 100; with `category_ids` also empty, it
    /// applies to every line.
    #[schema(max_items = 100)]
    pub product_ids: Option<Vec<Uuid>>,
    /// The categories whose products' lines it applies to, at most 100.
    #[schema(max_items = 100)]
    pub category_ids: Option<Vec<Uuid>>,
    /// `active` (default) or `paused`.
    pub status: Option<PromotionStatusDto>,
}

/// Changes to a promotion: absent parts stay, `null` clears. It is checked again as a whole;
/// orders placed keep the discount they were given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"valid_until": "2026-12-14T00:00:00Z"}))]
pub struct UpdatePromotion {
    /// What it is called, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// What it is for, at most 2000 characters, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// What it takes off.
    pub kind: Option<PromotionKindDto>,
    /// ISO 4217 code of its amounts.
    pub currency: Option<String>,
    /// The sum off, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000000000_i64)]
    pub amount_off: Option<Option<i64>>,
    /// The percentage off, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub percent_off: Option<Option<i64>>,
    /// The cap of a percentage, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000000000_i64)]
    pub max_discount: Option<Option<i64>>,
    /// The minimum of the eligible lines, or `null`.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000000000000000_i64)]
    pub min_order_amount: Option<Option<i64>>,
    /// The gift, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub gift_variant_id: Option<Option<Uuid>>,
    /// In force from, or `null` for at once.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_from: Option<Option<DateTime<Utc>>>,
    /// In force until, or `null` for ever.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_until: Option<Option<DateTime<Utc>>>,
    /// The products it applies to, replaced as a whole.
    #[schema(max_items = 100)]
    pub product_ids: Option<Vec<Uuid>>,
    /// The categories it applies to, replaced as a whole.
    #[schema(max_items = 100)]
    pub category_ids: Option<Vec<Uuid>>,
    /// `active` or `paused`.
    pub status: Option<PromotionStatusDto>,
}

/// A promotion.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c9-1111-7000-8000-000000000001", "name": "双十二满 300 减 50",
    "description": null, "kind": "threshold", "currency": "CNY",
    "amount_off": 5000, "percent_off": null, "max_discount": null, "min_order_amount": 30000,
    "gift_variant_id": null,
    "valid_from": "2026-12-12T00:00:00Z", "valid_until": "2026-12-13T00:00:00Z",
    "product_ids": [], "category_ids": [], "status": "active", "in_force": false,
    "created_at": "2026-12-10T09:00:00Z", "updated_at": "2026-12-10T09:00:00Z", "version": 1
}))]
pub struct PromotionView {
    /// Identifier.
    pub id: Uuid,
    /// What it is called.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// What it takes off.
    pub kind: PromotionKindDto,
    /// The currency of its amounts and of the orders it applies to.
    pub currency: String,
    /// The sum off.
    pub amount_off: Option<i64>,
    /// The percentage off.
    pub percent_off: Option<i64>,
    /// The cap of a percentage.
    pub max_discount: Option<i64>,
    /// The least the eligible lines must come to.
    pub min_order_amount: Option<i64>,
    /// The gift.
    pub gift_variant_id: Option<Uuid>,
    /// In force from.
    pub valid_from: Option<DateTime<Utc>>,
    /// In force until (exclusive).
    pub valid_until: Option<DateTime<Utc>>,
    /// The products it applies to.
    pub product_ids: Vec<Uuid>,
    /// The categories it applies to.
    pub category_ids: Vec<Uuid>,
    /// Whether it applies.
    pub status: PromotionStatusDto,
    /// Whether it prices orders now: active and within its window.
    pub in_force: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl PromotionView {
    fn at(promotion: Promotion, now: DateTime<Utc>) -> Self {
        let t = promotion.terms;
        PromotionView {
            in_force: t.usable_at(now).is_ok(),
            id: promotion.id,
            name: promotion.name,
            description: promotion.description,
            kind: t.kind.into(),
            currency: t.currency.code().to_owned(),
            amount_off: t.amount_off,
            percent_off: t.percent_off,
            max_discount: t.max_discount,
            min_order_amount: t.min_order_amount,
            gift_variant_id: t.gift_variant_id,
            valid_from: t.valid_from,
            valid_until: t.valid_until,
            product_ids: t.product_ids,
            category_ids: t.category_ids,
            status: t.status.into(),
            created_at: promotion.created_at,
            updated_at: promotion.updated_at,
            version: promotion.version,
        }
    }
}

/// Which promotions, in which order, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PromotionListQuery {
    /// `true`: only those in force now (active and within their window), what a storefront
    /// shows; `false`: only those that are not.
    pub active: Option<bool>,
    /// Only of this status.
    pub status: Option<PromotionStatusDto>,
    /// Only of this kind.
    pub kind: Option<PromotionKindDto>,
    /// Comma-separated keys, `-` for descending: `created_at`, `name` (default `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// List promotions.
///
/// Newest first unless `sort` says otherwise; `active=true` keeps those that price orders now.
#[utoipa::path(
    tag = "promotions",
    operation_id = "list_promotions",
    params(PromotionListQuery),
    responses((status = 200, description = "One page of promotions", body = PageOf<PromotionView>)),
    security(("bearer" = []))
)]
#[get("/promotions")]
pub async fn list_promotions(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<PromotionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        SORTABLE,
        SortKey::descending("created_at"),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let now = state.clock.now();
    let filter = PromotionFilter {
        status: q.status.map(Into::into),
        kind: q.kind.map(Into::into),
        in_force: q.active.map(|active| (active, now)),
    };
    let list = store::list(state.db.conn(), &filter, &order, &request).await?;
    Ok(page(&PageOf::from_page(list, |p| {
        PromotionView::at(p, now)
    })))
}

/// Create a promotion.
///
/// From `valid_from`, every order in its currency that it fits is priced with it (or with
/// another that takes more off), without a code; `POST /coupons/validate` shows it. Emits
/// `promotion.created`.
#[utoipa::path(
    tag = "promotions",
    operation_id = "create_promotion",
    request_body = CreatePromotion,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = PromotionView,
            headers(("Location" = String, description = "The promotion's URL"), ("ETag" = String, description = "The version"))),
    ),
    security(("bearer" = []))
)]
#[post("/promotions")]
pub async fn create_promotion(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreatePromotion>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let default_currency = crate::settings::default_currency(&state).await?;
    let input = body.checked(|d| {
        Ok(PromotionInput {
            name: Some(d.name),
            description: Some(d.description),
            terms: TermsInput {
                kind: Some(d.kind.into()),
                currency: Some(d.currency.unwrap_or(default_currency)),
                amount_off: Some(d.amount_off),
                percent_off: Some(d.percent_off),
                max_discount: Some(d.max_discount),
                min_order_amount: Some(d.min_order_amount),
                gift_variant_id: Some(d.gift_variant_id),
                valid_from: Some(d.valid_from),
                valid_until: Some(d.valid_until),
                product_ids: d.product_ids,
                category_ids: d.category_ids,
                status: d.status.map(Into::into),
            },
        })
    })?;
    let outcome = store::create(&state.db, &auth.actor, input, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let promotion = outcome.into_inner();
    let location = format!("/api/v1/promotions/{}", promotion.id);
    let version = promotion.version;
    let view = PromotionView::at(promotion, state.clock.now());
    Ok(created(&view, location, version, replayed))
}

/// Get a promotion.
#[utoipa::path(
    tag = "promotions",
    operation_id = "get_promotion",
    params(("id" = Uuid, Path, description = "Promotion id")),
    responses((status = 200, description = "The promotion", body = PromotionView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/promotions/{id:[0-9a-fA-F-]+}")]
pub async fn get_promotion(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let promotion = store::get(state.db.conn(), id.into_inner()).await?;
    let version = promotion.version;
    Ok(ok_versioned(
        &PromotionView::at(promotion, state.clock.now()),
        version,
    ))
}

/// Change a promotion.
///
/// Checked again as a whole; orders placed keep the discount they were given. With
/// `If-Match: "<version>"` the change applies only to that version. Emits `promotion.updated`.
#[utoipa::path(
    tag = "promotions",
    operation_id = "update_promotion",
    request_body = UpdatePromotion,
    params(
        ("id" = Uuid, Path, description = "Promotion id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 200, description = "The changed promotion", body = PromotionView,
        headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[patch("/promotions/{id:[0-9a-fA-F-]+}")]
pub async fn update_promotion(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdatePromotion>,
) -> Result<HttpResponse, ApiError> {
    let input = body.checked(|d| {
        Ok(PromotionInput {
            name: d.name,
            description: d.description,
            terms: TermsInput {
                kind: d.kind.map(Into::into),
                currency: d.currency,
                amount_off: d.amount_off,
                percent_off: d.percent_off,
                max_discount: d.max_discount,
                min_order_amount: d.min_order_amount,
                gift_variant_id: d.gift_variant_id,
                valid_from: d.valid_from,
                valid_until: d.valid_until,
                product_ids: d.product_ids,
                category_ids: d.category_ids,
                status: d.status.map(Into::into),
            },
        })
    })?;
    let promotion =
        store::update(&state.db, &auth.actor, id.into_inner(), input, if_match.0).await?;
    let version = promotion.version;
    Ok(ok_versioned(
        &PromotionView::at(promotion, state.clock.now()),
        version,
    ))
}

/// Delete a promotion.
///
/// Orders keep the discount it gave them. Emits `promotion.deleted`.
#[utoipa::path(
    tag = "promotions",
    operation_id = "delete_promotion",
    params(
        ("id" = Uuid, Path, description = "Promotion id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/promotions/{id:[0-9a-fA-F-]+}")]
pub async fn delete_promotion(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    store::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
