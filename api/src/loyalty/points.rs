//! Points over HTTP: a customer's balance and ledger, adjustments and redemptions by staff.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use chrono::{DateTime, Utc};
use rapport_domain::loyalty::points::{self as rules, EntryKind, PointsEntry};
use rapport_persistence::loyalty::points as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, ValidJson, ValidQuery, page_request, whole};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, page};
use crate::state::AppState;

/// What moved the points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKindDto {
    /// Earned by a paid order.
    Earn,
    /// Spent by the customer.
    Redeem,
    /// Added or taken by staff, with a reason.
    Adjust,
    /// Earned points not spent in time.
    Expire,
    /// Taken back because the order that earned them was refunded.
    Reverse,
}

mirror!(EntryKindDto <=> EntryKind { Earn, Redeem, Adjust, Expire, Reverse });

/// One line of a points ledger.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-7777-7000-8000-000000000001",
    "customer_id": "0193a5c6-1111-7000-8000-000000000001",
    "kind": "earn", "points": 958, "balance_after": 1458, "reason": "SO-20261205-7K3M9Q2B",
    "order_id": "0193a5c6-8888-7000-8000-000000000001",
    "expires_at": "2027-12-05T09:01:00Z", "created_at": "2026-12-05T09:01:00Z"
}))]
pub struct PointsEntryView {
    /// Identifier.
    pub id: Uuid,
    /// Whose points.
    pub customer_id: Uuid,
    /// What moved them.
    pub kind: EntryKindDto,
    /// Points added (positive) or taken (negative).
    pub points: i64,
    /// The balance after this entry.
    pub balance_after: i64,
    /// Why: the adjustment's or redemption's reason, or the order's number.
    pub reason: Option<String>,
    /// The order that earned them or whose refund took them back.
    pub order_id: Option<Uuid>,
    /// When points added here expire, if they do.
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<PointsEntry> for PointsEntryView {
    fn from(e: PointsEntry) -> Self {
        PointsEntryView {
            id: e.id,
            customer_id: e.customer_id,
            kind: e.kind.into(),
            points: e.points,
            balance_after: e.balance_after,
            reason: e.reason,
            order_id: e.order_id,
            expires_at: e.expires_at,
            created_at: e.created_at,
        }
    }
}

/// A customer's points.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "customer_id": "0193a5c6-1111-7000-8000-000000000001", "balance": 1458,
    "recent": [{
        "id": "0193a5c6-7777-7000-8000-000000000001",
        "customer_id": "0193a5c6-1111-7000-8000-000000000001",
        "kind": "earn", "points": 958, "balance_after": 1458, "reason": "SO-20261205-7K3M9Q2B",
        "order_id": "0193a5c6-8888-7000-8000-000000000001",
        "expires_at": "2027-12-05T09:01:00Z", "created_at": "2026-12-05T09:01:00Z"
    }]
}))]
pub struct PointsView {
    /// Whose points.
    pub customer_id: Uuid,
    /// The balance: the sum of the ledger, never below zero.
    pub balance: i64,
    /// The 20 newest entries of the ledger, newest first (`/points/ledger` pages through all).
    pub recent: Vec<PointsEntryView>,
}

/// Points added or taken by staff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"points": 200, "reason": "投诉补偿"}))]
pub struct PointsAdjustment {
    /// Points to add (positive) or take (negative), not 0, at most 10^9 either way.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    pub points: i64,
    /// Why, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// Points the customer spends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"points": 500, "reason": "兑换 50 元代金券"}))]
pub struct PointsRedemption {
    /// Points to spend, 1 to 10^9.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 1000000000)]
    pub points: i64,
    /// What for, at most 200 characters.
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// Which page of a ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Get a customer's points.
///
/// The balance, which is always the sum of the ledger and never below zero, and the newest
/// entries.
#[utoipa::path(
    tag = "loyalty",
    operation_id = "get_customer_points",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The balance and the newest entries", body = PointsView)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/points")]
pub async fn get_customer_points(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let customer_id = id.into_inner();
    let summary = store::summary(state.db.conn(), customer_id).await?;
    Ok(HttpResponse::Ok().json(PointsView {
        customer_id,
        balance: summary.balance,
        recent: summary.recent.into_iter().map(Into::into).collect(),
    }))
}

/// List a customer's points ledger.
///
/// Every entry, newest first: earned by paid orders, redeemed, adjusted, expired, and taken back
/// by refunds, each with the balance after it.
#[utoipa::path(
    tag = "loyalty",
    operation_id = "list_customer_points_ledger",
    params(("id" = Uuid, Path, description = "Customer id"), LedgerQuery),
    responses((status = 200, description = "One page of the ledger", body = PageOf<PointsEntryView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/points/ledger")]
pub async fn list_customer_points_ledger(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<LedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = store::ledger(state.db.conn(), id.into_inner(), &request).await?;
    Ok(page(&PageOf::from_page(list, PointsEntryView::from)))
}

fn entry_created(entry: PointsEntry, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header((
        actix_web::http::header::LOCATION,
        format!("/api/v1/customers/{}/points/ledger", entry.customer_id),
    ));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(PointsEntryView::from(entry))
}

/// Adjust a customer's points.
///
/// Adds points (positive) or takes them (negative), with a reason; taking more than the balance
/// is 409 `insufficient_points` and changes nothing. Emits `points.adjust`.
#[utoipa::path(
    tag = "loyalty",
    operation_id = "adjust_customer_points",
    request_body = PointsAdjustment,
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 201, description = "The entry", body = PointsEntryView,
            headers(("Location" = String, description = "The customer's ledger"))),
        (status = 409, description = "`insufficient_points`: the balance is smaller than the points taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/{id:[0-9a-fA-F-]+}/points/adjustments")]
pub async fn adjust_customer_points(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    idempotency: IdempotencyHeader,
    body: ValidJson<PointsAdjustment>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let checked = body.checked(|dto| rules::adjustment(dto.points, &dto.reason))?;
    let outcome = store::adjust(
        &state.db,
        &auth.actor,
        id.into_inner(),
        checked,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    Ok(entry_created(outcome.into_inner(), replayed))
}

/// Redeem a customer's points.
///
/// Spends points of the balance, which never goes below zero however many redemptions come at
/// once: one that asks for more than is left is 409 `insufficient_points` and changes nothing.
/// The points that expire first are spent first. Emits `points.redeem`.
#[utoipa::path(
    tag = "loyalty",
    operation_id = "redeem_customer_points",
    request_body = PointsRedemption,
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 201, description = "The entry", body = PointsEntryView,
            headers(("Location" = String, description = "The customer's ledger"))),
        (status = 409, description = "`insufficient_points`: the balance is smaller than the points asked for", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/{id:[0-9a-fA-F-]+}/points/redemptions")]
pub async fn redeem_customer_points(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    idempotency: IdempotencyHeader,
    body: ValidJson<PointsRedemption>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let checked = body.checked(|dto| rules::redemption(dto.points, dto.reason.as_deref()))?;
    let outcome = store::redeem(
        &state.db,
        &auth.actor,
        id.into_inner(),
        checked,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    Ok(entry_created(outcome.into_inner(), replayed))
}
