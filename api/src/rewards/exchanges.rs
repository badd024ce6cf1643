//! Exchanges of points for rewards: a customer's (`/customers/{id}/reward-exchanges`), every
//! one (`/reward-exchanges`, where gifts still to hand over are found), and a gift's fulfilment.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use chrono::{DateTime, Utc};
use rapport_domain::loyalty::rewards::{RewardExchange, fulfilment_note};
use rapport_persistence::rewards::{self as store, ExchangeFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::catalogue::RewardKindDto;
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, page};
use crate::state::AppState;

/// The reward a customer exchanges points for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reward_id": "0193a5c8-1111-7000-8000-000000000001"}))]
pub struct ExchangeReward {
    /// The reward, which must exist (422 `not_found`).
    pub reward_id: Uuid,
}

/// A gift handed over or sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "顺丰 SF1234567890"}))]
pub struct FulfilReward {
    /// How: a tracking number, the shop that handed it over; at most 200 characters.
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

/// One exchange of points for a reward.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c8-3333-7000-8000-000000000001",
    "customer_id": "0193a5c6-1111-7000-8000-000000000001",
    "reward_id": "0193a5c8-1111-7000-8000-000000000001", "reward_name": "50 元代金券",
    "kind": "coupon", "points": 500,
    "points_entry_id": "0193a5c6-7777-7000-8000-000000000002",
    "issued_coupon_id": "0193a5c6-aaaa-7000-8000-000000000001", "coupon_code": "K7M2-Q9XB-4T5V",
    "fulfilled_at": null, "fulfilment_note": null, "created_at": "2026-12-09T09:30:00Z"
}))]
pub struct RewardExchangeView {
    /// Identifier.
    pub id: Uuid,
    /// Who exchanged.
    pub customer_id: Uuid,
    /// The reward; `null` once it is deleted.
    pub reward_id: Option<Uuid>,
    /// The reward's name when exchanged.
    pub reward_name: String,
    /// What it gave.
    pub kind: RewardKindDto,
    /// Points spent.
    pub points: i64,
    /// The points ledger's `redeem` entry that spent them.
    pub points_entry_id: Uuid,
    /// The coupon put in the wallet (`coupon`).
    pub issued_coupon_id: Option<Uuid>,
    /// The code to use it with.
    pub coupon_code: Option<String>,
    /// When the gift was handed over or sent (`gift`).
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// How.
    pub fulfilment_note: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<RewardExchange> for RewardExchangeView {
    fn from(e: RewardExchange) -> Self {
        RewardExchangeView {
            id: e.id,
            customer_id: e.customer_id,
            reward_id: e.reward_id,
            reward_name: e.reward_name,
            kind: e.kind.into(),
            points: e.points,
            points_entry_id: e.points_entry_id,
            issued_coupon_id: e.issued_coupon_id,
            coupon_code: e.coupon_code,
            fulfilled_at: e.fulfilled_at,
            fulfilment_note: e.fulfilment_note,
            created_at: e.created_at,
        }
    }
}

/// Which page of a customer's exchanges.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerExchangeQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Which exchanges.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExchangeListQuery {
    /// Only of this reward.
    pub reward_id: Option<Uuid>,
    /// Only of this kind.
    pub kind: Option<RewardKindDto>,
    /// `false`: gifts still to hand over; `true`: gifts handed over.
    pub fulfilled: Option<bool>,
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
}

/// Exchange a customer's points for a reward.
///
/// One transaction: a unit of the reward's stock, the points (a `redeem` entry of the ledger),
/// and for a coupon reward the coupon in the customer's wallet. However many exchanges come at
/// once, stock never goes below zero and the balance never below zero: one refused is 409 and
/// changes nothing. Emits `points.redeem`, `coupon.issued` for a coupon, and `reward.exchanged`.
#[utoipa::path(
    tag = "rewards",
    operation_id = "exchange_reward",
    request_body = ExchangeReward,
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 201, description = "The exchange", body = RewardExchangeView,
            headers(("Location" = String, description = "The customer's exchanges"))),
        (status = 409, description = "`insufficient_points`: the balance is smaller than the cost; `out_of_stock`: none left; `reward_paused`: not offered; `coupon_paused`, `coupon_expired`: the reward's coupon cannot be given", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/{id:[0-9a-fA-F-]+}/reward-exchanges")]
pub async fn exchange_reward(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    idempotency: IdempotencyHeader,
    body: ValidJson<ExchangeReward>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let reward_id = body.checked(|dto| Ok(dto.reward_id))?;
    let customer_id = id.into_inner();
    let outcome =
        store::exchange(&state.db, &auth.actor, customer_id, reward_id, key.as_ref()).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        actix_web::http::header::LOCATION,
        format!("/api/v1/customers/{customer_id}/reward-exchanges"),
    ));
    if outcome.is_replay() {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(RewardExchangeView::from(outcome.into_inner())))
}

/// List a customer's reward exchanges.
///
/// Newest first.
#[utoipa::path(
    tag = "rewards",
    operation_id = "list_customer_reward_exchanges",
    params(("id" = Uuid, Path, description = "Customer id"), CustomerExchangeQuery),
    responses((status = 200, description = "One page of exchanges", body = PageOf<RewardExchangeView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}/reward-exchanges")]
pub async fn list_customer_reward_exchanges(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<CustomerExchangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let filter = ExchangeFilter {
        customer_id: Some(id.into_inner()),
        ..ExchangeFilter::default()
    };
    let list = store::exchanges(state.db.conn(), &filter, &request).await?;
    Ok(page(&PageOf::from_page(list, RewardExchangeView::from)))
}

/// List reward exchanges.
///
/// Every customer's, newest first; `fulfilled=false` is the gifts still to hand over.
#[utoipa::path(
    tag = "rewards",
    operation_id = "list_reward_exchanges",
    params(ExchangeListQuery),
    responses((status = 200, description = "One page of exchanges", body = PageOf<RewardExchangeView>)),
    security(("bearer" = []))
)]
#[get("/reward-exchanges")]
pub async fn list_reward_exchanges(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<ExchangeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let filter = ExchangeFilter {
        customer_id: None,
        reward_id: q.reward_id,
        kind: q.kind.map(Into::into),
        fulfilled: q.fulfilled,
    };
    let list = store::exchanges(state.db.conn(), &filter, &request).await?;
    Ok(page(&PageOf::from_page(list, RewardExchangeView::from)))
}

/// Fulfil a gift.
///
/// Marks a gift exchange handed over or sent, once: 409 `already_fulfilled` the second time,
/// `not_a_gift` for a coupon (given at once). Emits `reward.fulfilled`.
#[utoipa::path(
    tag = "rewards",
    operation_id = "fulfil_reward_exchange",
    request_body = FulfilReward,
    params(("id" = Uuid, Path, description = "Exchange id")),
    responses(
        (status = 200, description = "The exchange", body = RewardExchangeView),
        (status = 409, description = "`already_fulfilled`: marked before; `not_a_gift`: a coupon reward", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/reward-exchanges/{id:[0-9a-fA-F-]+}/fulfilment")]
pub async fn fulfil_reward_exchange(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    body: ValidJson<FulfilReward>,
) -> Result<HttpResponse, ApiError> {
    let note = body.checked(|dto| fulfilment_note(dto.note.as_deref()))?;
    let done = store::fulfil(&state.db, &auth.actor, id.into_inner(), note).await?;
    Ok(HttpResponse::Ok().json(RewardExchangeView::from(done)))
}
