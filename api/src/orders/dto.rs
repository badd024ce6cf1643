//! What goes over the wire for orders.

use chrono::{DateTime, Utc};
use rapport_domain::orders::{
    Discount, DiscountSource, NewLine, Order, OrderLine, OrderStatus, Recipient, Refund,
    RefundStatus, Shipment, ShipmentEvent,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use rapport_domain::customers::Disclosure;
use rapport_domain::values::Phone;

use crate::customers::AddressDto;
use crate::extract::whole;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatusDto {
    /// Placed, not paid.
    Pending,
    /// Paid: stock taken.
    Paid,
    /// Handed to a carrier.
    Shipped,
    /// Received by the customer.
    Delivered,
    /// Done.
    Completed,
    /// Called off before payment.
    Cancelled,
    /// The customer asked for money back.
    RefundRequested,
    /// Money given back.
    Refunded,
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Pending => OrderStatusDto::Pending,
            OrderStatus::Paid => OrderStatusDto::Paid,
            OrderStatus::Shipped => OrderStatusDto::Shipped,
            OrderStatus::Delivered => OrderStatusDto::Delivered,
            OrderStatus::Completed => OrderStatusDto::Completed,
            OrderStatus::Cancelled => OrderStatusDto::Cancelled,
            OrderStatus::RefundRequested => OrderStatusDto::RefundRequested,
            OrderStatus::Refunded => OrderStatusDto::Refunded,
        }
    }
}

impl From<OrderStatusDto> for OrderStatus {
    fn from(s: OrderStatusDto) -> Self {
        match s {
            OrderStatusDto::Pending => OrderStatus::Pending,
            OrderStatusDto::Paid => OrderStatus::Paid,
            OrderStatusDto::Shipped => OrderStatus::Shipped,
            OrderStatusDto::Delivered => OrderStatus::Delivered,
            OrderStatusDto::Completed => OrderStatus::Completed,
            OrderStatusDto::Cancelled => OrderStatus::Cancelled,
            OrderStatusDto::RefundRequested => OrderStatus::RefundRequested,
            OrderStatusDto::Refunded => OrderStatus::Refunded,
        }
    }
}

/// A line of a new order: a variant of the catalogue (`variant_id`; its sku, name and price are
/// copied as sold), or a free line (`description` and `unit_price`) for what has no product,
/// such as a service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"variant_id": "0193a5c6-6666-7000-8000-000000000002", "quantity": 2}))]
pub struct CreateOrderLine {
    /// The variant sold; absent for a free line.
    pub variant_id: Option<Uuid>,
    /// What a free line is, 1 to 200 characters; only without `variant_id`.
    #[schema(min_length = 1, max_length = 200)]
    pub description: Option<String>,
    /// Units, 1 to 1,000,000.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i64,
    /// A free line's price of one unit in minor units; only without `variant_id`.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    pub unit_price: Option<i64>,
}

impl CreateOrderLine {
    /// The line as the domain reads it, or what is wrong with its shape.
    pub fn into_domain(self, index: usize) -> Result<NewLine, rapport_domain::FieldError> {
        use rapport_domain::FieldError;
        match (self.variant_id, self.description, self.unit_price) {
            (Some(variant_id), None, None) => Ok(NewLine::Variant {
                variant_id,
                quantity: self.quantity,
                unit_price: None,
            }),
            (None, Some(description), Some(unit_price)) => Ok(NewLine::Free {
                description,
                quantity: self.quantity,
                unit_price,
            }),
            _ => Err(FieldError::new(
                format!("lines[{index}]"),
                "invalid_line",
                "a line has a variant_id, or a description and a unit_price, not both",
            )),
        }
    }
}

/// Who receives an order; both parts optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "王伟", "phone": "+8613912345678"}))]
pub struct RecipientDto {
    /// Their name, at most 200 characters.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// Their phone, normalised as a customer's is (at most 32 characters).
    #[schema(max_length = 32)]
    pub phone: Option<String>,
}

