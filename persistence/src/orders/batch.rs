//! Upserting many orders at once, as a shop or ERP records its orders and keeps them in step:
//! each item creates the order its `external_id` names, in the state sent, or moves the existing
//! one forward to it. Recorded orders move no stock: the shop took it. Paying recounts the
//! customer's purchase figures, and every step is in the event feed as its action's event
//! (`order.paid`, ...), so a consumer of the feed sees every order that became paid however it
//! arrived. All or nothing by default; item by item on request, inside one transaction with a
//! savepoint per item.

use rapport_domain::FieldError;
use rapport_domain::access::Actor;
use rapport_domain::orders::batch::{CheckedOrderItem, RecordedState, steps};
use rapport_domain::orders::{Order, OrderAction, OrderStatus, Payment, Shipment};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, QueryFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::entity::order;
use super::placing::{changed, insert_order, priced_order, store_change};
use super::{assembled, scoped};
use crate::batch::{BatchMode, ItemOutcome, settle, write_unique};
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Error, Result, customers, events};

/// The most items one batch holds.
pub const MAX_ITEMS: usize = 500;
/// The list an order batch's items are in, which names their errors' paths.
pub const LIST: &str = "orders";
/// Why an item is refused when another order took its external id meanwhile.
const TAKEN: &str = "another order has this external id";

/// `order` after the `steps` that bring it to `state`, each at the time the shop recorded, or
/// `now`.
fn take_steps(order: &mut Order, state: &RecordedState, steps: &[OrderAction], now: Time) {
    for step in steps {
        match step {
            OrderAction::Pay => {
                if let Some(p) = &state.payment {
                    order.payment = Some(Payment {
                        method: p.method.clone(),
                        reference: p.reference.clone(),
                        paid_at: p.paid_at.unwrap_or(now),
                    });
                }
            }
            OrderAction::Ship => {
                if let Some(s) = &state.shipment {
                    order.shipment = Some(Shipment {
                        carrier: s.carrier.clone(),
                        tracking_number: s.tracking_number.clone(),
                        shipped_at: s.shipped_at.unwrap_or(now),
                        delivered_at: None,
                        events: Vec::new(),
                    });
                }
            }
            OrderAction::Deliver => {
                let at = state
                    .shipment
                    .as_ref()
                    .and_then(|s| s.delivered_at)
                    .unwrap_or(now);
                if let Some(shipment) = order.shipment.as_mut() {
                    shipment.delivered_at = Some(at);
                }
            }
            OrderAction::Complete => order.completed_at = Some(state.completed_at.unwrap_or(now)),
            OrderAction::Cancel => order.cancelled_at = Some(state.cancelled_at.unwrap_or(now)),
            _ => {}
        }
    }
    order.status = state.status;
}

type Time = chrono::DateTime<chrono::Utc>;

/// What the `steps` an order took bring once it is stored: the customer's figures recounted
/// when it was paid, and each step's event in the feed.
async fn announce_steps(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    order: &Order,
    steps: &[OrderAction],
) -> Result<()> {
    if steps.is_empty() {
        return Ok(());
    }
    if steps.contains(&OrderAction::Pay) {
        customers::recount_purchases(conn, actor, order.customer_id).await?;
    }
    let data = serde_json::to_value(order)?;
    for step in steps {
        events::emit(conn, step.event(), "order", order.id, data.clone(), None).await?;
    }
    Ok(())
}

fn refused(field: &str, code: &'static str, message: String) -> ItemOutcome<Order> {
    ItemOutcome::Failed(vec![FieldError::new(field, code, message)])
}

/// Creates the order the item describes, in the state sent.
async fn create(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    owner: Option<Uuid>,
    item: &CheckedOrderItem,
) -> Result<ItemOutcome<Order>> {
    let new = match &item.new {
        Ok(new) => new.clone(),
        Err(lacking) => return Ok(ItemOutcome::Failed(lacking.clone())),
    };
    let now = crate::now();
    let mut order = priced_order(conn, owner, new, item.placed_at.unwrap_or(now)).await?;
    order.updated_at = now;
    let mut taken = Vec::new();
    if let Some(state) = &item.state {
        let Some(way) = steps(OrderStatus::Pending, state.status) else {
            return Ok(unreachable(OrderStatus::Pending, state.status));
        };
        let lacking = state.lacking(&way);
        if !lacking.is_empty() {
            return Ok(ItemOutcome::Failed(lacking));
        }
        take_steps(&mut order, state, &way, now);
        taken = way;
    }
    insert_order(conn, actor, &order).await?;
    announce_steps(conn, actor, &order, &taken).await?;
    Ok(ItemOutcome::Created(order))
}

fn unreachable(from: OrderStatus, to: OrderStatus) -> ItemOutcome<Order> {
    refused(
        "status",
        "invalid_transition",
        format!(
            "an order that is {} cannot become {}",
            from.as_str(),
            to.as_str()
        ),
    )
}

