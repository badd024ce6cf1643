//! `POST /orders/batch`: orders as a shop or ERP records them, created or moved forward by their
//! external id, and what goes over the wire for them.

use std::collections::HashMap;

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, post};
use chrono::{DateTime, Utc};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::orders::batch::{
    CheckedOrderItem, OrderItem, RecordedPayment, RecordedShipment, RecordedState,
};
use rapport_domain::orders::{NewLine, OrderStatus};
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::orders::batch::{self, LIST, MAX_ITEMS};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::RecipientDto;
use crate::auth::Auth;
use crate::batch::{BatchModeDto, BatchResult, answer, check_count, well_formed};
use crate::customers::AddressDto;
use crate::extract::{IdempotencyHeader, ValidJson, nullable, optional_whole, whole};
use crate::problem::ApiError;
use crate::state::AppState;

/// Where a recorded order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordedStatusDto {
    /// Placed, not paid.
    Pending,
    /// Paid (with the `payment`, when the order becomes paid).
    Paid,
    /// Handed to a carrier (with the `shipment`, when the order becomes shipped).
    Shipped,
    /// Received.
    Delivered,
    /// Done.
    Completed,
    /// Called off before payment.
    Cancelled,
}

impl From<RecordedStatusDto> for OrderStatus {
    fn from(s: RecordedStatusDto) -> Self {
        match s {
            RecordedStatusDto::Pending => OrderStatus::Pending,
            RecordedStatusDto::Paid => OrderStatus::Paid,
            RecordedStatusDto::Shipped => OrderStatus::Shipped,
            RecordedStatusDto::Delivered => OrderStatus::Delivered,
            RecordedStatusDto::Completed => OrderStatus::Completed,
            RecordedStatusDto::Cancelled => OrderStatus::Cancelled,
        }
    }
}

/// The payment as the shop recorded it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedPaymentDto {
    /// How (`wechat_pay`, `alipay`, `card`, `cash`, ...), 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub method: String,
    /// The gateway's reference, at most 200 characters.
    #[schema(max_length = 200)]
    pub reference: Option<String>,
    /// When it was paid; the time of writing when absent.
    pub paid_at: Option<DateTime<Utc>>,
}

/// The shipment as the shop recorded it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordedShipmentDto {
    /// Who carries it, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub carrier: String,
    /// Their tracking number, at most 200 characters.
    #[schema(max_length = 200)]
    pub tracking_number: Option<String>,
    /// When it was handed over; the time of writing when absent.
    pub shipped_at: Option<DateTime<Utc>>,
    /// When the customer received it, for a delivered or completed order; the time of writing
    /// when absent.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A line of a recorded order: a variant of the catalogue, named by `variant_id` or `sku`, or a
/// free line (`description` and `unit_price`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "RUN-PRO-RED-42", "quantity": 2, "unit_price": 45900}))]
pub struct BatchOrderLine {
    /// The variant sold.
    pub variant_id: Option<Uuid>,
    /// The variant sold, by its sku (1 to 64 characters); only without `variant_id`.
    #[schema(min_length = 1, max_length = 64)]
    pub sku: Option<String>,
    /// What a free line is, 1 to 200 characters; only without a variant.
    #[schema(min_length = 1, max_length = 200)]
    pub description: Option<String>,
    /// Units, 1 to 1,000,000.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i64,
    /// The price of one unit as sold, in minor units: required on a free line; on a variant
    /// line the catalogue's price when absent.
    #[serde(default, deserialize_with = "optional_whole")]
    pub unit_price: Option<i64>,
}