impl From<RecipientDto> for Recipient {
    fn from(r: RecipientDto) -> Self {
        Recipient {
            name: r.name,
            phone: r.phone,
        }
    }
}

/// Who receives an order, as a caller sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"name": "王伟", "phone": "+8613912345678"}))]
pub struct RecipientView {
    /// Their name.
    pub name: Option<String>,
    /// Their phone; masked (`+*********5678`) for callers without `contact_details:read`.
    pub phone: Option<String>,
}

/// A new order. It is placed pending; its totals are computed here.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "0193a5c6-1111-7000-8000-000000000001",
    "currency": "CNY",
    "lines": [
        {"variant_id": "0193a5c6-6666-7000-8000-000000000002", "quantity": 2},
        {"description": "Gait analysis", "quantity": 1, "unit_price": 9900}
    ],
    "shipping": 1000,
    "channel": "mini_program",
    "external_id": "shop-order-55120",
    "recipient": {"name": "王伟", "phone": "+8613912345678"},
    "ship_to": {"country": "CN", "province": "上海市", "city": "上海市", "district": "浦东新区", "street": "世纪大道 100 号", "postal_code": "200120"}
}))]
pub struct CreateOrder {
    /// The customer.
    pub customer_id: Uuid,
    /// The staff member credited; the customer's owner when absent.
    pub sales_user_id: Option<Uuid>,
    /// ISO 4217 code of every amount; variant lines must be priced in it. The workspace's
    /// `default_currency` (`/settings/workspace`) when absent.
    pub currency: Option<String>,
    /// 1 to 200 lines.
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<CreateOrderLine>,
    /// Shipping charged, in minor units (default 0).
    #[serde(default, deserialize_with = "whole")]
    pub shipping: i64,
    /// Where it was placed (`web`, `store`, `mini_program`, …), at most 200 characters.
    #[schema(max_length = 200)]
    pub channel: Option<String>,
    /// The order's id in a shop or ERP, at most 200 characters; unique.
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    /// A note, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Who receives it.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub recipient: Option<RecipientDto>,
    /// Where it goes.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub ship_to: Option<AddressDto>,
    /// Custom field values by key: only keys that `GET /api/v1/custom-fields` lists for
    /// orders, each value in the shape of its type (`unknown_field`, `invalid_value` or
    /// `invalid_option` at `custom_fields.<key>` otherwise), every required field given. At most
    /// 64 keys and 16 KiB as JSON.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// A coupon code (any case): the coupon's shared code or a code issued to this customer. It
    /// must apply (422 at `coupon_code` with the reason's code otherwise, as
    /// `POST /coupons/validate` tells it); its discount is a line of the totals, and the coupon
    /// is redeemed when the order is paid.
    #[schema(
        min_length = 4,
        max_length = 32,
        pattern = "^[A-Za-z0-9_-]{4,32}$",
        example = "WINTER50"
    )]
    pub coupon_code: Option<String>,
    /// The campaign it is credited to (`/api/v1/campaigns`), which must exist.
    pub campaign_id: Option<Uuid>,
}

