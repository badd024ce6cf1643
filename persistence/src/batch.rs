//! What every batch upsert shares: how it treats items that cannot be written, what happened to
//! each item, and each refused item's errors named at its place in the batch.

use std::future::Future;

use rapport_domain::FieldError;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::Serialize;

use crate::db::WriteTxn;
use crate::idempotency::{self, IdempotencyKey, Outcome};
use crate::{Error, Result};

/// How a batch treats items that cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchMode {
    /// One refused item refuses the batch.
    AllOrNothing,
    /// Each item on its own.
    PerItem,
}

/// What happened to one item, and the record it left.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome<T> {
    /// A new record.
    Created(T),
    /// An existing record, changed.
    Updated(T),
    /// An existing record that already was as sent.
    Unchanged(T),
    /// Refused, with every reason (paths relative to the item).
    Failed(Vec<FieldError>),
}

impl<T> ItemOutcome<T> {
    /// The record the item left, unless refused.
    pub fn record(&self) -> Option<&T> {
        match self {
            ItemOutcome::Created(r) | ItemOutcome::Updated(r) | ItemOutcome::Unchanged(r) => {
                Some(r)
            }
            ItemOutcome::Failed(_) => None,
        }
    }
}

/// The reasons of a refusal an item's result can report: invalid values and conflicts. `None`
/// for anything else, which fails the batch.
pub fn refusal(error: Error) -> Option<Vec<FieldError>> {
    match error {
        Error::Invalid(errors) => Some(errors.0),
        Error::Conflict {
            code,
            field,
            message,
        } => Some(vec![FieldError::new(field.unwrap_or(""), code, message)]),
        _ => None,
    }
}

/// Item `index`'s error `e` as an error of the batch, its path under `list[index]`
/// (`customers[3].email`).
pub fn of_item(list: &str, index: usize, e: &FieldError) -> FieldError {
    let field = if e.field.is_empty() {
        format!("{list}[{index}]")
    } else {
        format!("{list}[{index}].{}", e.field)
    };
    FieldError::new(field, e.code, e.message.clone())
}

/// The errors of every failed item, their paths under `list[i]`.
pub fn item_errors<T>(list: &str, outcomes: &[ItemOutcome<T>]) -> Vec<FieldError> {
    let mut all = Vec::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        if let ItemOutcome::Failed(errors) = outcome {
            all.extend(errors.iter().map(|e| of_item(list, i, e)));
        }
    }
    all
}

/// One item of a batch, ready to be written in a savepoint.
pub(crate) trait Item {
    /// The record it leaves.
    type Record;
    /// Writes the item in `savepoint`.
    fn write(
        &self,
        savepoint: &DatabaseTransaction,
    ) -> impl Future<Output = Result<ItemOutcome<Self::Record>>> + Send;
}

/// Writes `item` in a savepoint of the batch's transaction; a refusal the batch can report is
/// `Ok(Failed)`, anything else an error. Twice at most: the record may be created by another
/// request between the item's lookup and its insert; then the unique key refuses ours
/// (`external_id_taken`) and the second round finds theirs. `taken` says what a second refusal
/// means.
pub(crate) async fn write_item<I: Item>(
    conn: &DatabaseTransaction,
    taken: &'static str,
    item: &I,
) -> Result<ItemOutcome<I::Record>> {
    for attempt in 0..2 {
        let savepoint = conn.begin().await?;
        match item.write(&savepoint).await {
            Ok(outcome @ ItemOutcome::Failed(_)) => {
                savepoint.rollback().await?;
                return Ok(outcome);
            }
            Ok(outcome) => {
                savepoint.commit().await?;
                return Ok(outcome);
            }
            Err(Error::Conflict { code, .. }) if code == "external_id_taken" && attempt == 0 => {
                savepoint.rollback().await?;
            }
            Err(error) => {
                savepoint.rollback().await?;
                return refusal(error)
                    .map(ItemOutcome::Failed)
                    .ok_or_else(|| Error::Internal("a batch item failed unexpectedly".into()));
            }
        }
    }
    Ok(ItemOutcome::Failed(vec![FieldError::new(
        "external_id",
        "external_id_taken",
        taken,
    )]))
}

/// Writes `items` in order, each in a savepoint of `conn` (see [`write_item`]): an item whose key
/// an earlier item of the batch had is refused (`duplicate_in_batch`); an item without a key
/// never is.
pub(crate) async fn write_unique<I: Item>(
    conn: &DatabaseTransaction,
    taken: &'static str,
    items: Vec<(Option<String>, I)>,
) -> Result<Vec<ItemOutcome<I::Record>>> {
    let mut outcomes = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::new();
    for (key, item) in &items {
        let first = key.as_ref().is_none_or(|key| seen.insert(key.clone()));
        outcomes.push(if first {
            write_item(conn, taken, item).await?
        } else {
            duplicate("external id")
        });
    }
    Ok(outcomes)
}

/// An item refused because an earlier item of the batch had its key (`what` names the key).
pub(crate) fn duplicate<T>(what: &str) -> ItemOutcome<T> {
    ItemOutcome::Failed(vec![FieldError::new(
        "external_id",
        "duplicate_in_batch",
        format!("an earlier item of this batch has the same {what}"),
    )])
}

/// Ends a batch: in [`BatchMode::AllOrNothing`] any refused item refuses it with every item's
/// errors at `list[i]` and nothing is written; otherwise the answer `render` makes of the
/// outcomes is remembered for the idempotency key and the transaction commits.
pub(crate) async fn settle<T, R: Serialize>(
    txn: WriteTxn,
    list: &str,
    mode: BatchMode,
    outcomes: Vec<ItemOutcome<T>>,
    idem: Option<&IdempotencyKey>,
    render: impl FnOnce(Vec<ItemOutcome<T>>) -> R,
) -> Result<Outcome<R>> {
    let failed = item_errors(list, &outcomes);
    if mode == BatchMode::AllOrNothing && !failed.is_empty() {
        return Err(Error::Invalid(rapport_domain::FieldErrors(failed)));
    }
    let answer = render(outcomes);
    idempotency::remember(&*txn, idem, 200, &answer).await?;
    txn.commit().await?;
    Ok(Outcome::Done(answer))
}
