//! The actions that move an order on, each in one transaction with everything it brings and its
//! audit and domain event: paying takes the stock of every variant line (all or nothing), a
//! refund request is held to the refund window and to what is still refundable, an approved refund
//! may put units back in stock, and a shipment gathers its status history.

use chrono::{DateTime, Utc};
use rapport_domain::access::Actor;
use rapport_domain::catalogue::products::MovementKind;
use rapport_domain::orders::lifecycle::refund_window_open;
use rapport_domain::orders::refunds::MAX_REFUNDS;
use rapport_domain::orders::shipments::MAX_EVENTS;
use rapport_domain::orders::{
    Order, OrderAction, Payment, Refund, RefundStatus, Restock, Shipment, ShipmentEvent,
};
use rapport_domain::settings::CommerceSettings;
use rapport_domain::{FieldError, FieldErrors};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::{line, order, refund, shipment_event};
use super::{active, assembled, scoped};
use crate::catalogue::{self, Move, Refused};
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Error, Result, audit, customers, settings};
use crate::{loyalty, marketing};

/// What an action brings with it, checked.
#[derive(Debug, Clone)]
pub enum ActionInput {
    /// The payment as reported.
    Pay {
        /// How it was paid.
        method: String,
        /// The gateway's reference.
        reference: Option<String>,
    },
    /// The handover to a carrier.
    Ship {
        /// Who carries it.
        carrier: String,
        /// Their tracking number.
        tracking_number: Option<String>,
    },
    /// Received by the customer.
    Deliver,
    /// Closed.
    Complete,
    /// Called off before payment.
    Cancel,
    /// Money asked back.
    RequestRefund {
        /// How much, minor units.
        amount: i64,
        /// Why.
        reason: Option<String>,
    },
    /// The open refund approved.
    Refund {
        /// The gateway's reference of the money given back.
        reference: Option<String>,
        /// Units to put back in stock, by line, each with where the request named it.
        restock: Vec<(usize, Restock)>,
        /// Whether the coupon the order redeemed is given back, to be used again.
        return_coupon: bool,
    },
    /// The open refund turned down.
    RejectRefund {
        /// Why.
        reason: Option<String>,
    },
}

impl ActionInput {
    fn action(&self) -> OrderAction {
        match self {
            ActionInput::Pay { .. } => OrderAction::Pay,
            ActionInput::Ship { .. } => OrderAction::Ship,
            ActionInput::Deliver => OrderAction::Deliver,
            ActionInput::Complete => OrderAction::Complete,
            ActionInput::Cancel => OrderAction::Cancel,
            ActionInput::RequestRefund { .. } => OrderAction::RequestRefund,
            ActionInput::Refund { .. } => OrderAction::Refund,
            ActionInput::RejectRefund { .. } => OrderAction::RejectRefund,
        }
    }
}

fn conflict(code: &'static str, field: Option<&'static str>, message: String) -> Error {
    Error::Conflict {
        code,
        field,
        message,
    }
}

fn invalid(field: String, code: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid(FieldErrors::from(FieldError::new(field, code, message)))
}

