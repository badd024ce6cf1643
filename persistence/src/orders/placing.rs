//! Placing an order (its customer reached, its variant lines priced from the catalogue as sold,
//! its totals summed here, a readable number drawn) and changing it while it is pending.

use rapport_domain::access::Actor;
use rapport_domain::orders::{CheckedOrder, NewLine, Order, OrderChanges, OrderLine, OrderStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::active;
use super::entity::{line, order};
use super::pricing::{Priced, bought, priced_lines, with_coupon_or_refuse};
use crate::error::UniqueRule;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Error, Result, access, audit, customers, marketing};

const UNIQUE: &[UniqueRule] = &[UniqueRule {
    needles: &["orders_external_id_unique", "orders.external_id"],
    code: "external_id_taken",
    field: "external_id",
    message: "another order has this external id",
}];

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

/// Stores the lines of `order`, in their order.
async fn insert_lines(conn: &impl ConnectionTrait, order: &Order) -> Result<()> {
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
            restocked: Set(l.restocked),
        });
    line::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
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
    let order = priced_order(&*txn, owner, checked, crate::now()).await?;
    insert_order(&*txn, actor, &order).await?;
    idempotency::remember(&*txn, idem, 201, &order).await?;
    txn.commit().await?;
    Ok(Outcome::Done(order))
}

