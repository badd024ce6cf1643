//! Upserting many customers at once by their id in the source system: each item creates the
//! customer (source, external id) names, or changes it when it exists. All or nothing by
//! default: every item's mistakes are listed and nothing is written unless all are fine. Item by
//! item on request: each item is written or refused on its own, inside one transaction with a
//! savepoint per item.

use rapport_domain::FieldError;
use rapport_domain::access::{Actor, Scope};
use rapport_domain::customers::{Customer, CustomerChanges, NewCustomer};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, QueryFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::entity::customer;
use super::queries::scoped;
use super::use_cases::{change, insert};
use crate::batch::{BatchMode, ItemOutcome, duplicate, settle};
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Db, Result};

/// The most items one batch holds.
pub const MAX_ITEMS: usize = 1000;

/// One item of a batch, read both ways, since only the database knows which applies: as a new
/// customer (used when none has its source and external id) and as a change (used when one
/// has). Errors are relative to the item (`email`, `custom_fields.tier`).
#[derive(Debug, Clone)]
pub struct BatchItem {
    /// The source system, part of the key.
    pub source: Option<String>,
    /// The id in the source system, the rest of the key.
    pub external_id: String,
    /// The item as a new customer.
    pub create: Result<NewCustomer, Vec<FieldError>>,
    /// The item as a change.
    pub change: Result<CustomerChanges, Vec<FieldError>>,
}

/// The customer with this key within the scope, locked for change.
async fn find_by_key(
    conn: &impl ConnectionTrait,
    owner: Option<Uuid>,
    source: Option<&str>,
    external_id: &str,
) -> Result<Option<Customer>> {
    // The same expression as the unique index on (COALESCE(source, ''), external_id).
    let select = scoped(owner)
        .filter(customer::Column::ExternalId.eq(external_id))
        .filter(Expr::cust("COALESCE(\"customers\".\"source\", '')").eq(source.unwrap_or("")));
    crate::db::for_update(select)
        .one(conn)
        .await?
        .map(Customer::try_from)
        .transpose()
}

/// Writes one item in the caller's transaction; a refusal the caller can report is
/// `Ok(Failed)`, anything else an error.
async fn write_item(
    conn: &DatabaseTransaction,
    actor: &Actor,
    scope: Scope,
    item: &BatchItem,
) -> Result<ItemOutcome<Customer>> {
    let write = Write { actor, scope, item };
    crate::batch::write_item(
        conn,
        "another customer from this source has this external id",
        &write,
    )
    .await
}

/// An item with the actor who writes it, in their scope.
struct Write<'a> {
    actor: &'a Actor,
    scope: Scope,
    item: &'a BatchItem,
}

impl crate::batch::Item for Write<'_> {
    type Record = Customer;

    async fn write(&self, savepoint: &DatabaseTransaction) -> Result<ItemOutcome<Customer>> {
        let (actor, scope, item) = (self.actor, self.scope, self.item);
        let owner = actor.owner_filter(scope);
        let found =
            find_by_key(savepoint, owner, item.source.as_deref(), &item.external_id).await?;
        match found {
            Some(before) => match &item.change {
                Ok(changes) => change(savepoint, actor, scope, &before, changes.clone())
                    .await
                    .map(|after| {
                        if after.version == before.version {
                            ItemOutcome::Unchanged(after)
                        } else {
                            ItemOutcome::Updated(after)
                        }
                    }),
                Err(errors) => Ok(ItemOutcome::Failed(errors.clone())),
            },
            None => match &item.create {
                Ok(new) => insert(savepoint, actor, scope, new.clone())
                    .await
                    .map(ItemOutcome::Created),
                Err(errors) => Ok(ItemOutcome::Failed(errors.clone())),
            },
        }
    }
}

/// The list a customer batch's items are in, which names their errors' paths.
pub const LIST: &str = "customers";

/// Upserts every item, in order, and answers what `render` makes of the outcomes (which is also
/// what a retry with the same idempotency key gets). Two items with the same key refuse the
/// later one (`duplicate_in_batch`). In [`BatchMode::AllOrNothing`], any refused item refuses
/// the batch with every item's errors ([`Error::Invalid`]) and nothing is written.
pub async fn upsert<R: Serialize + DeserializeOwned>(
    db: &Db,
    actor: &Actor,
    scope: Scope,
    items: Vec<BatchItem>,
    mode: BatchMode,
    idem: Option<&IdempotencyKey>,
    render: impl FnOnce(Vec<ItemOutcome<Customer>>) -> R,
) -> Result<Outcome<R>> {
    let txn = db.begin_write().await?;
    if let Some(previous) = idempotency::replay(&*txn, idem).await? {
        return Ok(Outcome::Replayed(previous));
    }
    let mut outcomes = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::new();
    for item in &items {
        let key = (
            item.source.clone().unwrap_or_default(),
            item.external_id.clone(),
        );
        // An item without a key is refused by its own errors, not as a duplicate.
        let outcome = if item.external_id.is_empty() || seen.insert(key) {
            write_item(&txn, actor, scope, item).await?
        } else {
            duplicate("source and external id")
        };
        outcomes.push(outcome);
    }
    settle(txn, LIST, mode, outcomes, idem, render).await
}
