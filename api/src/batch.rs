//! What every batch upsert (`POST /customers/batch`, `POST /products/batch`, `POST
//! /orders/batch`) shares: the mode it was asked for, malformed items refusing it at once, and
//! each item's result, in the order sent.

use actix_web::HttpResponse;
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::batch::{BatchMode, ItemOutcome, of_item};
use rapport_persistence::idempotency::Outcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::problem::ApiError;

/// 422 `invalid_count` at `list` unless it holds 1 to `max` items.
pub fn check_count(list: &str, len: usize, max: usize) -> Result<(), ApiError> {
    if (1..=max).contains(&len) {
        return Ok(());
    }
    Err(FieldErrors::from(FieldError::new(
        list,
        "invalid_count",
        format!("send 1 to {max} {list}"),
    ))
    .into())
}

/// Every item read by `check`, or 422 with every malformed item's mistakes at `list[i]`: a
/// malformed item refuses the batch before the database is asked anything, in either mode.
pub fn well_formed<D, T>(
    list: &str,
    items: Vec<D>,
    mut check: impl FnMut(D) -> Result<T, FieldErrors>,
) -> Result<Vec<T>, ApiError> {
    let mut malformed = FieldErrors::new();
    let mut checked = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        match check(item) {
            Ok(item) => checked.push(item),
            Err(errors) => malformed
                .0
                .extend(errors.0.iter().map(|e| of_item(list, i, e))),
        }
    }
    if malformed.is_empty() {
        Ok(checked)
    } else {
        Err(malformed.into())
    }
}

/// The answer to a batch: its result, marked `Idempotent-Replayed` when a retry replays it.
pub fn answer(outcome: Outcome<BatchResult>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if outcome.is_replay() {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(outcome.into_inner())
}

/// What a batch does with items that cannot be written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchModeDto {
    /// One refused item refuses the batch: 422 listing every item's mistakes, nothing written.
    #[default]
    AllOrNothing,
    /// Each well-formed item is written or refused on its own; the answer says which. A
    /// malformed item (one the item schema refuses) still refuses the batch with 422.
    PerItem,
}

impl From<BatchModeDto> for BatchMode {
    fn from(mode: BatchModeDto) -> Self {
        match mode {
            BatchModeDto::AllOrNothing => BatchMode::AllOrNothing,
            BatchModeDto::PerItem => BatchMode::PerItem,
        }
    }
}

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// A new record.
    Created,
    /// An existing record, changed.
    Updated,
    /// An existing record that already was as sent.
    Unchanged,
    /// Refused; `errors` says why (`per_item` only).
    Failed,
}

/// A refused item's mistake.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemError {
    /// The field, relative to the item (`email`, `variants[1].price`).
    pub field: String,
    /// The rule that broke.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// One item's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemResult {
    /// The item's position in the batch.
    pub index: usize,
    /// What happened.
    pub status: ItemStatus,
    /// The record, unless refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its version now, unless refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<ItemError>,
}

/// What a batch did, item by item, in the order sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "created": 1, "updated": 1, "unchanged": 0, "failed": 0,
    "results": [
        {"index": 0, "status": "created", "id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20", "version": 1},
        {"index": 1, "status": "updated", "id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c21", "version": 4}
    ]
}))]
pub struct BatchResult {
    /// Records created.
    pub created: usize,
    /// Records changed.
    pub updated: usize,
    /// Records that already were as sent.
    pub unchanged: usize,
    /// Items refused.
    pub failed: usize,
    /// Every item's result.
    pub results: Vec<ItemResult>,
}

impl BatchResult {
    /// The result of `outcomes`, each record named by the id and version `key` reads from it.
    pub fn new<T>(outcomes: Vec<ItemOutcome<T>>, key: impl Fn(&T) -> (Uuid, i64)) -> Self {
        let mut result = BatchResult {
            created: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
            results: Vec::with_capacity(outcomes.len()),
        };
        for (index, outcome) in outcomes.into_iter().enumerate() {
            let named = outcome.record().map(&key);
            let (status, errors) = match outcome {
                ItemOutcome::Created(_) => (ItemStatus::Created, vec![]),
                ItemOutcome::Updated(_) => (ItemStatus::Updated, vec![]),
                ItemOutcome::Unchanged(_) => (ItemStatus::Unchanged, vec![]),
                ItemOutcome::Failed(errors) => (ItemStatus::Failed, errors),
            };
            match status {
                ItemStatus::Created => result.created += 1,
                ItemStatus::Updated => result.updated += 1,
                ItemStatus::Unchanged => result.unchanged += 1,
                ItemStatus::Failed => result.failed += 1,
            }
            result.results.push(ItemResult {
                index,
                status,
                id: named.map(|(id, _)| id),
                version: named.map(|(_, version)| version),
                errors: errors
                    .into_iter()
                    .map(|e| ItemError {
                        field: e.field,
                        code: e.code.to_owned(),
                        message: e.message,
                    })
                    .collect(),
            });
        }
        result
    }
}
