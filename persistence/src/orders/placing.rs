//! Placing an order: its customer reached, its variant lines priced from the catalogue as sold,
//! its totals summed here, and a readable number drawn.

use rapport_domain::access::Actor;
use rapport_domain::orders::{
    CheckedOrder, NewLine, Order, OrderLine, OrderStatus, Pricing, totals,
};
use rapport_domain::{FieldError, FieldErrors};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::active;
use super::entity::line;
use crate::catalogue::for_sale;
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Error, Result, access, audit, customers};

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["orders_external_id_unique", "orders.external_id"],
    code: "external_id_taken",
    field: "external_id",
    message: "another order has this external id",
}];

fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

/// A readable, unique number: the day and eight characters of Crockford's base 32
/// (`SO-20261205-7K3M9Q2B`), drawn at random, so placing orders takes no shared counter.
fn order_number(now: chrono::DateTime<chrono::Utc>) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let random = Uuid::new_v4().as_u128();
    let code: String = (0..8)
        .map(|i| ALPHABET[((random >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("SO-{}-{code}", now.format("%Y%m%d"))
}

/// The lines of a new order priced from the catalogue, or every mistake.
async fn priced_lines(
    conn: &impl ConnectionTrait,
    checked: &CheckedOrder,
) -> Result<Vec<OrderLine>> {
    let variant_ids: Vec<Uuid> = checked
        .lines
        .iter()
        .filter_map(|l| match l {
            NewLine::Variant { variant_id, .. } => Some(*variant_id),
            NewLine::Free { .. } => None,
        })
        .collect();
    let catalogue = for_sale(conn, &variant_ids).await?;
    let mut errors = FieldErrors::new();
    let mut lines = Vec::with_capacity(checked.lines.len());
    for (i, new) in checked.lines.iter().enumerate() {
        match new {
            NewLine::Variant {
                variant_id,
                quantity,
            } => match catalogue.get(variant_id) {
                None => errors.push(invalid(
                    format!("lines[{i}].variant_id"),
                    "not_found",
                    "no variant has this id",
                )),
                Some(item) if !item.active => errors.push(invalid(
                    format!("lines[{i}].variant_id"),
                    "archived",
                    "the product is archived and no longer sold",
                )),
                Some(item) if item.currency != checked.currency => {
                    errors.push(Pricing::CurrencyMismatch { line: i }.into_error());
                }
                Some(item) => lines.push(OrderLine {
                    id: Uuid::now_v7(),
                    variant_id: Some(item.variant_id),
                    product_id: Some(item.product_id),
                    sku: Some(item.sku.clone()),
                    name: item.name.clone(),
                    quantity: *quantity,
                    unit_price: item.price,
                    line_total: 0,
                    restocked: 0,
                }),
            },
            NewLine::Free {
                description,
                quantity,
                unit_price,
            } => lines.push(OrderLine {
                id: Uuid::now_v7(),
                variant_id: None,
                product_id: None,
                sku: None,
                name: description.clone(),
                quantity: *quantity,
                unit_price: *unit_price,
                line_total: 0,
                restocked: 0,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(lines)
}

/// Places an order, pending. The customer must be within `owner`'s scope; the staff member
/// credited is the customer's owner unless named.
pub async fn create(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    checked: CheckedOrder,
    idem: Option<&IdempotencyKey>,
) -> Result<Outcome<Order>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let customer = customers::get(&*txn, owner, checked.customer_id)
        .await
        .map_err(|e| match e {
            Error::NotFound | Error::BeyondScope { .. } => {
                Error::Invalid(FieldErrors::from(invalid(
                    "customer_id",
                    "not_found",
                    "no customer you can reach has this id",
                )))
            }
            other => other,
        })?;
    let sales_user_id = match checked.sales_user_id {
        Some(user) if !access::user_exists(&*txn, user).await? => {
            return Err(Error::Invalid(FieldErrors::from(invalid(
                "sales_user_id",
                "not_found",
                "no user has this id",
            ))));
        }
        Some(user) => Some(user),
        None => customer.owner_id,
    };
    let mut lines = priced_lines(&*txn, &checked).await?;
    let amounts: Vec<(i64, i64)> = lines.iter().map(|l| (l.quantity, l.unit_price)).collect();
    let (line_totals, subtotal, total) = totals(&amounts, checked.shipping)
        .map_err(|e| Error::Invalid(FieldErrors::from(e.into_error())))?;
    for (line, line_total) in lines.iter_mut().zip(line_totals) {
        line.line_total = line_total;
    }
    let now = crate::now();
    let order = Order {
        id: Uuid::now_v7(),
        number: order_number(now),
        customer_id: customer.id,
        sales_user_id,
        status: OrderStatus::Pending,
        currency: checked.currency,
        lines,
        subtotal,
        shipping: checked.shipping,
        total,
        channel: checked.channel,
        external_id: checked.external_id,
        note: checked.note,
        payment: None,
        shipment: None,
        completed_at: None,
        cancelled_at: None,
        refunded_total: 0,
        refunds: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    active(&order)
        .insert(&*txn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let rows = order
        .lines
        .iter()
        .enumerate()
        .map(|(position, l)| line::ActiveModel {
            id: Set(l.id),
            order_id: Set(order.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            variant_id: Set(l.variant_id),
            product_id: Set(l.product_id),
            sku: Set(l.sku.clone()),
            name: Set(l.name.clone()),
            quantity: Set(l.quantity),
            unit_price: Set(l.unit_price),
            line_total: Set(l.line_total),
            restocked: Set(0),
        });
    line::Entity::insert_many(rows).exec(&*txn).await?;
    let after = serde_json::to_value(&order)?;
    audit::record_change(
        &*txn,
        actor,
        "order.created",
        "order",
        order.id,
        None,
        Some(&after),
    )
    .await?;
    idempotency::remember(&*txn, idem, 201, &order).await?;
    txn.commit().await?;
    Ok(Outcome::Done(order))
}