/// Locks the order `id` within `owner`'s scope for a change, at `expected_version` when given.
async fn locked(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Order> {
    let row = crate::db::lock_for_change(
        conn,
        scoped(owner).filter(order::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    assembled(conn, row).await
}

/// Stores `after` (the order's own row), recounts the customer's purchase figures and moves their
/// points when the money moved, records the change, remembers the answer for the idempotency key
/// and commits.
async fn finish(
    txn: crate::db::WriteTxn,
    actor: &Actor,
    event: &str,
    before: &Order,
    after: Order,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Order>> {
    active(&after).update(&*txn).await?;
    if after.payment != before.payment || after.refunded_total != before.refunded_total {
        customers::recount_purchases(&*txn, actor, after.customer_id).await?;
        // The points move after the customer's row is locked by the recount, and their event
        // takes the outbox's lock after it, as a new order's event does after its insert holds
        // that row: taken the other way round, a payment and an order placed for the same
        // customer would wait for each other.
        let now = after.updated_at;
        if before.payment.is_none() && after.payment.is_some() {
            loyalty::earn_for_order(&*txn, &after, now).await?;
            marketing::issue_coupons_for_order(&*txn, &after, now).await?;
        }
        if after.refunded_total > before.refunded_total {
            loyalty::reverse_for_order(&*txn, &after, now).await?;
        }
        // What the customer spent and earned moved: their tier follows.
        customers::review_tier(&*txn, actor, after.customer_id, now).await?;
    }
    let (b, a) = (serde_json::to_value(before)?, serde_json::to_value(&after)?);
    audit::record_change(&*txn, actor, event, "order", after.id, Some(&b), Some(&a)).await?;
    idempotency::remember(&*txn, idem, 200, &after).await?;
    txn.commit().await?;
    Ok(Outcome::Done(after))
}

/// Moves an order on by an action, in one transaction with everything it brings. Any transition
/// the order's state does not allow is 409 `invalid_transition` and changes nothing.
pub async fn act(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    input: ActionInput,
    expected_version: Option<i64>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Order>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let before = locked(&*txn, owner, id, expected_version).await?;
    let action = input.action();
    let settled = before
        .open_refund()
        .is_some_and(|r| r.amount >= before.refundable());
    let Some(status) = action.next(before.status, before.fulfilment(), settled) else {
        return Err(conflict(
            "invalid_transition",
            None,
            format!(
                "an order that is {} cannot {}",
                before.status.as_str(),
                action.done()
            ),
        ));
    };
    let now = crate::now();
    let mut after = before.clone();
    after.status = status;
    after.updated_at = now;
    after.version += 1;
    match input {
        ActionInput::Pay { method, reference } => {
            take_stock(&*txn, &before).await?;
            if let (Some(coupon_id), Some(code)) = (before.coupon_id, &before.coupon_code) {
                let redemption = marketing::CouponRedemption {
                    order_id: before.id,
                    customer_id: before.customer_id,
                    coupon_id,
                    code,
                    discount: before.discount_total,
                };
                marketing::redeem_coupon(&*txn, redemption, now).await?;
            }

            after.payment = Some(Payment {
                method,
                reference,
                paid_at: now,
            });
        }
        ActionInput::Ship {
            carrier,
            tracking_number,
        } => {
            after.shipment = Some(Shipment {
                carrier,
                tracking_number,
                shipped_at: now,
                delivered_at: None,
                events: Vec::new(),
            });
        }
        ActionInput::Deliver => {
            if let Some(shipment) = after.shipment.as_mut() {
                shipment.delivered_at = Some(now);
            }
        }
        ActionInput::Complete => after.completed_at = Some(now),
        ActionInput::Cancel => after.cancelled_at = Some(now),
        ActionInput::RequestRefund { amount, reason } => {
            let refund = request_refund(&*txn, &before, amount, reason, now).await?;
            after.refunds.push(refund);
        }
        ActionInput::Refund {
            reference,
            restock,
            return_coupon,
        } => {
            approve_refund(&*txn, &mut after, reference, &restock, now).await?;
            if return_coupon {
                marketing::give_coupon_back(&*txn, after.id, now).await?;
            }
        }
        ActionInput::RejectRefund { reason } => {
            let open = open_refund_mut(&mut after)?;
            open.status = RefundStatus::Rejected;
            open.rejection_reason = reason;
            open.decided_at = Some(now);
            let open = open.clone();
            store_decision(&*txn, &open).await?;
        }
    }
    finish(txn, actor, action.event(), &before, after, idem).await
}

fn open_refund_mut(order: &mut Order) -> Result<&mut Refund> {
    order
        .refunds
        .iter_mut()
        .find(|r| r.status == RefundStatus::Requested)
        .ok_or_else(|| {
            Error::Internal("an order awaiting a refund decision has no open refund".into())
        })
}

/// Records a refund request: within the refund window counted from payment, for no more than is
/// still refundable, and within the number of refunds an order keeps.
async fn request_refund(
    conn: &impl ConnectionTrait,
    order: &Order,
    amount: i64,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Refund> {
    if order.refunds.len() >= MAX_REFUNDS {
        return Err(conflict(
            "too_many_refunds",
            None,
            format!("an order keeps at most {MAX_REFUNDS} refunds"),
        ));
    }
    let window = settings::load::<CommerceSettings>(conn)
        .await?
        .refund_window_days;
    let paid_at = order
        .payment
        .as_ref()
        .map_or(order.created_at, |p| p.paid_at);
    if !refund_window_open(paid_at, now, window) {
        return Err(conflict(
            "refund_window_closed",
            None,
            format!("refunds can be requested up to {window} days after payment"),
        ));
    }
    let refundable = order.refundable();
    if amount > refundable {
        return Err(conflict(
            "refund_exceeds_refundable",
            Some("amount"),
            format!(
                "at most {refundable} can still be refunded: {} paid, {} refunded",
                order.total, order.refunded_total
            ),
        ));
    }
    let refund = Refund {
        id: Uuid::now_v7(),
        amount,
        reason,
        status: RefundStatus::Requested,
        reference: None,
        rejection_reason: None,
        restocked: 0,
        requested_at: now,
        decided_at: None,
    };
    refund::ActiveModel {
        id: Set(refund.id),
        order_id: Set(order.id),
        amount: Set(refund.amount),
        reason: Set(refund.reason.clone()),
        status: Set(refund.status.as_str().to_owned()),
        reference: Set(None),
        rejection_reason: Set(None),
        restocked: Set(0),
        requested_at: Set(now),
        decided_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(refund)
}

/// Approves the open refund of `order`: the money counts as refunded and the units named go back
/// in stock, each line never restocking more than it sold.
async fn approve_refund(
    conn: &impl ConnectionTrait,
    order: &mut Order,
    reference: Option<String>,
    restock: &[(usize, Restock)],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut errors = FieldErrors::new();
    let mut moves: Vec<(Uuid, Uuid, Uuid, i64)> = Vec::new();
    for (i, r) in restock {
        let Some(line) = order.lines.iter().find(|l| l.id == r.line_id) else {
            errors.push(FieldError::new(
                format!("restock[{i}].line_id"),
                "not_found",
                "the order has no line with this id",
            ));
            continue;
        };
        let (Some(variant_id), Some(product_id)) = (line.variant_id, line.product_id) else {
            errors.push(FieldError::new(
                format!("restock[{i}].line_id"),
                "not_stocked",
                "a free line has no stock to restore",
            ));
            continue;
        };
        let left = line.quantity - line.restocked;
        if r.quantity > left {
            errors.push(FieldError::new(
                format!("restock[{i}].quantity"),
                "exceeds_sold",
                format!("at most {left} units of this line can still go back in stock"),
            ));
            continue;
        }
        moves.push((variant_id, product_id, line.id, r.quantity));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    // Variants in id order, as payments take them, so that the two never deadlock.
    moves.sort_by_key(|(variant, ..)| *variant);
    let number = order.number.clone();
    for (variant_id, product_id, line_id, quantity) in &moves {
        let moved = catalogue::move_stock(
            conn,
            *product_id,
            Move {
                variant_id: *variant_id,
                delta: *quantity,
                kind: MovementKind::Refund,
                reason: None,
                reference: Some(&number),
                order_id: Some(order.id),
            },
        )
        .await?;
        if let Err(Refused::NoVariant | Refused::Insufficient { .. }) = moved {
            let i = restock
                .iter()
                .find(|(_, r)| r.line_id == *line_id)
                .map_or(0, |(i, _)| *i);
            return Err(invalid(
                format!("restock[{i}].line_id"),
                "variant_gone",
                "the line's variant no longer exists",
            ));
        }
        line::Entity::update_many()
            .col_expr(
                line::Column::Restocked,
                Expr::col(line::Column::Restocked).add(*quantity),
            )
            .filter(line::Column::Id.eq(*line_id))
            .exec(conn)
            .await?;
        if let Some(l) = order.lines.iter_mut().find(|l| l.id == *line_id) {
            l.restocked += quantity;
        }
    }
    let restocked: i64 = moves.iter().map(|(.., q)| q).sum();
    let open = open_refund_mut(order)?;
    open.status = RefundStatus::Approved;
    open.reference = reference;
    open.restocked = restocked;
    open.decided_at = Some(now);
    let open = open.clone();
    store_decision(conn, &open).await?;
    order.refunded_total += open.amount;
    Ok(())
}

/// Stores the decision on a refund.
async fn store_decision(conn: &impl ConnectionTrait, decided: &Refund) -> Result<()> {
    refund::ActiveModel {
        id: Set(decided.id),
        order_id: NotSet,
        amount: NotSet,
        reason: NotSet,
        status: Set(decided.status.as_str().to_owned()),
        reference: Set(decided.reference.clone()),
        rejection_reason: Set(decided.rejection_reason.clone()),
        restocked: Set(decided.restocked),
        requested_at: NotSet,
        decided_at: Set(decided.decided_at),
    }
    .update(conn)
    .await?;
    Ok(())
}

/// Takes the stock of every variant line of a paid order, the variants in id order so that two
/// payments sharing variants wait for each other instead of deadlocking.
async fn take_stock(conn: &impl ConnectionTrait, order: &Order) -> Result<()> {
    let mut takes: Vec<(Uuid, Uuid, i64)> = order
        .lines
        .iter()
        .filter_map(|l| Some((l.variant_id?, l.product_id?, l.quantity)))
        .collect();
    takes.sort_by_key(|(variant, _, _)| *variant);
    for (variant_id, product_id, quantity) in takes {
        let moved = catalogue::move_stock(
            conn,
            product_id,
            Move {
                variant_id,
                delta: -quantity,
                kind: MovementKind::Order,
                reason: None,
                reference: Some(&order.number),
                order_id: Some(order.id),
            },
        )
        .await?;
        match moved {
            Ok(_) => {}
            Err(Refused::Insufficient { stock, sku }) => {
                return Err(conflict(
                    "insufficient_stock",
                    None,
                    format!("{sku} has {stock} in stock, fewer than the order takes"),
                ));
            }
            Err(Refused::NoVariant) => {
                return Err(conflict(
                    "insufficient_stock",
                    None,
                    "a variant the order sells no longer exists".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Adds a step to the status history of a shipped order's shipment.
pub async fn record_shipment_event(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    (status, place, occurred_at): (String, Option<String>, DateTime<Utc>),
    expected_version: Option<i64>,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Order>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let before = locked(&*txn, owner, id, expected_version).await?;
    let Some(shipment) = before.shipment.as_ref() else {
        return Err(conflict(
            "invalid_transition",
            None,
            format!(
                "an order that is {} has not been shipped",
                before.status.as_str()
            ),
        ));
    };
    if shipment.events.len() >= MAX_EVENTS {
        return Err(conflict(
            "too_many_shipment_events",
            None,
            format!("a shipment keeps at most {MAX_EVENTS} status events"),
        ));
    }
    let now = crate::now();
    let event = ShipmentEvent {
        id: Uuid::now_v7(),
        status,
        place,
        occurred_at,
        recorded_at: now,
    };
    shipment_event::ActiveModel {
        id: Set(event.id),
        order_id: Set(id),
        status: Set(event.status.clone()),
        place: Set(event.place.clone()),
        occurred_at: Set(event.occurred_at),
        recorded_at: Set(now),
    }
    .insert(&*txn)
    .await?;
    let mut after = before.clone();
    after.updated_at = now;
    after.version += 1;
    if let Some(shipment) = after.shipment.as_mut() {
        shipment.events.push(event);
        shipment.events.sort_by_key(|e| (e.occurred_at, e.id));
    }
    finish(txn, actor, "order.shipment_updated", &before, after, idem).await
}
