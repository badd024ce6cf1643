//! The actions that move an order on (`POST /orders/{id}/pay`, `/ship`, …) and its shipment's
//! status history. Each honours `If-Match` and `Idempotency-Key` and answers the order as it now
//! stands; a transition the order's state does not allow is 409 `invalid_transition`.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, post};
use rapport_domain::orders::{self as rules, Restock, refunds, shipments};
use rapport_persistence::orders::{self as store, ActionInput};
use uuid::Uuid;

use super::dto::{
    AddShipmentEvent, ApproveRefund, OrderView, PayOrder, RejectRefund, RequestRefund, ShipOrder,
};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson};
use crate::problem::{ApiError, Problem};
use crate::respond::acted;
use crate::state::AppState;

/// The request an action arrived with: who, which order, its headers and its raw body.
struct Request {
    req: HttpRequest,
    id: Uuid,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
}

async fn act(
    state: &AppState,
    auth: &Auth,
    request: Request,
    body: &[u8],
    input: ActionInput,
) -> Result<HttpResponse, ApiError> {
    let key = request.idempotency.scoped(&auth.actor, &request.req, body);
    let outcome = store::act(
        &state.db,
        &auth.actor,
        auth.owner(),
        request.id,
        input,
        request.if_match.0,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let order = outcome.into_inner();
    let version = order.version;
    Ok(acted(
        &OrderView::new(order, auth.disclosure()),
        version,
        replayed,
    ))
}

/// Pay an order.
///
/// Records the payment the shop or gateway reports and takes the stock of every line in one
/// transaction: if one line's variant is short, nothing is taken and the answer is 409
/// `insufficient_stock`. The order's coupon is redeemed in the same transaction, never past its
/// limits and never twice: when it can no longer be, the payment is refused with a 409 that says
/// why, and the order stays pending (take the coupon off with `PATCH`, or pay as it is later).
/// Only a pending order is paid (409 `invalid_transition`).
#[utoipa::path(
    tag = "orders",
    operation_id = "pay_order",
    request_body = PayOrder,
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The paid order", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order is not pending; `insufficient_stock`: a line's variant is short; the coupon cannot be redeemed: `coupon_exhausted` (every use made), `customer_limit_reached`, `already_used` (its own code used by another order), `coupon_paused`, `coupon_expired` or `not_started`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/pay")]
pub async fn pay_order(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
    body: ValidJson<PayOrder>,
) -> Result<HttpResponse, ApiError> {
    let (method, reference) =
        body.checked(|dto| rules::payment(&dto.method, dto.reference.as_deref()))?;
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    let input = ActionInput::Pay { method, reference };
    act(&state, &auth, request, &body.raw, input).await
}

/// Ship an order.
///
/// Records the handover to a carrier. Only a paid order is shipped (409 `invalid_transition`).
#[utoipa::path(
    tag = "orders",
    operation_id = "ship_order",
    request_body = ShipOrder,
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The shipped order", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order is not paid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/ship")]
pub async fn ship_order(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
    body: ValidJson<ShipOrder>,
) -> Result<HttpResponse, ApiError> {
    let (carrier, tracking_number) =
        body.checked(|dto| shipments::handover(&dto.carrier, dto.tracking_number.as_deref()))?;
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    let input = ActionInput::Ship {
        carrier,
        tracking_number,
    };
    act(&state, &auth, request, &body.raw, input).await
}

/// Record a shipment status.
///
/// Adds a step (`in_transit`, `out_for_delivery`, …) to the status history of a shipped order's
/// shipment, which a storefront can show; the history is kept in the order of `occurred_at`.
/// An order that has not been shipped is 409 `invalid_transition`; a shipment keeps at most 100
/// steps (409 `too_many_shipment_events`).
#[utoipa::path(
    tag = "orders",
    operation_id = "add_shipment_event",
    request_body = AddShipmentEvent,
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The order with the step in its shipment's history", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order has not been shipped; `too_many_shipment_events`: the history is full", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/shipment-events")]
pub async fn add_shipment_event(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
    body: ValidJson<AddShipmentEvent>,
) -> Result<HttpResponse, ApiError> {
    let now = chrono::Utc::now();
    let event = body
        .checked(|dto| shipments::event(&dto.status, dto.place.as_deref(), dto.occurred_at, now))?;
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let outcome = store::record_shipment_event(
        &state.db,
        &auth.actor,
        auth.owner(),
        id.into_inner(),
        event,
        if_match.0,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let order = outcome.into_inner();
    let version = order.version;
    Ok(acted(
        &OrderView::new(order, auth.disclosure()),
        version,
        replayed,
    ))
}

/// Deliver an order.
///
/// Records that the customer received it. Only a shipped order is delivered (409
/// `invalid_transition`).
#[utoipa::path(
    tag = "orders",
    operation_id = "deliver_order",
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The delivered order", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order is not shipped", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/deliver")]
pub async fn deliver_order(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
) -> Result<HttpResponse, ApiError> {
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    act(&state, &auth, request, b"", ActionInput::Deliver).await
}

/// Complete an order.
///
/// Closes a delivered order (409 `invalid_transition` otherwise).
#[utoipa::path(
    tag = "orders",
    operation_id = "complete_order",
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The completed order", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order is not delivered", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/complete")]
pub async fn complete_order(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
) -> Result<HttpResponse, ApiError> {
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    act(&state, &auth, request, b"", ActionInput::Complete).await
}

/// Cancel an order.
///
/// Only a pending order (409 `invalid_transition`); a paid one is refunded instead.
#[utoipa::path(
    tag = "orders",
    operation_id = "cancel_order",
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order is not pending", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/cancel")]
pub async fn cancel_order(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
) -> Result<HttpResponse, ApiError> {
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    act(&state, &auth, request, b"", ActionInput::Cancel).await
}