/// Changes to an order: absent parts stay, `null` clears. `lines` replaces every line, priced
/// from the catalogue again. Only `custom_fields` changes once the order is past `pending`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "lines": [{"variant_id": "0193a5c6-6666-7000-8000-000000000002", "quantity": 3}],
    "shipping": 0,
    "note": "门店自提"
}))]
pub struct UpdateOrder {
    /// The staff member credited, or `null` for none.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub sales_user_id: Option<Option<Uuid>>,
    /// 1 to 200 lines, replacing every line.
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<CreateOrderLine>>,
    /// Shipping charged, in minor units.
    #[serde(default, deserialize_with = "crate::extract::optional_whole")]
    pub shipping: Option<i64>,
    /// Where it was placed, at most 200 characters, or `null`.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub channel: Option<Option<String>>,
    /// The order's id in a shop or ERP, at most 200 characters, or `null`.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub external_id: Option<Option<String>>,
    /// A note, at most 2000 characters, or `null`.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Option<String>>,
    /// Who receives it, replaced as a whole.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub recipient: Option<RecipientDto>,
    /// Where it goes, replaced as a whole.
    #[serde(default, deserialize_with = "crate::extract::object")]
    pub ship_to: Option<AddressDto>,
    /// Custom field values to set, by key; `null` removes a value, keys not sent stay. The one
    /// part that changes at any status.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// A coupon code, replacing the one the order took, or `null` to take the coupon off; the
    /// discount is priced again.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<String>, min_length = 4, max_length = 32, pattern = "^[A-Za-z0-9_-]{4,32}$")]
    pub coupon_code: Option<Option<String>>,
    /// The campaign it is credited to, or `null` for none; like `custom_fields`, it changes at
    /// any status.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub campaign_id: Option<Option<Uuid>>,
}

/// Where a discount comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountSourceDto {
    /// The promotion (`/api/v1/promotions`) that gave the order the most when it was priced,
    /// without a code.
    Promotion,
    /// A coupon the order took by its code.
    Coupon,
    /// The membership tier the customer held when the order was priced
    /// (`/api/v1/membership-tiers`): its discount percent of what the lines cost after the
    /// coupon.
    Tier,
}

mirror!(DiscountSourceDto <=> DiscountSource { Promotion, Coupon, Tier });

/// Money an offer takes off an order: a line of its totals.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "source": "coupon", "source_id": "0193a5c6-9999-7000-8000-000000000001",
    "name": "冬季满 300 减 50", "code": "WINTER50", "amount": 5000, "gift_line_id": null
}))]
pub struct DiscountView {
    /// Where it comes from.
    pub source: DiscountSourceDto,
    /// The promotion, coupon or tier that gives it.
    pub source_id: Uuid,
    /// The promotion's, coupon's or tier's name.
    pub name: String,
    /// The code the order gave, for a coupon.
    pub code: Option<String>,
    /// Minor units off.
    pub amount: i64,
    /// The line the promotion or coupon added as a gift (priced, and taken off again by this
    /// discount).
    pub gift_line_id: Option<Uuid>,
}

impl From<Discount> for DiscountView {
    fn from(d: Discount) -> Self {
        DiscountView {
            source: d.source.into(),
            source_id: d.source_id,
            name: d.name,
            code: d.code,
            amount: d.amount,
            gift_line_id: d.gift_line_id,
        }
    }
}

/// A line as sold.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineView {
    /// Identifier.
    pub id: Uuid,
    /// The variant sold; `null` for a free line.
    pub variant_id: Option<Uuid>,
    /// Its product.
    pub product_id: Option<Uuid>,
    /// The sku as sold.
    pub sku: Option<String>,
    /// What was sold.
    pub name: String,
    /// Units.
    pub quantity: i64,
    /// Price of one unit as sold, minor units.
    pub unit_price: i64,
    /// `quantity × unit_price`.
    pub line_total: i64,
    /// Units put back in stock by refunds.
    pub restocked: i64,
}

impl From<OrderLine> for OrderLineView {
    fn from(l: OrderLine) -> Self {
        OrderLineView {
            id: l.id,
            variant_id: l.variant_id,
            product_id: l.product_id,
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total: l.line_total,
            restocked: l.restocked,
        }
    }
}

/// The payment as reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    /// How.
    pub method: String,
    /// The gateway's reference.
    pub reference: Option<String>,
    /// When.
    pub paid_at: DateTime<Utc>,
}

/// One step of a shipment's way.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentEventView {
    /// Identifier.
    pub id: Uuid,
    /// The carrier's status (`picked_up`, `in_transit`, `out_for_delivery`, …).
    pub status: String,
    /// Where it happened.
    pub place: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl From<ShipmentEvent> for ShipmentEventView {
    fn from(e: ShipmentEvent) -> Self {
        ShipmentEventView {
            id: e.id,
            status: e.status,
            place: e.place,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
        }
    }
}

