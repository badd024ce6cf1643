//! Orders: placing one (its variant lines priced from the catalogue, its totals summed here),
//! reading them with everything recorded since (lines, shipment history, refunds), and the actions
//! that move them on. A caller whose scope is `own` reaches the orders of the customers they own.

use std::collections::HashMap;

use rapport_domain::customers::Address;
use rapport_domain::filter::Filter;
use rapport_domain::orders::{
    Order, OrderLine, OrderStatus, Payment, Recipient, Refund, RefundStatus, Shipment,
    ShipmentEvent,
};
use rapport_domain::sort::SortOrder;
use rapport_domain::values::Currency;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use crate::page::{self, CursorValue, Page, PageRequest, SortField};
use crate::{Error, Result, customers};

mod actions;
pub mod batch;
mod columns;
mod entity;
mod placing;
mod pricing;

pub use actions::{ActionInput, act, record_shipment_event};
pub use placing::{create, update};
pub use pricing::{Quote, quote};

use entity::{line, order, refund, shipment_event};

/// What an order carries besides its own row.
#[derive(Debug, Default)]
struct Details {
    lines: Vec<OrderLine>,
    refunds: Vec<Refund>,
    events: Vec<ShipmentEvent>,
}

fn order_of(m: order::Model, details: Details) -> Result<Order> {
    let payment = match (m.payment_method, m.paid_at) {
        (Some(method), Some(paid_at)) => Some(Payment {
            method,
            reference: m.payment_reference,
            paid_at,
        }),
        _ => None,
    };
    let shipment = match (m.carrier, m.shipped_at) {
        (Some(carrier), Some(shipped_at)) => Some(Shipment {
            carrier,
            tracking_number: m.tracking_number,
            shipped_at,
            delivered_at: m.delivered_at,
            events: details.events,
        }),
        _ => None,
    };
    Ok(Order {
        id: m.id,
        number: m.number,
        customer_id: m.customer_id,
        sales_user_id: m.sales_user_id,
        status: OrderStatus::from_name(&m.status)
            .ok_or_else(|| Error::Internal("stored order status is unknown".into()))?,
        currency: Currency::parse("currency", &m.currency)
            .map_err(|_| Error::Internal("stored currency is unknown".into()))?,
        lines: details.lines,
        subtotal: m.subtotal,
        shipping: m.shipping,
        total: m.total,
        channel: m.channel,
        external_id: m.external_id,
        note: m.note,
        recipient: Recipient {
            name: m.recipient_name,
            phone: m.recipient_phone,
        },
        ship_to: Address {
            country: m.ship_to_country,
            province: m.ship_to_province,
            city: m.ship_to_city,
            district: m.ship_to_district,
            street: m.ship_to_street,
            postal_code: m.ship_to_postal_code,
        },
        payment,
        shipment,
        completed_at: m.completed_at,
        cancelled_at: m.cancelled_at,
        refunded_total: m.refunded_total,
        custom_fields: serde_json::from_value(m.custom_fields)?,
        discount_total: m.discount_total,
        discounts: serde_json::from_value(m.discounts)?,
        coupon_code: m.coupon_code,
        coupon_id: m.coupon_id,
        campaign_id: m.campaign_id,
        refunds: details.refunds,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// The order's own row as it should be stored.
fn active(o: &Order) -> order::ActiveModel {
    let shipment = o.shipment.as_ref();
    order::ActiveModel {
        id: Set(o.id),
        number: Set(o.number.clone()),
        customer_id: Set(o.customer_id),
        sales_user_id: Set(o.sales_user_id),
        status: Set(o.status.as_str().to_owned()),
        currency: Set(o.currency.code().to_owned()),
        subtotal: Set(o.subtotal),
        shipping: Set(o.shipping),
        total: Set(o.total),
        channel: Set(o.channel.clone()),
        external_id: Set(o.external_id.clone()),
        note: Set(o.note.clone()),
        recipient_name: Set(o.recipient.name.clone()),
        recipient_phone: Set(o.recipient.phone.clone()),
        ship_to_country: Set(o.ship_to.country.clone()),
        ship_to_province: Set(o.ship_to.province.clone()),
        ship_to_city: Set(o.ship_to.city.clone()),
        ship_to_district: Set(o.ship_to.district.clone()),
        ship_to_street: Set(o.ship_to.street.clone()),
        ship_to_postal_code: Set(o.ship_to.postal_code.clone()),
        payment_method: Set(o.payment.as_ref().map(|p| p.method.clone())),
        payment_reference: Set(o.payment.as_ref().and_then(|p| p.reference.clone())),
        paid_at: Set(o.payment.as_ref().map(|p| p.paid_at)),
        cancelled_at: Set(o.cancelled_at),
        custom_fields: Set(serde_json::Value::Object(o.custom_fields.clone())),
        coupon_code: Set(o.coupon_code.clone()),
        coupon_id: Set(o.coupon_id),
        campaign_id: Set(o.campaign_id),
        discount_total: Set(o.discount_total),
        discounts: Set(serde_json::to_value(&o.discounts).unwrap_or_default()),
        carrier: Set(shipment.map(|s| s.carrier.clone())),
        tracking_number: Set(shipment.and_then(|s| s.tracking_number.clone())),
        shipped_at: Set(shipment.map(|s| s.shipped_at)),
        delivered_at: Set(shipment.and_then(|s| s.delivered_at)),
        completed_at: Set(o.completed_at),
        refunded_total: Set(o.refunded_total),
        created_at: Set(o.created_at),
        updated_at: Set(o.updated_at),
        version: Set(o.version),
    }
}

fn line_of(m: line::Model) -> OrderLine {
    OrderLine {
        id: m.id,
        variant_id: m.variant_id,
        product_id: m.product_id,
        sku: m.sku,
        name: m.name,
        quantity: m.quantity,
        unit_price: m.unit_price,
        line_total: m.line_total,
        restocked: m.restocked,
    }
}

fn refund_of(m: refund::Model) -> Result<Refund> {
    Ok(Refund {
        id: m.id,
        amount: m.amount,
        reason: m.reason,
        status: RefundStatus::from_name(&m.status)
            .ok_or_else(|| Error::Internal("stored refund status is unknown".into()))?,
        reference: m.reference,
        rejection_reason: m.rejection_reason,
        restocked: m.restocked,
        requested_at: m.requested_at,
        decided_at: m.decided_at,
    })
}

fn event_of(m: shipment_event::Model) -> ShipmentEvent {
    ShipmentEvent {
        id: m.id,
        status: m.status,
        place: m.place,
        occurred_at: m.occurred_at,
        recorded_at: m.recorded_at,
    }
}

/// The lines, refunds and shipment events of each of `orders`, each in its order: three queries
/// whatever the number of orders.
async fn details_of(
    conn: &impl ConnectionTrait,
    orders: &[Uuid],
) -> Result<HashMap<Uuid, Details>> {
    let mut by_order: HashMap<Uuid, Details> = HashMap::new();
    let lines = line::Entity::find()
        .filter(line::Column::OrderId.is_in(orders.iter().copied()))
        .order_by_asc(line::Column::OrderId)
        .order_by_asc(line::Column::Position)
        .all(conn)
        .await?;
    for row in lines {
        by_order
            .entry(row.order_id)
            .or_default()
            .lines
            .push(line_of(row));
    }
    let refunds = refund::Entity::find()
        .filter(refund::Column::OrderId.is_in(orders.iter().copied()))
        .order_by_asc(refund::Column::OrderId)
        .order_by_asc(refund::Column::RequestedAt)
        .order_by_asc(refund::Column::Id)
        .all(conn)
        .await?;
    for row in refunds {
        let order = row.order_id;
        by_order
            .entry(order)
            .or_default()
            .refunds
            .push(refund_of(row)?);
    }
    let events = shipment_event::Entity::find()
        .filter(shipment_event::Column::OrderId.is_in(orders.iter().copied()))
        .order_by_asc(shipment_event::Column::OrderId)
        .order_by_asc(shipment_event::Column::OccurredAt)
        .order_by_asc(shipment_event::Column::Id)
        .all(conn)
        .await?;
    for row in events {
        by_order
            .entry(row.order_id)
            .or_default()
            .events
            .push(event_of(row));
    }
    Ok(by_order)
}

/// The order `row` with everything it carries.
async fn assembled(conn: &impl ConnectionTrait, row: order::Model) -> Result<Order> {
    let details = details_of(conn, &[row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    order_of(row, details)
}

/// The orders within `owner`'s scope: those of the customers they own.
fn scoped(owner: Option<Uuid>) -> Select<order::Entity> {
    let select = order::Entity::find();
    match owner {
        Some(owner) => select
            .filter(Expr::col(order::Column::CustomerId).in_subquery(customers::owned_by(owner).0)),
        None => select,
    }
}

const FIELDS: &[SortField<order::Entity>] = &[
    SortField {
        name: "created_at",
        column: order::Column::CreatedAt,
        value: |m| CursorValue::T(m.created_at),
    },
    SortField {
        name: "updated_at",
        column: order::Column::UpdatedAt,
        value: |m| CursorValue::T(m.updated_at),
    },
    SortField {
        name: "total",
        column: order::Column::Total,
        value: |m| CursorValue::I(m.total),
    },
];

const ID: SortField<order::Entity> = SortField {
    name: "id",
    column: order::Column::Id,
    value: |m| CursorValue::U(m.id),
};

/// What an order list is narrowed to; every part given applies.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// One customer's orders.
    pub customer_id: Option<Uuid>,
    /// Orders in this status.
    pub status: Option<OrderStatus>,
    /// Orders credited to this staff member.
    pub sales_user_id: Option<Uuid>,
    /// Orders the filter selects (`POST /orders/search`).
    pub matching: Option<Filter>,
}

/// One page of orders within `owner`'s scope, each with everything it carries.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: OrderFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Order>> {
    use order::Column;
    let mut select = scoped(owner);
    if let Some(matching) = &filter.matching {
        let columns = columns::OrderColumns {
            backend: crate::Backend::of(conn),
        };
        select = select.filter(crate::filter::compile(matching, &columns)?);
    }
    let (select, pin) = page::pin_first_equality(
        select,
        order,
        [
            (
                Column::CustomerId,
                filter.customer_id.map(sea_orm::Value::from),
            ),
            (
                Column::Status,
                filter.status.map(|s| sea_orm::Value::from(s.as_str())),
            ),
            (
                Column::SalesUserId,
                filter.sales_user_id.map(sea_orm::Value::from),
            ),
        ],
    );
    let page = page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut details = details_of(conn, &ids).await?;
    page.try_map(|m| {
        let own = details.remove(&m.id).unwrap_or_default();
        order_of(m, own)
    })
}

/// Every order of a customer, oldest first, each with everything it carries: what a data export
/// holds.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: Uuid) -> Result<Vec<Order>> {
    let rows = order::Entity::find()
        .filter(order::Column::CustomerId.eq(customer_id))
        .order_by_asc(order::Column::CreatedAt)
        .order_by_asc(order::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut details = details_of(conn, &ids).await?;
    rows.into_iter()
        .map(|m| {
            let own = details.remove(&m.id).unwrap_or_default();
            order_of(m, own)
        })
        .collect()
}

/// The orders with these ids, each with everything it carries, in no particular order: what a
/// timeline page shows.
pub async fn with_ids(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Order>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = order::Entity::find()
        .filter(order::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let mut details = details_of(conn, ids).await?;
    rows.into_iter()
        .map(|m| {
            let own = details.remove(&m.id).unwrap_or_default();
            order_of(m, own)
        })
        .collect()
}

/// The order another record names in `order_id`: one `owner`'s scope reaches and, when the record
/// is about a customer, that customer's; a 422 at `order_id` otherwise.
pub async fn linked(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    id: Uuid,
    customer_id: Option<Uuid>,
) -> Result<Order> {
    match get(conn, owner, id).await {
        Ok(order) if customer_id.is_none_or(|c| c == order.customer_id) => Ok(order),
        Ok(_) => Err(Error::field(
            "order_id",
            "other_customer",
            "the order is another customer's",
        )),
        Err(Error::NotFound | Error::BeyondScope { .. }) => Err(Error::field(
            "order_id",
            "not_found",
            "no order you can reach has this id",
        )),
        Err(other) => Err(other),
    }
}

/// The order with this id, if `owner`'s scope reaches it.
pub async fn get(conn: &impl ConnectionTrait, owner: Option<Uuid>, id: Uuid) -> Result<Order> {
    let Some(row) = scoped(owner)
        .filter(order::Column::Id.eq(id))
        .one(conn)
        .await?
    else {
        let unscoped = order::Entity::find().filter(order::Column::Id.eq(id));
        return Err(crate::db::unreached(conn, owner, unscoped, "order", id).await);
    };
    assembled(conn, row).await
}