/// The pending order `checked` describes, placed at `now` for a customer within `owner`'s scope,
/// its lines priced and a number drawn: not stored yet.
pub(super) async fn priced_order(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    checked: CheckedOrder,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Order> {
    let customer = customers::linked(conn, owner, checked.customer_id).await?;
    let sales_user_id = match checked.sales_user_id {
        Some(user) => Some(access::named_user(conn, "sales_user_id", user).await?),
        None => customer.owner_id,
    };
    if let Some(campaign) = checked.campaign_id {
        marketing::credited_campaign(conn, campaign).await?;
    }
    let lines = priced_lines(conn, checked.currency, &checked.lines).await?;
    let priced = with_coupon_or_refuse(
        conn,
        customer.id,
        checked.currency,
        lines,
        checked.coupon_code.as_deref(),
        now,
    )
    .await?;
    let mut order = Order {
        id: Uuid::now_v7(),
        number: order_number(now),
        customer_id: customer.id,
        sales_user_id,
        status: OrderStatus::Pending,
        currency: checked.currency,
        lines: Vec::new(),
        subtotal: 0,
        shipping: checked.shipping,
        total: 0,
        discount_total: 0,
        discounts: Vec::new(),
        coupon_code: None,
        coupon_id: None,
        campaign_id: checked.campaign_id,
        channel: checked.channel,
        external_id: checked.external_id,
        note: checked.note,
        recipient: checked.recipient,
        ship_to: checked.ship_to,
        payment: None,
        shipment: None,
        completed_at: None,
        cancelled_at: None,
        refunded_total: 0,
        custom_fields: checked.custom_fields,
        refunds: Vec::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    priced.onto(&mut order)?;
    Ok(order)
}

/// Stores a new order with its lines, and records its creation (`order.created`), in the
/// caller's transaction.
pub(super) async fn insert_order(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    order: &Order,
) -> Result<()> {
    active(order)
        .insert(conn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    insert_lines(conn, order).await?;
    let after = serde_json::to_value(order)?;
    audit::record_change(
        conn,
        actor,
        "order.created",
        "order",
        order.id,
        None,
        Some(&after),
    )
    .await
}

/// Changes a pending order at `expected_version` (when given): new lines replace every line,
/// priced from the catalogue again, and the totals follow. An order past `pending` changes only
/// by its actions (409 `invalid_transition`), but for its custom fields, which change at any
/// status.
pub async fn update(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    id: Uuid,
    changes: OrderChanges,
    expected_version: Option<i64>,
) -> Result<Order> {
    let txn = db.begin_write().await?;
    let row = crate::db::lock_for_change(
        &*txn,
        super::scoped(owner).filter(order::Column::Id.eq(id)),
        expected_version,
        |m| m.version,
    )
    .await?;
    let before = super::assembled(&*txn, row).await?;
    if before.status != OrderStatus::Pending && changes.changes_more_than_custom_fields() {
        return Err(past_pending(&before));
    }
    let (mut after, lines_changed) = changed(&*txn, &before, changes).await?;
    if after == before {
        return Ok(before);
    }
    after.updated_at = crate::now();
    after.version += 1;
    store_change(
        &*txn,
        actor,
        "order.updated",
        &before,
        &after,
        lines_changed,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Why an order past `pending` refuses a change to more than its custom fields.
pub(super) fn past_pending(order: &Order) -> Error {
    Error::Conflict {
        code: "invalid_transition",
        field: None,
        message: format!(
            "an order that is {} changes only by its actions",
            order.status.as_str()
        ),
    }
}

/// `before` with `changes` applied (new lines priced from the catalogue, the totals following),
/// and whether its lines changed; version and times as they were.
pub(super) async fn changed(
    conn: &impl ConnectionTrait,
    before: &Order,
    changes: OrderChanges,
) -> Result<(Order, bool)> {
    let mut after = before.clone();
    if let Some(user) = changes.sales_user_id {
        after.sales_user_id = match user {
            Some(user) => Some(access::named_user(conn, "sales_user_id", user).await?),
            None => None,
        };
    }
    after.shipping = changes.shipping.unwrap_or(before.shipping);
    let bought = bought(before);
    let lines_changed = changes.lines.as_ref().is_some_and(|new_lines| {
        bought.len() != new_lines.len() || changes_lines(&bought, new_lines)
    });
    let code = match &changes.coupon_code {
        Some(code) => code.clone(),
        None => before.coupon_code.clone(),
    };
    if lines_changed || code != before.coupon_code {
        let lines = match (lines_changed, &changes.lines) {
            (true, Some(new_lines)) => priced_lines(conn, before.currency, new_lines).await?,
            _ => bought,
        };
        with_coupon_or_refuse(
            conn,
            before.customer_id,
            before.currency,
            lines,
            code.as_deref(),
            crate::now(),
        )
        .await?
        .onto(&mut after)?;
    } else if after.shipping != before.shipping {
        // The lines and discounts stay as they were sold; only the total moves.
        Priced {
            lines: before.lines.clone(),
            discounts: before.discounts.clone(),
            coupon: before.coupon_id.zip(before.coupon_code.clone()),
        }
        .onto(&mut after)?;
    }
    if let Some(channel) = changes.channel {
        after.channel = channel;
    }
    if let Some(external_id) = changes.external_id {
        after.external_id = external_id;
    }
    if let Some(note) = changes.note {
        after.note = note;
    }
    if let Some(recipient) = changes.recipient {
        after.recipient = recipient;
    }
    if let Some(ship_to) = changes.ship_to {
        after.ship_to = ship_to;
    }
    if let Some(values) = changes.custom_fields {
        after.custom_fields = rapport_domain::custom_fields::merge(&before.custom_fields, values);
    }
    if let Some(campaign) = changes.campaign_id {
        if let Some(id) = campaign {
            marketing::credited_campaign(conn, id).await?;
        }
        after.campaign_id = campaign;
    }
    let lines_changed = after.lines != before.lines;
    Ok((after, lines_changed))
}

/// Stores the change from `before` to `after` (its lines anew when they changed) and records it
/// as `event`, in the caller's transaction.
pub(super) async fn store_change(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    event: &str,
    before: &Order,
    after: &Order,
    lines_changed: bool,
) -> Result<()> {
    if lines_changed {
        line::Entity::delete_many()
            .filter(line::Column::OrderId.eq(after.id))
            .exec(conn)
            .await?;
        insert_lines(conn, after).await?;
    }
    active(after)
        .update(conn)
        .await
        .map_err(|e| Error::from_db_with(e, UNIQUE))?;
    let (b, a) = (serde_json::to_value(before)?, serde_json::to_value(after)?);
    audit::record_change(conn, actor, event, "order", after.id, Some(&b), Some(&a)).await
}

/// Whether `new` lines differ from the lines bought: another variant, description, quantity or
/// price sent at some place.
fn changes_lines(bought: &[OrderLine], new: &[NewLine]) -> bool {
    bought.iter().zip(new).any(|(old, new)| match new {
        NewLine::Variant {
            variant_id,
            quantity,
            unit_price,
        } => {
            old.variant_id != Some(*variant_id)
                || old.quantity != *quantity
                || unit_price.is_some_and(|price| price != old.unit_price)
        }
        NewLine::Free {
            description,
            quantity,
            unit_price,
        } => {
            old.variant_id.is_some()
                || old.name != *description
                || old.quantity != *quantity
                || old.unit_price != *unit_price
        }
    })
}