/// Moves the existing order `row` as the item says: its parts while pending, its custom fields
/// at any status, and its state forward.
async fn change(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    row: order::Model,
    item: &CheckedOrderItem,
) -> Result<ItemOutcome<Order>> {
    let before = assembled(conn, row).await?;
    if item.customer_id.is_some_and(|c| c != before.customer_id) {
        return Ok(refused(
            "customer_id",
            "immutable",
            "an order's customer does not change".into(),
        ));
    }
    let target = item.state.as_ref().map_or(before.status, |s| s.status);
    let Some(way) = steps(before.status, target) else {
        return Ok(unreachable(before.status, target));
    };
    if let Some(lacking) = item.state.as_ref().map(|s| s.lacking(&way))
        && !lacking.is_empty()
    {
        return Ok(ItemOutcome::Failed(lacking));
    }
    let (mut after, lines_changed) = changed(conn, &before, item.changes.clone()).await?;
    if before.status != OrderStatus::Pending {
        let mut beyond_custom_fields = after.clone();
        beyond_custom_fields.custom_fields = before.custom_fields.clone();
        if beyond_custom_fields != before {
            return Ok(refused(
                "",
                "invalid_transition",
                format!(
                    "an order that is {} changes only its state and custom fields",
                    before.status.as_str()
                ),
            ));
        }
    }
    let now = crate::now();
    if let Some(state) = &item.state {
        take_steps(&mut after, state, &way, now);
    }
    if after == before {
        return Ok(ItemOutcome::Unchanged(before));
    }
    after.updated_at = now;
    after.version += 1;
    store_change(conn, actor, "order.updated", &before, &after, lines_changed).await?;
    announce_steps(conn, actor, &after, &way).await?;
    Ok(ItemOutcome::Updated(after))
}

/// An item with who writes it and the scope they reach.
struct Write<'a> {
    actor: &'a Actor,
    owner: Option<Uuid>,
    item: &'a CheckedOrderItem,
}

impl crate::batch::Item for Write<'_> {
    type Record = Order;

    async fn write(&self, savepoint: &DatabaseTransaction) -> Result<ItemOutcome<Order>> {
        if !self.item.refused.is_empty() {
            return Ok(ItemOutcome::Failed(self.item.refused.clone()));
        }
        let in_future = self.item.times_in_future(crate::now());
        if !in_future.is_empty() {
            return Ok(ItemOutcome::Failed(in_future));
        }
        let existing = crate::db::lock_for_change(
            savepoint,
            scoped(self.owner).filter(order::Column::ExternalId.eq(self.item.external_id.as_str())),
            None,
            |m| m.version,
        )
        .await;
        match existing {
            Ok(row) => change(savepoint, self.actor, row, self.item).await,
            Err(Error::NotFound) => create(savepoint, self.actor, self.owner, self.item).await,
            Err(other) => Err(other),
        }
    }
}

/// Writes one item in a savepoint of the batch's transaction.
async fn write_item(
    conn: &DatabaseTransaction,
    actor: &Actor,
    owner: Option<Uuid>,
    item: &CheckedOrderItem,
) -> Result<ItemOutcome<Order>> {
    crate::batch::write_item(conn, TAKEN, &Write { actor, owner, item }).await
}

/// Upserts every item, in order, within `owner`'s scope, and answers what `render` makes of the
/// outcomes (which is also what a retry with the same idempotency key gets). Two items with the
/// same external id refuse the later one (`duplicate_in_batch`). In
/// [`BatchMode::AllOrNothing`], any refused item refuses the batch with every item's errors
/// ([`Error::Invalid`]) and nothing is written.
pub async fn upsert<R: Serialize + DeserializeOwned>(
    db: &Db,
    actor: &Actor,
    owner: Option<Uuid>,
    items: Vec<CheckedOrderItem>,
    mode: BatchMode,
    idem: Option<&IdempotencyKey>,
    render: impl FnOnce(Vec<ItemOutcome<Order>>) -> R,
) -> Result<Outcome<R>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let keyed = items
        .iter()
        .map(|item| (Some(item.external_id.clone()), Write { actor, owner, item }))
        .collect();
    let outcomes = write_unique(&txn, TAKEN, keyed).await?;
    settle(txn, LIST, mode, outcomes, idem, render).await
}

/// Writes each item in a savepoint of its own in `txn`, in order, within `owner`'s scope, and
/// says what happened to each: an import's orders, each made of its rows.
pub async fn write_each(
    txn: &crate::WriteTxn,
    actor: &Actor,
    owner: Option<Uuid>,
    items: &[CheckedOrderItem],
) -> Result<Vec<ItemOutcome<Order>>> {
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        outcomes.push(write_item(txn, actor, owner, item).await?);
    }
    Ok(outcomes)
}
