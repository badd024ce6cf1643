//! `POST /customers/batch`: create or update up to 1,000 customers by their source and external
//! id, all or nothing, or item by item.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, post};
use chrono::NaiveDate;
use rapport_domain::custom_fields::{self, Definition, FieldOwner};
use rapport_domain::customers::CustomerChanges;
use rapport_domain::validation::{optional_text, text};
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::batch::of_item;
use rapport_persistence::customers::batch::{self, BatchItem, MAX_ITEMS};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::dto::{CreateCustomer, UpdateCustomer};
use crate::auth::Auth;
use crate::batch::{BatchModeDto, BatchResult, answer, check_count};
use crate::extract::{IdempotencyHeader, ValidJson, read_checked};
use crate::problem::ApiError;
use crate::state::AppState;

/// Customers to create or update, each named by its `source` and `external_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "mode": "all_or_nothing",
    "customers": [
        {"source": "taobao", "external_id": "TB-100234", "name": "王芳", "email": "wang.fang@example.cn", "tags": ["vip"]},
        {"source": "taobao", "external_id": "TB-100235", "name": "李雷", "lifecycle_stage": "customer"}
    ]
}))]
pub struct BatchCustomers {
    /// `all_or_nothing` (default) or `per_item`.
    pub mode: Option<BatchModeDto>,
    /// 1 to 1,000 customers. Each has the fields of `POST /api/v1/customers` with
    /// `external_id` required: a new one needs `name` and every required custom field; an
    /// existing one (same `source` and `external_id`) changes the fields sent, as `PATCH` would.
    #[schema(value_type = Vec<UpdateCustomer>, min_items = 1, max_items = 1000)]
    pub customers: Vec<Value>,
}

/// One raw item read both as a new customer and as a change, with its key, and the mistakes
/// that make it malformed.
struct ReadItem {
    item: BatchItem,
    /// What breaks the item schema of the OpenAPI document: a wrong type, an unknown field, a
    /// missing or blank key, text too long or with control characters, a value outside its
    /// list, a malformed email, phone, date or custom field value. Empty when the item is well
    /// formed, which leaves the rules that depend on what the server holds or on today: a name
    /// for a new customer, free emails and keys, existing owners, the custom field definitions
    /// and a birthday in the past.
    malformed: Vec<FieldError>,
}

/// The mistakes of `raw`'s reading as a change that the item schema states.
fn malformed(raw: &Value, change: &Result<CustomerChanges, Vec<FieldError>>) -> Vec<FieldError> {
    let Err(errors) = change else {
        return vec![];
    };
    let custom_field =
        |field: &str| field == "custom_fields" || field.starts_with("custom_fields.");
    let mut malformed: Vec<FieldError> = errors
        .iter()
        .filter(|e| e.field != "birthday" && !custom_field(&e.field))
        .cloned()
        .collect();
    // Of the custom field mistakes, those of the values' shape, not of their definitions.
    match raw.get("custom_fields") {
        Some(Value::Object(sent)) => {
            malformed.extend(
                custom_fields::shape("custom_fields", sent.clone())
                    .err()
                    .unwrap_or_default(),
            );
        }
        Some(Value::Null) | None => {}
        Some(_) => malformed.extend(errors.iter().filter(|e| custom_field(&e.field)).cloned()),
    }
    malformed
}

fn read_item(raw: &Value, today: NaiveDate, definitions: &[Definition]) -> ReadItem {
    if !raw.is_object() {
        let refused = || vec![FieldError::new("", "invalid_type", "must be an object")];
        return ReadItem {
            item: BatchItem {
                source: None,
                external_id: String::new(),
                create: Err(refused()),
                change: Err(refused()),
            },
            malformed: refused(),
        };
    }
    let key_text = |name: &str| raw.get(name).and_then(Value::as_str).map(str::to_owned);
    let external_id = text(
        "external_id",
        &key_text("external_id").unwrap_or_default(),
        1,
        200,
    );
    let source = optional_text("source", key_text("source").as_deref(), 100);
    let key_errors: Vec<FieldError> = [external_id.clone().err(), source.clone().err()]
        .into_iter()
        .flatten()
        .collect();
    let with_key_errors = |errors: Vec<FieldError>| {
        let mut all = key_errors.clone();
        all.extend(
            errors
                .into_iter()
                .filter(|e| !key_errors.iter().any(|k| k.field == e.field)),
        );
        all
    };
    let create = read_checked(raw.clone(), |dto: CreateCustomer| {
        dto.into_domain(today, definitions)
    })
    .and_then(|new| {
        if key_errors.is_empty() {
            Ok(new)
        } else {
            Err(vec![])
        }
    })
    .map_err(with_key_errors);
    let change = read_checked(raw.clone(), |dto: UpdateCustomer| {
        dto.into_domain(today, definitions)
    })
    .and_then(|change| {
        if key_errors.is_empty() {
            Ok(change)
        } else {
            Err(vec![])
        }
    })
    .map_err(with_key_errors);
    ReadItem {
        malformed: malformed(raw, &change),
        item: BatchItem {
            source: source.ok().flatten(),
            external_id: external_id.unwrap_or_default(),
            create,
            change,
        },
    }
}

/// Every malformed item's mistakes, their paths under `customers[i]`, or the items.
fn well_formed(read: Vec<ReadItem>) -> Result<Vec<BatchItem>, FieldErrors> {
    let mut errors = FieldErrors::new();
    for (i, read) in read.iter().enumerate() {
        for e in &read.malformed {
            errors.push(of_item(batch::LIST, i, e));
        }
    }
    errors.into_result(|| read.into_iter().map(|r| r.item).collect())
}

/// Create or update customers in a batch.
///
/// Each item is the body of `POST /api/v1/customers` with `external_id` required; the customer
/// with the same `source` and `external_id` is changed with the fields sent (absent stay, `null`
/// clears), or created when there is none. In `all_or_nothing` mode (the default) any refused
/// item refuses the batch: 422 with every item's mistakes at `customers[i].<field>` (conflicts
/// such as `email_taken` included), and nothing is written. In `per_item` mode the answer lists
/// each item's result. In either mode a malformed item (one the item schema refuses: a wrong
/// type, a blank `external_id`, text too long, a malformed email) refuses the whole batch at
/// once with 422 naming every malformed item, since it is a mistake of the sender's, not of the
/// data. Every written customer gets its audit and `customer.created` or
/// `customer.updated` event. With an `Idempotency-Key`, a retry replays the first answer.
#[utoipa::path(
    tag = "customers",
    operation_id = "batch_upsert_customers",
    request_body = BatchCustomers,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, description = "Every item's result", body = BatchResult)),
    security(("bearer" = []))
)]
#[post("/customers/batch")]
pub async fn batch_upsert_customers(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<BatchCustomers>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let body = body.value()?;
    check_count("customers", body.customers.len(), MAX_ITEMS)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let today = chrono::Utc::now().date_naive();
    let read: Vec<ReadItem> = body
        .customers
        .into_iter()
        .map(|raw| read_item(&raw, today, &definitions))
        .collect();
    let mode = body.mode.unwrap_or_default().into();
    // A malformed item refuses the batch before the database is asked anything, in either mode:
    // the sender's mistakes cost no transaction.
    let items = well_formed(read)?;
    let outcome = batch::upsert(
        &state.db,
        &auth.actor,
        auth.scope,
        items,
        mode,
        key.as_ref(),
        |outcomes| BatchResult::new(outcomes, |c| (c.id, c.version)),
    )
    .await?;
    Ok(answer(outcome))
}