/// The shipment of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentView {
    /// Who carries it.
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: Option<String>,
    /// When it was handed over.
    pub shipped_at: DateTime<Utc>,
    /// When the customer received it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Its status history, oldest first.
    pub events: Vec<ShipmentEventView>,
}

impl From<Shipment> for ShipmentView {
    fn from(s: Shipment) -> Self {
        ShipmentView {
            carrier: s.carrier,
            tracking_number: s.tracking_number,
            shipped_at: s.shipped_at,
            delivered_at: s.delivered_at,
            events: s.events.into_iter().map(Into::into).collect(),
        }
    }
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatusDto {
    /// Asked for; a decision is due.
    Requested,
    /// Money given back.
    Approved,
    /// Turned down.
    Rejected,
}

impl From<RefundStatus> for RefundStatusDto {
    fn from(s: RefundStatus) -> Self {
        match s {
            RefundStatus::Requested => RefundStatusDto::Requested,
            RefundStatus::Approved => RefundStatusDto::Approved,
            RefundStatus::Rejected => RefundStatusDto::Rejected,
        }
    }
}

/// A refund of an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    /// Identifier.
    pub id: Uuid,
    /// Money asked back, minor units of the order's currency.
    pub amount: i64,
    /// Why the customer asked.
    pub reason: Option<String>,
    /// Where it stands.
    pub status: RefundStatusDto,
    /// The gateway's reference of the money given back, once approved.
    pub reference: Option<String>,
    /// Why it was turned down, once rejected.
    pub rejection_reason: Option<String>,
    /// Units put back in stock on approval.
    pub restocked: i64,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// When it was approved or rejected.
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<Refund> for RefundView {
    fn from(r: Refund) -> Self {
        RefundView {
            id: r.id,
            amount: r.amount,
            reason: r.reason,
            status: r.status.into(),
            reference: r.reference,
            rejection_reason: r.rejection_reason,
            restocked: r.restocked,
            requested_at: r.requested_at,
            decided_at: r.decided_at,
        }
    }
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5c6-8888-7000-8000-000000000001",
    "number": "SO-20261205-7K3M9Q2B",
    "customer_id": "0193a5c6-1111-7000-8000-000000000001",
    "sales_user_id": "0193a5c6-0000-7000-8000-000000000009",
    "status": "paid",
    "currency": "CNY",
    "lines": [{
        "id": "0193a5c6-8888-7000-8000-000000000002",
        "variant_id": "0193a5c6-6666-7000-8000-000000000002",
        "product_id": "0193a5c6-6666-7000-8000-000000000001",
        "sku": "RUN-PRO-RED-42",
        "name": "跑步鞋 Pro 红 / 42",
        "quantity": 2,
        "unit_price": 49900,
        "line_total": 99800,
        "restocked": 0
    }],
    "lines_total": 99800,
    "discounts": [{
        "source": "coupon", "source_id": "0193a5c6-9999-7000-8000-000000000001",
        "name": "冬季满 300 减 50", "code": "WINTER50", "amount": 5000, "gift_line_id": null
    }],
    "discount_total": 5000,
    "subtotal": 94800,
    "shipping": 1000,
    "total": 95800,
    "coupon_code": "WINTER50",
    "coupon_id": "0193a5c6-9999-7000-8000-000000000001",
    "campaign_id": null,
    "channel": "mini_program",
    "external_id": "shop-order-55120",
    "note": null,
    "recipient": {"name": "王伟", "phone": "+8613912345678"},
    "ship_to": {"country": "CN", "province": "上海市", "city": "上海市", "district": "浦东新区", "street": "世纪大道 100 号", "postal_code": "200120"},
    "custom_fields": {"invoice_title": "上海跑者体育用品有限公司"},
    "payment": {"method": "wechat_pay", "reference": "4200001234202612051234567890", "paid_at": "2026-12-05T09:01:00Z"},
    "shipment": {
        "carrier": "顺丰速运",
        "tracking_number": "SF1234567890",
        "shipped_at": "2026-12-05T15:00:00Z",
        "delivered_at": null,
        "events": [{
            "id": "0193a5c6-8888-7000-8000-000000000003",
            "status": "in_transit",
            "place": "深圳",
            "occurred_at": "2026-12-05T20:10:00Z",
            "recorded_at": "2026-12-05T20:11:00Z"
        }]
    },
    "completed_at": null,
    "cancelled_at": null,
    "refunded_total": 0,
    "refundable": 95800,
    "refunds": [],
    "created_at": "2026-12-05T09:00:00Z",
    "updated_at": "2026-12-05T20:11:00Z",
    "version": 4
}))]
pub struct OrderView {
    /// Identifier.
    pub id: Uuid,
    /// Human-readable and unique.
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The staff member credited.
    pub sales_user_id: Option<Uuid>,
    /// Where it stands.
    pub status: OrderStatusDto,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// Lines as sold.
    pub lines: Vec<OrderLineView>,
    /// Sum of the line totals.
    pub lines_total: i64,
    /// The discounts given, each a line of the totals.
    pub discounts: Vec<DiscountView>,
    /// Their sum.
    pub discount_total: i64,
    /// `lines_total − discount_total`: what the goods cost.
    pub subtotal: i64,
    /// Shipping.
    pub shipping: i64,
    /// `subtotal + shipping`: what the customer pays.
    pub total: i64,
    /// The coupon code the order took.
    pub coupon_code: Option<String>,
    /// Its coupon.
    pub coupon_id: Option<Uuid>,
    /// The campaign it is credited to.
    pub campaign_id: Option<Uuid>,
    /// Where it was placed.
    pub channel: Option<String>,
    /// The order's id in a shop or ERP.
    pub external_id: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Who receives it.
    pub recipient: RecipientView,
    /// Where it goes.
    pub ship_to: AddressDto,
    /// Custom field values by key, as stored.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    /// The payment, once paid.
    pub payment: Option<PaymentView>,
    /// The shipment, once shipped.
    pub shipment: Option<ShipmentView>,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Money given back by approved refunds.
    pub refunded_total: i64,
    /// Money that can still be refunded: what was paid less what was refunded (0 until paid).
    pub refundable: i64,
    /// Refunds asked for, oldest first.
    pub refunds: Vec<RefundView>,
    /// Placed.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl OrderView {
    /// The order as a caller who sees contact details as `disclosure` says: the recipient's
    /// phone is masked for those who may not see a customer's.
    pub fn new(o: Order, disclosure: Disclosure) -> Self {
        let refundable = o.refundable();
        let recipient = RecipientView {
            name: o.recipient.name,
            phone: disclosure.phone(o.recipient.phone.and_then(|p| Phone::try_from(p).ok())),
        };
        OrderView {
            id: o.id,
            number: o.number,
            customer_id: o.customer_id,
            sales_user_id: o.sales_user_id,
            status: o.status.into(),
            currency: o.currency.code().to_owned(),
            lines: o.lines.into_iter().map(OrderLineView::from).collect(),
            lines_total: o.subtotal + o.discount_total,
            discounts: o.discounts.into_iter().map(Into::into).collect(),
            discount_total: o.discount_total,
            subtotal: o.subtotal,
            shipping: o.shipping,
            total: o.total,
            coupon_code: o.coupon_code,
            coupon_id: o.coupon_id,
            campaign_id: o.campaign_id,
            channel: o.channel,
            external_id: o.external_id,
            note: o.note,
            recipient,
            ship_to: o.ship_to.into(),
            custom_fields: o.custom_fields,
            payment: o.payment.map(|p| PaymentView {
                method: p.method,
                reference: p.reference,
                paid_at: p.paid_at,
            }),
            shipment: o.shipment.map(Into::into),
            completed_at: o.completed_at,
            cancelled_at: o.cancelled_at,
            refunded_total: o.refunded_total,
            refundable,
            refunds: o.refunds.into_iter().map(Into::into).collect(),
            created_at: o.created_at,
            updated_at: o.updated_at,
            version: o.version,
        }
    }
}

