//! Custom field handlers: parse, authorise (the `Auth` extractor), call one use case, map the result.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post};
use rapport_persistence::custom_fields;
use uuid::Uuid;

use super::dto::{CreateCustomField, CustomFieldListQuery, CustomFieldView, UpdateCustomField};
use crate::auth::Auth;
use crate::extract::{IdempotencyHeader, IfMatch, ValidJson, ValidQuery, page_request};
use crate::problem::{ApiError, Problem};
use crate::respond::{PageOf, created, ok_versioned, page};
use crate::state::AppState;

/// List custom fields.
///
/// By resource type and key. A client renders forms and checks values from this list: a record's
/// `custom_fields` takes exactly these keys, each value in the shape of its `field_type`.
#[utoipa::path(
    tag = "custom-fields",
    operation_id = "list_custom_fields",
    params(CustomFieldListQuery),
    responses((status = 200, description = "One page of custom fields", body = PageOf<CustomFieldView>)),
    security(("bearer" = []))
)]
#[get("/custom-fields")]
pub async fn list_custom_fields(
    state: Data<AppState>,
    _auth: Auth,
    query: ValidQuery<CustomFieldListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.0;
    let request = page_request(q.limit, q.cursor, q.include_total)?;
    let list =
        custom_fields::list(state.db.conn(), q.resource_type.map(Into::into), &request).await?;
    Ok(page(&PageOf::from_page(list, CustomFieldView::from)))
}

/// Define a custom field.
///
/// At most 64 per resource type; the key is unique per resource type. Records written afterwards
/// are checked against it; records already stored are not touched.
#[utoipa::path(
    tag = "custom-fields",
    operation_id = "create_custom_field",
    request_body = CreateCustomField,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = CustomFieldView,
            headers(("Location" = String, description = "The custom field's URL"), ("ETag" = String, description = "The version"))),
        (status = 409, description = "`key_taken`: the resource type has a field with this key; `too_many_custom_fields`: it has 64 already", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/custom-fields")]
pub async fn create_custom_field(
    state: Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    idempotency: IdempotencyHeader,
    body: ValidJson<CreateCustomField>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(&auth.actor, &req, &body.raw);
    let input = body.checked(|dto| dto.into_domain())?;
    let outcome = custom_fields::create(&state.db, &auth.actor, input, key.as_ref()).await?;
    let replayed = outcome.is_replay();
    let definition = outcome.into_inner();
    let location = format!("/api/v1/custom-fields/{}", definition.id);
    let version = definition.version;
    Ok(created(
        &CustomFieldView::from(definition),
        location,
        version,
        replayed,
    ))
}

/// Get a custom field.
#[utoipa::path(
    tag = "custom-fields",
    operation_id = "get_custom_field",
    params(("id" = Uuid, Path, description = "Custom field id")),
    responses((status = 200, description = "The custom field", body = CustomFieldView,
        headers(("ETag" = String, description = "The version, for If-Match")))),
    security(("bearer" = []))
)]
#[get("/custom-fields/{id}")]
pub async fn get_custom_field(
    state: Data<AppState>,
    _auth: Auth,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let definition = custom_fields::get(state.db.conn(), id.into_inner()).await?;
    let version = definition.version;
    Ok(ok_versioned(&CustomFieldView::from(definition), version))
}

/// Change a custom field.
///
/// Label, options, required and description can change; key, type and resource type cannot, so a
/// stored value never changes meaning. A removed option stays on the records that hold it until
/// they are changed. With `If-Match: "<version>"` the change applies only to that version.
#[utoipa::path(
    tag = "custom-fields",
    operation_id = "update_custom_field",
    request_body = UpdateCustomField,
    params(
        ("id" = Uuid, Path, description = "Custom field id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 200, description = "The changed custom field", body = CustomFieldView,
        headers(("ETag" = String, description = "The new version")))),
    security(("bearer" = []))
)]
#[patch("/custom-fields/{id}")]
pub async fn update_custom_field(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateCustomField>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.checked(|dto| dto.into_domain())?;
    let definition =
        custom_fields::update(&state.db, &auth.actor, id.into_inner(), changes, if_match.0).await?;
    let version = definition.version;
    Ok(ok_versioned(&CustomFieldView::from(definition), version))
}

/// Delete a custom field.
///
/// Stored records keep their values under its key, returned as they are; the key can no longer be
/// given a value, and sending it as `null` removes a leftover value from a record.
#[utoipa::path(
    tag = "custom-fields",
    operation_id = "delete_custom_field",
    params(
        ("id" = Uuid, Path, description = "Custom field id"),
        ("If-Match" = Option<String>, Header),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/custom-fields/{id}")]
pub async fn delete_custom_field(
    state: Data<AppState>,
    auth: Auth,
    id: Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    custom_fields::delete(&state.db, &auth.actor, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
