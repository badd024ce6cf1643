//! Orders: placing one (its variant lines priced from the catalogue, its totals summed here),
//! and the actions that move it on. Paying takes the stock of every line in the payment's
//! transaction, all or nothing. A caller whose scope is `own` reaches the orders of the
//! customers they own.

use std::collections::HashMap;

use rapport_domain::access::Actor;
use rapport_domain::catalogue::products::MovementKind;
use rapport_domain::orders::{
    CheckedOrder, NewLine, Order, OrderAction, OrderLine, OrderStatus, Payment, totals,
};
use rapport_domain::sort::SortOrder;
use rapport_domain::values::Currency;
use rapport_domain::{FieldError, FieldErrors};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};
use uuid::Uuid;

use crate::catalogue::{self, Move, Refused, for_sale};
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::page::{self, CursorValue, Page, PageRequest, Pin, SortField};
use crate::{Db, Error, Result, access, audit, customers};

/// The `orders` and `order_lines` tables.
mod entity {
    /// The `orders` table.
    pub mod order {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "orders")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub number: String,
            pub customer_id: Uuid,
            pub sales_user_id: Option<Uuid>,
            pub status: String,
            pub currency: String,
            pub subtotal: i64,
            pub shipping: i64,
            pub total: i64,
            pub channel: Option<String>,
            pub external_id: Option<String>,
            #[sea_orm(column_type = "Text", nullable)]
            pub note: Option<String>,
            pub payment_method: Option<String>,
            pub payment_reference: Option<String>,
            pub paid_at: Option<DateTimeUtc>,
            pub cancelled_at: Option<DateTimeUtc>,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub version: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// The `order_lines` table.
    pub mod line {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "order_lines")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub order_id: Uuid,
            pub position: i32,
            pub variant_id: Option<Uuid>,
            pub product_id: Option<Uuid>,
            pub sku: Option<String>,
            pub name: String,
            pub quantity: i64,
            pub unit_price: i64,
            pub line_total: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{line, order};

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["orders_external_id_unique", "orders.external_id"],
    code: "external_id_taken",
    field: "external_id",
    message: "another order has this external id",
}];

fn order_of(m: order::Model, lines: Vec<OrderLine>) -> Result<Order> {
    let payment = match (m.payment_method, m.paid_at) {
        (Some(method), Some(paid_at)) => Some(Payment {
            method,
            reference: m.payment_reference,
            paid_at,
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
        lines,
        subtotal: m.subtotal,
        shipping: m.shipping,
        total: m.total,
        channel: m.channel,
        external_id: m.external_id,
        note: m.note,
        payment,
        cancelled_at: m.cancelled_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

fn active(o: &Order) -> order::ActiveModel {
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
        payment_method: Set(o.payment.as_ref().map(|p| p.method.clone())),
        payment_reference: Set(o.payment.as_ref().and_then(|p| p.reference.clone())),
        paid_at: Set(o.payment.as_ref().map(|p| p.paid_at)),
        cancelled_at: Set(o.cancelled_at),
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
    }
}

/// The lines of each of `orders`, in their order.
async fn lines_of(
    conn: &impl ConnectionTrait,
    orders: &[Uuid],
) -> Result<HashMap<Uuid, Vec<OrderLine>>> {
    let mut by_order: HashMap<Uuid, Vec<OrderLine>> = HashMap::new();
    let rows = line::Entity::find()
        .filter(line::Column::OrderId.is_in(orders.iter().copied()))
        .order_by_asc(line::Column::OrderId)
        .order_by_asc(line::Column::Position)
        .all(conn)
        .await?;
    for row in rows {
        by_order.entry(row.order_id).or_default().push(line_of(row));
    }
    Ok(by_order)
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
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderFilter {
    /// One customer's orders.
    pub customer_id: Option<Uuid>,
    /// Orders in this status.
    pub status: Option<OrderStatus>,
    /// Orders credited to this staff member.
    pub sales_user_id: Option<Uuid>,
}

/// One page of orders within `owner`'s scope, with their lines.
pub async fn list(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    filter: OrderFilter,
    order: &SortOrder,
    request: &PageRequest,
) -> Result<Page<Order>> {
    use order::Column;
    let mut select = scoped(owner);
    let by_created = order.0.first().is_some_and(|k| k.field == "created_at");
    let mut pin = None;
    let equalities = [
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
    ];
    for (column, value) in equalities {
        let Some(value) = value else { continue };
        if by_created && pin.is_none() {
            pin = Some(Pin::new(column.into_expr(), value));
        } else {
            select = select.filter(Expr::col(column).eq(value));
        }
    }
    let page = page::fetch_ordered(conn, select, order, FIELDS, &ID, pin.as_ref(), request).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut lines = lines_of(conn, &ids).await?;
    page.try_map(|m| {
        let own = lines.remove(&m.id).unwrap_or_default();
        order_of(m, own)
    })
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
    let lines = lines_of(conn, &[id]).await?.remove(&id).unwrap_or_default();
    order_of(row, lines)
}

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
                    errors.push(
                        rapport_domain::orders::Pricing::CurrencyMismatch { line: i }.into_error(),
                    );
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
        cancelled_at: None,
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

/// What an action brings with it.
#[derive(Debug, Clone)]
pub enum ActionInput {
    /// The payment as reported: method and reference.
    Pay {
        /// Method.
        method: String,
        /// Reference.
        reference: Option<String>,
    },
    /// Nothing.
    Cancel,
}

impl ActionInput {
    fn action(&self) -> OrderAction {
        match self {
            ActionInput::Pay { .. } => OrderAction::Pay,
            ActionInput::Cancel => OrderAction::Cancel,
        }
    }
}

/// Moves an order on by an action, in one transaction with everything it brings: paying takes
/// the stock of every variant line (all or nothing: one line short and nothing is taken).
pub async fn act(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    input: ActionInput,
    expected_version: Option<i64>,
) -> Result<Order> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        scoped(owner).filter(order::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let lines = lines_of(&*txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let before = order_of(row, lines)?;
    let action = input.action();
    let Some(status) = action.from(before.status) else {
        return Err(Error::Conflict {
            code: "invalid_transition",
            field: None,
            message: format!(
                "an order that is {} cannot {}",
                before.status.as_str(),
                action.as_str()
            ),
        });
    };
    let now = crate::now();
    let mut after = before.clone();
    after.status = status;
    after.updated_at = now;
    after.version += 1;
    match input {
        ActionInput::Pay { method, reference } => {
            take_stock(&*txn, &before).await?;
            after.payment = Some(Payment {
                method,
                reference,
                paid_at: now,
            });
        }
        ActionInput::Cancel => after.cancelled_at = Some(now),
    }
    active(&after).update(&*txn).await?;
    let event = match action {
        OrderAction::Pay => "order.paid",
        OrderAction::Cancel => "order.cancelled",
    };
    let (b, a) = (
        serde_json::to_value(&before)?,
        serde_json::to_value(&after)?,
    );
    audit::record_change(&*txn, actor, event, "order", id, Some(&b), Some(&a)).await?;
    txn.commit().await?;
    Ok(after)
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
                return Err(Error::Conflict {
                    code: "insufficient_stock",
                    field: None,
                    message: format!("{sku} has {stock} in stock, fewer than the order takes"),
                });
            }
            Err(Refused::NoVariant) => {
                return Err(Error::Conflict {
                    code: "insufficient_stock",
                    field: None,
                    message: "a variant the order sells no longer exists".into(),
                });
            }
        }
    }
    Ok(())
}