/// A payment as the shop or gateway reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"method": "wechat_pay", "reference": "4200001234202612051234567890"}))]
pub struct PayOrder {
    /// How it was paid (`wechat_pay`, `alipay`, `card`, `cash`, …), 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub method: String,
    /// The gateway's reference, at most 200 characters.
    #[schema(max_length = 200)]
    pub reference: Option<String>,
}

/// A handover to a carrier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"carrier": "顺丰速运", "tracking_number": "SF1234567890"}))]
pub struct ShipOrder {
    /// Who carries it, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub carrier: String,
    /// The carrier's tracking number, at most 200 characters.
    #[schema(max_length = 200)]
    pub tracking_number: Option<String>,
}

/// A step of a shipment's way, as the carrier reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "in_transit", "place": "深圳", "occurred_at": "2026-12-05T20:10:00Z"}))]
pub struct AddShipmentEvent {
    /// The carrier's status (`picked_up`, `in_transit`, `out_for_delivery`, …), 1 to 64
    /// characters.
    #[schema(min_length = 1, max_length = 64)]
    pub status: String,
    /// Where it happened, at most 200 characters.
    #[schema(max_length = 200)]
    pub place: Option<String>,
    /// When it happened; not more than a day ahead of the server's clock.
    pub occurred_at: DateTime<Utc>,
}