/// One order as the shop or ERP records it: absent parts stay as they are on an existing order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "shop-order-55120",
    "customer_id": "0193a5c6-1111-7000-8000-000000000001",
    "currency": "CNY",
    "lines": [
        {"sku": "RUN-PRO-RED-42", "quantity": 2, "unit_price": 45900},
        {"description": "Gait analysis", "quantity": 1, "unit_price": 9900}
    ],
    "shipping": 1000,
    "channel": "tmall",
    "placed_at": "2026-11-11T00:05:00Z",
    "status": "shipped",
    "payment": {"method": "alipay", "reference": "2026111122001", "paid_at": "2026-11-11T00:06:00Z"},
    "shipment": {"carrier": "顺丰速运", "tracking_number": "SF1234567890", "shipped_at": "2026-11-12T09:00:00Z"}
}))]
pub struct OrderItemDto {
    /// The order's id in the shop or ERP, 1 to 200 characters: the key.
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: String,
    /// The customer; required for a new order. An existing order's customer does not change.
    pub customer_id: Option<Uuid>,
    /// The staff member credited (the customer's owner for a new order when absent), or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub sales_user_id: Option<Option<Uuid>>,
    /// ISO 4217 code of every amount; required for a new order.
    pub currency: Option<String>,
    /// 1 to 200 lines, replacing every line; required for a new order.
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<BatchOrderLine>>,
    /// Shipping charged, in minor units.
    #[serde(default, deserialize_with = "optional_whole")]
    pub shipping: Option<i64>,
    /// Where it was placed, at most 200 characters, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub channel: Option<Option<String>>,
    /// A note, at most 2000 characters, or `null`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Option<String>>,
    /// Who receives it, replaced as a whole.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub recipient: Option<RecipientDto>,
    /// Where it goes, replaced as a whole.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub ship_to: Option<AddressDto>,
    /// Custom field values to set, by key (`GET /api/v1/custom-fields` lists those of orders);
    /// `null` removes one, keys not sent stay. A value its definition refuses refuses the item
    /// (a new order also needs every required field).
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// When a new order was placed in the shop (its `created_at`); the time of writing when
    /// absent.
    pub placed_at: Option<DateTime<Utc>>,
    /// Where it stands in the shop: a new order is `pending` when absent, an existing one stays
    /// where it is.
    pub status: Option<RecordedStatusDto>,
    /// The payment; only from `paid` on, and required to make an order paid.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub payment: Option<RecordedPaymentDto>,
    /// The shipment; only from `shipped` on, and required to make an order shipped.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub shipment: Option<RecordedShipmentDto>,
    /// When a `completed` order was completed; the time of writing when absent.
    pub completed_at: Option<DateTime<Utc>>,
    /// When a `cancelled` order was cancelled; the time of writing when absent.
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl BatchOrderLine {
    /// The line as the domain reads it: malformed (`Err`), or read with the sku's variant, when
    /// the catalogue has it (the second part names the line's unknown sku otherwise).
    fn into_domain(
        self,
        index: usize,
        skus: &HashMap<String, Uuid>,
    ) -> Result<(NewLine, Option<FieldError>), FieldError> {
        let variant = |variant_id| NewLine::Variant {
            variant_id,
            quantity: self.quantity,
            unit_price: self.unit_price,
        };
        match (
            self.variant_id,
            &self.sku,
            self.description,
            self.unit_price,
        ) {
            (Some(variant_id), None, None, _) => Ok((variant(variant_id), None)),
            (None, Some(sku), None, _) => Ok(match skus.get(sku) {
                Some(variant_id) => (variant(*variant_id), None),
                None => (
                    variant(Uuid::nil()),
                    Some(FieldError::new(
                        format!("lines[{index}].sku"),
                        "not_found",
                        "no variant has this sku",
                    )),
                ),
            }),
            (None, None, Some(description), Some(unit_price)) => Ok((
                NewLine::Free {
                    description,
                    quantity: self.quantity,
                    unit_price,
                },
                None,
            )),
            _ => Err(FieldError::new(
                format!("lines[{index}]"),
                "invalid_line",
                "a line has a variant_id or a sku, or a description and a unit_price",
            )),
        }
    }
}

impl OrderItemDto {
    /// The item as the domain reads it, the skus of its lines looked up in `skus`, and checked;
    /// unknown skus refuse the item alone.
    pub fn check(
        self,
        skus: &HashMap<String, Uuid>,
        definitions: &[rapport_domain::custom_fields::Definition],
    ) -> Result<CheckedOrderItem, FieldErrors> {
        let mut shape = FieldErrors::new();
        let mut unknown = Vec::new();
        let lines = self.lines.map(|lines| {
            lines
                .into_iter()
                .enumerate()
                .filter_map(|(i, line)| shape.take(line.into_domain(i, skus)))
                .map(|(line, missing)| {
                    unknown.extend(missing);
                    line
                })
                .collect()
        });
        let state = match self.status {
            Some(status) => Some(RecordedState {
                status: status.into(),
                payment: self.payment.map(|p| RecordedPayment {
                    method: p.method,
                    reference: p.reference,
                    paid_at: p.paid_at,
                }),
                shipment: self.shipment.map(|s| RecordedShipment {
                    carrier: s.carrier,
                    tracking_number: s.tracking_number,
                    shipped_at: s.shipped_at,
                    delivered_at: s.delivered_at,
                }),
                completed_at: self.completed_at,
                cancelled_at: self.cancelled_at,
            }),
            None => {
                let sent = [
                    ("payment", self.payment.is_some()),
                    ("shipment", self.shipment.is_some()),
                    ("completed_at", self.completed_at.is_some()),
                    ("cancelled_at", self.cancelled_at.is_some()),
                ];
                for (field, _) in sent.iter().filter(|(_, sent)| *sent) {
                    shape.push(FieldError::new(
                        *field,
                        "unexpected",
                        "comes with the status it belongs to",
                    ));
                }
                None
            }
        };
        let checked = OrderItem {
            external_id: self.external_id,
            customer_id: self.customer_id,
            sales_user_id: self.sales_user_id,
            currency: self.currency,
            lines,
            shipping: self.shipping,
            channel: self.channel,
            note: self.note,
            recipient: self.recipient.map(Into::into),
            ship_to: self.ship_to.map(Into::into),
            custom_fields: self.custom_fields,
            placed_at: self.placed_at,
            state,
        }
        .check(definitions);
        shape.then(checked).map(|mut item| {
            item.refused.extend(unknown);
            item
        })
    }
}

/// Orders to create or move forward.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mode": "per_item",
    "orders": [{
        "external_id": "shop-order-55120",
        "customer_id": "0193a5c6-1111-7000-8000-000000000001",
        "currency": "CNY",
        "lines": [{"sku": "RUN-PRO-RED-42", "quantity": 1, "unit_price": 45900}],
        "status": "paid",
        "payment": {"method": "alipay", "paid_at": "2026-11-11T00:06:00Z"}
    }]
}))]
pub struct BatchOrders {
    /// `all_or_nothing` (default) or `per_item`.
    pub mode: Option<BatchModeDto>,
    /// 1 to 500 orders.
    #[schema(min_items = 1, max_items = 500)]
    pub orders: Vec<OrderItemDto>,
}

