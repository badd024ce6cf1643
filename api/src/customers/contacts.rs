//! Contact handlers, nested under their customer.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_domain::custom_fields::FieldOwner;
use rapport_persistence::customers::contacts;
use uuid::Uuid;

use super::dto::{ContactView, CreateContact, ListQuery, UpdateContact};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// List a customer's contacts.
///
/// Oldest first.
#[utoipa::path(
    tag = "contacts",
    operation_id = "list_contacts",
    params(("id" = Uuid, Path, description = "Customer id"), ListQuery),
    responses((status = 200, description = "One page of contacts", body = PageOf<ContactView>)),
    security(("bearer" = []))
)]
#[get("/customers/{id}/contacts")]
pub async fn list_contacts(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    query: ValidQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list = contacts::list(state.db.conn(), auth.owner(), id.into_inner(), &request).await?;
    Ok(page(&PageOf::from_page(list, |c| {
        ContactView::new(c, auth.disclosure())
    })))
}

/// Add a contact.
///
/// Only company customers have contacts. `is_primary: true` makes this the one primary contact.
#[utoipa::path(
    tag = "contacts",
    operation_id = "create_contact",
    request_body = CreateContact,
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("Idempotency-Key" = Option<String>, Header),
    ),
    responses(
        (status = 201, description = "Created", body = ContactView,
            headers(("Location" = String, description = "The contact's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`contacts_require_company`: the customer is an individual", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/customers/{id}/contacts")]
pub async fn create_contact(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: Path<Uuid>,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateContact>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Contact).await?;
    let new = body.checked(|dto| dto.into_domain(&definitions))?;
    let customer_id = id.into_inner();
    let outcome = contacts::create(
        &state.db,
        &auth.actor,
        auth.scope,
        customer_id,
        new,
        key.as_ref(),
    )
    .await?;
    let replayed = outcome.is_replay();
    let contact = outcome.into_inner();
    let location = format!("/api/v1/customers/{customer_id}/contacts/{}", contact.id);
    let version = contact.version;
    Ok(created(
        &ContactView::new(contact, auth.disclosure()),
        location,
        version,
        replayed,
    ))
}

/// Get a contact.
#[utoipa::path(
    tag = "contacts",
    operation_id = "get_contact",
    params(("id" = Uuid, Path, description = "Customer id"), ("contact_id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = ContactView, headers(("ETag" = String, description = "The version")))),
    security(("bearer" = []))
)]
#[get("/customers/{id}/contacts/{contact_id}")]
pub async fn get_contact(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (customer_id, id) = path.into_inner();
    let contact = contacts::get(state.db.conn(), auth.owner(), customer_id, id).await?;
    let version = contact.version;
    Ok(ok_versioned(
        &ContactView::new(contact, auth.disclosure()),
        version,
    ))
}

/// Change a contact.
#[utoipa::path(
    tag = "contacts",
    operation_id = "update_contact",
    request_body = UpdateContact,
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("contact_id" = Uuid, Path, description = "Contact id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 200, description = "The changed contact", body = ContactView, headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[patch("/customers/{id}/contacts/{contact_id}")]
pub async fn update_contact(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: ValidJson<UpdateContact>,
) -> Result<HttpResponse, ApiError> {
    let (customer_id, id) = path.into_inner();
    let definitions = crate::custom_fields::definitions(&state, FieldOwner::Contact).await?;
    let changes = body.checked(|dto| dto.into_domain(&definitions))?;
    let contact = contacts::update(
        &state.db,
        &auth.actor,
        auth.scope,
        customer_id,
        id,
        changes,
        if_match.0,
    )
    .await?;
    let version = contact.version;
    Ok(ok_versioned(
        &ContactView::new(contact, auth.disclosure()),
        version,
    ))
}

/// Remove a contact.
#[utoipa::path(
    tag = "contacts",
    operation_id = "delete_contact",
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("contact_id" = Uuid, Path, description = "Contact id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Removed")),
    security(("bearer" = []))
)]
#[delete("/customers/{id}/contacts/{contact_id}")]
pub async fn delete_contact(
    state: Data<AppState>,
    auth: Auth,
    path: Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (customer_id, id) = path.into_inner();
    contacts::delete(
        &state.db,
        &auth.actor,
        auth.scope,
        customer_id,
        id,
        if_match.0,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