/// Money a customer asks back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 49900, "reason": "尺码不合适"}))]
pub struct RequestRefund {
    /// How much, in minor units: at least 1 and at most what is still refundable.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1)]
    pub amount: i64,
    /// Why, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// Units of one line to put back in stock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestockLine {
    /// A variant line of the order.
    pub line_id: Uuid,
    /// Units, at most what the line sold less what it restocked before.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: i64,
}

/// The approval of the refund asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reference": "50300001234202612071234567890",
    "restock": [{"line_id": "0193a5c6-8888-7000-8000-000000000002", "quantity": 1}]
}))]
pub struct ApproveRefund {
    /// The gateway's reference of the money given back, at most 200 characters.
    #[schema(max_length = 200)]
    pub reference: Option<String>,
    /// Units to put back in stock, each line named once (default none).
    #[serde(default)]
    #[schema(max_items = 200)]
    pub restock: Vec<RestockLine>,
    /// Give back the coupon the order redeemed: its use no longer counts against its limits,
    /// and a code issued to the customer can be used again (default `false`).
    #[serde(default)]
    pub return_coupon: bool,
}

/// The rejection of the refund asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "超出七天无理由退货期"}))]
pub struct RejectRefund {
    /// Why, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// Paging, order and filters of an order list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at`, `total` (default
    /// `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Only orders in this status.
    pub status: Option<OrderStatusDto>,
    /// Only this customer's orders.
    pub customer_id: Option<Uuid>,
    /// Only orders credited to this staff member.
    pub sales_user_id: Option<Uuid>,
}

/// Paging, order and filters of one customer's orders.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerOrderListQuery {
    /// Rows per page, 1 to 200 (default 25).
    #[param(minimum = 1, maximum = 200, example = 25)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Add `total`.
    pub include_total: Option<bool>,
    /// Comma-separated keys, `-` for descending: `created_at`, `updated_at`, `total` (default
    /// `-created_at`).
    #[param(example = "-created_at")]
    pub sort: Option<String>,
    /// Only orders in this status.
    pub status: Option<OrderStatusDto>,
}