/// Create or update orders in a batch.
///
/// Records orders as a shop or ERP has them, each named by its `external_id`. A new order is
/// created in the `status` sent (`pending` when absent; `customer_id`, `currency` and `lines`
/// required), placed at `placed_at`, with the payment, shipment and times the shop recorded: an
/// order that becomes paid needs its `payment`, one that becomes shipped its `shipment`
/// (`required`), and a state carries nothing its status has not reached (`unexpected`). A line names a variant by `variant_id` or `sku` (its name
/// copied from the catalogue, its `unit_price` as sold when sent, the catalogue's otherwise; an
/// archived product is accepted when the price is sent), or is a free line. An existing order
/// moves forward to the status sent along `pending → paid → shipped → delivered → completed` (or
/// `pending → cancelled`), never back (`invalid_transition` at `status`); times in the future
/// are refused (`in_future`); while pending its
/// parts change as `PATCH` changes them, past pending only its custom fields (other changes:
/// `invalid_transition`). Recorded orders move no stock: the shop took it, and its counts reach
/// Rapport through `POST /products/batch`. An order that becomes paid recounts its customer's
/// purchase figures and level, and each step is in the event feed as its action's event
/// (`order.paid`, `order.shipped`, ...) besides `order.created` or `order.updated`. In
/// `all_or_nothing` mode (the default) any refused item refuses the batch: 422 with every
/// item's mistakes at `orders[i].<field>`, and nothing is written. In `per_item` mode the answer
/// lists each item's result. A malformed item (a wrong type, an unknown field, a text outside its
/// rules, a state without what it needs) refuses the whole batch at once with 422. Callers whose
/// role reaches only their own customers record orders of those customers only. With an
/// `Idempotency-Key`, a retry replays the first answer.
#[utoipa::path(
    tag = "orders",
    operation_id = "batch_upsert_orders",
    request_body = BatchOrders,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, description = "Every item's result", body = BatchResult)),
    security(("bearer" = []))
)]
#[post("/orders/batch")]
pub async fn batch_upsert_orders(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<BatchOrders>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let body = body.value()?;
    check_count("orders", body.orders.len(), MAX_ITEMS)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Order).await?;
    let skus: Vec<String> = body
        .orders
        .iter()
        .flat_map(|o| o.lines.iter().flatten())
        .filter_map(|l| l.sku.clone())
        .collect();
    let skus = rapport_persistence::catalogue::variant_ids_by_sku(state.db.conn(), &skus).await?;
    let items = well_formed(LIST, body.orders, |item| item.check(&skus, &definitions))?;
    let outcome = batch::upsert(
        &state.db,
        &auth.actor,
        auth.owner(),
        items,
        body.mode.unwrap_or_default().into(),
        key.as_ref(),
        |outcomes| BatchResult::new(outcomes, |o| (o.id, o.version)),
    )
    .await?;
    Ok(answer(outcome))
}
