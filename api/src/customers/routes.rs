//! Customer handlers: parse, authorise (the `Auth` extractor), call one use case, map the result.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::custom_fields::FieldOwner;
use rapport_domain::customers::fields::{default_sort, sortable_fields};
use rapport_domain::sort::SortOrder;
use rapport_persistence::customers::{self, CustomerFilter, CustomerSearch};
use uuid::Uuid;

use super::dto::{CreateCustomer, CustomerListQuery, CustomerView, UpdateCustomer};
use super::masking;
use crate::auth::Auth;
use crate::extract::{
    IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request, text_parameter,
};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// List customers.
///
/// Newest first unless `sort` says otherwise. Callers whose role reaches only their own customers
/// see only those. Every filter is backed by an index.
#[utoipa::path(
    tag = "customers",
    operation_id = "list_customers",
    params(CustomerListQuery),
    responses((status = 200, description = "One page of customers", body = PageOf<CustomerView>)),
    security(("bearer" = []))
)]
#[get("/customers")]
pub async fn list_customers(
    state: Data<AppState>,
    auth: Auth,
    query: ValidQuery<CustomerListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let order = SortOrder::parse(
        q.sort.as_deref(),
        &sortable_fields(&definitions),
        default_sort(),
    )
    .map_err(|e| ApiError::bad_parameter("sort", "invalid_sort", e.to_string()))?;
    let plain = CustomerFilter {
        lifecycle_stage: q.lifecycle_stage.map(Into::into),
        owner_id: q.owner_id,
        tag: text_parameter("tag", q.tag)?,
        kind: q.kind.map(Into::into),
        created_from: q.created_from,
        created_to: q.created_to,
        q: None,
    };
    let text = text_parameter("q", q.q)?;
    let disclosure = auth.disclosure();
    let parts = plain
        .to_filter()
        .into_iter()
        .chain(masking::text_condition(text.as_deref(), disclosure))
        .collect();
    let filter = masking::all_of(parts);
    let catalogue = masking::catalogue(&definitions, disclosure);
    let query = CustomerSearch {
        filter: filter.as_ref(),
        q: text.as_deref(),
        within: None,
        order: &order,
        catalogue: &catalogue,
    };
    let customers = customers::search(state.db.conn(), auth.owner(), &query, &request).await?;
    Ok(page(&PageOf::from_page(customers, |c| {
        CustomerView::new(c, disclosure)
    })))
}

/// Create a customer.
///
/// Returns the customer with `Location` and `ETag`. Email, phone and (source, external id) are
/// unique. With an `Idempotency-Key`, a retry of the same request replays the first answer.
#[utoipa::path(
    tag = "customers",
    operation_id = "create_customer",
    request_body = CreateCustomer,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = CustomerView,
            headers(("Location" = String, description = "The customer's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`email_taken`, `phone_taken` or `external_id_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers")]
pub async fn create_customer(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateCustomer>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let new = body.checked(|dto| dto.into_domain(today(), &definitions))?;
    let outcome = customers::create(&state.db, &auth.actor, auth.scope, new, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let customer = outcome.into_inner();
    let location = format!("/api/v1/customers/{}", customer.id);
    let version = customer.version;
    Ok(created(
        &CustomerView::new(customer, auth.disclosure()),
        location,
        version,
        replayed,
    ))
}

/// Get a customer.
///
/// 404 also for customers outside the caller's scope.
#[utoipa::path(
    tag = "customers",
    operation_id = "get_customer",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The customer", body = CustomerView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/customers/{id:[0-9a-fA-F-]+}")]
pub async fn get_customer(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let customer = customers::get(state.db.conn(), auth.owner(), id.into_inner()).await?;
    let version = customer.version;
    Ok(ok_versioned(
        &CustomerView::new(customer, auth.disclosure()),
        version,
    ))
}

/// Change a customer.
///
/// Absent fields stay as they are, `null` clears a field. With `If-Match: "<version>"` the change
/// applies only to that version; otherwise 412 and nothing changes.
#[utoipa::path(
    tag = "customers",
    operation_id = "update_customer",
    request_body = UpdateCustomer,
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 200, description = "The changed customer", body = CustomerView, headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "`email_taken`, `phone_taken` or `external_id_taken`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/customers/{id:[0-9a-fA-F-]+}")]
pub async fn update_customer(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateCustomer>,
) -> Result<HttpResponse, ApiError> {
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Customer).await?;
    let changes = body.checked(|dto| dto.into_domain(today(), &definitions))?;
    let customer = customers::update(
        &state.db,
        &auth.actor,
        auth.scope,
        id.into_inner(),
        changes,
        if_match.0,
    )
    .await?;
    let version = customer.version;
    Ok(ok_versioned(
        &CustomerView::new(customer, auth.disclosure()),
        version,
    ))
}

/// Delete a customer.
///
/// Deletes the customer with its contacts and tags. A customer with orders stays (409
/// `has_orders`): anonymise them instead.
#[utoipa::path(
    tag = "customers",
    operation_id = "delete_customer",
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`has_orders`: the customer has orders; anonymise instead", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/customers/{id:[0-9a-fA-F-]+}")]
pub async fn delete_customer(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    customers::delete(
        &state.db,
        &auth.actor,
        auth.scope,
        id.into_inner(),
        if_match.0,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
