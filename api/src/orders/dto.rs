//! What goes over the wire for orders.

use chrono::{DateTime, Utc};
use rapport_domain::orders::{NewLine, Order, OrderLine, OrderStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

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
    "external_id": "shop-order-55120"
}))]
pub struct CreateOrder {
    /// The customer.
    pub customer_id: Uuid,
    /// The staff member credited; the customer's owner when absent.
    pub sales_user_id: Option<Uuid>,
    /// ISO 4217 code of every amount; variant lines must be priced in it.
    pub currency: String,
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
        "line_total": 99800
    }],
    "subtotal": 99800,
    "shipping": 1000,
    "total": 100800,
    "channel": "mini_program",
    "external_id": "shop-order-55120",
    "note": null,
    "payment": {"method": "wechat_pay", "reference": "4200001234202612051234567890", "paid_at": "2026-12-05T09:01:00Z"},
    "cancelled_at": null,
    "created_at": "2026-12-05T09:00:00Z",
    "updated_at": "2026-12-05T09:01:00Z",
    "version": 2
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
    pub subtotal: i64,
    /// Shipping.
    pub shipping: i64,
    /// `subtotal + shipping`.
    pub total: i64,
    /// Where it was placed.
    pub channel: Option<String>,
    /// The order's id in a shop or ERP.
    pub external_id: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// The payment, once paid.
    pub payment: Option<PaymentView>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Placed.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, for `If-Match`.
    pub version: i64,
}

impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        OrderView {
            id: o.id,
            number: o.number,
            customer_id: o.customer_id,
            sales_user_id: o.sales_user_id,
            status: o.status.into(),
            currency: o.currency.code().to_owned(),
            lines: o.lines.into_iter().map(OrderLineView::from).collect(),
            subtotal: o.subtotal,
            shipping: o.shipping,
            total: o.total,
            channel: o.channel,
            external_id: o.external_id,
            note: o.note,
            payment: o.payment.map(|p| PaymentView {
                method: p.method,
                reference: p.reference,
                paid_at: p.paid_at,
            }),
            cancelled_at: o.cancelled_at,
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