/// Request a refund.
///
/// Asks money back for a paid, shipped or delivered order (409 `invalid_transition` otherwise;
/// one request at a time), within the refund window counted from payment (409
/// `refund_window_closed`; `GET /settings/commerce`) and for no more than what was paid less what
/// was refunded (409 `refund_exceeds_refundable` on `amount`). The order awaits a decision:
/// `POST /orders/{id}/refund` or `/refund-rejection`.
#[utoipa::path(
    tag = "orders",
    operation_id = "request_refund",
    request_body = RequestRefund,
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The order awaiting a decision on the refund", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: the order is not paid, shipped or delivered; `refund_window_closed`: payment was longer ago than the refund window; `refund_exceeds_refundable`: more than can still be refunded; `too_many_refunds`: the order keeps no more refunds", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/refund-request")]
pub async fn request_refund(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
    body: ValidJson<RequestRefund>,
) -> Result<HttpResponse, ApiError> {
    let (amount, reason) =
        body.checked(|dto| refunds::request(dto.amount, dto.reason.as_deref()))?;
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    let input = ActionInput::RequestRefund { amount, reason };
    act(&state, &auth, request, &body.raw, input).await
}

/// Approve a refund.
///
/// Gives back the money asked for: it counts towards `refunded_total`, and the units named in
/// `restock` go back in stock (each a variant line, never more units than it sold; 422 on the
/// line otherwise). A refund that leaves nothing to refund ends the order `refunded`; otherwise
/// it returns to where it was (`paid`, `shipped` or `delivered`). With `return_coupon`, the
/// coupon the order redeemed is given back. Only an order awaiting a decision (409
/// `invalid_transition`).
#[utoipa::path(
    tag = "orders",
    operation_id = "approve_refund",
    request_body = ApproveRefund,
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The order with the refund approved", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: no refund awaits a decision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/refund")]
pub async fn approve_refund(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
    body: ValidJson<ApproveRefund>,
) -> Result<HttpResponse, ApiError> {
    let approval = body.checked(|dto| {
        let restock: Vec<Restock> = dto
            .restock
            .iter()
            .map(|r| Restock {
                line_id: r.line_id,
                quantity: r.quantity,
            })
            .collect();
        refunds::approval(dto.reference.as_deref(), &restock)
            .map(|approval| (approval, dto.return_coupon))
    })?;
    let (approval, return_coupon) = approval;
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    let input = ActionInput::Refund {
        reference: approval.reference,
        restock: approval.restock,
        return_coupon,
    };
    act(&state, &auth, request, &body.raw, input).await
}

/// Reject a refund.
///
/// Turns the refund asked for down; the order returns to where it was. Only an order awaiting a
/// decision (409 `invalid_transition`).
#[utoipa::path(
    tag = "orders",
    operation_id = "reject_refund",
    request_body = RejectRefund,
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The order with the refund rejected", body = OrderView,
            headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`invalid_transition`: no refund awaits a decision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/orders/{id:[0-9a-fA-F-]+}/refund-rejection")]
pub async fn reject_refund(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    if_match: IfMatch,
    idempotency: IdempotencyHeader,
    body: ValidJson<RejectRefund>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.checked(|dto| refunds::rejection(dto.reason.as_deref()))?;
    let request = Request {
        req,
        id: id.into_inner(),
        if_match,
        idempotency,
    };
    act(
        &state,
        &auth,
        request,
        &body.raw,
        ActionInput::RejectRefund { reason },
    )
    .await
}
